"""``/api/v1/credentials``: vendor accounts. Fields follow the vendor's credentials schema."""

from __future__ import annotations

import secrets
from typing import Any

from flask import g
from flask.views import MethodView
from marshmallow import INCLUDE, Schema, fields, post_dump, validate
from sqlalchemy import select

from smshooks.credentials.fields import (
    MASK,
    CredentialFieldsInvalid,
    all_fields,
    masked_fields,
    store_fields,
    validate_fields,
)
from smshooks.events import OutboundMessage
from smshooks.store.tables import Credential, Webhook, utcnow
from smshooks.targets import BadTargetURL, TargetRefused, check_url
from smshooks.vendor import PayloadError, Vendor
from smshooks.web.api.base import ApiBlueprint
from smshooks.web.api.scope import get_scoped, name_taken, scoped
from smshooks.web.context import gateway
from smshooks.web.errors import ApiError

blp = ApiBlueprint(
    "credentials",
    __name__,
    url_prefix="/api/v1/credentials",
    description="Vendor accounts. Secret fields are encrypted at rest and never returned (masked).",
)


class CredentialIn(Schema):
    class Meta:
        unknown = INCLUDE  # the vendor's own fields, validated by its credentials schema

    name = fields.String(required=True, validate=validate.Length(1, 200))
    vendor = fields.String(required=True, validate=validate.Length(1, 64))


class CredentialPatch(Schema):
    class Meta:
        unknown = INCLUDE

    name = fields.String(validate=validate.Length(1, 200))
    vendor = fields.String(validate=validate.Length(1, 64))


class CredentialOut(Schema):
    id = fields.String()
    name = fields.String()
    vendor = fields.String()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()

    @post_dump(pass_original=True)
    def vendor_fields(self, data: dict[str, Any], original: Any, **_: Any) -> dict[str, Any]:
        return {**masked_fields(original, gateway().secrets), **data}


class CredentialList(Schema):
    items = fields.List(fields.Nested(CredentialOut))


def _vendor(name: str) -> Vendor:
    vendor = gateway().plugins.vendor(name)
    if vendor is None:
        known = sorted(gateway().plugins.vendors)
        raise ApiError(422, f"unknown vendor {name!r}", details={"vendor": [f"unknown vendor; installed: {known}"]})
    return vendor


def _validated(vendor: Vendor, values: dict[str, Any]) -> dict[str, Any]:
    try:
        valid = validate_fields(vendor, values)
    except CredentialFieldsInvalid as exc:
        raise ApiError(422, "invalid credential fields", details=exc.messages) from None
    _check_targets(vendor, valid)
    return valid


def _check_targets(vendor: Vendor, values: dict[str, Any]) -> None:
    """Every URL field the plugin marked (``target_url_field``) must be a place
    smshooks may call: the host's rule, not the plugin schema's, so a plugin's
    own tests can still aim at a local fake API."""
    allow_private = gateway().settings.allow_private_targets
    problems: dict[str, list[str]] = {}
    for name in sorted(vendor.target_fields()):
        url = values.get(name)
        if not url:
            continue
        try:
            check_url(str(url), allow_private=allow_private)
        except BadTargetURL as exc:
            problems[name] = [f"the URL {exc}"]
        except TargetRefused as exc:
            problems[name] = [str(exc)]
    if problems:
        raise ApiError(422, "a URL of the credential cannot be called", details=problems)


@blp.route("")
class Credentials(MethodView):
    @blp.response(200, CredentialList)
    def get(self) -> dict[str, Any]:
        """List the credentials of this organisation and sandbox."""
        with gateway().db.session() as session:
            rows = session.execute(
                select(Credential).where(*scoped(Credential)).order_by(Credential.created_at)
            ).scalars()
            return {"items": list(rows)}

    @blp.arguments(CredentialIn)
    @blp.response(201, CredentialOut)
    def post(self, data: dict[str, Any]) -> Credential:
        """Create a credential: ``{name, vendor, ...vendor fields}``."""
        name, vendor = data.pop("name"), _vendor(data.pop("vendor"))
        values = _validated(vendor, data)
        gw = gateway()
        with gw.db.transaction() as session:
            if name_taken(session, Credential, name):
                raise ApiError(409, f"a credential named {name!r} exists", details={"name": ["already used"]})
            credential = Credential(
                id="cred_" + secrets.token_hex(8), org=g.org, sandbox=g.sandbox, name=name, vendor=vendor.name
            )
            store_fields(credential, vendor, gw.secrets, values)
            session.add(credential)
        return credential


