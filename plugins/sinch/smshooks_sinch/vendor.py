"""SinchVendor: the adapter the gateway calls, assembled from this package's modules."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import requests

from smshooks.events import Event, OutboundMessage, Status
from smshooks.vendor import Vendor, WebhookRequest
from smshooks_sinch.credentials import SinchCredentialsSchema
from smshooks_sinch.parse import MAX_BATCH_RECIPIENTS, VENDOR, parse_request
from smshooks_sinch.send import send_message
from smshooks_sinch.signature import verify_request
from smshooks_sinch.statuses import FINAL_STATUSES, STATUS_MAP, is_final, map_status


class SinchVendor(Vendor):
    """Sinch SMS REST API (xms): inbound SMS/binary/MMS, batch and recipient delivery reports, batch sends."""

    name: ClassVar[str] = VENDOR
    title: ClassVar[str] = "Sinch"
    credentials_schema = SinchCredentialsSchema
    status_map: ClassVar[Mapping[str, Status]] = STATUS_MAP
    final_statuses: ClassVar[frozenset[str]] = FINAL_STATUSES
    # A batch has 1 to 1000 recipients (`to`, "1 to 1000 elements": Sinch SMS REST
    # API, Batches endpoint), so a full delivery report lists at most 1000; an
    # inbound or recipient report is one event.
    max_events_per_request: ClassVar[int] = MAX_BATCH_RECIPIENTS

    def verify(self, request: WebhookRequest, credentials: Mapping[str, Any]) -> None:
        verify_request(request, credentials.get("webhook_secret"))

    def parse(self, request: WebhookRequest) -> list[Event]:
        return parse_request(request)

    # acknowledge: Sinch expects an empty 2xx; replies go out through send().

    def send(self, message: OutboundMessage, credentials: Mapping[str, Any], http: requests.Session) -> str:
        return send_message(message, credentials, http)

    # The one mapping, which parse uses too. Sinch's docs write "Delivered", its
    # Python SDK "DELIVERED": any case maps.
    def map_status(self, vendor_status: str, group: str | None = None) -> Status:
        return map_status(vendor_status)

    def is_final(self, vendor_status: str, group: str | None = None) -> bool:
        return is_final(vendor_status)
