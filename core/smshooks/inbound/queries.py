"""Reading the stored inbound messages of a scope, newest first (what the keyword pipeline did included)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select

from smshooks.gateway import Gateway
from smshooks.scope import Scope
from smshooks.store.pages import DEFAULT_LIMIT, Page, newest_first
from smshooks.store.scoped import in_scope
from smshooks.store.tables import InboundMessageRow
from smshooks.vendor import to_e164

#: the keyword categories an inbound message can be filtered by (custom: a custom keyword matched)
CATEGORIES = ("opt_out", "opt_in", "double_opt_in", "help", "custom", "none")


def list_inbound(
    gw: Gateway,
    scope: Scope,
    *,
    webhook_id: str | None = None,
    phone: str | None = None,
    category: str | None = None,
    limit: int = DEFAULT_LIMIT,
    cursor: int | None = None,
) -> Page[InboundMessageRow]:
    """Inbound messages of ``scope``, newest first: of one vendor webhook, from or to ``phone``
    (normalised to E.164), of one keyword ``category``. ``cursor``: the page before's ``next_cursor``."""
    query = select(InboundMessageRow).where(*in_scope(InboundMessageRow, scope))
    if webhook_id:
        query = query.where(InboundMessageRow.webhook_id == webhook_id)
    if category:
        query = query.where(InboundMessageRow.category == category)
    if phone:
        number = to_e164(phone)
        query = query.where(or_(InboundMessageRow.sender == number, InboundMessageRow.recipient == number))
    with gw.db.session() as session:
        return newest_first(session, query, InboundMessageRow.id, limit, cursor)


def keyword_event(row: InboundMessageRow) -> dict[str, Any] | None:
    """What the keyword pipeline made of the message (category, match, action, reply ...), or None."""
    if row.category is None:
        return None
    return {
        "category": row.category,
        "match": row.match,
        "keyword": row.keyword,
        "rule": row.rule,
        "decided_by": row.decided_by,
        "action": row.action,
        "reply_text": row.reply_text,
        "canonical_text": row.canonical_text,
    }
