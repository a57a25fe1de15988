"""The Twilio adapter against the smshooks vendor conformance kit."""

from __future__ import annotations

from smshooks.testing import VendorConformance
from smshooks_twilio import TwilioVendor

from .cases import PARSE, SEND, STATUSES, VERIFY


class TestTwilio(VendorConformance):
    vendor = TwilioVendor()
    parse_cases = PARSE
    verify_cases = VERIFY
    status_cases = STATUSES
    send_cases = SEND
