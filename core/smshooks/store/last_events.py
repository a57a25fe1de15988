"""When each webhook of a scope last received something (the console's webhook list shows it)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from smshooks.scope import Scope
from smshooks.store.db import Database
from smshooks.store.scoped import in_scope
from smshooks.store.tables import DeliveryReportRow, InboundMessageRow


def last_event_at(db: Database, scope: Scope) -> dict[str, datetime]:
    """webhook id -> when its latest inbound message or delivery report was stored, for the webhooks of
    ``scope`` that received any."""
    last: dict[str, datetime] = {}
    with db.session() as session:
        for table in (InboundMessageRow, DeliveryReportRow):
            query = (
                select(table.webhook_id, func.max(table.stored_at))
                .where(*in_scope(table, scope))
                .group_by(table.webhook_id)
            )
            for webhook_id, when in session.execute(query):
                if when is not None and (webhook_id not in last or when > last[webhook_id]):
                    last[webhook_id] = when
    return last
