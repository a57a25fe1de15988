"""Sending one SMS through Sinch's batches API.

``POST {base}/xms/v1/{service_plan_id}/batches`` with ``Authorization: Bearer
{api_token}`` and a JSON batch of one recipient (vendors.md §3.5). Sinch
answers 201 with the batch, whose ``id`` every later delivery report carries as
``batch_id``: that id is the vendor message id.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import requests

from smshooks.events import OutboundMessage
from smshooks.vendor import SendError, is_retryable_status, retry_after_seconds, vendor_request
from smshooks_sinch.credentials import api_base_url

#: a report for every status change of every recipient (vendors.md §3.3): the
#: gateway follows each message through queued → sent → delivered
DELIVERY_REPORT = "per_recipient"


def batches_url(base_url: str, service_plan_id: str) -> str:
    return f"{base_url.rstrip('/')}/xms/v1/{quote(service_plan_id, safe='')}/batches"


def batch_body(message: OutboundMessage) -> dict[str, Any]:
    """The JSON batch for one message: ``mt_text``, or ``mt_media`` when it carries a media URL."""
    body: dict[str, Any] = {"to": [message.recipient]}
    # No sender: Sinch picks one from the service plan's default originator pool
    # (without one it reports code 410 for the recipient).
    if message.sender:
        body["from"] = message.sender
    if message.media_urls:
        if len(message.media_urls) > 1:
            # An mt_media batch carries one media file; sending only the first
            # would silently drop the rest.
            raise SendError(
                f"Sinch MMS carries one media URL; this message has {len(message.media_urls)}", retryable=False
            )
        media: dict[str, Any] = {"url": message.media_urls[0]}
        if message.text:
            media["message"] = message.text
        body.update(type="mt_media", body=media)
    else:
        body.update(type="mt_text", body=message.text)
    body["delivery_report"] = DELIVERY_REPORT
    # Without one, reports go to the service plan's default callback URL.
    if message.status_callback_url:
        body["callback_url"] = message.status_callback_url
    # Echoed in every delivery report (and in replies, where Sinch enabled it).
    if message.reference:
        body["client_reference"] = message.reference
    return body


def send_message(message: OutboundMessage, credentials: Mapping[str, Any], http: requests.Session) -> str:
    """Create the batch at Sinch and return its ``id``; :class:`SendError` when refused."""
    service_plan_id = credentials.get("service_plan_id")
    api_token = credentials.get("api_token")
    if not service_plan_id or not api_token:
        raise SendError("the Sinch credential lacks service_plan_id or api_token", retryable=False)
    base = api_base_url(credentials)
    if base is None:
        raise SendError("the Sinch credential has neither a known region (us, eu) nor a base_url", retryable=False)
    url = batches_url(base, service_plan_id)
    body = batch_body(message)
    headers = {"Authorization": f"Bearer {api_token}"}
    return batch_id(vendor_request(http, "POST", url, vendor="Sinch API", json=body, headers=headers))


def batch_id(response: requests.Response) -> str:
    """The created batch's ``id`` from a batches API answer, or the matching :class:`SendError`."""
    status = response.status_code
    answer = _json_object(response)
    if 200 <= status < 300:
        created = answer.get("id")
        if not isinstance(created, str) or not created:
            # Sinch may have created the batch; a retry could send it twice.
            raise SendError(f"Sinch answered HTTP {status} without a batch id", retryable=False, status=status)
        return created
    # Errors are {"code": "syntax_invalid_json", "text": "…"} (vendors.md §3.5).
    raw_code, text = answer.get("code"), answer.get("text")
    code = str(raw_code) if isinstance(raw_code, str | int) and raw_code != "" else None
    reason = f"Sinch answered HTTP {status}"
    if isinstance(text, str) and text:
        reason += f": {text}"
    if code:
        reason += f" ({code})"
    raise SendError(
        reason,
        retryable=is_retryable_status(status),
        code=code,
        status=status,
        retry_after=retry_after_seconds(response),
    )


def _json_object(response: requests.Response) -> dict[str, Any]:
    try:
        answer = response.json()
    except ValueError:  # an HTML error page from a proxy, or an empty body
        return {}
    return answer if isinstance(answer, dict) else {}
