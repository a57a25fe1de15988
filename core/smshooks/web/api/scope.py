"""The admin API's scope helpers: the current request's :class:`~smshooks.scope.Scope` applied to queries."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy.orm import Session

from smshooks.store import scoped as store_scoped
from smshooks.web.context import current_scope

T = TypeVar("T")


def scoped(model: Any) -> list[Any]:
    """WHERE clauses for the current organisation and sandbox."""
    return store_scoped.in_scope(model, current_scope())


def get_scoped(session: Session, model: type[T], row_id: Any, what: str) -> T:
    """The row with ``row_id`` in the caller's scope, else 404 (rows of other
    organisations or sandboxes do not exist for the caller)."""
    return store_scoped.get_scoped(session, model, row_id, current_scope(), what)


def name_taken(session: Session, model: Any, name: str, exclude: str | None = None) -> bool:
    """True when another row of ``model`` in the caller's scope has ``name``."""
    return store_scoped.name_taken(session, model, current_scope(), name, exclude)
