"""Keyword configuration of inbound webhooks, and ``/api/v1/keywords/classify``.

The rules live in :mod:`smshooks.inbound.keyword_settings`; this module parses and answers."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, pre_load, validate

from smshooks.inbound import keyword_settings as service
from smshooks.inbound.keyword_settings import TextClassification
from smshooks.keywords import KeywordSettingsSchema
from smshooks.web.api.base import ApiBlueprint
from smshooks.web.context import current_scope, gateway

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


@blp.route("/keywords/classify", methods=["POST"])
@blp.arguments(ClassifyIn)
@blp.response(200, ClassifyOut)
def classify_text(data: dict[str, Any]) -> TextClassification:
    """What a text would match under a webhook's keyword configuration (the defaults without one)."""
    return service.classify_text(gateway(), current_scope(), data["text"], data["webhook_id"])


@blp.route("/webhooks/<webhook_id>/keywords", methods=["GET"])
@blp.response(200, KeywordSettingsOut)
def get_keywords(webhook_id: str) -> dict[str, Any]:
    """The webhook's keyword configuration as saved (the defaults when never saved), every setting filled,
    and ``effective``: the keywords that match, the defaults marked."""
    return service.get_keyword_settings(gateway(), current_scope(), webhook_id)


@blp.route("/webhooks/<webhook_id>/keywords", methods=["PUT"])
@blp.arguments(KeywordSettingsIn)
@blp.response(200, KeywordSettingsOut)
def put_keywords(settings: dict[str, Any], webhook_id: str) -> dict[str, Any]:
    """Replace the webhook's keyword configuration; 422 with field messages when invalid."""
    return service.replace_keyword_settings(gateway(), current_scope(), webhook_id, settings)
