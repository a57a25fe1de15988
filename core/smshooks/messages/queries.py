"""Reading a scope's outbound messages and the delivery reports vendors sent on them.

A message's status only moves forward (``Status.rank``); its reports are every
status a vendor reported, in the order they arrived.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from smshooks.errors import INVALID_FIELDS, Invalid
from smshooks.gateway import Gateway
from smshooks.scope import Scope
from smshooks.store.pages import DEFAULT_LIMIT, Page, by_time, newest_first
from smshooks.store.scoped import get_scoped, in_scope
from smshooks.store.tables import DeliveryReportRow, OutboundMessageRow
from smshooks.vendor import to_e164


@dataclass(frozen=True)
class MessageDetail:
    """One outbound message, every report on it (oldest first) and its status history."""

    message: OutboundMessageRow
    reports: list[DeliveryReportRow]
    #: every status in the order it happened: {status, at, source ("smshooks" or "vendor"), vendor_status | reason}
    history: list[dict[str, Any]]


def list_reports(
    gw: Gateway,
    scope: Scope,
    *,
    webhook_id: str | None = None,
    phone: str | None = None,
    vendor_message_id: str | None = None,
    status: str | None = None,
    limit: int = DEFAULT_LIMIT,
    cursor: int | None = None,
) -> Page[DeliveryReportRow]:
    """Delivery reports of ``scope``, newest first: of one vendor webhook, to ``phone`` (normalised
    to E.164), on one vendor message id, of one status. ``cursor``: the page before's ``next_cursor``."""
    query = select(DeliveryReportRow).where(*in_scope(DeliveryReportRow, scope))
    for column, value in (("webhook_id", webhook_id), ("vendor_message_id", vendor_message_id), ("status", status)):
        if value:
            query = query.where(getattr(DeliveryReportRow, column) == value)
    if phone:
        query = query.where(DeliveryReportRow.recipient == to_e164(phone))
    with gw.db.session() as session:
        return newest_first(session, query, DeliveryReportRow.id, limit, cursor)


def list_messages(
    gw: Gateway,
    scope: Scope,
    *,
    status: str | None = None,
    recipient: str | None = None,
    webhook_id: str | None = None,
    channel_id: str | None = None,
    campaign_id: str | None = None,
    kind: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = DEFAULT_LIMIT,
    cursor: str | None = None,
) -> Page[OutboundMessageRow]:
    """Outbound messages of ``scope``, newest first: in one (current) ``status``, to ``recipient``
    (normalised to E.164), reported on through the vendor webhook ``webhook_id``, sent through
    ``channel_id``, of ``campaign_id``, of one ``kind`` (reply, transactional, reported), created
    in [``since``, ``until``). ``cursor``: the page before's ``next_cursor`` (opaque text; another
    text is :class:`Invalid`)."""
    query = select(OutboundMessageRow).where(*in_scope(OutboundMessageRow, scope))
    equal = {
        "status": status,
        "webhook_id": webhook_id,
        "channel_id": channel_id,
        "campaign_id": campaign_id,
        "kind": kind,
    }
    for column, value in equal.items():
        if value:
            query = query.where(getattr(OutboundMessageRow, column) == value)
    if recipient:
        query = query.where(OutboundMessageRow.recipient == to_e164(recipient))
    if since:
        query = query.where(OutboundMessageRow.created_at >= since)
    if until:
        query = query.where(OutboundMessageRow.created_at < until)
    with gw.db.session() as session:
        try:
            return by_time(session, query, OutboundMessageRow, limit, cursor)
        except ValueError as exc:
            raise Invalid(INVALID_FIELDS, details={"cursor": [str(exc)]}) from None


def get_message(gw: Gateway, scope: Scope, message_id: str) -> MessageDetail:
    """A message of ``scope`` with its reports and status history; :class:`NotFound` otherwise."""
    with gw.db.session() as session:
        message = get_scoped(session, OutboundMessageRow, message_id, scope, "message")
        reports = list(
            session.execute(
                select(DeliveryReportRow)
                .where(DeliveryReportRow.message_id == message.id)
                .order_by(DeliveryReportRow.id)
            ).scalars()
        )
        return MessageDetail(message, reports, status_history(message, reports))


def status_history(message: OutboundMessageRow, reports: list[DeliveryReportRow]) -> list[dict[str, Any]]:
    """The statuses in the order they happened: smshooks' own (queued, or the
    error of an excluded or refused send) and then the vendor's reports."""
    history: list[dict[str, Any]] = []
    if message.kind != "reported":
        history.append({"status": "queued", "at": message.created_at.isoformat(), "source": "smshooks"})
    if message.error_code and not any(r.status == "error" for r in reports):
        at = message.status_at.isoformat()
        history.append({"status": "error", "at": at, "source": "smshooks", "reason": message.error_reason})
    for report in reports:
        history.append(
            {
                "status": report.status,
                "at": report.occurred_at.isoformat(),
                "source": "vendor",
                "vendor_status": report.vendor_status,
            }
        )
    return history
