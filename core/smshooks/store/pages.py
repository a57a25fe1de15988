"""Cursor pagination for newest-first lists: stable while new rows arrive.

A page is the rows with an id below the cursor (the last id of the page
before), newest first; ``next_cursor`` is None on the last page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select
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
    next_cursor: int | None


def newest_first(session: Session, query: Select, id_column: Any, limit: int, cursor: int | None) -> Page[Any]:
    """One page of ``query``'s rows ordered by ``id_column`` descending, below ``cursor``."""
    if cursor is not None:
        query = query.where(id_column < cursor)
    rows = list(session.execute(query.order_by(id_column.desc()).limit(limit + 1)).scalars())
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, rows[-1].id if more and rows else None)
