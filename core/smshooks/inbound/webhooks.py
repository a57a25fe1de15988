"""The webhooks of one scope: the URLs vendors call with inbound messages or delivery reports.

Framework-free: the admin API and the console call these with a :class:`~smshooks.scope.Scope` and
the :class:`~smshooks.gateway.Gateway`; refusals are :mod:`smshooks.errors`. A webhook's id is the
unguessable part of its URL (``<base_url>/hooks/<id>``); the caller passes the base URL in, since
only it knows how the gateway is reached (``smshooks.web.urls.public_base_url`` in a request).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from smshooks.credentials.service import credential_in_scope
from smshooks.errors import INVALID_FIELDS, Invalid
from smshooks.gateway import Gateway
from smshooks.phones import NOT_A_SENDER_ADDRESS, sender_address
from smshooks.scope import Scope
from smshooks.store.scoped import claim_name, get_scoped, in_scope
from smshooks.store.tables import Credential, Webhook, utcnow

#: inbound: messages from subscribers; feedback: the vendor's delivery reports
#: a vendor webhook of inbound messages: they run the keyword pipeline (as a message that reaches
#: a delivery-report webhook does too: an opt-out is heard on either)
INBOUND = "inbound"
#: a vendor webhook of delivery reports. The API keeps the seed's word "feedback"; in the code it is
#: DELIVERY_REPORTS, apart from the customer's feedback webhook (smshooks.feedback) that outcomes go to
DELIVERY_REPORTS = "feedback"
WEBHOOK_TYPES = (INBOUND, DELIVERY_REPORTS)
#: what :func:`update_webhook` may change (the vendor and the id, hence the URL, stay)
CHANGEABLE = ("name", "type", "credentials_id", "sender_number")


@dataclass(frozen=True)
class WebhookInfo:
    """A webhook as callers see it, with the URL to paste into the vendor's console."""

    id: str
    url: str
    name: str
    vendor: str
    type: str
    credentials_id: str
    #: our number, short code or sender id the vendor delivers to, normalised (None: any)
    sender_number: str | None
    created_at: datetime
    updated_at: datetime


def webhook_url(base_url: str, webhook_id: str) -> str:
    """The URL a vendor calls for the webhook ``webhook_id`` (``base_url`` without a trailing slash)."""
    return f"{base_url}/hooks/{webhook_id}"


def new_webhook_id() -> str:
    """A fresh webhook id: 24 random bytes, the secret part of its URL."""
    return "wh_" + secrets.token_urlsafe(24)


def list_webhooks(gw: Gateway, scope: Scope, *, base_url: str) -> list[WebhookInfo]:
    """Every webhook of ``scope``, oldest first."""
    with gw.db.session() as session:
        rows = session.execute(select(Webhook).where(*in_scope(Webhook, scope)).order_by(Webhook.created_at))
        return [_info(row, base_url) for row in rows.scalars()]


def get_webhook(gw: Gateway, scope: Scope, webhook_id: str, *, base_url: str) -> WebhookInfo:
    """One webhook; :class:`NotFound` ("no such webhook") outside ``scope``."""
    with gw.db.session() as session:
        return _info(get_scoped(session, Webhook, webhook_id, scope, "webhook"), base_url)


def create_webhook(
    gw: Gateway,
    scope: Scope,
    *,
    base_url: str,
    name: str,
    vendor: str,
    type: str,
    credentials_id: str,
    sender_number: str | None = None,
) -> WebhookInfo:
    """A new webhook of ``vendor``; the answer carries the URL to give the vendor.

    ``type`` is one of :data:`WEBHOOK_TYPES`; ``sender_number`` (optional) an E.164 number, a short
    code or an alphanumeric sender id, stored normalised. Refuses an uninstalled vendor, a credential
    not in ``scope`` or of another vendor (:class:`Invalid`), and a name in use (:class:`Conflict`)."""
    _check_fields({"type": type, "sender_number": sender_number})
    if gw.plugins.vendor(vendor) is None:
        raise Invalid("unknown vendor", details={"vendor": [f"unknown vendor {vendor!r}"]})
    with gw.db.transaction() as session:
        _credential_of(session, scope, credentials_id, vendor)
        claim_name(session, Webhook, scope, name, "webhook")
        webhook = Webhook(
            id=new_webhook_id(),
            org=scope.org,
            sandbox=scope.sandbox,
            name=name,
            vendor=vendor,
            type=type,
            credentials_id=credentials_id,
            sender_number=sender_address(sender_number) if sender_number else None,
        )
        session.add(webhook)
    return _info(webhook, base_url)


def update_webhook(
    gw: Gateway, scope: Scope, webhook_id: str, changes: Mapping[str, Any], *, base_url: str
) -> WebhookInfo:
    """Change the fields of :data:`CHANGEABLE` named in ``changes`` (checked as on create; the
    credential must be of the webhook's vendor); the id, the vendor and so the URL stay."""
    _check_fields(changes)
    with gw.db.transaction() as session:
        webhook = get_scoped(session, Webhook, webhook_id, scope, "webhook")
        if "credentials_id" in changes:
            _credential_of(session, scope, changes["credentials_id"], webhook.vendor)
        if "name" in changes:
            claim_name(session, Webhook, scope, changes["name"], "webhook", exclude=webhook.id)
        for key, value in changes.items():
            setattr(webhook, key, sender_address(value) if key == "sender_number" and value else value)
        webhook.updated_at = utcnow()
    return _info(webhook, base_url)


def delete_webhook(gw: Gateway, scope: Scope, webhook_id: str) -> None:
    """Delete a webhook: its URL answers 404 from then on; stored events stay."""
    with gw.db.transaction() as session:
        session.delete(get_scoped(session, Webhook, webhook_id, scope, "webhook"))


def _credential_of(session: Session, scope: Scope, credential_id: str, vendor: str) -> Credential:
    """The credential a webhook of ``vendor`` names: in ``scope`` and of the same vendor."""
    credential = credential_in_scope(session, scope, credential_id)
    if credential.vendor != vendor:
        raise Invalid(
            "the credential belongs to another vendor",
            details={"credentials_id": [f"credential is for {credential.vendor!r}, webhook for {vendor!r}"]},
        )
    return credential


def _check_fields(values: Mapping[str, Any]) -> None:
    """The field rules the API's schema also applies, for callers that do not go through it."""
    problems: dict[str, list[str]] = {key: ["Unknown field."] for key in values if key not in CHANGEABLE}
    if "type" in values and values["type"] not in WEBHOOK_TYPES:
        problems["type"] = [f"Must be one of: {', '.join(WEBHOOK_TYPES)}."]
    sender = values.get("sender_number")
    if sender is not None and sender_address(sender) is None:
        problems["sender_number"] = [NOT_A_SENDER_ADDRESS]
    if problems:
        raise Invalid(INVALID_FIELDS, details=problems)


def _info(webhook: Webhook, base_url: str) -> WebhookInfo:
    return WebhookInfo(
        id=webhook.id,
        url=webhook_url(base_url, webhook.id),
        name=webhook.name,
        vendor=webhook.vendor,
        type=webhook.type,
        credentials_id=webhook.credentials_id,
        sender_number=webhook.sender_number,
        created_at=webhook.created_at,
        updated_at=webhook.updated_at,
    )
