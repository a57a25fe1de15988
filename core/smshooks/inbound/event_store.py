"""Storing the events of one vendor request: once each, statuses only forward."""

from __future__ import annotations

import secrets
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from smshooks.events import DeliveryReport, Event, InboundMessage, Status
from smshooks.messages.status import move_forward
from smshooks.store.tables import DeliveryReportRow, InboundMessageRow, OutboundMessageRow, utcnow
from smshooks.store.unit import Unit, Writer, connection
from smshooks.store.upsert import insert_once
from smshooks.vendor import DEFAULT_MAX_EVENTS_PER_REQUEST, TooManyEvents, Vendor

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


def store_events(db: Writer, events: Sequence[Event]) -> list[Stored]:
    """Store stamped events in the caller's transaction."""
    stored: list[Stored] = []
    for event in events:
        if isinstance(event, InboundMessage):
            stored.append(store_inbound(db, event))
        else:
            stored.append(store_report(db, event))
    return stored


def store_inbound(db: Writer, message: InboundMessage, outcome: Mapping[str, Any] | None = None) -> Stored:
    """Store ``message`` unless it was stored before; ``outcome``: the keyword pipeline's columns
    (classification, action, reply), written with it in the same statement."""
    row_id = insert_once(
        db,
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
            **(outcome or {}),
        },
        key=["webhook_id", "vendor_message_id"],
    )
    return Stored(message, duplicate=row_id is None, row_id=row_id)


def store_report(db: Writer, report: DeliveryReport) -> Stored:
    """Store ``report`` unless it was stored before, moving its message's status forward."""
    recipient = report.recipient or ""
    message_id, message_status = _advance_message(db, report, recipient)
    row_id = insert_once(
        db,
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


def _advance_message(db: Writer, report: DeliveryReport, recipient: str) -> tuple[str, Status]:
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
        db,
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
        move_forward(db.session if isinstance(db, Unit) else db, where, report.status, now)
    found = connection(db).execute(select(OutboundMessageRow.id, OutboundMessageRow.status).where(*where))
    message_id, status = found.one()
    return message_id, Status(status)
