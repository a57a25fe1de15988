"""INSERT … ON CONFLICT DO NOTHING on both engines: how duplicates are stored once."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_once(session: Session, model: type, values: dict[str, Any], key: list[str]) -> Any | None:
    """Insert a row unless one with the same ``key`` columns exists.

    Returns the new row's primary key, or ``None`` when the row already
    existed. Safe under concurrency: the database's unique constraint decides.
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = model.__table__
    pk = next(iter(table.primary_key.columns))
    stmt = insert(table).values(**values).on_conflict_do_nothing(index_elements=key).returning(pk)
    return session.execute(stmt).scalar()
