"""Sinch callback requests → common events.

Sinch posts one JSON object per callback and names its kind in ``type``
(vendors.md §3.1): inbound messages (``mo_text``, ``mo_binary``, ``mo_media``),
batch delivery reports (``delivery_report_sms`` / ``_mms``: a summary, or a
full report listing the recipients of each status) and recipient delivery
reports (``recipient_delivery_report_sms`` / ``_mms``). All may arrive on one
URL. Sinch asks receivers to ignore fields they do not know, so unknown fields
are kept in ``raw`` and never refused. Numbers come without ``+``; events carry
them in E.164.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from smshooks.events import DeliveryReport, Event, InboundMessage, Status
from smshooks.vendor import PayloadError, TooManyEvents, WebhookRequest, to_e164
from smshooks_sinch.statuses import NON_FAILURE_CODES, UNKNOWN_CATEGORY, code_info, is_final, map_status

VENDOR = "sinch"

INBOUND_TYPES = frozenset({"mo_text", "mo_binary", "mo_media"})
BATCH_REPORT_TYPES = frozenset({"delivery_report_sms", "delivery_report_mms"})
RECIPIENT_REPORT_TYPES = frozenset({"recipient_delivery_report_sms", "recipient_delivery_report_mms"})
#: a batch's `to` holds 1 to 1000 recipients (Sinch SMS REST API, Batches endpoint)
MAX_BATCH_RECIPIENTS = 1000

#: common statuses that say the message is on its way or arrived: a code beside them is no failure
_PROGRESS = frozenset({Status.QUEUED, Status.SENT, Status.DELIVERED, Status.READ})
#: a binary message is text only when its bytes are UTF-8 without control characters but these
_TEXT_CONTROLS = frozenset("\t\n\r")

Payload = Mapping[str, Any]


def parse_request(request: WebhookRequest) -> list[Event]:
    """The events one Sinch callback carries: one inbound message, or one report per recipient."""
    payload = request.json()
    if not isinstance(payload, dict):
        raise PayloadError(f"a Sinch callback is a JSON object, not {type(payload).__name__}")
    kind = payload.get("type")
    if kind is None:
        raise PayloadError("missing type")
    if not isinstance(kind, str):
        raise PayloadError(f"type is not a string: {type(kind).__name__}")
    if kind in INBOUND_TYPES:
        return [inbound_message(payload, request)]
    if kind in RECIPIENT_REPORT_TYPES:
        return [recipient_report(payload, request)]
    if kind in BATCH_REPORT_TYPES:
        return batch_reports(payload, request)
    raise PayloadError(f"not a Sinch SMS callback type: {kind!r}")


# -- inbound ------------------------------------------------------------------


def inbound_message(payload: Payload, request: WebhookRequest) -> InboundMessage:
    kind = payload["type"]
    if kind == "mo_media":
        text, media_urls = _media_body(payload)
    elif kind == "mo_binary":
        text, media_urls = binary_text(_string(payload, "body")), ()
    else:
        text, media_urls = _string(payload, "body"), ()
    return InboundMessage(
        vendor=VENDOR,
        vendor_message_id=_id(payload, "id"),
        sender=to_e164(_id(payload, "from")),
        recipient=to_e164(_id(payload, "to")),
        text=text,
        # When Sinch received it; the arrival here only if Sinch left it out.
        received_at=_timestamp(payload, "received_at") or request.received_at,
        # Sinch reports no part count for inbound messages; it hands over one reassembled message.
        segments=1,
        media_urls=media_urls,
        raw=dict(payload),
    )


def binary_text(body: str) -> str:
    """The text of a ``mo_binary`` body: its bytes when they are readable UTF-8 text, else ``""``.

    A binary SMS is usually data for an application on the handset (WAP push,
    SIM toolkit, port-addressed payloads), not words; its bytes as text would
    only feed noise to the keyword pipeline. Bytes that decode as UTF-8 without
    control characters are what a person could have typed, so they are kept as
    text. Either way the base64 body and the ``udh`` stay in ``raw``.
    """
    try:
        data = base64.b64decode(body, validate=True)
        text = data.decode("utf-8")
    except (binascii.Error, ValueError):  # not base64, or not UTF-8
        return ""
    if any(ch not in _TEXT_CONTROLS and (ch < " " or "\x7f" <= ch < "\xa0") for ch in text):
        return ""
    return text


def _media_body(payload: Payload) -> tuple[str, tuple[str, ...]]:
    body = payload.get("body")
    if not isinstance(body, dict):
        raise PayloadError("mo_media body is not an object")
    message = body.get("message")
    if message is not None and not isinstance(message, str):
        raise PayloadError("mo_media body.message is not a string")
    media = body.get("media") or []
    if not isinstance(media, list):
        raise PayloadError("mo_media body.media is not a list")
    urls = []
    for item in media:
        if not isinstance(item, dict):
            raise PayloadError("mo_media body.media holds a non-object")
        url = item.get("url")
        # A part whose upload failed has no usable URL (Sinch: status "Failed").
        if isinstance(url, str) and url.strip() and str(item.get("status", "")).casefold() != "failed":
            urls.append(url.strip())
    # The subject stays in raw: the text a subscriber typed is the message.
    return message or "", tuple(urls)


# -- delivery reports -----------------------------------------------------------


def recipient_report(payload: Payload, request: WebhookRequest) -> DeliveryReport:
    recipient = payload.get("recipient")
    if recipient is not None and not isinstance(recipient, str):
        raise PayloadError("recipient is not a string")
    # `at` is Sinch's own clock; operator_status_at comes from the SMSC's
    # receipt, whose clocks and precision vary by operator.
    occurred_at = _timestamp(payload, "at") or _timestamp(payload, "operator_status_at") or request.received_at
    return _report(
        batch_id=_id(payload, "batch_id"),
        recipient=recipient,
        vendor_status=_string(payload, "status"),
        code=_code(payload.get("code")),
        occurred_at=occurred_at,
        raw=dict(payload),
    )


def batch_reports(payload: Payload, request: WebhookRequest) -> list[Event]:
    """One report per recipient a ``full`` report lists; one per status for a ``summary``.

    A status bucket without ``recipients`` (a summary report) still says what
    happened to the batch, so it becomes one report with no recipient rather
    than nothing. Batch reports carry no time: they are dated on arrival.
    """
    batch_id = _id(payload, "batch_id")
    buckets = payload.get("statuses")
    if not isinstance(buckets, list):
        raise PayloadError("statuses is not a list")
    # Counted before any event is built: a report listing more recipients than
    # a batch can have is refused at the cost of one pass over the buckets.
    count = sum(_events_in(bucket) for bucket in buckets)
    if count > MAX_BATCH_RECIPIENTS:
        raise TooManyEvents(count, MAX_BATCH_RECIPIENTS)
    envelope = {name: value for name, value in payload.items() if name != "statuses"}
    events: list[Event] = []
    for bucket in buckets:
        if not isinstance(bucket, dict):
            raise PayloadError("statuses holds a non-object")
        vendor_status = _string(bucket, "status")
        code = _code(bucket.get("code"))
        recipients = bucket.get("recipients")
        if recipients is not None and not isinstance(recipients, list):
            raise PayloadError("statuses[].recipients is not a list")
        if not recipients:
            events.append(
                _report(
                    batch_id=batch_id,
                    recipient=None,
                    vendor_status=vendor_status,
                    code=code,
                    occurred_at=request.received_at,
                    raw={**envelope, "statuses": [bucket]},
                )
            )
            continue
        for recipient in recipients:
            if not isinstance(recipient, str):
                raise PayloadError("statuses[].recipients holds a non-string")
            events.append(
                _report(
                    batch_id=batch_id,
                    recipient=recipient,
                    vendor_status=vendor_status,
                    code=code,
                    occurred_at=request.received_at,
                    # Only this recipient's part: a full report listing N
                    # recipients would otherwise be stored N times over.
                    raw={**envelope, "statuses": [{**bucket, "recipients": [recipient]}]},
                )
            )
    return events


def _events_in(bucket: Any) -> int:
    """How many events a status bucket becomes: one per recipient, or one for a summary."""
    recipients = bucket.get("recipients") if isinstance(bucket, dict) else None
    return len(recipients) if isinstance(recipients, list) and recipients else 1


def _report(
    *,
    batch_id: str,
    recipient: str | None,
    vendor_status: str,
    code: int | None,
    occurred_at: datetime,
    raw: dict[str, Any],
) -> DeliveryReport:
    status = map_status(vendor_status)
    failed = status not in _PROGRESS and code is not None and code not in NON_FAILURE_CODES
    info = code_info(code) if failed else None
    not_delivered = status in (Status.BOUNCE, Status.ERROR)
    return DeliveryReport(
        vendor=VENDOR,
        # Sinch's vendor message id is the batch id the send API returned.
        vendor_message_id=batch_id,
        recipient=to_e164(recipient) if recipient and recipient.strip() else None,
        status=status,
        vendor_status=vendor_status,
        occurred_at=occurred_at,
        final=is_final(vendor_status),
        error_code=str(code) if failed else None,
        error_reason=info.reason if info else None,
        failure_category=info.category if info else (UNKNOWN_CATEGORY if failed or not_delivered else None),
        failure_type=info.failure_type if info else None,
        raw=raw,
    )


# -- fields -------------------------------------------------------------------


def _id(payload: Payload, name: str) -> str:
    value = payload.get(name)
    if not isinstance(value, str) or not value.strip():
        raise PayloadError(f"missing {name}")
    return value.strip()


def _string(payload: Payload, name: str) -> str:
    value = payload.get(name)
    if not isinstance(value, str):
        raise PayloadError(f"missing {name}" if value is None else f"{name} is not a string")
    return value


def _code(value: Any) -> int | None:
    """A delivery-report code: Sinch sends an integer; a numeric string is taken too."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise PayloadError(f"code is not an integer: {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit() and value.strip().isascii():
        return int(value.strip())
    raise PayloadError(f"code is not an integer: {value!r}")


def _timestamp(payload: Payload, name: str) -> datetime | None:
    """An ISO-8601 field as aware UTC (Sinch writes ``…Z``; no offset means UTC), ``None`` when absent."""
    value = payload.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise PayloadError(f"{name} is not a timestamp: {value!r}")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise PayloadError(f"{name} is not an ISO-8601 timestamp: {value!r}") from None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
