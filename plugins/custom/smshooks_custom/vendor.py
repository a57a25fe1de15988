"""CustomVendor: the adapter the gateway calls, assembled from this package's modules.

Parsing needs the credential (the payload mappings and the status map live
there): the host hands it over on the request (``request.credentials``).
``parse`` also takes the credential directly, for callers that have it, and an
adapter built with a credential (``CustomVendor(credentials)``) parses with
that one by default, which is how the conformance tables exercise a configuration.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

import requests

from smshooks.events import Event, OutboundMessage, Status
from smshooks.vendor import PayloadError, SendError, Vendor, WebhookRequest
from smshooks_custom import auth, oauth2
from smshooks_custom.credentials import CustomCredentialsSchema
from smshooks_custom.mapping import MAX_EVENTS
from smshooks_custom.parse import VENDOR, WebhookConfig, parse_request
from smshooks_custom.send import build_request, message_id, prepare, transmit
from smshooks_custom.signature import verify_request
from smshooks_custom.statuses import StatusTable
from smshooks_custom.template import TemplateError

#: shorter secret values are not searched for in headers (they would mask unrelated text)
_MASKABLE = 4


class CustomVendor(Vendor):
    """Any HTTP SMS provider: send API, webhook formats and statuses from the credential."""

    name: ClassVar[str] = VENDOR
    title: ClassVar[str] = "Custom"
    credentials_schema = CustomCredentialsSchema
    # A configured provider's batch size is unknown: the mapping's own bound on
    # the events one payload may expand into (mapping.MAX_EVENTS).
    max_events_per_request: ClassVar[int] = MAX_EVENTS

    def __init__(self, credentials: Mapping[str, Any] | None = None, *, clock: Callable[[], float] = time.monotonic):
        self.credentials: Mapping[str, Any] = dict(credentials or {})
        table = StatusTable.build(self.credentials.get("status_map"), self.credentials.get("final_statuses"))
        # Instance attributes: the map this adapter's credential configures.
        self.status_map = table.statuses
        self.final_statuses = table.final
        self._statuses = table
        self.tokens = oauth2.TokenCache(clock)

    # -- webhooks ---------------------------------------------------------------

    def verify(self, request: WebhookRequest, credentials: Mapping[str, Any]) -> None:
        verify_request(request, credentials)

    def parse(self, request: WebhookRequest, credentials: Mapping[str, Any] | None = None) -> list[Event]:
        if credentials is None:
            credentials = request.credentials or self.credentials
        return parse_request(request, WebhookConfig.from_credentials(credentials))

    # The one mapping of this adapter's credential (exact, then any case), which
    # parse uses too through the same StatusTable.
    def map_status(self, vendor_status: str, group: str | None = None) -> Status:
        return self._statuses.status(vendor_status)

    def is_final(self, vendor_status: str, group: str | None = None) -> bool:
        return self._statuses.is_final(vendor_status)

    # -- sending ----------------------------------------------------------------

    def send(self, message: OutboundMessage, credentials: Mapping[str, Any], http: requests.Session) -> str:
        request = prepare(message, credentials)
        if (credentials.get("auth_type") or "none") != "oauth2":
            headers = auth.static_auth_headers(credentials, request.body_bytes)
            return message_id(transmit(http, request, headers), message, credentials)
        key = oauth2.cache_key(credentials)
        token = self.tokens.token(key, lambda: oauth2.fetch_token(credentials, http))
        response = transmit(http, request, auth.bearer(token))
        if response.status_code == 401:
            # The provider revoked the token or expired it early: fetch one more, once.
            self.tokens.discard(key, token)
            token = self.tokens.token(key, lambda: oauth2.fetch_token(credentials, http))
            response = transmit(http, request, auth.bearer(token))
        return message_id(response, message, credentials)

    def preview_send(self, message: OutboundMessage, credentials: Mapping[str, Any]) -> Mapping[str, Any]:
        try:
            request = build_request(message, credentials)
            headers = {**request.headers, **auth.static_auth_headers(credentials, request.body_bytes, masked=True)}
        except TemplateError as exc:
            raise PayloadError(str(exc)) from None
        except SendError as exc:  # an auth type without its secret
            raise PayloadError(exc.reason) from None
        if credentials.get("auth_type") == "oauth2":
            headers["Authorization"] = f"Bearer {auth.MASK}"
        return {
            "method": request.method,
            "url": request.url,
            "headers": _mask_secret_values(headers, credentials, self.secret_fields()),
            "body": _json_body(request.body),
        }


def _mask_secret_values(
    headers: Mapping[str, str], credentials: Mapping[str, Any], secrets: frozenset[str]
) -> dict[str, str]:
    """Headers with any secret of the credential that appears in a value masked (an extra header may carry one)."""
    values = [str(credentials[name]) for name in secrets if len(str(credentials.get(name) or "")) >= _MASKABLE]
    masked = {}
    for name, value in headers.items():
        for secret in sorted(values, key=len, reverse=True):
            value = value.replace(secret, auth.MASK)
        masked[name] = value
    return masked


def _json_body(text: str) -> Any:
    return json.loads(text)  # valid: render() checked it
