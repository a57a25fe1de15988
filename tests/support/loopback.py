"""A small vendor used by the core tests: JSON payloads, an optional HMAC signature.

It is a real plugin registered through the same hook as installed ones; the
core suite needs a vendor without depending on any vendor package.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from marshmallow import Schema, fields

from smshooks.events import DeliveryReport, Event, InboundMessage, OutboundMessage, Status
from smshooks.hookspecs import hookimpl
from smshooks.vendor import (
    PayloadError,
    SendError,
    SignatureError,
    Vendor,
    WebhookRequest,
    secret_field,
    target_url_field,
    to_e164,
)

SIGNATURE_HEADER = "X-Loopback-Signature"


class LoopbackCredentials(Schema):
    account = fields.String(required=True)
    secret = secret_field(load_default=None, allow_none=True)
    api_url = target_url_field(load_default="http://127.0.0.1:9")


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class LoopbackVendor(Vendor):
    name = "loopback"
    title = "Loopback (tests)"
    credentials_schema = LoopbackCredentials
    status_map = {"sent": Status.SENT, "ok": Status.DELIVERED, "fail": Status.BOUNCE, "read": Status.READ}
    final_statuses = frozenset({"ok", "fail", "read"})

    def verify(self, request: WebhookRequest, credentials: Mapping[str, Any]) -> None:
        secret = credentials.get("secret")
        if not secret:
            return
        given = request.header(SIGNATURE_HEADER)
        if not given or not hmac.compare_digest(given, sign(secret, request.body)):
            raise SignatureError("bad or missing " + SIGNATURE_HEADER)

    def parse(self, request: WebhookRequest) -> list[Event]:
        payload = request.json()
        if not isinstance(payload, dict):
            raise PayloadError("expected an object")
        events: list[Event] = []
        try:
            for item in payload.get("messages", []):
                events.append(
                    InboundMessage(
                        vendor=self.name,
                        vendor_message_id=str(item["id"]),
                        sender=to_e164(item["from"]),
                        recipient=to_e164(item["to"]),
                        text=item.get("text", ""),
                        # the vendor's time of the message when given, as Infobip's receivedAt
                        received_at=datetime.fromisoformat(item["at"]) if "at" in item else request.received_at,
                        raw=item,
                    )
                )
            for item in payload.get("reports", []):
                status = item["status"]
                events.append(
                    DeliveryReport(
                        vendor=self.name,
                        vendor_message_id=str(item["id"]),
                        recipient=to_e164(item["to"]),
                        status=self.map_status(status),
                        vendor_status=status,
                        final=status in self.final_statuses,
                        occurred_at=datetime.fromisoformat(item["at"]) if "at" in item else request.received_at,
                        raw=item,
                    )
                )
        except (KeyError, TypeError, AttributeError) as exc:
            raise PayloadError(f"missing or bad field: {exc}") from None
        return events

    def send(self, message: OutboundMessage, credentials: Mapping[str, Any], http: Any) -> str:
        """POST {api_url}/send; 429/5xx/network errors are retryable, other 4xx not."""
        import requests

        body = {"to": message.recipient, "from": message.sender, "text": message.text}
        if message.status_callback_url:
            body["callback"] = message.status_callback_url
        try:
            response = http.post(credentials["api_url"].rstrip("/") + "/send", json=body)
        except requests.RequestException as exc:
            raise SendError(f"network: {exc}", retryable=True) from None
        if response.status_code == 429 or response.status_code >= 500:
            retry_after = response.headers.get("Retry-After")
            raise SendError(
                f"HTTP {response.status_code}",
                retryable=True,
                status=response.status_code,
                retry_after=float(retry_after) if retry_after else None,
            )
        if response.status_code >= 400:
            raise SendError(
                f"HTTP {response.status_code}", retryable=False, status=response.status_code, code="refused"
            )
        return str(response.json()["id"])

    def preview_send(self, message: OutboundMessage, credentials: Mapping[str, Any]) -> Mapping[str, Any]:
        # A tiny "template": {name} placeholders from the profile, refused when missing.
        try:
            body = message.text.format(**message.profile)
        except (KeyError, IndexError, ValueError) as exc:
            raise PayloadError(f"unknown placeholder {exc}") from None
        return {
            "method": "POST",
            "url": credentials["api_url"] + "/send",
            "headers": {"Authorization": "Bearer ********"},
            "body": {"to": message.recipient, "from": message.sender, "text": body},
        }


@hookimpl
def smshooks_register_vendors() -> list[Vendor]:
    return [LoopbackVendor()]
