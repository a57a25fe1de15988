"""InfobipVendor: the adapter the gateway calls, assembled from this package's modules."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import requests

from smshooks.events import Event, OutboundMessage, Status
from smshooks.vendor import Vendor, WebhookRequest
from smshooks_infobip.basic_auth import verify_request
from smshooks_infobip.credentials import InfobipCredentialsSchema
from smshooks_infobip.parse import MAX_RESULTS, VENDOR, parse_request
from smshooks_infobip.send import send_message
from smshooks_infobip.statuses import FINAL_STATUSES, STATUS_MAP, resolve_status


class InfobipVendor(Vendor):
    """Infobip SMS: inbound ``results[]`` batches, v3 and v2 delivery reports, sends through ``/sms/3/messages``."""

    name: ClassVar[str] = VENDOR
    title: ClassVar[str] = "Infobip"
    credentials_schema = InfobipCredentialsSchema
    status_map: ClassVar[Mapping[str, Status]] = STATUS_MAP
    final_statuses: ClassVar[frozenset[str]] = FINAL_STATUSES
    # results[] batches: 100 reports by default, at most 1000 (see parse.MAX_RESULTS)
    max_events_per_request: ClassVar[int] = MAX_RESULTS

    # The one mapping, which parse uses too: the status name's entry, else its
    # group's (a report's vendor_status_group), else unknown. A report whose
    # status carries only a group stores the group name as both.
    def map_status(self, vendor_status: str, group: str | None = None) -> Status:
        return resolve_status(vendor_status, group).status

    def is_final(self, vendor_status: str, group: str | None = None) -> bool:
        return resolve_status(vendor_status, group).final

    def verify(self, request: WebhookRequest, credentials: Mapping[str, Any]) -> None:
        verify_request(request, credentials.get("webhook_username"), credentials.get("webhook_password"))

    def parse(self, request: WebhookRequest) -> list[Event]:
        return parse_request(request)

    # acknowledge(): Infobip expects an empty 200; replies go out through send().

    def send(self, message: OutboundMessage, credentials: Mapping[str, Any], http: requests.Session) -> str:
        return send_message(message, credentials, http)
