"""Which sandboxes of an organisation hold anything (the console's sandbox switcher lists them)."""

from __future__ import annotations

from sqlalchemy import select, union

from smshooks.store.db import Database
from smshooks.store.tables import Credential, FeedbackWebhook, InboundMessageRow, ReplyTemplate, Webhook

#: configuration and traffic: a sandbox with none of these is empty for a person choosing one
_TABLES = (Webhook, Credential, ReplyTemplate, FeedbackWebhook, InboundMessageRow)


def sandboxes_with_data(db: Database, org: str) -> list[str]:
    """The names of ``org``'s sandboxes that have a webhook, credential, reply, feedback webhook or message."""
    query = union(*(select(table.sandbox).where(table.org == org) for table in _TABLES))
    with db.session() as session:
        return sorted(session.execute(query).scalars())
