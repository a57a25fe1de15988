"""Storing the events of one vendor request: once each, statuses only forward."""

from __future__ import annotations

import dataclasses
import math
import re
import secrets
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from smshooks.events import DeliveryReport, Event, InboundMessage, Status
from smshooks.messages.status import move_forward
from smshooks.store.tables import DeliveryReportRow, InboundMessageRow, OutboundMessageRow, utcnow
from smshooks.store.upsert import insert_once
from smshooks.vendor import DEFAULT_MAX_EVENTS_PER_REQUEST, PayloadError, TooManyEvents, Vendor

#: column widths of the identifying fields: longer values are not what a vendor sends
FIELD_LIMITS = {"vendor_message_id": 200, "vendor_status": 64, "sender": 64, "recipient": 64, "error_code": 64}
_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")
#: the most parts one message can have: the concatenation header counts parts in
#: one octet (3GPP TS 23.040 §9.2.3.24.1). A larger segment count is no vendor's
#: real value; it is stored as this bound (the vendor's value stays in ``raw``)
#: rather than refusing a message that may be an opt-out.
MAX_SEGMENTS = 255
#: how many events :func:`event_chunks` hands out at a time: small enough that a
#: transaction per chunk holds SQLite's write lock only briefly
STORE_CHUNK_SIZE = 100


def max_events(vendor: Vendor, host_cap: int = DEFAULT_MAX_EVENTS_PER_REQUEST) -> int:
    """The events one request of ``vendor`` may carry: its documented batch size, within the host's cap."""
    return max(1, min(vendor.max_events_per_request, host_cap))


def check_event_count(vendor: Vendor, events: Sequence[Any], host_cap: int = DEFAULT_MAX_EVENTS_PER_REQUEST) -> None:
    """Raise :class:`~smshooks.vendor.TooManyEvents` when ``events`` (one request's parse) exceed :func:`max_events`.

    Call it after ``vendor.parse`` and before storing anything: the whole request
    is refused, so the vendor (or its operator) sees the 413 rather than a part
    of the batch silently missing.
    """
    limit = max_events(vendor, host_cap)
    if len(events) > limit:
        raise TooManyEvents(len(events), limit)


def event_chunks(events: Sequence[Event], size: int = STORE_CHUNK_SIZE) -> Iterator[Sequence[Event]]:
    """``events`` in order, ``size`` at a time: store each chunk in its own transaction.

    Every event is stored once whatever happens (``store_events`` dedupes), so
    a request that fails after some chunks committed is answered with an
    error, the vendor retries, and the retry stores only what is missing.
    """
    if size < 1:
        raise ValueError("chunk size must be at least 1")
    for start in range(0, len(events), size):
        yield events[start : start + size]


@dataclass(frozen=True)
class Stored:
    """The outcome of storing one event."""

    event: Event
    duplicate: bool
    row_id: Any
    #: for a delivery report: the reported message's status after it was applied
    message_status: Status | None = None


def new_message_id() -> str:
    return "msg_" + secrets.token_hex(12)


def storable(event: Event) -> Event:
    """``event`` made fit for every engine's columns, or a :class:`PayloadError`.

    - PostgreSQL refuses NUL in text and no engine can encode a lone surrogate;
      in message text they become U+FFFD rather than losing the message. An
      identifier longer than its column, or holding them, is refused: it is
      not a vendor's id.
    - A segment count is an INTEGER column (32-bit signed on PostgreSQL, 64-bit
      on SQLite); it is clamped to ``1 … MAX_SEGMENTS``. Refusing would lose the
      message (perhaps an opt-out) over a number no vendor really sends.
    - ``raw`` is what the vendor sent, so it is kept whole, with only the values
      no JSON column can take rewritten: a non-finite float (``NaN`` is not
      JSON; PostgreSQL refuses it) becomes its text, a key that is not text
      becomes text. NUL and lone surrogates stay: they are JSON escapes there.
    """
    changes: dict[str, Any] = {}
    for item in dataclasses.fields(event):
        value = getattr(event, item.name)
        if not isinstance(value, str):
            continue
        limit = FIELD_LIMITS.get(item.name)
        if limit is not None and len(value) > limit:
            raise PayloadError(f"{item.name} is longer than {limit} characters")
        if _UNSTORABLE.search(value):
            if limit is not None:
                raise PayloadError(f"{item.name} contains NUL or unpaired surrogate characters")
            changes[item.name] = _UNSTORABLE.sub("\ufffd", value)
    if isinstance(event, InboundMessage):
        segments = min(max(event.segments, 1), MAX_SEGMENTS) if isinstance(event.segments, int) else 1
        if segments != event.segments:
            changes["segments"] = segments
        urls = tuple(_storable_text(url) for url in event.media_urls)
        if urls != tuple(event.media_urls):
            changes["media_urls"] = urls
    raw = storable_json(event.raw)
    if raw is not event.raw:
        changes["raw"] = raw
    return dataclasses.replace(event, **changes) if changes else event


