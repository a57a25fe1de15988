"""Plugins refine or veto a fuzzy decision: apply ``smshooks_classify`` hook verdicts to a Classification.

The built-in rules stay the default. A plugin (say a small local model) is asked only when the fuzzy layer is on
and nothing matched exactly; it answers with a Classification or None (no opinion). The first plugin to answer, in
pluggy's call order, decides. Its verdict may only be a fuzzy opt-out (catch a revocation the rules missed) or no
match (veto a fuzzy opt-out); anything else is ignored with a warning, so no plugin can turn a reply into an opt-in
or override an exact keyword (keywords.md §6.4: a third layer "must never override an exact match"). A verdict that
agrees with the rules changes nothing; one that disagrees is returned with ``decided_by`` naming the plugin, so the
audit trail says who decided. A plugin that raises is logged and skipped.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from smshooks.keywords.config import KeywordConfig
from smshooks.keywords.model import Category, Classification, Match

log = logging.getLogger(__name__)

#: the rule recorded for a plugin's decision when it names none; stored rules are at most 8 characters
HOOK_RULE = "HOOK"
RULE_MAX_LENGTH = 8

_ALLOWED = {(Category.OPT_OUT, Match.FUZZY), (Category.NONE, Match.NONE)}


def apply_verdict(result: Classification, verdict: Classification, plugin: str) -> Classification:
    """``result`` after one plugin's ``verdict``: unchanged when they agree or the verdict is not allowed, else the
    verdict with ``decided_by=plugin``."""
    if result.match is Match.EXACT:
        return result
    if not isinstance(verdict, Classification) or (verdict.category, verdict.match) not in _ALLOWED:
        log.warning("smshooks_classify of %s returned %r; only a fuzzy opt-out or no match is allowed", plugin, verdict)
        return result
    if (verdict.category, verdict.match) == (result.category, result.match):
        return result
    rule = verdict.rule or HOOK_RULE
    if len(rule) > RULE_MAX_LENGTH:
        log.warning("smshooks_classify of %s: rule %r is longer than %d characters", plugin, rule, RULE_MAX_LENGTH)
        rule = HOOK_RULE
    keyword = verdict.keyword if verdict.category is Category.OPT_OUT else None
    return replace(verdict, keyword=keyword, rule=rule, decided_by=plugin)


def apply_classify_hooks(text: str | None, config: KeywordConfig, result: Classification, hook: Any) -> Classification:
    """Ask the ``smshooks_classify`` implementations of ``hook`` (a pluggy HookCaller, ``pm.hook.smshooks_classify``)
    about ``result``, the built-in classification of ``text`` under ``config``, and apply the first answer.

    Not asked when fuzzy matching is off or the match is exact: those stay exactly what the keywords say.
    """
    if not config.fuzzy_enabled or result.match is Match.EXACT:
        return result
    arguments = {"text": text, "config": config, "result": result}
    # pluggy calls the last registered implementation first (tryfirst/trylast already sorted into the list)
    for impl in reversed(hook.get_hookimpls()):
        try:
            verdict = impl.function(*(arguments[name] for name in impl.argnames))
        except Exception:
            log.exception("smshooks_classify of %s failed; the built-in decision stands", impl.plugin_name)
            continue
        if verdict is not None:
            return apply_verdict(result, verdict, impl.plugin_name)
    return result
