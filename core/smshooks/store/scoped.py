"""Finders that keep every query inside one :class:`~smshooks.scope.Scope`."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smshooks.errors import INVALID_FIELDS, Conflict, Invalid, NotFound
from smshooks.scope import Scope

T = TypeVar("T")


def in_scope(model: Any, scope: Scope) -> list[Any]:
    """WHERE clauses for ``scope`` on a table with ``org`` and ``sandbox`` columns."""
    return [model.org == scope.org, model.sandbox == scope.sandbox]


def find_scoped(session: Session, model: type[T], row_id: Any, scope: Scope) -> T | None:
    """The row with ``row_id`` in ``scope``, or None (a row of another scope is not found)."""
    if isinstance(row_id, str) and "\x00" in row_id:
        return None  # no id holds NUL, and PostgreSQL refuses it as a parameter
    row = session.get(model, row_id)
    if row is None or row.org != scope.org or row.sandbox != scope.sandbox:
        return None
    return row


def get_scoped(session: Session, model: type[T], row_id: Any, scope: Scope, what: str) -> T:
    """The row with ``row_id`` in ``scope``, else :class:`NotFound` ("no such <what>")."""
    row = find_scoped(session, model, row_id, scope)
    if row is None:
        raise NotFound(f"no such {what}")
    return row


def name_taken(session: Session, model: Any, scope: Scope, name: str, exclude: str | None = None) -> bool:
    """True when another row of ``model`` in ``scope`` has ``name``."""
    query = select(func.count()).select_from(model).where(*in_scope(model, scope), model.name == name)
    if exclude:
        query = query.where(model.id != exclude)
    return bool(session.execute(query).scalar())


#: the longest name of a configuration row (the ``name`` columns are String(200))
NAME_MAX = 200


def claim_name(session: Session, model: Any, scope: Scope, name: str, what: str, exclude: str | None = None) -> None:
    """Refuse ``name`` for a row of ``model`` in ``scope``: :class:`Invalid` unless 1 to 200 characters,
    :class:`Conflict` ("a <what> named '<name>' exists") when another row (not ``exclude``) has it."""
    if not 1 <= len(name) <= NAME_MAX:
        raise Invalid(INVALID_FIELDS, details={"name": [f"Length must be between 1 and {NAME_MAX}."]})
    if name_taken(session, model, scope, name, exclude):
        raise Conflict(f"a {what} named {name!r} exists", details={"name": ["already used"]})