def storable_json(value: Any) -> Any:
    """``value`` with what a JSON column cannot hold made text: ``value`` itself when nothing needed it.

    Iterative, so a payload nested to the parser's bound costs no recursion.
    """
    if not _needs_json_fix(value):
        return value
    return _fix_json(value)


def _needs_json_fix(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, float):
            if not math.isfinite(item):
                return True
        elif isinstance(item, Mapping):
            if any(not isinstance(key, str) for key in item):
                return True
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
        elif not (item is None or isinstance(item, str | int | bool)):
            return True
    return False


def _fix_json(value: Any) -> Any:
    # Only reached for the rare payload _needs_json_fix found wanting; the
    # depth is bounded by the JSON parser (smshooks.vendor.MAX_JSON_DEPTH).
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, Mapping):
        return {str(key): _fix_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_fix_json(item) for item in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _storable_text(value: str) -> str:
    return _UNSTORABLE.sub("\ufffd", value) if isinstance(value, str) else str(value)


def store_events(session: Session, events: Sequence[Event]) -> list[Stored]:
    """Store stamped events in the caller's transaction."""
    stored: list[Stored] = []
    for event in events:
        if isinstance(event, InboundMessage):
            stored.append(_store_inbound(session, event))
        else:
            stored.append(_store_report(session, event))
    return stored


def _store_inbound(session: Session, message: InboundMessage) -> Stored:
    row_id = insert_once(
        session,
        InboundMessageRow,
        {
            "org": message.org,
            "sandbox": message.sandbox,
            "webhook_id": message.webhook_id,
            "vendor": message.vendor,
            "vendor_message_id": message.vendor_message_id,
            "sender": message.sender,
            "recipient": message.recipient,
            "text": message.text,
            "segments": message.segments,
            "media_urls": list(message.media_urls),
            "received_at": message.received_at,
            "stored_at": utcnow(),
            "raw": dict(message.raw),
        },
        key=["webhook_id", "vendor_message_id"],
    )
    return Stored(message, duplicate=row_id is None, row_id=row_id)


def _store_report(session: Session, report: DeliveryReport) -> Stored:
    recipient = report.recipient or ""
    message_id, message_status = _advance_message(session, report, recipient)
    row_id = insert_once(
        session,
        DeliveryReportRow,
        {
            "org": report.org,
            "sandbox": report.sandbox,
            "webhook_id": report.webhook_id,
            "vendor": report.vendor,
            "vendor_message_id": report.vendor_message_id,
            "recipient": recipient,
            "message_id": message_id,
            "status": report.status.value,
            "vendor_status": report.vendor_status,
            "final": report.final,
            "error_code": report.error_code,
            "error_reason": report.error_reason,
            "failure_category": report.failure_category,
            "failure_type": report.failure_type.value if report.failure_type else None,
            "occurred_at": report.occurred_at,
            "stored_at": utcnow(),
            "raw": dict(report.raw),
        },
        key=["org", "sandbox", "vendor", "vendor_message_id", "recipient", "vendor_status"],
    )
    return Stored(report, duplicate=row_id is None, row_id=row_id, message_status=message_status)


def _advance_message(session: Session, report: DeliveryReport, recipient: str) -> tuple[str, Status]:
    """Create the reported message if unseen, else move its status forward only.

    One conditional UPDATE does the move, so concurrent reports for the same
    message (several workers on PostgreSQL) cannot move it backwards.
    """
    key = {
        "org": report.org,
        "sandbox": report.sandbox,
        "vendor": report.vendor,
        "vendor_message_id": report.vendor_message_id,
        "recipient": recipient,
    }
    now = utcnow()
    inserted = insert_once(
        session,
        OutboundMessageRow,
        {
            "id": new_message_id(),
            **key,
            "status": report.status.value,
            "status_rank": report.status.rank,
            "status_at": now,
            "created_at": now,
        },
        key=list(key),
    )
    where = [getattr(OutboundMessageRow, column) == value for column, value in key.items()]
    if inserted is None:
        move_forward(session, where, report.status, now)
    message_id, status = session.execute(select(OutboundMessageRow.id, OutboundMessageRow.status).where(*where)).one()
    return message_id, Status(status)
