"""``/api/v1/webhooks``: the URLs vendors call. Each has an unguessable id.

The rules live in :mod:`smshooks.inbound.webhooks`; this module parses and answers."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import Schema, ValidationError, fields, validate, validates

from smshooks.inbound import webhooks as service
from smshooks.inbound.webhooks import WEBHOOK_TYPES, WebhookInfo
from smshooks.phones import NOT_A_SENDER_ADDRESS, sender_address
from smshooks.web.api.base import ApiBlueprint
from smshooks.web.context import current_scope, gateway
from smshooks.web.urls import public_base_url

blp = ApiBlueprint(
    "webhooks",
    __name__,
    url_prefix="/api/v1/webhooks",
    description="Webhook URLs to paste into a vendor's console: inbound messages or delivery feedback.",
)

#: the OpenAPI document's form of what phones.sender_address accepts (sender ids there start with a letter)
SENDER_PATTERN = r"^(?:\+[1-9][0-9]{6,14}|[0-9]{3,8}|[A-Za-z][A-Za-z0-9]{0,10})$"


def _sender_number(value: str | None) -> None:
    # checked here too (the service checks again) so it is one field message among the body's others
    if value is not None and sender_address(value) is None:
        raise ValidationError(NOT_A_SENDER_ADDRESS)


class WebhookIn(Schema):
    name = fields.String(required=True, validate=validate.Length(1, 200))
    vendor = fields.String(required=True, validate=validate.Length(1, 64))
    type = fields.String(required=True, validate=validate.OneOf(WEBHOOK_TYPES))
    credentials_id = fields.String(required=True)
    sender_number = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(1, 32), metadata={"pattern": SENDER_PATTERN}
    )

    @validates("sender_number")
    def check_sender(self, value: str | None, **_: Any) -> None:
        _sender_number(value)


class WebhookPatch(Schema):
    name = fields.String(validate=validate.Length(1, 200))
    type = fields.String(validate=validate.OneOf(WEBHOOK_TYPES))
    credentials_id = fields.String()
    sender_number = fields.String(
        allow_none=True, validate=validate.Length(1, 32), metadata={"pattern": SENDER_PATTERN}
    )

    @validates("sender_number")
    def check_sender(self, value: str | None, **_: Any) -> None:
        _sender_number(value)


class WebhookOut(Schema):
    id = fields.String()
    url = fields.Method("webhook_url", metadata={"description": "paste this into the vendor's console"})
    name = fields.String()
    vendor = fields.String()
    type = fields.String()
    credentials_id = fields.String()
    sender_number = fields.String(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()

    def webhook_url(self, webhook: WebhookInfo) -> str:
        return webhook.url


class WebhookList(Schema):
    items = fields.List(fields.Nested(WebhookOut))


@blp.route("")
class Webhooks(MethodView):
    @blp.response(200, WebhookList)
    def get(self) -> dict[str, Any]:
        """List the webhooks of this organisation and sandbox."""
        return {"items": service.list_webhooks(gateway(), current_scope(), base_url=public_base_url())}

    @blp.arguments(WebhookIn)
    @blp.response(201, WebhookOut)
    def post(self, data: dict[str, Any]) -> WebhookInfo:
        """Create a webhook; the answer carries the URL to give the vendor."""
        return service.create_webhook(gateway(), current_scope(), base_url=public_base_url(), **data)


@blp.route("/<webhook_id>")
class WebhookById(MethodView):
    @blp.response(200, WebhookOut)
    def get(self, webhook_id: str) -> WebhookInfo:
        """One webhook."""
        return service.get_webhook(gateway(), current_scope(), webhook_id, base_url=public_base_url())

    @blp.arguments(WebhookPatch)
    @blp.response(200, WebhookOut)
    def patch(self, data: dict[str, Any], webhook_id: str) -> WebhookInfo:
        """Edit name, type, credential (of the same vendor) or sender number; the URL stays."""
        return service.update_webhook(gateway(), current_scope(), webhook_id, data, base_url=public_base_url())

    @blp.response(204)
    def delete(self, webhook_id: str) -> None:
        """Delete a webhook: its URL answers 404 from then on; stored events stay."""
        service.delete_webhook(gateway(), current_scope(), webhook_id)
