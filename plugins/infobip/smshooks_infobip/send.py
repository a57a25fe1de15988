"""Sending one SMS through Infobip's SMS API v3.

``POST {base_url}/sms/3/messages`` with ``Authorization: App <api key>`` and a
JSON body of one message to one destination (vendors.md §2.4); the answer's
``messages[0].messageId`` is the id delivery reports carry.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests

from smshooks.events import OutboundMessage
from smshooks.vendor import SendError, is_retryable_status, retry_after_seconds, to_e164, vendor_request

MESSAGES_PATH = "/sms/3/messages"
#: the format delivery reports are requested in (Infobip can also send XML)
REPORT_CONTENT_TYPE = "application/json"

#: a send answered 2xx whose message is already refused (no report will say otherwise)
_REJECTED_GROUP = "REJECTED"


def infobip_number(number: str) -> str:
    """A phone number as Infobip writes it: international digits without ``+``.

    Alphanumeric sender ids and short codes are passed through unchanged.
    """
    value = to_e164(number)
    return value[1:] if value.startswith("+") else value


def message_body(message: OutboundMessage) -> dict[str, Any]:
    """The JSON body of the send request for one message to one destination."""
    if message.media_urls:
        # Infobip's SMS API carries text only; dropping the media silently would
        # deliver a different message than the one asked for.
        raise SendError("Infobip SMS cannot carry media; send it without media_urls", retryable=False)
    if not message.text:
        raise SendError("no text: an Infobip SMS needs content.text", retryable=False)
    item: dict[str, Any] = {
        "destinations": [{"to": infobip_number(message.recipient)}],
        "content": {"text": message.text},
    }
    # Without a sender Infobip uses the account's default sender.
    if message.sender:
        item["sender"] = infobip_number(message.sender)
    webhooks: dict[str, Any] = {}
    if message.status_callback_url:
        webhooks["delivery"] = {"url": message.status_callback_url}
        webhooks["contentType"] = REPORT_CONTENT_TYPE
    if message.reference:
        # Echoed in the delivery report (and in a reply's inbound callbackData).
        webhooks["callbackData"] = message.reference
    if webhooks:
        item["webhooks"] = webhooks
    return {"messages": [item]}


def send_message(message: OutboundMessage, credentials: Mapping[str, Any], http: requests.Session) -> str:
    """Send the message at Infobip and return its ``messageId``; :class:`SendError` when refused."""
    base_url = credentials.get("base_url")
    api_key = credentials.get("api_key")
    if not base_url or not api_key:
        raise SendError("the Infobip credential lacks base_url or api_key", retryable=False)
    body = message_body(message)
    headers = {"Authorization": f"App {api_key}", "Accept": "application/json"}
    url = base_url.rstrip("/") + MESSAGES_PATH
    return message_id(vendor_request(http, "POST", url, vendor="Infobip API", json=body, headers=headers))


def message_id(response: requests.Response) -> str:
    """The sent message's id from a send answer, or the matching :class:`SendError`."""
    status = response.status_code
    body = _json_object(response)
    if 200 <= status < 300:
        return _accepted_message_id(body, status)
    code, detail = error_details(body)
    reason = (
        f"Infobip answered HTTP {status}" + (f": {detail}" if detail else "") + (f" (error {code})" if code else "")
    )
    raise SendError(
        reason,
        retryable=is_retryable_status(status),
        code=code,
        status=status,
        retry_after=retry_after_seconds(response),
    )


def _accepted_message_id(body: Mapping[str, Any], status: int) -> str:
    messages = body.get("messages")
    first = messages[0] if isinstance(messages, list) and messages and isinstance(messages[0], dict) else {}
    sent_id = first.get("messageId")
    if not isinstance(sent_id, str) or not sent_id.strip():
        # Infobip may have accepted the message; a retry could send it twice.
        raise SendError(f"Infobip answered HTTP {status} without a messageId", retryable=False, status=status)
    state = first.get("status") if isinstance(first.get("status"), dict) else {}
    if state.get("groupName") == _REJECTED_GROUP:
        name = state.get("name") if isinstance(state.get("name"), str) else None
        description = state.get("description") if isinstance(state.get("description"), str) else None
        reason = f"Infobip rejected message {sent_id}" + (f": {name}" if name else "")
        reason += f" ({description})" if description else ""
        raise SendError(reason, retryable=False, code=name, status=status)
    return sent_id.strip()


def error_details(body: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """``(code, text)`` of an Infobip error answer, in its current or its legacy shape.

    Current: ``{"errorCode": "E400", "description": ..., "violations": [{"property", "violation"}]}``.
    Legacy: ``{"requestError": {"serviceException": {"messageId": "UNAUTHORIZED", "text": ...}}}``.
    """
    code = body.get("errorCode")
    texts: list[str] = []
    if isinstance(body.get("description"), str):
        texts.append(body["description"])
    for violation in body.get("violations") or ():
        if isinstance(violation, dict) and isinstance(violation.get("violation"), str):
            prop = violation.get("property")
            texts.append(f"{prop}: {violation['violation']}" if isinstance(prop, str) else violation["violation"])
    request_error = body.get("requestError")
    exception = request_error.get("serviceException") if isinstance(request_error, dict) else None
    if isinstance(exception, dict):
        code = code or exception.get("messageId")
        if isinstance(exception.get("text"), str):
            texts.append(exception["text"])
    return (str(code) if code not in (None, "") else None), ("; ".join(texts) or None)


def _json_object(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:  # an HTML error page from a proxy, or an empty body
        return {}
    return body if isinstance(body, dict) else {}
