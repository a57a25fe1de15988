"""``column IN (a list)`` as one SQL text whatever the list's length (as :mod:`smshooks.outbox.statements` does).

An expanding ``IN`` bind renders a new SQL string for every length of list: SQLAlchemy re-renders
the statement on each execution, and on PostgreSQL each length is a statement of its own to
psycopg, prepared after five runs and evicted from its cache of 100 by the next lengths (a
DEALLOCATE each). The outbox's batches of successes are 1 to 32 long, so the statements that
read by their ids never settled. Here the list is one parameter: a PostgreSQL array
(``= ANY(CAST(:p AS VARCHAR[]))``), a JSON list on SQLite (``IN (SELECT value FROM json_each(:p))``).

Usage: a statement is built once per dialect (:func:`by_dialect`), the list passed through
:func:`list_value`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable
from typing import Any

from sqlalchemy import ARRAY, ColumnElement, Connection, String, bindparam, cast, column, func, select

__all__ = ["by_dialect", "encode_list", "list_value", "member_of"]


def member_of(dialect: str, expression: ColumnElement[Any], param: str) -> ColumnElement[bool]:
    """``expression`` is one of the strings in the list parameter ``param``, spelled for ``dialect``."""
    if dialect == "postgresql":
        return expression == func.any(cast(bindparam(param), ARRAY(String)))
    values = select(column("value")).select_from(func.json_each(bindparam(param, type_=String)))
    return expression.in_(values.scalar_subquery())


def encode_list(dialect: str, values: Iterable[Any]) -> Any:
    """``values`` as one list parameter on ``dialect``: a PostgreSQL array, a JSON list elsewhere
    (what :func:`member_of` and :mod:`smshooks.outbox.statements`' lists take)."""
    return list(values) if dialect == "postgresql" else json.dumps(list(values))


def list_value(conn: Connection, values: Collection[str]) -> Any:
    """``values`` as :func:`member_of`'s parameter on ``conn``'s dialect."""
    return encode_list(conn.dialect.name, values)


def by_dialect(build: Callable[[str], Any]) -> dict[str, Any]:
    """``build(dialect)`` for each dialect smshooks runs on: index it by ``conn.dialect.name``."""
    return {name: build(name) for name in ("postgresql", "sqlite")}
