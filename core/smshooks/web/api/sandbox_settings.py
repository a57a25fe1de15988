"""``/api/v1/sandbox-settings``: how consent applies in this organisation + sandbox."""

from __future__ import annotations

from typing import Any

from flask import g
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from smshooks.consent.sandbox_policy import CONSENT_SCOPES, Policy, sandbox_settings
from smshooks.store.tables import SandboxSettings, utcnow
from smshooks.store.upsert import insert_once
from smshooks.web.api.base import ApiBlueprint
from smshooks.web.context import gateway

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


def _answer(policy: Policy) -> dict[str, Any]:
    return {"consent_scope": policy.consent_scope, "marketing_requires_opt_in": policy.marketing_requires_opt_in}


@blp.route("", methods=["GET"])
@blp.response(200, SandboxSettingsSchema)
def get_settings() -> dict[str, Any]:
    """This sandbox's settings (the defaults until saved)."""
    with gateway().db.session() as session:
        return _answer(sandbox_settings(session, g.org, g.sandbox))


@blp.route("", methods=["PUT"])
@blp.arguments(SandboxSettingsSchema)
@blp.response(200, SandboxSettingsSchema)
def put_settings(data: dict[str, Any]) -> dict[str, Any]:
    """Replace this sandbox's settings; a setting left out takes its default."""
    now = utcnow()
    with gateway().db.transaction() as session:
        key = {"org": g.org, "sandbox": g.sandbox}
        insert_once(session, SandboxSettings, {**key, **data, "updated_at": now}, key=list(key))
        row = session.execute(select(SandboxSettings).filter_by(**key)).scalar_one()
        row.consent_scope = data["consent_scope"]
        row.marketing_requires_opt_in = data["marketing_requires_opt_in"]
        row.updated_at = now
        return _answer(sandbox_settings(session, g.org, g.sandbox))
