"""The conformance kit over three configurations of the Custom vendor: the seed's shapes, Infobip's, Sinch's.

Each class is the adapter bound to one credential (its mappings and status
map), as the gateway parses with the credential a request was verified
against.
"""

from __future__ import annotations

from smshooks.testing import StatusCase, VendorConformance
from smshooks.vendor import WebhookRequest
from smshooks_custom import CustomVendor

from . import cases


class TestSeedShapes(VendorConformance):
    vendor = CustomVendor(cases.SEED_CREDENTIALS)
    parse_cases = cases.SEED_PARSE
    verify_cases = cases.SEED_VERIFY
    status_cases = cases.SEED_STATUSES
    send_cases = cases.SEED_SEND
    acknowledge_cases = cases.ACKNOWLEDGE
    hostile_json = True
    type_confusion_payloads = cases.type_confusion("seed_inbound.json", "seed_feedback.json")

    def status_report_request(self, case: StatusCase) -> WebhookRequest | None:
        return cases.seed_status_report(case)


class TestInfobipDescribed(VendorConformance):
    vendor = CustomVendor(cases.INFOBIP_CREDENTIALS)
    parse_cases = cases.INFOBIP_PARSE
    verify_cases = cases.INFOBIP_VERIFY
    status_cases = cases.INFOBIP_STATUSES
    send_cases = cases.INFOBIP_SEND
    acknowledge_cases = cases.ACKNOWLEDGE
    hostile_json = True
    type_confusion_payloads = cases.type_confusion("infobip_inbound.json", "infobip_dlr.json")

    def status_report_request(self, case: StatusCase) -> WebhookRequest | None:
        return cases.infobip_status_report(case)


class TestSinchDescribed(VendorConformance):
    vendor = CustomVendor(cases.SINCH_CREDENTIALS)
    parse_cases = cases.SINCH_PARSE
    verify_cases = cases.SINCH_VERIFY
    status_cases = cases.SINCH_STATUSES
    send_cases = cases.SINCH_SEND
    acknowledge_cases = cases.ACKNOWLEDGE
    hostile_json = True
    type_confusion_payloads = cases.type_confusion(
        "sinch_mo_text.json", "sinch_batch_report.json", "sinch_recipient_report.json"
    )

    def status_report_request(self, case: StatusCase) -> WebhookRequest | None:
        return cases.sinch_status_report(case)
