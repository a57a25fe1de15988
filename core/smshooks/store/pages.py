"""Cursor pagination for newest-first lists: stable while new rows arrive.

A page is the rows with an id below the cursor (the last id of the page
before), newest first; ``next_cursor`` is None on the last page.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, and_, or_
from sqlalchemy.orm import Session

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
#: ids are INTEGER (32-bit on PostgreSQL): a larger cursor would be a driver error, not a page
MAX_CURSOR = 2**31 - 1


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list: ``items`` newest first, and the cursor of the next page (None: no more)."""

    items: list[T]
    #: an id (integer ids), or an opaque text (rows with text ids, see :func:`by_time`)
    next_cursor: int | str | None


def newest_first(session: Session, query: Select, id_column: Any, limit: int, cursor: int | None) -> Page[Any]:
    """One page of ``query``'s rows ordered by ``id_column`` descending, below ``cursor``."""
    if cursor is not None:
        query = query.where(id_column < cursor)
    rows = list(session.execute(query.order_by(id_column.desc()).limit(limit + 1)).scalars())
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, rows[-1].id if more and rows else None)


def by_time(
    session: Session, query: Select, model: Any, limit: int, cursor: str | None, *, at: str = "created_at"
) -> Page[Any]:
    """One page of ``query``'s rows newest first by ``model.<at>`` then id, for rows whose ids carry
    no order (random text). The cursor is opaque text naming the last row of the page before;
    ``ValueError`` when it is not one this function made."""
    column, id_column = getattr(model, at), model.id
    if cursor is not None:
        after_at, after_id = decode_cursor(cursor)
        query = query.where(or_(column < after_at, and_(column == after_at, id_column < after_id)))
    rows = list(session.execute(query.order_by(column.desc(), id_column.desc()).limit(limit + 1)).scalars())
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, encode_cursor(getattr(rows[-1], at), rows[-1].id) if more and rows else None)


def encode_cursor(at: datetime, row_id: str) -> str:
    return base64.urlsafe_b64encode(f"{at.isoformat()}|{row_id}".encode()).decode("ascii").rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """The (time, id) an :func:`encode_cursor` text names; ``ValueError`` for anything else."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("utf-8")
        at, _, row_id = text.partition("|")
        moment = datetime.fromisoformat(at)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ValueError("not a cursor of this list") from None
    if not row_id or moment.tzinfo is None:
        raise ValueError("not a cursor of this list")
    return moment, row_id
