"""``/api/v1/channels``: which vendor account and number a message goes out from,
and which webhook the vendor reports on it to.

The rules live in :mod:`smshooks.messages.channels`; this module parses and answers."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, ValidationError, fields, validate, validates

from smshooks.messages import channels as service
from smshooks.messages.channels import ChannelInfo
from smshooks.phones import NOT_A_CHANNEL_SENDER, channel_sender_number
from smshooks.web.api.base import ApiBlueprint
from smshooks.web.api.phones import E164_PATTERN
from smshooks.web.context import current_scope, gateway

blp = ApiBlueprint(
    "channels",
    __name__,
    url_prefix="/api/v1/channels",
    description="Channel configurations: credential + sender number + where the vendor reports.",
)


def _check_sender(value: str | None) -> None:
    # checked here too (the service checks again) so it is one field message among the body's others
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

    def vendor_of(self, channel: ChannelInfo) -> str | None:
        return channel.vendor


class ChannelList(Schema):
    items = fields.List(fields.Nested(ChannelOut))


@blp.route("")
class Channels(MethodView):
    @blp.response(200, ChannelList)
    def get(self) -> dict[str, Any]:
        """List the channel configurations of this organisation and sandbox."""
        return {"items": service.list_channels(gateway(), current_scope())}

    @blp.arguments(ChannelIn)
    @blp.response(201, ChannelOut)
    def post(self, data: dict[str, Any]) -> ChannelInfo:
        """Create a channel configuration."""
        return service.create_channel(gateway(), current_scope(), **data)


@blp.route("/<channel_id>")
class ChannelById(MethodView):
    @blp.response(200, ChannelOut)
    def get(self, channel_id: str) -> ChannelInfo:
        """One channel configuration."""
        return service.get_channel(gateway(), current_scope(), channel_id)

    @blp.arguments(ChannelPatch)
    @blp.response(200, ChannelOut)
    def patch(self, data: dict[str, Any], channel_id: str) -> ChannelInfo:
        """Change some fields; references are checked as on create."""
        return service.update_channel(gateway(), current_scope(), channel_id, data)

    @blp.response(204)
    def delete(self, channel_id: str) -> None:
        """Delete a channel configuration (messages sent through it keep their history)."""
        service.delete_channel(gateway(), current_scope(), channel_id)
