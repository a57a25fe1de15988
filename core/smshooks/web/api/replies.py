"""``/api/v1/replies``: named reply templates (sandboxed Jinja2) with their SMS cost.

The rules live in :mod:`smshooks.replies.service`; this module parses and answers."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from smshooks.replies import service
from smshooks.replies.service import TEMPLATE_MAX, ReplyInfo
from smshooks.web.api.base import ApiBlueprint
from smshooks.web.context import current_scope, gateway

blp = ApiBlueprint(
    "replies",
    __name__,
    url_prefix="/api/v1/replies",
    description="Reply messages. Templates see the subscriber's profile and the matched keyword.",
)


class ReplyIn(Schema):
    name = fields.String(required=True, validate=validate.Length(1, 200))
    template = fields.String(required=True, validate=validate.Length(1, TEMPLATE_MAX))


class ReplyPatch(Schema):
    name = fields.String(validate=validate.Length(1, 200))
    template = fields.String(validate=validate.Length(1, TEMPLATE_MAX))


class SampleOut(Schema):
    text = fields.String(metadata={"description": "the template rendered for a sample subscriber"})
    encoding = fields.String(metadata={"description": "GSM-7 or UCS-2"})
    characters = fields.Integer()
    segments = fields.Integer()
    error = fields.String(
        metadata={"description": "why the sample does not render (a template saved before a limit changed)"}
    )


class ReplyOut(Schema):
    id = fields.String()
    name = fields.String()
    template = fields.String()
    sample = fields.Method("sample_of", metadata={"description": "a sample rendering and its SMS cost"})
    created_at = fields.DateTime()
    updated_at = fields.DateTime()

    def sample_of(self, reply: ReplyInfo) -> dict[str, Any]:
        return reply.sample


class ReplyList(Schema):
    items = fields.List(fields.Nested(ReplyOut))


@blp.route("")
class Replies(MethodView):
    @blp.response(200, ReplyList)
    def get(self) -> dict[str, Any]:
        """List the reply messages of this organisation and sandbox."""
        return {"items": service.list_replies(gateway(), current_scope())}

    @blp.arguments(ReplyIn)
    @blp.response(201, ReplyOut)
    def post(self, data: dict[str, Any]) -> ReplyInfo:
        """Create a reply; the answer shows a sample rendering, its encoding and segment count."""
        return service.create_reply(gateway(), current_scope(), **data)


@blp.route("/<reply_id>")
class ReplyById(MethodView):
    @blp.response(200, ReplyOut)
    def get(self, reply_id: str) -> ReplyInfo:
        """One reply message."""
        return service.get_reply(gateway(), current_scope(), reply_id)

    @blp.arguments(ReplyPatch)
    @blp.response(200, ReplyOut)
    def patch(self, data: dict[str, Any], reply_id: str) -> ReplyInfo:
        """Change the name or the template (checked as on create)."""
        return service.update_reply(gateway(), current_scope(), reply_id, data)

    @blp.response(204)
    def delete(self, reply_id: str) -> None:
        """Delete a reply no webhook's keyword settings use (409 otherwise)."""
        service.delete_reply(gateway(), current_scope(), reply_id)
