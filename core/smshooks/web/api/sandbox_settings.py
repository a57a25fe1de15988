"""``/api/v1/sandbox-settings``: how consent applies in this organisation + sandbox.

The rules live in :mod:`smshooks.consent.sandbox_settings`; this module parses and answers."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from smshooks.consent import sandbox_settings as service
from smshooks.consent.sandbox_policy import CONSENT_SCOPES, Policy
from smshooks.web.api.base import ApiBlueprint
from smshooks.web.context import current_scope, gateway

blp = ApiBlueprint(
    "sandbox_settings",
    __name__,
    url_prefix="/api/v1/sandbox-settings",
    description="Consent scope (per number or the whole sandbox) and whether marketing sends need an opt-in.",
)


class SandboxSettingsSchema(Schema):
    consent_scope = fields.String(
        load_default="sandbox",
        validate=validate.OneOf(CONSENT_SCOPES),
        metadata={
            "description": "sandbox: an opt-out (or opt-in) to any of our numbers applies to all of them, as"
            " Twilio Messaging Services do; number: to that number only. STOPALL always stops every number."
        },
    )
    marketing_requires_opt_in = fields.Boolean(
        load_default=True,
        metadata={"description": "message_type marketing goes only to subscribers with a recorded opt-in"},
    )


@blp.route("", methods=["GET"])
@blp.response(200, SandboxSettingsSchema)
def get_settings() -> Policy:
    """This sandbox's settings (the defaults until saved)."""
    return service.get_sandbox_settings(gateway(), current_scope())


@blp.route("", methods=["PUT"])
@blp.arguments(SandboxSettingsSchema)
@blp.response(200, SandboxSettingsSchema)
def put_settings(data: dict[str, Any]) -> Policy:
    """Replace this sandbox's settings; a setting left out takes its default."""
    return service.replace_sandbox_settings(gateway(), current_scope(), **data)
