"""INSERT … ON CONFLICT DO NOTHING on both engines: how duplicates are stored once."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql.dml import Insert

from smshooks.store.unit import Writer, connection, dialect_name

#: (dialect, table, conflict key) -> the statement; values come as execution parameters, so building
#: and cache-keying a statement (most of what SQLAlchemy spends on a small insert) happens once
_STATEMENTS: dict[tuple[str, str, tuple[str, ...]], Insert] = {}


def insert_once(writer: Writer, model: type, values: dict[str, Any], key: list[str]) -> Any | None:
    """Insert a row unless one with the same ``key`` columns exists.

    Returns the new row's primary key, or ``None`` when the row already
    existed. Safe under concurrency: the database's unique constraint decides.
    """
    dialect = dialect_name(writer)
    table = model.__table__
    cache_key = (dialect, table.name, tuple(key))
    stmt = _STATEMENTS.get(cache_key)
    if stmt is None:
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        pk = next(iter(table.primary_key.columns))
        stmt = _STATEMENTS[cache_key] = insert(table).on_conflict_do_nothing(index_elements=key).returning(pk)
    # on the connection: a Core statement needs none of the ORM session's execution path
    return connection(writer).execute(stmt, values).scalar()
