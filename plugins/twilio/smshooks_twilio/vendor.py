"""TwilioVendor: the adapter the gateway calls, assembled from this package's modules."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import requests

from smshooks.events import Event, OutboundMessage, Status
from smshooks.vendor import Vendor, WebhookRequest, WebhookResponse
from smshooks_twilio.credentials import TwilioCredentialsSchema
from smshooks_twilio.parse import VENDOR, parse_request
from smshooks_twilio.send import send_message
from smshooks_twilio.signature import verify_request
from smshooks_twilio.statuses import FINAL_STATUSES, STATUS_MAP
from smshooks_twilio.twiml import CONTENT_TYPE, render_twiml


class TwilioVendor(Vendor):
    """Twilio Programmable Messaging: inbound SMS/MMS, status callbacks, TwiML replies, sends."""

    name: ClassVar[str] = VENDOR
    title: ClassVar[str] = "Twilio"
    credentials_schema = TwilioCredentialsSchema
    status_map: ClassVar[Mapping[str, Status]] = STATUS_MAP
    final_statuses: ClassVar[frozenset[str]] = FINAL_STATUSES
    # Twilio posts one inbound message or one status callback per request (vendors.md §5).
    max_events_per_request: ClassVar[int] = 1

    def verify(self, request: WebhookRequest, credentials: Mapping[str, Any]) -> None:
        verify_request(request, credentials.get("auth_token"))

    def parse(self, request: WebhookRequest) -> list[Event]:
        return parse_request(request)

    def acknowledge(self, replies: Sequence[str]) -> WebhookResponse:
        # Twilio waits for TwiML on the inbound request; replies go out inline.
        return WebhookResponse(status=200, body=render_twiml(replies), content_type=CONTENT_TYPE)

    def replies_inline(self, credentials: Mapping[str, Any]) -> bool:
        return bool(credentials.get("inline_replies", True))

    def send(self, message: OutboundMessage, credentials: Mapping[str, Any], http: requests.Session) -> str:
        return send_message(message, credentials, http)
