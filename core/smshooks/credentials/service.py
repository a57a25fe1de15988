"""Vendor credentials of one scope: create, read (secrets masked), change, delete, preview a send.

Framework-free: the admin API and the console call these with a :class:`~smshooks.scope.Scope` and
the :class:`~smshooks.gateway.Gateway`; refusals are :mod:`smshooks.errors` (the web layer maps them).
A credential's vendor fields follow its vendor's ``credentials_schema``; secret fields are sealed at
rest and never leave this module in clear (:class:`CredentialInfo` shows them masked).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from smshooks.credentials.fields import (
    MASK,
    CredentialFieldsInvalid,
    all_fields,
    masked_fields,
    store_fields,
    validate_fields,
)
from smshooks.errors import Conflict, Invalid, SecretsUnreadable
from smshooks.events import OutboundMessage
from smshooks.gateway import Gateway
from smshooks.scope import Scope
from smshooks.store.scoped import claim_name, find_scoped, get_scoped, in_scope
from smshooks.store.tables import Channel, Credential, Webhook, utcnow
from smshooks.targets import BadTargetURL, TargetRefused, check_url
from smshooks.vendor import PayloadError, Vendor

#: what :func:`preview_send` renders when the caller gives no sample
SAMPLE_TEXT = "Hello from smshooks"
SAMPLE_RECIPIENT = "+14155550123"


@dataclass(frozen=True)
class CredentialInfo:
    """A credential as callers see it: its vendor fields with every secret that is set masked."""

    id: str
    name: str
    vendor: str
    #: the vendor's fields; a secret that is set reads ``MASK``, an unset one its stored value (None)
    fields: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    #: False when this server's secret key cannot open the stored secrets (SMSHOOKS_SECRET_KEY is not
    #: the key they were saved with): the secrets read None until they are entered again
    secrets_readable: bool = True


def list_credentials(gw: Gateway, scope: Scope) -> list[CredentialInfo]:
    """Every credential of ``scope``, oldest first."""
    with gw.db.session() as session:
        rows = session.execute(select(Credential).where(*in_scope(Credential, scope)).order_by(Credential.created_at))
        return [_info(gw, row) for row in rows.scalars()]


def get_credential(gw: Gateway, scope: Scope, credential_id: str) -> CredentialInfo:
    """One credential, secrets masked; :class:`NotFound` ("no such credential") outside ``scope``."""
    with gw.db.session() as session:
        return _info(gw, get_scoped(session, Credential, credential_id, scope, "credential"))


def create_credential(
    gw: Gateway, scope: Scope, *, name: str, vendor: str, values: Mapping[str, Any]
) -> CredentialInfo:
    """A new credential of ``vendor`` named ``name`` with the vendor fields ``values``.

    Refuses an uninstalled vendor, fields the vendor's schema refuses, a URL field smshooks may not
    call (all :class:`Invalid`), and a name in use in ``scope`` (:class:`Conflict`)."""
    adapter = installed_vendor(gw, vendor)
    valid = _validated(gw, adapter, values)
    with gw.db.transaction() as session:
        claim_name(session, Credential, scope, name, "credential")
        credential = Credential(
            id="cred_" + secrets.token_hex(8), org=scope.org, sandbox=scope.sandbox, name=name, vendor=adapter.name
        )
        store_fields(credential, adapter, gw.secrets, valid)
        session.add(credential)
    return _info(gw, credential)


def update_credential(gw: Gateway, scope: Scope, credential_id: str, changes: Mapping[str, Any]) -> CredentialInfo:
    """Change the name and/or vendor fields named in ``changes``; the others keep their values.

    A secret left out, or sent back as the mask, keeps its value (answers only ever show the mask).
    ``vendor`` may be given but not changed (:class:`Invalid`). The fields are validated as a whole,
    as on create."""
    changes = dict(changes)
    with gw.db.transaction() as session:
        credential = get_scoped(session, Credential, credential_id, scope, "credential")
        if "vendor" in changes and changes.pop("vendor") != credential.vendor:
            raise Invalid("the vendor of a credential cannot change", details={"vendor": ["cannot change"]})
        if "name" in changes:
            name = changes.pop("name")
            claim_name(session, Credential, scope, name, "credential", exclude=credential.id)
            credential.name = name
        vendor = installed_vendor(gw, credential.vendor)
        kept = {k: v for k, v in changes.items() if not (k in vendor.secret_fields() and v == MASK)}
        try:
            current = all_fields(credential, gw.secrets)
        except SecretsUnreadable:
            # Sealed with another key. Only a change giving every secret replaces them: anything
            # less would overwrite what restoring that key could still open.
            missing = sorted(set(vendor.secret_fields()) - set(kept))
            if missing:
                raise Invalid(
                    "the stored secrets cannot be read with this server's secret key: give every secret"
                    " field again, or restore the key they were saved with",
                    details={name: ["required while the stored secrets are unreadable"] for name in missing},
                ) from None
            current = dict(credential.fields)
        store_fields(credential, vendor, gw.secrets, _validated(gw, vendor, {**current, **kept}))
        credential.updated_at = utcnow()
    return _info(gw, credential)


def delete_credential(gw: Gateway, scope: Scope, credential_id: str) -> None:
    """Delete a credential; :class:`Conflict` while a webhook or a channel uses it: the message
    names them, the details list their ids (``webhooks``, ``channels``)."""
    with gw.db.transaction() as session:
        credential = get_scoped(session, Credential, credential_id, scope, "credential")
        users = {
            "webhooks": _users(session, Webhook, credential.id),
            "channels": _users(session, Channel, credential.id),
        }
        if any(users.values()):
            named = [_named(kind, rows) for kind, rows in users.items() if rows]
            raise Conflict(
                f"the credential is used by {' and '.join(named)}",
                details={kind: [row_id for row_id, _ in rows] for kind, rows in users.items() if rows},
            )
        session.delete(credential)


def _users(session: Session, table: type[Webhook] | type[Channel], credential_id: str) -> list[tuple[str, str]]:
    """(id, name) of the rows of ``table`` that send or verify with the credential, by name."""
    query = select(table.id, table.name).where(table.credentials_id == credential_id).order_by(table.name)
    return [(row_id, name) for row_id, name in session.execute(query)]


def _named(kind: str, rows: list[tuple[str, str]]) -> str:
    """``webhook 'a'`` or ``channels 'a', 'b'``: ids mean nothing to the person who reads the refusal."""
    noun = kind if len(rows) > 1 else kind.removesuffix("s")
    return f"{noun} " + ", ".join(repr(name) for _, name in rows)


def preview_send(
    gw: Gateway,
    scope: Scope,
    credential_id: str,
    *,
    text: str = SAMPLE_TEXT,
    to: str = SAMPLE_RECIPIENT,
    sender: str | None = None,
    profile: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The send request this credential would make for a sample message (the payload editor):
    ``{"method", "url", "headers", "body"}``, secrets masked. ``sender`` defaults to the credential's
    ``sender_number``. :class:`Invalid` for a vendor without a configurable payload, or with the
    template's error when it does not render."""
    with gw.db.session() as session:
        credential = get_scoped(session, Credential, credential_id, scope, "credential")
        values = all_fields(credential, gw.secrets)
    vendor = installed_vendor(gw, credential.vendor)
    message = OutboundMessage(
        sender=sender or values.get("sender_number"),
        recipient=to,
        text=text,
        profile=dict(profile or {}),
        reference="preview",
    )
    try:
        return dict(vendor.preview_send(message, values))
    except NotImplementedError:
        raise Invalid(
            f"the {vendor.title} vendor has no configurable payload to preview",
            details={"vendor": ["preview is for vendors configured by templates (custom)"]},
        ) from None
    except PayloadError as exc:
        raise Invalid(
            f"the payload template does not render: {exc}", details={"payload_template": [str(exc)]}
        ) from None


