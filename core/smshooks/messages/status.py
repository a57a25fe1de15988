"""The forward-only rule of a message's status, applied in the database.

:meth:`smshooks.events.Status.supersedes` is the rule; :func:`move_forward` is its
SQL form, one conditional UPDATE, so concurrent reports for one message (several
processes on PostgreSQL) can never move it backwards. Every status change of a
stored message goes through here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from smshooks.events import Status
from smshooks.store.tables import OutboundMessageRow


def move_forward(session: Session, where: list[Any], status: Status, at: datetime, **values: Any) -> bool:
    """Set ``status`` (and ``values``) on the messages matching ``where`` whose current status it
    supersedes; True when one moved."""
    result = session.execute(
        update(OutboundMessageRow)
        .where(*where, OutboundMessageRow.status_rank < status.rank)
        .values(status=status.value, status_rank=status.rank, status_at=at, **values)
    )
    return bool(result.rowcount)


def fold_status(message: OutboundMessageRow, other: OutboundMessageRow) -> None:
    """Give ``message`` the status of ``other`` when that one supersedes its own (two rows of one
    message being merged: the furthest status wins)."""
    if Status(other.status).supersedes(Status(message.status)):
        message.status, message.status_rank, message.status_at = other.status, other.status_rank, other.status_at
