"""``/api/v1/replies``: named reply templates (sandboxed Jinja2) with their SMS cost."""

from __future__ import annotations

import secrets
from typing import Any

from flask import g
from flask.views import MethodView
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from smshooks.replies.templates import SAMPLE_CONTEXT, ReplyTemplateError, render, segments
from smshooks.store.tables import ReplyTemplate, Webhook, utcnow
from smshooks.web.api.base import ApiBlueprint
from smshooks.web.api.scope import get_scoped, name_taken, scoped
from smshooks.web.context import gateway
from smshooks.web.errors import ApiError

blp = ApiBlueprint(
    "replies",
    __name__,
    url_prefix="/api/v1/replies",
    description="Reply messages. Templates see the subscriber's profile and the matched keyword.",
)


class ReplyIn(Schema):
    name = fields.String(required=True, validate=validate.Length(1, 200))
    template = fields.String(required=True, validate=validate.Length(1, 4000))


class ReplyPatch(Schema):
    name = fields.String(validate=validate.Length(1, 200))
    template = fields.String(validate=validate.Length(1, 4000))


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

    def sample_of(self, reply: ReplyTemplate) -> dict[str, Any]:
        return sample(reply.template)


class ReplyList(Schema):
    items = fields.List(fields.Nested(ReplyOut))


def sample(template: str) -> dict[str, Any]:
    try:
        text = render(template, SAMPLE_CONTEXT)
    except ReplyTemplateError as exc:  # a listing never fails for one template
        return {"error": str(exc)}
    cost = segments(text)
    return {"text": text, "encoding": cost.encoding, "characters": cost.characters, "segments": cost.segments}


def _checked(template: str) -> None:
    """A template that does not render for the sample subscriber is refused at save time."""
    try:
        text = render(template, SAMPLE_CONTEXT)
    except ReplyTemplateError as exc:
        raise ApiError(422, "the template does not render", details={"template": [str(exc)]}) from None
    if not text:
        raise ApiError(422, "the template renders to an empty message", details={"template": ["renders empty"]})


def reply_ids_in_use(session: Any, reply_id: str) -> list[str]:
    """Webhooks whose keyword settings name ``reply_id``."""
    used = []
    for webhook_id, settings in session.execute(
        select(Webhook.id, Webhook.keyword_settings).where(*scoped(Webhook), Webhook.keyword_settings.is_not(None))
    ):
        if reply_id in reply_ids_named(settings):
            used.append(webhook_id)
    return used


def reply_ids_named(settings: dict[str, Any]) -> set[str]:
    """The reply ids a webhook's keyword settings refer to."""
    ids = {c.get("reply_id") for c in settings.get("categories", [])}
    ids.add((settings.get("fuzzy_opt_out") or {}).get("reply_id"))
    ids.add(settings.get("default_reply_id"))
    return {i for i in ids if i}


@blp.route("")
class Replies(MethodView):
    @blp.response(200, ReplyList)
    def get(self) -> dict[str, Any]:
        """List the reply messages of this organisation and sandbox."""
        with gateway().db.session() as session:
            query = select(ReplyTemplate).where(*scoped(ReplyTemplate)).order_by(ReplyTemplate.created_at)
            return {"items": list(session.execute(query).scalars())}

    @blp.arguments(ReplyIn)
    @blp.response(201, ReplyOut)
    def post(self, data: dict[str, Any]) -> ReplyTemplate:
        """Create a reply; the answer shows a sample rendering, its encoding and segment count."""
        _checked(data["template"])
        with gateway().db.transaction() as session:
            if name_taken(session, ReplyTemplate, data["name"]):
                raise ApiError(409, f"a reply named {data['name']!r} exists", details={"name": ["already used"]})
            reply = ReplyTemplate(id="rep_" + secrets.token_hex(8), org=g.org, sandbox=g.sandbox, **data)
            session.add(reply)
        return reply


@blp.route("/<reply_id>")
class ReplyById(MethodView):
    @blp.response(200, ReplyOut)
    def get(self, reply_id: str) -> ReplyTemplate:
        """One reply message."""
        with gateway().db.session() as session:
            return get_scoped(session, ReplyTemplate, reply_id, "reply")

    @blp.arguments(ReplyPatch)
    @blp.response(200, ReplyOut)
    def patch(self, data: dict[str, Any], reply_id: str) -> ReplyTemplate:
        """Change the name or the template (checked as on create)."""
        if "template" in data:
            _checked(data["template"])
        with gateway().db.transaction() as session:
            reply = get_scoped(session, ReplyTemplate, reply_id, "reply")
            if "name" in data and name_taken(session, ReplyTemplate, data["name"], exclude=reply.id):
                raise ApiError(409, f"a reply named {data['name']!r} exists", details={"name": ["already used"]})
            for key, value in data.items():
                setattr(reply, key, value)
            reply.updated_at = utcnow()
        return reply

    @blp.response(204)
    def delete(self, reply_id: str) -> None:
        """Delete a reply no webhook's keyword settings use (409 otherwise)."""
        with gateway().db.transaction() as session:
            reply = get_scoped(session, ReplyTemplate, reply_id, "reply")
            users = reply_ids_in_use(session, reply.id)
            if users:
                raise ApiError(409, "the reply is used by webhooks", details={"webhooks": users})
            session.delete(reply)
