"""``/api/v1/api-keys``: the organisation's admin API keys — list, create (the key shown once), revoke.

Every operation needs the ``admin`` scope. The service is :mod:`smshooks.access.api_keys`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from typing import Any

from flask import g
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from smshooks.access.api_keys import DEFAULT_SCOPES, MAX_NAME, ApiKeyInfo, create_key, list_keys, revoke_key
from smshooks.access.scopes import SCOPES
from smshooks.web.api.base import ApiBlueprint
from smshooks.web.context import gateway

blp = ApiBlueprint(
    "api_keys",
    __name__,
    url_prefix="/api/v1/api-keys",
    description="Admin API keys of the organisation (every sandbox): scopes admin, send, read; optional expiry.",
)


class ApiKeyIn(Schema):
    name = fields.String(load_default="", validate=validate.Length(0, MAX_NAME))
    scopes = fields.List(
        fields.String(validate=validate.OneOf(SCOPES)),
        load_default=list(DEFAULT_SCOPES),
        validate=validate.Length(1, len(SCOPES)),
        metadata={"description": "read: every GET; send: POST /api/v1/messages; admin: everything"},
    )
    expires_at = fields.AwareDateTime(
        load_default=None,
        allow_none=True,
        default_timezone=UTC,
        metadata={"description": "refused (401) from this time on; in the future; no time zone means UTC"},
    )


class ApiKeyOut(Schema):
    id = fields.Integer()
    name = fields.String()
    prefix = fields.String(metadata={"description": "the key's first characters, to tell keys apart"})
    scopes = fields.List(fields.String())
    created_at = fields.DateTime()
    last_used_at = fields.DateTime(allow_none=True, metadata={"description": "to the minute; null: never used"})
    expires_at = fields.DateTime(allow_none=True)
    expired = fields.Method("is_expired")

    def is_expired(self, key: ApiKeyInfo) -> bool:
        return key.expired()


@dataclass(frozen=True)
class _Created(ApiKeyInfo):
    key: str = ""


class ApiKeyCreated(ApiKeyOut):
    key = fields.String(metadata={"description": "the key: shown in this answer only (it is stored hashed)"})


class ApiKeyList(Schema):
    items = fields.List(fields.Nested(ApiKeyOut))


@blp.route("")
class ApiKeys(MethodView):
    @blp.response(200, ApiKeyList)
    def get(self) -> dict[str, Any]:
        """The organisation's keys not revoked (expired ones too), oldest first; never the keys themselves."""
        return {"items": list_keys(gateway().db, g.org)}

    @blp.arguments(ApiKeyIn, required=False)
    @blp.response(201, ApiKeyCreated)
    def post(self, data: dict[str, Any]) -> ApiKeyInfo:
        """Create a key for this organisation; the answer is the only time the key is shown."""
        made = create_key(
            gateway().db,
            g.org,
            name=data["name"],
            scopes=data["scopes"],
            expires_at=data["expires_at"],
            create_org=False,
        )
        return _Created(**vars(made.info), key=made.key)


@blp.route("/<int:key_id>")
class ApiKeyById(MethodView):
    @blp.response(204)
    def delete(self, key_id: int) -> None:
        """Revoke a key: refused (401) from the next request on, on every process. A key cannot revoke itself (409)."""
        revoke_key(gateway().db, g.org, key_id, by_key_id=g.api_key_id)
