"""The Twilio adapter against the smshooks vendor conformance kit."""

from __future__ import annotations

from smshooks.testing import StatusCase, VendorConformance
from smshooks.vendor import WebhookRequest
from smshooks_twilio import TwilioVendor

from .cases import ACKNOWLEDGE, PARSE, SEND, STATUSES, VERIFY, status_report


class TestTwilio(VendorConformance):
    vendor = TwilioVendor()
    parse_cases = PARSE
    verify_cases = VERIFY
    status_cases = STATUSES
    send_cases = SEND
    acknowledge_cases = ACKNOWLEDGE

    def status_report_request(self, case: StatusCase) -> WebhookRequest | None:
        return status_report(case)