def installed_vendor(gw: Gateway, name: str) -> Vendor:
    """The vendor adapter called ``name``; :class:`Invalid` (listing the installed ones) when none is."""
    vendor = gw.plugins.vendor(name)
    if vendor is None:
        known = sorted(gw.plugins.vendors)
        raise Invalid(f"unknown vendor {name!r}", details={"vendor": [f"unknown vendor; installed: {known}"]})
    return vendor


def credential_in_scope(session: Session, scope: Scope, credential_id: str) -> Credential:
    """The credential a webhook or channel names; :class:`Invalid` ("unknown credential") when
    ``scope`` has none with that id (a reference is a field value, so not a 404)."""
    credential = find_scoped(session, Credential, credential_id, scope)
    if credential is None:
        raise Invalid("unknown credential", details={"credentials_id": ["no such credential in this sandbox"]})
    return credential


def vendor_fields(vendor: Vendor) -> dict[str, dict[str, bool]]:
    """What a credential form of ``vendor`` asks for: field name -> ``{required, secret, target}``
    (``target``: a URL smshooks calls)."""
    return {
        name: {
            "required": fld.required,
            "secret": bool(fld.metadata.get("secret")),
            "target": bool(fld.metadata.get("target")),
        }
        for name, fld in vendor.credentials_schema().fields.items()
    }


def _info(gw: Gateway, credential: Credential) -> CredentialInfo:
    readable = True
    try:
        shown = masked_fields(credential, gw.secrets)
    except SecretsUnreadable:
        # listed all the same, so the operator sees which credentials to enter again
        readable = False
        vendor = gw.plugins.vendor(credential.vendor)
        shown = {**credential.fields, **{name: None for name in (vendor.secret_fields() if vendor else ())}}
    return CredentialInfo(
        id=credential.id,
        name=credential.name,
        vendor=credential.vendor,
        fields=shown,
        created_at=credential.created_at,
        updated_at=credential.updated_at,
        secrets_readable=readable,
    )


def _validated(gw: Gateway, vendor: Vendor, values: Mapping[str, Any]) -> dict[str, Any]:
    try:
        valid = validate_fields(vendor, values)
    except CredentialFieldsInvalid as exc:
        raise Invalid("invalid credential fields", details=exc.messages) from None
    _check_targets(gw, vendor, valid)
    return valid


def _check_targets(gw: Gateway, vendor: Vendor, values: Mapping[str, Any]) -> None:
    """Every URL field the plugin marked (``target_url_field``) must be a place
    smshooks may call: the host's rule, not the plugin schema's, so a plugin's
    own tests can still aim at a local fake API."""
    problems: dict[str, list[str]] = {}
    for name in sorted(vendor.target_fields()):
        url = values.get(name)
        if not url:
            continue
        try:
            check_url(str(url), allow_private=gw.settings.allow_private_targets)
        except BadTargetURL as exc:
            problems[name] = [f"the URL {exc}"]
        except TargetRefused as exc:
            problems[name] = [str(exc)]
    if problems:
        raise Invalid("a URL of the credential cannot be called", details=problems)
