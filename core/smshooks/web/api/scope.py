"""Helpers that keep every query inside the caller's organisation and sandbox."""

from __future__ import annotations

from typing import Any, TypeVar

from flask import g
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from smshooks.web.errors import ApiError

T = TypeVar("T")


def scoped(model: Any) -> list[Any]:
    """WHERE clauses for the current organisation and sandbox."""
    return [model.org == g.org, model.sandbox == g.sandbox]


def get_scoped(session: Session, model: type[T], row_id: Any, what: str) -> T:
    """The row with ``row_id`` in the caller's scope, else 404 (rows of other
    organisations or sandboxes do not exist for the caller)."""
    if isinstance(row_id, str) and "\x00" in row_id:
        raise ApiError(404, f"no such {what}")  # no id holds NUL, and PostgreSQL refuses it as a parameter
    row = session.get(model, row_id)
    if row is None or row.org != g.org or row.sandbox != g.sandbox:
        raise ApiError(404, f"no such {what}")
    return row


def name_taken(session: Session, model: Any, name: str, exclude: str | None = None) -> bool:
    """True when another row of ``model`` in the caller's scope has ``name``."""
    query = select(func.count()).select_from(model).where(*scoped(model), model.name == name)
    if exclude:
        query = query.where(model.id != exclude)
    return bool(session.execute(query).scalar())
