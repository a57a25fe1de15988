"""The Sinch adapter against the smshooks vendor conformance kit."""

from __future__ import annotations

from smshooks.testing import StatusCase, VendorConformance
from smshooks.vendor import WebhookRequest
from smshooks_sinch import SinchVendor

from .cases import ACKNOWLEDGE, PARSE, SEND, STATUSES, TYPE_CONFUSION, VERIFY, status_report


class TestSinch(VendorConformance):
    vendor = SinchVendor()
    parse_cases = PARSE
    verify_cases = VERIFY
    status_cases = STATUSES
    send_cases = SEND
    acknowledge_cases = ACKNOWLEDGE
    hostile_json = True
    type_confusion_payloads = TYPE_CONFUSION

    def status_report_request(self, case: StatusCase) -> WebhookRequest | None:
        return status_report(case)
