"""The smshooks_classify hook: a plugin refines or vetoes a fuzzy decision; the audit names the plugin.

Tiny plugins registered on a real pluggy PluginManager with the project's hookspecs; apply_classify_hooks is what
the pipeline calls after classify().
"""

from __future__ import annotations

import logging

import pluggy
import pytest

from smshooks import hookspecs
from smshooks.hookspecs import hookimpl
from smshooks.keywords import NO_MATCH, Category, Classification, KeywordConfig, Match, apply_classify_hooks, classify

DEFAULT = KeywordConfig.default()
MISSED = "I have asked you so many times to take my number out of your system"  # a known miss of the rules


class TinyModel:
    """A stand-in for a small local model: knows one missed revocation and one false alarm."""

    def __init__(self) -> None:
        self.asked: list[str | None] = []

    @hookimpl
    def smshooks_classify(self, text, config, result):
        self.asked.append(text)
        if text == MISSED:
            return Classification(Category.OPT_OUT, Match.FUZZY, rule="MODEL")
        if text == "It wont stop":  # keywords.md §6.4 lists it as an accepted false positive
            return NO_MATCH
        return None


class Agrees:
    @hookimpl
    def smshooks_classify(self, result):  # a hook may take only the arguments it needs
        return result


class Broken:
    @hookimpl
    def smshooks_classify(self, text):
        raise RuntimeError("model file missing")


class Greedy:
    """Tries what no plugin may: an opt-in, and a rule too long to store."""

    @hookimpl
    def smshooks_classify(self, text):
        if text == "yes please":
            return Classification(Category.OPT_IN, Match.FUZZY, "YES", "MODEL")
        return Classification(Category.OPT_OUT, Match.FUZZY, rule="a-rule-name-far-too-long")


def manager(*plugins: tuple[str, object]) -> pluggy.PluginManager:
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    for name, plugin in plugins:
        pm.register(plugin, name=name)
    pm.check_pending()
    return pm


def decide(text: str, pm: pluggy.PluginManager, config: KeywordConfig = DEFAULT) -> Classification:
    return apply_classify_hooks(text, config, classify(text, config), pm.hook.smshooks_classify)


def test_a_plugin_catches_a_missed_revocation_and_is_named() -> None:
    assert classify(MISSED, DEFAULT) == NO_MATCH
    result = decide(MISSED, manager(("tinymodel", TinyModel())))
    assert result == Classification(Category.OPT_OUT, Match.FUZZY, None, "MODEL", decided_by="tinymodel")


def test_a_plugin_vetoes_a_fuzzy_opt_out_and_is_named() -> None:
    assert classify("It wont stop", DEFAULT).rule == "F5"
    result = decide("It wont stop", manager(("tinymodel", TinyModel())))
    assert result == Classification(Category.NONE, Match.NONE, None, "HOOK", decided_by="tinymodel")


@pytest.mark.parametrize("text", ["Stop texting me", "See you at the end of the day", "STOP", "HELP"])
def test_no_opinion_or_agreement_keeps_the_built_in_decision(text: str) -> None:
    pm = manager(("tinymodel", TinyModel()), ("agrees", Agrees()))
    assert decide(text, pm) == classify(text, DEFAULT)
    assert decide(text, pm).decided_by is None


def test_exact_matches_and_exact_mode_are_never_put_to_plugins() -> None:
    model = TinyModel()
    pm = manager(("tinymodel", model))
    assert decide("STOP", pm) == Classification(Category.OPT_OUT, Match.EXACT, "STOP")
    assert decide("yes", pm).category is Category.OPT_IN
    exact_only = KeywordConfig.default(fuzzy=False)
    assert decide(MISSED, pm, exact_only) == NO_MATCH
    assert model.asked == []


def test_the_first_plugin_in_call_order_decides() -> None:
    # pluggy calls the last registered first: Greedy answers before TinyModel is asked
    model = TinyModel()
    result = decide(MISSED, manager(("tinymodel", model), ("greedy", Greedy())))
    assert (result.decided_by, result.rule) == ("greedy", "HOOK")  # the over-long rule is replaced
    assert model.asked == []


def test_a_failing_plugin_is_skipped(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR, logger="smshooks.keywords.hooks"):
        result = decide(MISSED, manager(("tinymodel", TinyModel()), ("broken", Broken())))
    assert result.decided_by == "tinymodel"
    assert "smshooks_classify of broken failed" in caplog.text
    assert decide("Stop texting me", manager(("broken", Broken()))) == classify("Stop texting me", DEFAULT)


def test_a_plugin_cannot_produce_another_category(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="smshooks.keywords.hooks"):
        result = decide("yes please", manager(("greedy", Greedy())))
    assert result == NO_MATCH and result.decided_by is None
    assert "only a fuzzy opt-out or no match is allowed" in caplog.text
