"""The Infobip adapter against the smshooks vendor conformance kit."""

from __future__ import annotations

from smshooks.testing import VendorConformance
from smshooks_infobip import InfobipVendor

from .cases import PARSE, SEND, STATUSES, TYPE_CONFUSION, VERIFY


class TestInfobip(VendorConformance):
    vendor = InfobipVendor()
    parse_cases = PARSE
    verify_cases = VERIFY
    status_cases = STATUSES
    send_cases = SEND
    hostile_json = True
    type_confusion_payloads = TYPE_CONFUSION
