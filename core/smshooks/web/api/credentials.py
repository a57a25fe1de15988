"""``/api/v1/credentials``: vendor accounts. Fields follow the vendor's credentials schema.

The rules live in :mod:`smshooks.credentials.service`; this module parses and answers."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import INCLUDE, Schema, fields, post_dump, validate

from smshooks.credentials import service
from smshooks.credentials.service import SAMPLE_RECIPIENT, SAMPLE_TEXT, CredentialInfo
from smshooks.web.api.base import ApiBlueprint
from smshooks.web.context import current_scope, gateway

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
    secrets_readable = fields.Boolean(
        metadata={
            "description": "false when the server's secret key cannot open the stored secrets (SMSHOOKS_SECRET_KEY"
            " changed): they read null until they are sent again in a PATCH"
        }
    )

    @post_dump(pass_original=True)
    def vendor_fields(self, data: dict[str, Any], original: CredentialInfo, **_: Any) -> dict[str, Any]:
        return {**original.fields, **data}


class CredentialList(Schema):
    items = fields.List(fields.Nested(CredentialOut))


@blp.route("")
class Credentials(MethodView):
    @blp.response(200, CredentialList)
    def get(self) -> dict[str, Any]:
        """List the credentials of this organisation and sandbox."""
        return {"items": service.list_credentials(gateway(), current_scope())}

    @blp.arguments(CredentialIn)
    @blp.response(201, CredentialOut)
    def post(self, data: dict[str, Any]) -> CredentialInfo:
        """Create a credential: ``{name, vendor, ...vendor fields}``."""
        name, vendor = data.pop("name"), data.pop("vendor")
        return service.create_credential(gateway(), current_scope(), name=name, vendor=vendor, values=data)


@blp.route("/<credential_id>")
class CredentialById(MethodView):
    @blp.response(200, CredentialOut)
    def get(self, credential_id: str) -> CredentialInfo:
        """One credential, secrets masked."""
        return service.get_credential(gateway(), current_scope(), credential_id)

    @blp.arguments(CredentialPatch)
    @blp.response(200, CredentialOut)
    def patch(self, data: dict[str, Any], credential_id: str) -> CredentialInfo:
        """Change some fields; a secret left out (or sent back masked) keeps its value."""
        return service.update_credential(gateway(), current_scope(), credential_id, data)

    @blp.response(204)
    def delete(self, credential_id: str) -> None:
        """Delete a credential no webhook uses (409 otherwise)."""
        service.delete_credential(gateway(), current_scope(), credential_id)


class PreviewIn(Schema):
    text = fields.String(load_default=SAMPLE_TEXT, validate=validate.Length(max=1600))
    to = fields.String(load_default=SAMPLE_RECIPIENT, validate=validate.Length(1, 32))
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
    rendered = service.preview_send(
        gateway(),
        current_scope(),
        credential_id,
        text=data["text"],
        to=data["to"],
        sender=data["sender"],
        profile=data["profile"],
    )
    return {"request": rendered}
