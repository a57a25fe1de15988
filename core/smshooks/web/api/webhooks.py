"""``/api/v1/webhooks``: the URLs vendors call. Each has an unguessable id."""

from __future__ import annotations

import secrets
from typing import Any

from flask import g
from flask.views import MethodView
from marshmallow import Schema, ValidationError, fields, validate, validates
from sqlalchemy import select

from smshooks.phones import NOT_A_SENDER_ADDRESS, sender_address
from smshooks.store.tables import Credential, Webhook, utcnow
from smshooks.vendor import to_e164
from smshooks.web.api.base import ApiBlueprint
from smshooks.web.api.scope import get_scoped, name_taken, scoped
from smshooks.web.context import gateway
from smshooks.web.errors import ApiError
from smshooks.web.urls import public_base_url

blp = ApiBlueprint(
    "webhooks",
    __name__,
    url_prefix="/api/v1/webhooks",
    description="Webhook URLs to paste into a vendor's console: inbound messages or delivery feedback.",
)

WEBHOOK_TYPES = ("inbound", "feedback")


#: the OpenAPI document's form of what phones.sender_address accepts (sender ids there start with a letter)
SENDER_PATTERN = r"^(?:\+[1-9][0-9]{6,14}|[0-9]{3,8}|[A-Za-z][A-Za-z0-9]{0,10})$"


def _sender_number(value: str | None) -> None:
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

    def webhook_url(self, webhook: Webhook) -> str:
        return webhook_url(webhook.id)


class WebhookList(Schema):
    items = fields.List(fields.Nested(WebhookOut))


def webhook_url(webhook_id: str) -> str:
    return f"{public_base_url()}/hooks/{webhook_id}"


def new_webhook_id() -> str:
    return "wh_" + secrets.token_urlsafe(24)


def _credential(session: Any, credential_id: str, vendor: str) -> Credential:
    credential = session.get(Credential, credential_id)
    if credential is None or credential.org != g.org or credential.sandbox != g.sandbox:
        raise ApiError(422, "unknown credential", details={"credentials_id": ["no such credential in this sandbox"]})
    if credential.vendor != vendor:
        raise ApiError(
            422,
            "the credential belongs to another vendor",
            details={"credentials_id": [f"credential is for {credential.vendor!r}, webhook for {vendor!r}"]},
        )
    return credential


@blp.route("")
class Webhooks(MethodView):
    @blp.response(200, WebhookList)
    def get(self) -> dict[str, Any]:
        """List the webhooks of this organisation and sandbox."""
        with gateway().db.session() as session:
            rows = session.execute(select(Webhook).where(*scoped(Webhook)).order_by(Webhook.created_at)).scalars()
            return {"items": list(rows)}

    @blp.arguments(WebhookIn)
    @blp.response(201, WebhookOut)
    def post(self, data: dict[str, Any]) -> Webhook:
        """Create a webhook; the answer carries the URL to give the vendor."""
        if gateway().plugins.vendor(data["vendor"]) is None:
            raise ApiError(422, "unknown vendor", details={"vendor": [f"unknown vendor {data['vendor']!r}"]})
        with gateway().db.transaction() as session:
            _credential(session, data["credentials_id"], data["vendor"])
            if name_taken(session, Webhook, data["name"]):
                raise ApiError(409, f"a webhook named {data['name']!r} exists", details={"name": ["already used"]})
            webhook = Webhook(
                id=new_webhook_id(),
                org=g.org,
                sandbox=g.sandbox,
                name=data["name"],
                vendor=data["vendor"],
                type=data["type"],
                credentials_id=data["credentials_id"],
                sender_number=to_e164(data["sender_number"]) if data.get("sender_number") else None,
            )
            session.add(webhook)
        return webhook


@blp.route("/<webhook_id>")
class WebhookById(MethodView):
    @blp.response(200, WebhookOut)
    def get(self, webhook_id: str) -> Webhook:
        """One webhook."""
        with gateway().db.session() as session:
            return get_scoped(session, Webhook, webhook_id, "webhook")

    @blp.arguments(WebhookPatch)
    @blp.response(200, WebhookOut)
    def patch(self, data: dict[str, Any], webhook_id: str) -> Webhook:
        """Edit name, type, credential (of the same vendor) or sender number; the URL stays."""
        with gateway().db.transaction() as session:
            webhook = get_scoped(session, Webhook, webhook_id, "webhook")
            if "credentials_id" in data:
                _credential(session, data["credentials_id"], webhook.vendor)
            if "name" in data and name_taken(session, Webhook, data["name"], exclude=webhook.id):
                raise ApiError(409, f"a webhook named {data['name']!r} exists", details={"name": ["already used"]})
            if data.get("sender_number"):
                data["sender_number"] = to_e164(data["sender_number"])
            for key, value in data.items():
                setattr(webhook, key, value)
            webhook.updated_at = utcnow()
        return webhook

    @blp.response(204)
    def delete(self, webhook_id: str) -> None:
        """Delete a webhook: its URL answers 404 from then on; stored events stay."""
        with gateway().db.transaction() as session:
            session.delete(get_scoped(session, Webhook, webhook_id, "webhook"))
