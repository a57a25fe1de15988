"""Reading a scope's outbound messages and the delivery reports vendors sent on them.

A message's status only moves forward (``Status.rank``); its reports are every
status a vendor reported, in the order they arrived.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from smshooks.gateway import Gateway
from smshooks.scope import Scope
from smshooks.store.pages import DEFAULT_LIMIT, Page, newest_first
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
