"""A webhook's keyword configuration, and classifying a text under it (rules, then plugins)."""

from __future__ import annotations

import json
import weakref
from functools import lru_cache
from typing import Any

from smshooks.keywords import Classification, KeywordConfig, classify
from smshooks.keywords.hooks import apply_classify_hooks
from smshooks.store.tables import Webhook


@lru_cache(maxsize=512)
def _config_from_json(settings_json: str) -> KeywordConfig:
    return KeywordConfig.from_settings(json.loads(settings_json))


#: webhook -> (its keyword settings, their config): the vendor path asks three times per message, of the
#: webhook the config cache holds (an ORM object, shared and never changed while cached)
_BY_WEBHOOK: weakref.WeakKeyDictionary[Webhook, tuple[Any, KeywordConfig]] = weakref.WeakKeyDictionary()


def keyword_config(webhook: Webhook) -> KeywordConfig:
    """The webhook's keyword configuration (built once per distinct settings)."""
    settings = webhook.keyword_settings
    if not settings:
        return KeywordConfig.default()
    known = _BY_WEBHOOK.get(webhook)
    if known is not None and known[0] is settings:
        return known[1]
    config = _config_from_json(json.dumps(settings, sort_keys=True))
    _BY_WEBHOOK[webhook] = (settings, config)
    return config


def classify_message(text: str, config: KeywordConfig, classify_hook: Any = None) -> Classification:
    """The built-in rules' classification of ``text``, refined by the ``smshooks_classify``
    plugins of ``classify_hook`` (``pm.hook.smshooks_classify``) when given."""
    result = classify(text, config)
    return result if classify_hook is None else apply_classify_hooks(text, config, result, classify_hook)
