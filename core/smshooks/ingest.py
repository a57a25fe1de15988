"""Storing the events of one vendor request: once each, statuses only forward."""

from __future__ import annotations

import dataclasses
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from smshooks.events import DeliveryReport, Event, InboundMessage, Status
from smshooks.store.tables import DeliveryReportRow, InboundMessageRow, OutboundMessageRow, utcnow
from smshooks.store.upsert import insert_once
from smshooks.vendor import PayloadError

#: column widths of the identifying fields: longer values are not what a vendor sends
FIELD_LIMITS = {"vendor_message_id": 200, "vendor_status": 64, "sender": 64, "recipient": 64, "error_code": 64}
_UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")


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
    """``event`` made fit for every engine, or a :class:`PayloadError`.

    PostgreSQL refuses NUL in text and no engine can encode a lone surrogate;
    in message text they become U+FFFD rather than losing the message. An
    identifier longer than its column is refused: it is not a vendor's id.
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
    return dataclasses.replace(event, **changes) if changes else event


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
        session.execute(
            update(OutboundMessageRow)
            .where(*where, OutboundMessageRow.status_rank < report.status.rank)
            .values(status=report.status.value, status_rank=report.status.rank, status_at=now)
        )
    message_id, status = session.execute(select(OutboundMessageRow.id, OutboundMessageRow.status).where(*where)).one()
    return message_id, Status(status)
