"""INSERT … ON CONFLICT DO NOTHING on both engines: how duplicates are stored once."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite

from smshooks.store.driver import DriverStatement
from smshooks.store.unit import Writer, connection, dialect_name

#: (dialect, table, conflict key, the columns given) -> the statement; values come as execution parameters,
#: so building and compiling a statement (most of what SQLAlchemy spends on a small insert) happens once
_STATEMENTS: dict[tuple[str, str, tuple[str, ...], tuple[str, ...]], DriverStatement] = {}


def insert_once(writer: Writer, model: type, values: dict[str, Any], key: list[str]) -> Any | None:
    """Insert a row unless one with the same ``key`` columns exists.

    Returns the new row's primary key, or ``None`` when the row already
    existed. Safe under concurrency: the database's unique constraint decides.
    """
    dialect = dialect_name(writer)
    table = model.__table__
    cache_key = (dialect, table.name, tuple(key), tuple(values))
    stmt = _STATEMENTS.get(cache_key)
    if stmt is None:
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        pk = next(iter(table.primary_key.columns))
        built = insert(table).on_conflict_do_nothing(index_elements=key).returning(pk)
        stmt = _STATEMENTS[cache_key] = DriverStatement(built, list(values), [pk])
    row = stmt.first(connection(writer), values)
    return None if row is None else row[0]
