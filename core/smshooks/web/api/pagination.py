"""Cursor pagination for newest-first lists: stable while new rows arrive."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate
from sqlalchemy import Select
from sqlalchemy.orm import Session

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
#: ids are INTEGER (32-bit on PostgreSQL): a larger cursor would be a driver error, not a page
MAX_CURSOR = 2**31 - 1


class PageArgs(Schema):
    limit = fields.Integer(load_default=DEFAULT_LIMIT, validate=validate.Range(1, MAX_LIMIT))
    cursor = fields.Integer(
        load_default=None,
        validate=validate.Range(1, MAX_CURSOR),
        metadata={"description": "next_cursor of the previous page"},
    )


def page(session: Session, query: Select, id_column: Any, limit: int, cursor: int | None) -> dict[str, Any]:
    """One page of ``query`` ordered by ``id_column`` descending (newest first)."""
    if cursor is not None:
        query = query.where(id_column < cursor)
    rows = session.execute(query.order_by(id_column.desc()).limit(limit + 1)).scalars().all()
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": rows, "next_cursor": rows[-1].id if more and rows else None}