@blp.route("/<credential_id>")
class CredentialById(MethodView):
    @blp.response(200, CredentialOut)
    def get(self, credential_id: str) -> Credential:
        """One credential, secrets masked."""
        with gateway().db.session() as session:
            return get_scoped(session, Credential, credential_id, "credential")

    @blp.arguments(CredentialPatch)
    @blp.response(200, CredentialOut)
    def patch(self, data: dict[str, Any], credential_id: str) -> Credential:
        """Change some fields; a secret left out (or sent back masked) keeps its value."""
        gw = gateway()
        with gw.db.transaction() as session:
            credential = get_scoped(session, Credential, credential_id, "credential")
            if "vendor" in data and data.pop("vendor") != credential.vendor:
                raise ApiError(422, "the vendor of a credential cannot change", details={"vendor": ["cannot change"]})
            if "name" in data:
                name = data.pop("name")
                if name_taken(session, Credential, name, exclude=credential.id):
                    raise ApiError(409, f"a credential named {name!r} exists", details={"name": ["already used"]})
                credential.name = name
            vendor = _vendor(credential.vendor)
            current = all_fields(credential, gw.secrets)
            changes = {k: v for k, v in data.items() if not (k in vendor.secret_fields() and v == MASK)}
            values = _validated(vendor, {**current, **changes})
            store_fields(credential, vendor, gw.secrets, values)
            credential.updated_at = utcnow()
        return credential

    @blp.response(204)
    def delete(self, credential_id: str) -> None:
        """Delete a credential no webhook uses (409 otherwise)."""
        with gateway().db.transaction() as session:
            credential = get_scoped(session, Credential, credential_id, "credential")
            users = session.execute(select(Webhook.id).where(Webhook.credentials_id == credential.id)).scalars().all()
            if users:
                raise ApiError(409, "the credential is used by webhooks", details={"webhooks": users})
            session.delete(credential)


class PreviewIn(Schema):
    text = fields.String(load_default="Hello from smshooks", validate=validate.Length(max=1600))
    to = fields.String(load_default="+14155550123", validate=validate.Length(1, 32))
    sender = fields.String(data_key="from", load_default=None, allow_none=True, validate=validate.Length(1, 32))
    profile = fields.Dict(keys=fields.String(), load_default=dict, metadata={"description": "profile attributes"})


class PreviewOut(Schema):
    request = fields.Dict(metadata={"description": "method, url, headers (secrets masked) and body"})


@blp.route("/<credential_id>/preview", methods=["POST"])
@blp.arguments(PreviewIn, required=False)
@blp.response(200, PreviewOut)
def preview(data: dict[str, Any], credential_id: str) -> dict[str, Any]:
    """Render the send request this credential would make for a sample message
    (the payload editor): the request, or 422 with the template error."""
    gw = gateway()
    with gw.db.session() as session:
        credential = get_scoped(session, Credential, credential_id, "credential")
        values = all_fields(credential, gw.secrets)
    vendor = _vendor(credential.vendor)
    message = OutboundMessage(
        sender=data["sender"] or values.get("sender_number"),
        recipient=data["to"],
        text=data["text"],
        profile=data["profile"],
        reference="preview",
    )
    try:
        rendered = vendor.preview_send(message, values)
    except NotImplementedError:
        raise ApiError(
            422,
            f"the {vendor.title} vendor has no configurable payload to preview",
            details={"vendor": ["preview is for vendors configured by templates (custom)"]},
        ) from None
    except PayloadError as exc:
        raise ApiError(
            422, f"the payload template does not render: {exc}", details={"payload_template": [str(exc)]}
        ) from None
    return {"request": dict(rendered)}
