"""``/api/v1/channels``: which vendor account and number a message goes out from,
and which webhook the vendor reports on it to."""

from __future__ import annotations

import secrets
from typing import Any

from flask import g
from flask.views import MethodView
from marshmallow import Schema, ValidationError, fields, validate, validates
from sqlalchemy import select

from smshooks.phones import NOT_A_CHANNEL_SENDER, channel_sender_number
from smshooks.store.tables import Channel, Credential, Webhook, utcnow
from smshooks.vendor import to_e164
from smshooks.web.api.base import ApiBlueprint
from smshooks.web.api.phones import E164_PATTERN
from smshooks.web.api.scope import get_scoped, name_taken, scoped
from smshooks.web.context import gateway
from smshooks.web.errors import ApiError

blp = ApiBlueprint(
    "channels",
    __name__,
    url_prefix="/api/v1/channels",
    description="Channel configurations: credential + sender number + where the vendor reports.",
)


def _check_sender(value: str | None) -> None:
    if value is not None and channel_sender_number(value) is None:
        raise ValidationError(NOT_A_CHANNEL_SENDER)


class ChannelIn(Schema):
    name = fields.String(required=True, validate=validate.Length(1, 200))
    credentials_id = fields.String(required=True, validate=validate.Length(1, 40))
    sender_number = fields.String(required=True, validate=validate.Length(1, 32), metadata={"pattern": E164_PATTERN})
    inbound_webhook_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 64))
    feedback_webhook_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 64))

    @validates("sender_number")
    def check_sender(self, value: str, **_: Any) -> None:
        _check_sender(value)


class ChannelPatch(Schema):
    name = fields.String(validate=validate.Length(1, 200))
    credentials_id = fields.String(validate=validate.Length(1, 40))
    sender_number = fields.String(validate=validate.Length(1, 32), metadata={"pattern": E164_PATTERN})
    inbound_webhook_id = fields.String(allow_none=True, validate=validate.Length(1, 64))
    feedback_webhook_id = fields.String(allow_none=True, validate=validate.Length(1, 64))

    @validates("sender_number")
    def check_sender(self, value: str, **_: Any) -> None:
        _check_sender(value)


class ChannelOut(Schema):
    id = fields.String()
    name = fields.String()
    vendor = fields.Method("vendor_of")
    credentials_id = fields.String()
    sender_number = fields.String()
    inbound_webhook_id = fields.String(allow_none=True)
    feedback_webhook_id = fields.String(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()

    def vendor_of(self, channel: Channel) -> str | None:
        with gateway().db.session() as session:
            credential = session.get(Credential, channel.credentials_id)
            return credential.vendor if credential else None


class ChannelList(Schema):
    items = fields.List(fields.Nested(ChannelOut))


def _validate_refs(session: Any, values: dict[str, Any]) -> None:
    """The credential and webhooks exist in the caller's sandbox and share one vendor."""
    credential = session.get(Credential, values["credentials_id"])
    if credential is None or credential.org != g.org or credential.sandbox != g.sandbox:
        raise ApiError(422, "unknown credential", details={"credentials_id": ["no such credential in this sandbox"]})
    problems: dict[str, list[str]] = {}
    for field in ("inbound_webhook_id", "feedback_webhook_id"):
        webhook_id = values.get(field)
        if not webhook_id:
            continue
        webhook = session.get(Webhook, webhook_id)
        if webhook is None or webhook.org != g.org or webhook.sandbox != g.sandbox:
            problems[field] = ["no such webhook in this sandbox"]
        elif webhook.vendor != credential.vendor:
            problems[field] = [f"webhook is for {webhook.vendor!r}, credential for {credential.vendor!r}"]
    if problems:
        raise ApiError(422, "invalid webhook references", details=problems)


@blp.route("")
class Channels(MethodView):
    @blp.response(200, ChannelList)
    def get(self) -> dict[str, Any]:
        """List the channel configurations of this organisation and sandbox."""
        with gateway().db.session() as session:
            query = select(Channel).where(*scoped(Channel)).order_by(Channel.created_at)
            return {"items": list(session.execute(query).scalars())}

    @blp.arguments(ChannelIn)
    @blp.response(201, ChannelOut)
    def post(self, data: dict[str, Any]) -> Channel:
        """Create a channel configuration."""
        data["sender_number"] = to_e164(data["sender_number"])
        with gateway().db.transaction() as session:
            _validate_refs(session, data)
            if name_taken(session, Channel, data["name"]):
                raise ApiError(409, f"a channel named {data['name']!r} exists", details={"name": ["already used"]})
            channel = Channel(id="ch_" + secrets.token_hex(8), org=g.org, sandbox=g.sandbox, **data)
            session.add(channel)
        return channel


@blp.route("/<channel_id>")
class ChannelById(MethodView):
    @blp.response(200, ChannelOut)
    def get(self, channel_id: str) -> Channel:
        """One channel configuration."""
        with gateway().db.session() as session:
            return get_scoped(session, Channel, channel_id, "channel")

    @blp.arguments(ChannelPatch)
    @blp.response(200, ChannelOut)
    def patch(self, data: dict[str, Any], channel_id: str) -> Channel:
        """Change some fields; references are checked as on create."""
        if data.get("sender_number"):
            data["sender_number"] = to_e164(data["sender_number"])
        with gateway().db.transaction() as session:
            channel = get_scoped(session, Channel, channel_id, "channel")
            merged = {
                "credentials_id": data.get("credentials_id", channel.credentials_id),
                "inbound_webhook_id": data.get("inbound_webhook_id", channel.inbound_webhook_id),
                "feedback_webhook_id": data.get("feedback_webhook_id", channel.feedback_webhook_id),
            }
            _validate_refs(session, merged)
            if "name" in data and name_taken(session, Channel, data["name"], exclude=channel.id):
                raise ApiError(409, f"a channel named {data['name']!r} exists", details={"name": ["already used"]})
            for key, value in data.items():
                setattr(channel, key, value)
            channel.updated_at = utcnow()
        return channel

    @blp.response(204)
    def delete(self, channel_id: str) -> None:
        """Delete a channel configuration (messages sent through it keep their history)."""
        with gateway().db.transaction() as session:
            session.delete(get_scoped(session, Channel, channel_id, "channel"))
