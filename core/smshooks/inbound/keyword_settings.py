"""An inbound webhook's keyword settings, and what a text would match under them.

Framework-free: the admin API and the console call these with a :class:`~smshooks.scope.Scope` and
the :class:`~smshooks.gateway.Gateway`; refusals are :mod:`smshooks.errors`. The settings' own rules
are :class:`smshooks.keywords.KeywordSettingsSchema`'s; classification is the inbound pipeline's own
(:func:`smshooks.inbound.keyword_config.classify_message`, with the ``smshooks_classify`` plugins), so
a preview here matches what a real message gets.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from marshmallow import ValidationError
from sqlalchemy.orm import Session

from smshooks.errors import INVALID_FIELDS, Invalid
from smshooks.gateway import Gateway
from smshooks.inbound.keyword_config import classify_message, keyword_config
from smshooks.keywords import KeywordConfig, KeywordSettingsSchema, canon
from smshooks.keywords.effective import effective_view
from smshooks.replies.service import reply_ids_named, unknown_reply_ids
from smshooks.scope import Scope
from smshooks.store.scoped import get_scoped
from smshooks.store.tables import Webhook, utcnow


@dataclass(frozen=True)
class TextClassification:
    """What a text matches: the category, how (exact, fuzzy...), the keyword and rule that decided,
    the ``smshooks_classify`` plugin that decided (None: the built-in rules), the canonical text."""

    category: str
    match: str
    keyword: str | None
    rule: str | None
    decided_by: str | None
    canonical: str


def classify_text(gw: Gateway, scope: Scope, text: str, webhook_id: str | None = None) -> TextClassification:
    """What ``text`` would match under the keyword configuration of the webhook ``webhook_id``
    (the defaults without one); :class:`NotFound` for a webhook outside ``scope``."""
    config = KeywordConfig.default()
    if webhook_id:
        with gw.db.session() as session:
            config = keyword_config(get_scoped(session, Webhook, webhook_id, scope, "webhook"))
    result = classify_message(text, config, gw.plugins.hook.smshooks_classify)
    return TextClassification(
        category=result.category.value,
        match=result.match.value,
        keyword=result.keyword,
        rule=result.rule,
        decided_by=result.decided_by,
        canonical=canon(text),
    )


def parse_keyword_settings(settings: Mapping[str, Any]) -> dict[str, Any]:
    """``settings`` as :class:`KeywordSettingsSchema` loads them (every default filled), or
    :class:`Invalid` with its field messages. A settings dict this returns loads to itself."""
    try:
        return KeywordSettingsSchema().load(dict(settings))
    except ValidationError as exc:
        messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
        raise Invalid(INVALID_FIELDS, details=messages) from None


def get_keyword_settings(gw: Gateway, scope: Scope, webhook_id: str) -> dict[str, Any]:
    """The inbound webhook's keyword settings as saved (the defaults when never saved), every
    setting filled, plus ``effective``: per category the keywords that match and their source.
    :class:`NotFound` outside ``scope``; :class:`Invalid` for a feedback webhook."""
    with gw.db.session() as session:
        stored = _inbound_webhook(session, scope, webhook_id).keyword_settings or {}
    try:
        settings = KeywordSettingsSchema().load(stored)  # fills settings added since it was saved
    except ValidationError:
        settings = stored  # saved under older rules: shown as saved
    return with_effective(settings)


def replace_keyword_settings(gw: Gateway, scope: Scope, webhook_id: str, settings: Mapping[str, Any]) -> dict[str, Any]:
    """Replace the inbound webhook's keyword settings (validated by :func:`parse_keyword_settings`;
    every reply id they name must be a reply of ``scope``); answers them as :func:`get_keyword_settings`."""
    settings = parse_keyword_settings(settings)
    with gw.db.transaction() as session:
        webhook = _inbound_webhook(session, scope, webhook_id)
        missing = unknown_reply_ids(session, scope, reply_ids_named(settings))
        if missing:
            raise Invalid("unknown reply ids", details={"reply_id": [f"no such reply: {r}" for r in missing]})
        webhook.keyword_settings = settings
        webhook.updated_at = utcnow()
    return with_effective(settings)


def with_effective(settings: Mapping[str, Any]) -> dict[str, Any]:
    """``settings`` plus ``effective`` (:func:`smshooks.keywords.effective.effective_view`)."""
    return {**settings, "effective": effective_view(settings, KeywordConfig.from_settings(settings))}


def _inbound_webhook(session: Session, scope: Scope, webhook_id: str) -> Webhook:
    """The webhook whose keyword settings are read or set: of either type, since a message a vendor
    posts to a delivery-report webhook (Sinch uses one URL for both) is classified too, and a
    tenant's ``us`` profile or opt-out words must apply to it as well."""
    return get_scoped(session, Webhook, webhook_id, scope, "webhook")
