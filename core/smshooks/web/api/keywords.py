"""Keyword configuration of inbound webhooks, and ``/api/v1/keywords/classify``."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, pre_load, validate
from sqlalchemy import select

from smshooks.inbound.pipeline import classify_message, keyword_config
from smshooks.keywords import KeywordConfig, KeywordSettingsSchema, canon
from smshooks.keywords.effective import effective_view
from smshooks.replies.service import reply_ids_named
from smshooks.store.tables import ReplyTemplate, Webhook, utcnow
from smshooks.web.api.base import ApiBlueprint
from smshooks.web.api.scope import get_scoped, scoped
from smshooks.web.context import gateway
from smshooks.web.errors import ApiError

blp = ApiBlueprint(
    "keywords",
    __name__,
    url_prefix="/api/v1",
    description="Keyword categories, fuzzy opt-out and replies of an inbound webhook; classification.",
)


class ClassifyIn(Schema):
    text = fields.String(required=True, validate=validate.Length(max=1600))
    webhook_id = fields.String(load_default=None, allow_none=True)


class ClassifyOut(Schema):
    category = fields.String()
    match = fields.String()
    keyword = fields.String(allow_none=True)
    rule = fields.String(allow_none=True)
    decided_by = fields.String(allow_none=True, metadata={"description": "the smshooks_classify plugin that decided"})
    canonical = fields.String(metadata={"description": "the text as matching sees it"})


class KeywordSettingsIn(KeywordSettingsSchema):
    @pre_load
    def ignore_effective(self, data: Any, **_: Any) -> Any:
        """``effective`` is computed: a GET answer PUT back unchanged is accepted."""
        if isinstance(data, dict) and "effective" in data:
            data = {key: value for key, value in data.items() if key != "effective"}
        return data


class KeywordSettingsOut(KeywordSettingsSchema):
    effective = fields.Dict(
        dump_only=True,
        metadata={
            "description": "per category: the keywords that match, each with its source (default, configured,"
            " locale_pack:<name>, compliance_profile:<name>); default is true where the built-in list applies"
        },
    )


def _with_effective(settings: dict[str, Any]) -> dict[str, Any]:
    return {**settings, "effective": effective_view(settings, KeywordConfig.from_settings(settings))}


@blp.route("/keywords/classify", methods=["POST"])
@blp.arguments(ClassifyIn)
@blp.response(200, ClassifyOut)
def classify_text(data: dict[str, Any]) -> dict[str, Any]:
    """What a text would match under a webhook's keyword configuration (the defaults without one)."""
    config = KeywordConfig.default()
    if data["webhook_id"]:
        with gateway().db.session() as session:
            config = keyword_config(get_scoped(session, Webhook, data["webhook_id"], "webhook"))
    result = classify_message(data["text"], config, gateway().plugins.hook.smshooks_classify)
    return {
        "category": result.category.value,
        "match": result.match.value,
        "keyword": result.keyword,
        "rule": result.rule,
        "decided_by": result.decided_by,
        "canonical": canon(data["text"]),
    }


@blp.route("/webhooks/<webhook_id>/keywords", methods=["GET"])
@blp.response(200, KeywordSettingsOut)
def get_keywords(webhook_id: str) -> dict[str, Any]:
    """The webhook's keyword configuration as saved (the defaults when never saved), every setting filled,
    and ``effective``: the keywords that match, the defaults marked."""
    with gateway().db.session() as session:
        webhook = _inbound_webhook(session, webhook_id)
        stored = webhook.keyword_settings or {}
    try:
        settings = KeywordSettingsSchema().load(stored)  # fills settings added since it was saved
    except ValidationError:
        settings = stored  # saved under older rules: shown as saved
    return _with_effective(settings)


@blp.route("/webhooks/<webhook_id>/keywords", methods=["PUT"])
@blp.arguments(KeywordSettingsIn)
@blp.response(200, KeywordSettingsOut)
def put_keywords(settings: dict[str, Any], webhook_id: str) -> dict[str, Any]:
    """Replace the webhook's keyword configuration; 422 with field messages when invalid."""
    with gateway().db.transaction() as session:
        webhook = _inbound_webhook(session, webhook_id)
        wanted = reply_ids_named(settings)
        if wanted:
            known = set(
                session.execute(
                    select(ReplyTemplate.id).where(*scoped(ReplyTemplate), ReplyTemplate.id.in_(wanted))
                ).scalars()
            )
            missing = sorted(wanted - known)
            if missing:
                raise ApiError(422, "unknown reply ids", details={"reply_id": [f"no such reply: {r}" for r in missing]})
        webhook.keyword_settings = settings
        webhook.updated_at = utcnow()
    return _with_effective(settings)


def _inbound_webhook(session: Any, webhook_id: str) -> Webhook:
    """The webhook, when keyword settings apply to it: a feedback webhook only
    receives delivery reports, so settings saved there would never be used."""
    webhook = get_scoped(session, Webhook, webhook_id, "webhook")
    if webhook.type != "inbound":
        raise ApiError(
            422,
            "keyword settings apply to inbound webhooks only",
            details={"type": [f"this is a {webhook.type} webhook: it receives delivery reports, not messages"]},
        )
    return webhook
