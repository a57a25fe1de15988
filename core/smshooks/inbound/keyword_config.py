"""A webhook's keyword configuration, and classifying a text under it (rules, then plugins)."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from smshooks.keywords import Classification, KeywordConfig, classify
from smshooks.keywords.hooks import apply_classify_hooks
from smshooks.store.tables import Webhook


@lru_cache(maxsize=512)
def _config_from_json(settings_json: str) -> KeywordConfig:
    return KeywordConfig.from_settings(json.loads(settings_json))


def keyword_config(webhook: Webhook) -> KeywordConfig:
    """The webhook's keyword configuration (built once per distinct settings)."""
    if not webhook.keyword_settings:
        return KeywordConfig.default()
    return _config_from_json(json.dumps(webhook.keyword_settings, sort_keys=True))


def classify_message(text: str, config: KeywordConfig, classify_hook: Any = None) -> Classification:
    """The built-in rules' classification of ``text``, refined by the ``smshooks_classify``
    plugins of ``classify_hook`` (``pm.hook.smshooks_classify``) when given."""
    result = classify(text, config)
    return result if classify_hook is None else apply_classify_hooks(text, config, result, classify_hook)
