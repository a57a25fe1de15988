"""Sending one SMS through Twilio's Messages API.

``POST {api_base_url}/2010-04-01/Accounts/{AccountSid}/Messages.json`` with HTTP
Basic ``AccountSid:AuthToken`` and a form body; the answer is the Message
resource, whose ``sid`` is the id later status callbacks carry.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import requests

from smshooks.events import OutboundMessage
from smshooks.vendor import SendError, is_retryable_status, vendor_request
from smshooks_twilio.credentials import DEFAULT_API_BASE_URL
from smshooks_twilio.statuses import OPTED_OUT_CODE

API_VERSION = "2010-04-01"


def messages_url(api_base_url: str, account_sid: str) -> str:
    return f"{api_base_url.rstrip('/')}/{API_VERSION}/Accounts/{quote(account_sid, safe='')}/Messages.json"


def message_form(message: OutboundMessage, messaging_service_sid: str | None) -> list[tuple[str, str]]:
    """The form fields of the create-Message request, in a list so MediaUrl can repeat."""
    form = [("To", message.recipient)]
    if messaging_service_sid:
        # The Messaging Service picks the sender from its pool (sticky sender,
        # geo-match, opt-out scope); forcing message.sender as From could name a
        # number outside that pool and make every send fail. To pin a sender,
        # configure no Messaging Service.
        form.append(("MessagingServiceSid", messaging_service_sid))
    elif message.sender:
        form.append(("From", message.sender))
    else:
        raise SendError(
            "no sender: set the message's sender or the credential's messaging_service_sid", retryable=False
        )
    if message.text:
        form.append(("Body", message.text))
    if message.status_callback_url:
        form.append(("StatusCallback", message.status_callback_url))
    form.extend(("MediaUrl", url) for url in message.media_urls)
    return form


def send_message(message: OutboundMessage, credentials: Mapping[str, Any], http: requests.Session) -> str:
    """Create the message at Twilio and return its ``sid``; :class:`SendError` when refused."""
    account_sid = credentials.get("account_sid")
    auth_token = credentials.get("auth_token")
    if not account_sid or not auth_token:
        raise SendError("the Twilio credential lacks account_sid or auth_token", retryable=False)
    url = messages_url(credentials.get("api_base_url") or DEFAULT_API_BASE_URL, account_sid)
    form = message_form(message, credentials.get("messaging_service_sid"))
    response = vendor_request(http, "POST", url, vendor="Twilio API", data=form, auth=(account_sid, auth_token))
    return message_sid(response)


def message_sid(response: requests.Response) -> str:
    """The created message's ``sid`` from a Messages API answer, or the matching :class:`SendError`."""
    status = response.status_code
    body = _json_object(response)
    if 200 <= status < 300:
        sid = body.get("sid")
        if not isinstance(sid, str) or not sid:
            # Twilio may have created the message; a retry could send it twice.
            raise SendError(f"Twilio answered HTTP {status} without a message sid", retryable=False, status=status)
        return sid
    raw_code, detail = body.get("code"), body.get("message")
    code = str(raw_code) if raw_code not in (None, "") else None
    detail = detail if isinstance(detail, str) else None
    reason = f"Twilio answered HTTP {status}" + (f": {detail}" if detail else "") + (f" (error {code})" if code else "")
    if code == OPTED_OUT_CODE:
        reason = f"recipient has opted out (replied STOP); {reason}"
        raise SendError(reason, retryable=False, code=code, status=status)
    raise SendError(reason, retryable=is_retryable_status(status), code=code, status=status)


def _json_object(response: requests.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:  # an HTML error page from a proxy, or an empty body
        return {}
    return body if isinstance(body, dict) else {}
