"""The query arguments of a cursor-paginated list (the paging itself is :mod:`smshooks.store.pages`)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from smshooks.store.pages import DEFAULT_LIMIT, MAX_CURSOR, MAX_LIMIT


class PageArgs(Schema):
    limit = fields.Integer(load_default=DEFAULT_LIMIT, validate=validate.Range(1, MAX_LIMIT))
    cursor = fields.Integer(
        load_default=None,
        validate=validate.Range(1, MAX_CURSOR),
        metadata={"description": "next_cursor of the previous page"},
    )
