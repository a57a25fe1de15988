"""The channels of one scope: which vendor account and number a message goes out from, and which
webhooks the vendor reports on it to (inbound replies, delivery reports).

Framework-free: the admin API and the console call these with a :class:`~smshooks.scope.Scope` and
the :class:`~smshooks.gateway.Gateway`; refusals are :mod:`smshooks.errors`. A channel's credential
and webhooks are of its scope and of one vendor.
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
from smshooks.phones import NOT_A_CHANNEL_SENDER, channel_sender_number
from smshooks.scope import Scope
from smshooks.store.scoped import claim_name, find_scoped, get_scoped, in_scope
from smshooks.store.tables import Channel, Credential, Webhook, utcnow

#: what :func:`update_channel` may change
CHANGEABLE = ("name", "credentials_id", "sender_number", "inbound_webhook_id", "feedback_webhook_id")
WEBHOOK_FIELDS = ("inbound_webhook_id", "feedback_webhook_id")


@dataclass(frozen=True)
class ChannelInfo:
    """A channel as callers see it, with the vendor of its credential."""

    id: str
    name: str
    #: the vendor of the channel's credential (None only if the credential vanished)
    vendor: str | None
    credentials_id: str
    #: the number messages go out from, normalised
    sender_number: str
    inbound_webhook_id: str | None
    feedback_webhook_id: str | None
    created_at: datetime
    updated_at: datetime


def list_channels(gw: Gateway, scope: Scope) -> list[ChannelInfo]:
    """Every channel of ``scope``, oldest first."""
    with gw.db.session() as session:
        rows = session.execute(select(Channel).where(*in_scope(Channel, scope)).order_by(Channel.created_at))
        channels = list(rows.scalars())
        vendors = _vendors(session, {channel.credentials_id for channel in channels})
        return [_info(channel, vendors.get(channel.credentials_id)) for channel in channels]


def get_channel(gw: Gateway, scope: Scope, channel_id: str) -> ChannelInfo:
    """One channel; :class:`NotFound` ("no such channel") outside ``scope``."""
    with gw.db.session() as session:
        channel = get_scoped(session, Channel, channel_id, scope, "channel")
        return _info(channel, _vendors(session, {channel.credentials_id}).get(channel.credentials_id))


def create_channel(
    gw: Gateway,
    scope: Scope,
    *,
    name: str,
    credentials_id: str,
    sender_number: str,
    inbound_webhook_id: str | None = None,
    feedback_webhook_id: str | None = None,
) -> ChannelInfo:
    """A new channel sending from ``sender_number`` (an E.164 number, stored normalised) with the
    credential ``credentials_id``; the webhooks, when given, must be of the credential's vendor.
    Refuses references outside ``scope`` or of another vendor (:class:`Invalid`) and a name in use
    (:class:`Conflict`)."""
    _check_sender(sender_number)
    values = {
        "credentials_id": credentials_id,
        "inbound_webhook_id": inbound_webhook_id,
        "feedback_webhook_id": feedback_webhook_id,
    }
    with gw.db.transaction() as session:
        credential = _check_references(session, scope, values)
        claim_name(session, Channel, scope, name, "channel")
        channel = Channel(
            id="ch_" + secrets.token_hex(8),
            org=scope.org,
            sandbox=scope.sandbox,
            name=name,
            sender_number=channel_sender_number(sender_number),
            **values,
        )
        session.add(channel)
    return _info(channel, credential.vendor)


def update_channel(gw: Gateway, scope: Scope, channel_id: str, changes: Mapping[str, Any]) -> ChannelInfo:
    """Change the fields of :data:`CHANGEABLE` named in ``changes``; the references are checked as on
    create, as they stand after the change."""
    unknown = {key: ["Unknown field."] for key in changes if key not in CHANGEABLE}
    if unknown:
        raise Invalid(INVALID_FIELDS, details=unknown)
    changes = dict(changes)
    if "sender_number" in changes:
        _check_sender(changes["sender_number"])
        changes["sender_number"] = channel_sender_number(changes["sender_number"])
    with gw.db.transaction() as session:
        channel = get_scoped(session, Channel, channel_id, scope, "channel")
        merged = {key: changes.get(key, getattr(channel, key)) for key in ("credentials_id", *WEBHOOK_FIELDS)}
        credential = _check_references(session, scope, merged)
        if "name" in changes:
            claim_name(session, Channel, scope, changes["name"], "channel", exclude=channel.id)
        for key, value in changes.items():
            setattr(channel, key, value)
        channel.updated_at = utcnow()
    return _info(channel, credential.vendor)


def delete_channel(gw: Gateway, scope: Scope, channel_id: str) -> None:
    """Delete a channel (messages sent through it keep their history)."""
    with gw.db.transaction() as session:
        session.delete(get_scoped(session, Channel, channel_id, scope, "channel"))


def _check_sender(value: Any) -> None:
    if not isinstance(value, str) or channel_sender_number(value) is None:
        raise Invalid(INVALID_FIELDS, details={"sender_number": [NOT_A_CHANNEL_SENDER]})


def _check_references(session: Session, scope: Scope, values: Mapping[str, Any]) -> Credential:
    """The credential and webhooks exist in ``scope`` and share one vendor; answers the credential."""
    credential = credential_in_scope(session, scope, values["credentials_id"])
    problems: dict[str, list[str]] = {}
    for field in WEBHOOK_FIELDS:
        webhook_id = values.get(field)
        if not webhook_id:
            continue
        webhook = find_scoped(session, Webhook, webhook_id, scope)
        if webhook is None:
            problems[field] = ["no such webhook in this sandbox"]
        elif webhook.vendor != credential.vendor:
            problems[field] = [f"webhook is for {webhook.vendor!r}, credential for {credential.vendor!r}"]
    if problems:
        raise Invalid("invalid webhook references", details=problems)
    return credential


def _vendors(session: Session, credential_ids: set[str]) -> dict[str, str]:
    """credential id -> vendor, in one query."""
    if not credential_ids:
        return {}
    rows = session.execute(select(Credential.id, Credential.vendor).where(Credential.id.in_(credential_ids)))
    return {credential_id: vendor for credential_id, vendor in rows}


def _info(channel: Channel, vendor: str | None) -> ChannelInfo:
    return ChannelInfo(
        id=channel.id,
        name=channel.name,
        vendor=vendor,
        credentials_id=channel.credentials_id,
        sender_number=channel.sender_number,
        inbound_webhook_id=channel.inbound_webhook_id,
        feedback_webhook_id=channel.feedback_webhook_id,
        created_at=channel.created_at,
        updated_at=channel.updated_at,
    )
