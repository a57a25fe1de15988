"""Sending one SMS to the configured provider: the request from the credential, the answer to an id.

The request is ``http_method provider_url`` with a JSON body rendered from
``payload_template``, ``Content-Type: application/json; charset=utf-8``,
``extra_headers`` (which may override the content type) and the auth header.
The provider's message id is read from the JSON answer at ``message_id_path``;
without a path, the message's own reference stands for it, so a provider that
echoes the reference (``{{reference}}`` in the template) links its reports.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests

from smshooks.events import OutboundMessage
from smshooks.vendor import SendError, is_retryable_status, retry_after_seconds, vendor_request
from smshooks_custom.jsonpath import MISSING, lookup
from smshooks_custom.template import TemplateError, compile_template

HTTP_METHODS = ("POST", "PUT", "PATCH")
CONTENT_TYPE = "application/json; charset=utf-8"
TEMPLATE_ERROR = "payload_template"
#: a provider's error body is quoted in the reason up to this length
_REASON_EXCERPT = 200


@dataclass(frozen=True)
class OutgoingRequest:
    """What goes on the wire, before the auth header."""

    method: str
    url: str
    headers: dict[str, str]
    body: str

    @property
    def body_bytes(self) -> bytes:
        return self.body.encode("utf-8")


def template_variables(message: OutboundMessage, credentials: Mapping[str, Any]) -> dict[str, Any]:
    """What a payload template can use (besides the helpers ``now_iso()``, ``now_epoch()``, ``uuid()``)."""
    return {
        "fromNumber": message.sender or credentials.get("sender_number") or "",
        "toNumber": message.recipient,
        "message": message.text,
        "profile": dict(message.profile),
        "reference": message.reference or "",
        "callbackUrl": message.status_callback_url or "",
        "mediaUrls": list(message.media_urls),
    }


def render_body(message: OutboundMessage, credentials: Mapping[str, Any]) -> str:
    """The rendered payload, or a :class:`TemplateError` saying which line and why."""
    source = credentials.get("payload_template")
    if not source:
        raise TemplateError("no payload_template is configured")
    return compile_template(source).render(template_variables(message, credentials))


def build_request(message: OutboundMessage, credentials: Mapping[str, Any]) -> OutgoingRequest:
    """The request for ``message`` without its auth header (:class:`TemplateError` on a bad template)."""
    url = credentials.get("provider_url")
    if not url:
        raise TemplateError("no provider_url is configured")
    headers = {"Content-Type": CONTENT_TYPE, "Accept": "application/json"}
    for name, value in (credentials.get("extra_headers") or {}).items():
        # Replace a default of any case rather than send it twice.
        for existing in [key for key in headers if key.lower() == str(name).lower()]:
            del headers[existing]
        headers[str(name)] = str(value)
    method = str(credentials.get("http_method") or "POST").upper()
    return OutgoingRequest(method, str(url), headers, render_body(message, credentials))


def prepare(message: OutboundMessage, credentials: Mapping[str, Any]) -> OutgoingRequest:
    """:func:`build_request` for a real send: a bad template or no sender is a :class:`SendError`."""
    if not (message.sender or credentials.get("sender_number")):
        raise SendError("no sender: set the message's sender or the credential's sender_number", retryable=False)
    try:
        return build_request(message, credentials)
    except TemplateError as exc:
        raise SendError(f"the payload template does not render: {exc}", retryable=False, code=TEMPLATE_ERROR) from None


def transmit(http: requests.Session, request: OutgoingRequest, auth_headers: Mapping[str, str]) -> requests.Response:
    """Put the request on the wire; unreachable and timed-out providers are retryable."""
    headers = {**request.headers, **auth_headers}
    body = request.body_bytes
    return vendor_request(http, request.method, request.url, vendor="provider", data=body, headers=headers)


def message_id(response: requests.Response, message: OutboundMessage, credentials: Mapping[str, Any]) -> str:
    """The provider's id for the sent message, or the :class:`SendError` its answer means.

    429, 5xx (and 408, a request timeout) are retryable, with the provider's
    ``Retry-After``; any other non-2xx answer is not.
    """
    status = response.status_code
    if not 200 <= status < 300:
        retryable = is_retryable_status(status)
        code = _error_code(response, credentials.get("error_code_path"))
        raise SendError(
            _reason(response) + (f" (error {code})" if code else ""),
            retryable=retryable,
            code=code,
            status=status,
            retry_after=retry_after_seconds(response) if retryable else None,
        )
    path = credentials.get("message_id_path")
    if not path:
        return message.reference or str(uuid.uuid4())
    value = lookup(_json(response), path)
    if value is MISSING or value is None or isinstance(value, bool | dict | list) or not str(value).strip():
        # The provider may have accepted the message; a retry could send it twice.
        raise SendError(
            f"the provider answered HTTP {status} without a message id at {path!r}",
            retryable=False,
            code="message_id_missing",
            status=status,
        )
    return str(value).strip()


def _json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _error_code(response: requests.Response, path: str | None) -> str | None:
    if not path:
        return None
    value = lookup(_json(response), path)
    if value is MISSING or value is None or isinstance(value, bool | dict | list):
        return None
    return str(value).strip() or None


def _reason(response: requests.Response) -> str:
    text = " ".join(response.text.split())[:_REASON_EXCERPT]
    return f"the provider answered HTTP {response.status_code}" + (f": {text}" if text else "")
