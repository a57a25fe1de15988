"""keywords.md §6.4: the fuzzy opt-out layer, rule by rule, with every example of the section (and the
fuzzy examples quoted elsewhere in keywords.md)."""

from __future__ import annotations

import pytest

from smshooks.keywords import Category, Classification, KeywordConfig, Match, canon, classify
from smshooks.keywords.guard import guard_words
from smshooks.keywords.lexicon import GUARD
from smshooks.keywords.typos import is_typo

DEFAULT = KeywordConfig.default()
NONE = Classification(Category.NONE, Match.NONE)


def fuzzy(rule: str, keyword: str | None) -> Classification:
    return Classification(Category.OPT_OUT, Match.FUZZY, keyword, rule)


TYPOS = [
    # (a) one edit: swap, insertion, deletion, neighbour key, vowel for vowel
    pytest.param("stpo", "STOP", id="stpo-swap"),
    pytest.param("sotp", "STOP", id="sotp-swap"),
    pytest.param("stp", "STOP", id="stp-missing-letter"),
    pytest.param("stopp", "STOP", id="stopp-extra-letter"),
    pytest.param("stip", "STOP", id="stip-vowel"),
    pytest.param("dtop", "STOP", id="dtop-neighbour-key"),
    pytest.param("srop", "STOP", id="srop-neighbour-key"),
    pytest.param("cancle", "CANCEL", id="cancle-swap"),
    pytest.param("CANCIL", "CANCEL", id="CANCIL-vowel"),
    pytest.param("cancek", "CANCEL", id="cancek-neighbour-key"),
    pytest.param("qiut", "QUIT", id="qiut-swap"),
    pytest.param("quitt", "QUIT", id="quitt-extra-letter"),
    # (b) 8+ letters: OSA <= 2 with the same first letter
    pytest.param("unsubscibe", "UNSUBSCRIBE", id="unsubscibe"),
    pytest.param("unsubscribed", "UNSUBSCRIBE", id="unsubscribed"),
    pytest.param("unsbuscrbie", "UNSUBSCRIBE", id="unsubscribe-two-swaps"),
    # (c) runs of 3+ letters squeezed
    pytest.param("STOPPPP", "STOP", id="STOPPPP-squeezed"),
    pytest.param("sssstop", "STOP", id="sssstop-squeezed"),
    pytest.param("stooop", "STOP", id="stooop-squeezed"),
    pytest.param("quuuitt", "QUIT", id="squeezed-then-one-edit"),
]


@pytest.mark.parametrize(("token", "keyword"), TYPOS)
def test_typos_are_fuzzy_single_tokens(token: str, keyword: str) -> None:
    assert classify(token, DEFAULT) == fuzzy("F3", keyword)


NOT_TYPOS = [
    pytest.param("subscribe", Classification(Category.OPT_IN, Match.EXACT, "SUBSCRIBE"), id="subscribe-first-letter"),
    pytest.param("stoppa", NONE, id="stoppa-too-far"),
    pytest.param("cancelled", NONE, id="cancelled-too-far"),
    pytest.param("shop", NONE, id="shop-not-a-neighbour"),
    pytest.param("cancer", NONE, id="cancer-not-a-neighbour"),
    pytest.param("send", NONE, id="send-END-has-no-typos"),
    pytest.param("ned", NONE, id="ned-END-has-no-typos"),
    pytest.param("nope", NONE, id="nope-NO-has-no-typos"),
    pytest.param("noooo", NONE, id="noooo-NO-has-no-typos"),
    pytest.param("st0p", NONE, id="digit-is-no-neighbour"),
    pytest.param("stepppp", NONE, id="squeezed-guard-word"),
    pytest.param("subscibe", NONE, id="typo-of-opt-in-keyword"),
    pytest.param("unsuscrbed", NONE, id="three-edits"),
]


@pytest.mark.parametrize(("token", "expected"), NOT_TYPOS)
def test_not_typos(token: str, expected: Classification) -> None:
    assert classify(token, DEFAULT) == expected
    for key, _ in DEFAULT.tables.typo_targets:
        assert not is_typo(canon(token), key, DEFAULT.tables.excluded)


@pytest.mark.parametrize("word", sorted(GUARD))
def test_guard_words_are_not_typos(word: str) -> None:
    assert classify(word, DEFAULT) == NONE
    assert classify(f"please {word}", DEFAULT) == NONE


def test_guard_is_recomputed_from_the_word_list() -> None:
    # The spec's GUARD is what the shipped US English list gives for the default keywords, minus inflections.
    recomputed = set().union(*(guard_words(key) for key in ("stop", "quit", "cancel", "unsubscribe")))
    assert recomputed == GUARD
    assert guard_words("end") == guard_words("no") == frozenset()  # no typo expansion below 4 letters


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("hakt", fuzzy("F3", "HALT"), id="typo-of-custom-keyword"),
        pytest.param("halts", fuzzy("F3", "HALT"), id="inflection-is-a-typo"),
        pytest.param("hilt", NONE, id="recomputed-guard-vowel"),
        pytest.param("hat", NONE, id="recomputed-guard-deletion"),
        pytest.param("shalt", NONE, id="recomputed-guard-insertion"),
        pytest.param("stpo", NONE, id="STOP-replaced-so-no-STOP-typos"),
        pytest.param("halt texting me", fuzzy("F4", "HALT"), id="custom-keyword-head-rule"),
    ],
)
def test_guard_for_a_custom_keyword(text: str, expected: Classification) -> None:
    config = KeywordConfig(opt_out=("HALT",))
    assert {"hilt", "hat", "shalt", "alt"} <= config.tables.guard
    assert classify(text, config) == expected


F1_CASES = [
    pytest.param("🛑", fuzzy("F1", None), id="stop-sign"),
    pytest.param("⛔", fuzzy("F1", None), id="no-entry"),
    pytest.param("🚫", fuzzy("F1", None), id="prohibited"),
    pytest.param("⛔\ufe0f", fuzzy("F1", None), id="no-entry-with-variation-selector"),
    pytest.param(" 🛑 🛑\n🚫 ", fuzzy("F1", None), id="several-with-whitespace"),
    pytest.param("🛑\u200d🚫", fuzzy("F1", None), id="zero-width-joiner"),
    pytest.param("✋", NONE, id="raised-hand-excluded"),
    pytest.param("🛑✋", NONE, id="with-another-emoji"),
    pytest.param("🛑!", NONE, id="with-punctuation"),
    pytest.param("🛑 please", NONE, id="with-a-word"),
]


@pytest.mark.parametrize(("text", "expected"), F1_CASES)
def test_f1_stop_emoji(text: str, expected: Classification) -> None:
    assert classify(text, DEFAULT) == expected


F2_CASES = [
    pytest.param("S T O P", fuzzy("F2", "STOP"), id="S-T-O-P-spaces"),
    pytest.param("s.t.o.p", fuzzy("F2", "STOP"), id="s.t.o.p"),
    pytest.param("S-T-O-P", fuzzy("F2", "STOP"), id="S-T-O-P-hyphens"),
    pytest.param("s t p o", fuzzy("F2", "STOP"), id="spelt-out-typo"),
    pytest.param("Q U I T", fuzzy("F2", "QUIT"), id="spelt-out-QUIT"),
    pytest.param("E.N.D", fuzzy("F2", "END"), id="spelt-out-END"),
    pytest.param("u n s u b", fuzzy("F2", "UNSUB"), id="spelt-out-revocation-term"),
    pytest.param("N O", NONE, id="two-letters-are-not-enough"),
    pytest.param("H E L P", NONE, id="spelt-out-HELP-is-not-opt-out"),
    pytest.param("Y E S", NONE, id="spelt-out-YES"),
    pytest.param("1 2 3", NONE, id="spelt-out-digits"),
]


@pytest.mark.parametrize(("text", "expected"), F2_CASES)
def test_f2_letter_spaced(text: str, expected: Classification) -> None:
    assert classify(text, DEFAULT) == expected


F3_CASES = [
    pytest.param("stpo", fuzzy("F3", "STOP"), id="stpo"),
    pytest.param("Stpo", fuzzy("F3", "STOP"), id="Stpo-braze"),
    pytest.param("SOTP", fuzzy("F3", "STOP"), id="SOTP-klaviyo"),
    pytest.param("Dtop", fuzzy("F3", "STOP"), id="Dtop-recart"),
    pytest.param("CANCIL", fuzzy("F3", "CANCEL"), id="CANCIL"),
    pytest.param("Cancela", fuzzy("F3", "CANCEL"), id="Cancela"),
    pytest.param("unsub", fuzzy("F3", "UNSUB"), id="unsub"),
    pytest.param("REVOKE", fuzzy("F3", "REVOKE"), id="REVOKE"),
    pytest.param("Remove", fuzzy("F3", "REMOVE"), id="Remove-ambiguity-does-not-matter"),
    pytest.param("optout!", fuzzy("F3", "OPTOUT"), id="optout"),
    pytest.param("STOPALL", fuzzy("F3", "STOPALL"), id="STOPALL"),
    pytest.param("stpo!!! 🛑", fuzzy("F3", "STOP"), id="typo-with-punctuation-and-emoji"),
]


@pytest.mark.parametrize(("text", "expected"), F3_CASES)
def test_f3_single_token(text: str, expected: Classification) -> None:
    assert classify(text, DEFAULT) == expected


F4_CASES = [
    pytest.param("Stop texting me", fuzzy("F4", "STOP"), id="Stop-texting-me"),
    pytest.param("could you please stop texting me", fuzzy("F4", "STOP"), id="could-you-please-stop-texting-me"),
    pytest.param(
        "Stop sending me these stupid texts I never signed up for this",
        fuzzy("F4", "STOP"),
        id="long-clause-with-head-trigger",
    ),
    pytest.param("End texts", fuzzy("F4", "END"), id="End-texts"),
    pytest.param("Hey, can you stop texting me?", fuzzy("F4", "STOP"), id="second-clause-head"),
    pytest.param("pls stpo sending msgs", fuzzy("F4", "STOP"), id="typo-as-head"),
    pytest.param("Quit calling", fuzzy("F4", "QUIT"), id="quit-calling"),
    pytest.param("Stop by anytime", NONE, id="Stop-by-anytime"),
    pytest.param("Cancel texts", fuzzy("F5", "CANCEL"), id="ambiguous-head-is-not-F4"),
]


@pytest.mark.parametrize(("text", "expected"), F4_CASES)
def test_f4_head_rule(text: str, expected: Classification) -> None:
    assert classify(text, DEFAULT) == expected


F5_CASES = [
    pytest.param("Leave me alone", fuzzy("F5", None), id="phrase-leave-me-alone"),
    pytest.param("You have the wrong number", fuzzy("F5", None), id="phrase-wrong-number"),
    pytest.param("Please don't text me again", fuzzy("F5", None), id="phrase-dont-text"),
    pytest.param("Please remove me from your list", fuzzy("F5", "REMOVE ME"), id="bigram-remove-me"),
    pytest.param("How do I opt out?", fuzzy("F5", "OPT OUT"), id="bigram-opt-out"),
    pytest.param("please stop", fuzzy("F5", "STOP"), id="please-stop"),
    pytest.param("STOP ALL please", fuzzy("F5", "STOP ALL"), id="STOP-ALL-please"),
    pytest.param("Stop. Thank you", fuzzy("F5", "STOP"), id="Stop.-Thank-you"),
    pytest.param("STOP STOP STOP", fuzzy("F5", "STOP"), id="STOP-STOP-STOP"),
    pytest.param("unsubscribe me", fuzzy("F5", "UNSUBSCRIBE"), id="unsubscribe-me"),
    pytest.param("how do I stop these texts", fuzzy("F5", "STOP"), id="how-do-I-stop-these-texts"),
    pytest.param(
        "I replied STOP but you keep texting me", fuzzy("F5", "STOP"), id="I-replied-STOP-but-you-keep-texting-me"
    ),
    pytest.param("No more texts", fuzzy("F5", "NO"), id="No-more-texts"),
    pytest.param("Please no more messages", fuzzy("F5", "NO"), id="Please-no-more-messages"),
    pytest.param("Cancel my subscription", fuzzy("F5", "CANCEL"), id="Cancel-my-subscription"),
    pytest.param("Cancel all", fuzzy("F5", "CANCEL"), id="Cancel-all"),
    pytest.param("I quit", fuzzy("F5", "QUIT"), id="I-quit"),
    pytest.param("Please stopppp", fuzzy("F5", "STOP"), id="Please-stopppp"),
    pytest.param("stop the texts", fuzzy("F5", "STOP"), id="article-before-messaging-word"),
    pytest.param("Thanks for the info. Please stop now", fuzzy("F5", "STOP"), id="second-clause"),
    # Not:
    pytest.param("No thanks", NONE, id="not-No-thanks"),
    pytest.param("no need", NONE, id="not-no-need"),
    pytest.param("Please cancel", NONE, id="not-Please-cancel"),
    pytest.param("cancel it", NONE, id="not-cancel-it"),
    pytest.param("Cancel my order", NONE, id="not-Cancel-my-order"),
    pytest.param("I quit smoking", NONE, id="not-I-quit-smoking"),
    pytest.param("remove it", NONE, id="not-remove-it"),
    pytest.param("stop the car", NONE, id="not-article-before-other-word"),
    # articles count only directly before a MESSAGING token, even before otherwise ALLOWED words
    pytest.param("Stop the", NONE, id="not-article-at-the-end"),
    pytest.param("Stop the bs", NONE, id="not-article-before-expletive"),
    pytest.param("please please please please please please please please stop", NONE, id="not-over-8-tokens"),
    pytest.param("oh and by the way you have the wrong number for my mom", NONE, id="not-phrase-in-long-clause"),
]


@pytest.mark.parametrize(("text", "expected"), F5_CASES)
def test_f5_short_clause(text: str, expected: Classification) -> None:
    assert classify(text, DEFAULT) == expected


ACCEPTED_FALSE_POSITIVES = [
    # "Stop! You are the best" was listed here by keywords.md §6.4; the context condition of docs/keywords.md §3.3
    # (a bare trigger clause counts only when the other clauses stay on topic) now leaves it alone, see
    # FORMER_FALSE_POSITIVES below.
    pytest.param("It wont stop", fuzzy("F5", "STOP"), id="It-wont-stop"),
    pytest.param("Stop sending the invoice to my old email", fuzzy("F4", "STOP"), id="Stop-sending-the-invoice"),
]


@pytest.mark.parametrize(("text", "expected"), ACCEPTED_FALSE_POSITIVES)
def test_known_accepted_false_positives(text: str, expected: Classification) -> None:
    assert classify(text, DEFAULT) == expected


FORMER_FALSE_POSITIVES = [
    pytest.param("Stop! You are the best", id="Stop!-You-are-the-best"),
]


@pytest.mark.parametrize("text", FORMER_FALSE_POSITIVES)
def test_former_accepted_false_positives_are_none_now(text: str) -> None:
    assert classify(text, DEFAULT) == NONE


KNOWN_MISSES = [
    pytest.param("I have asked you so many times to take my number out of your system", id="long-complaint"),
    pytest.param("Snälla sluta skicka sms", id="swedish-without-pack"),
]


@pytest.mark.parametrize("text", KNOWN_MISSES)
def test_known_misses(text: str) -> None:
    assert classify(text, DEFAULT) == NONE


def test_revocation_terms_configured_in_another_category_are_not_triggers() -> None:
    config = KeywordConfig(custom=("REMOVE",))
    assert classify("remove", config) == Classification(Category.CUSTOM, Match.EXACT, "REMOVE")
    assert classify("remove the texts", config) == NONE
    assert classify("remove the texts", DEFAULT) == fuzzy("F5", "REMOVE")


def test_multi_word_opt_out_keyword_is_one_trigger() -> None:
    config = KeywordConfig(opt_out=("STOP", "OPT OUT", "TAKE ME OFF THE LIST"))
    assert classify("opt out", config) == Classification(Category.OPT_OUT, Match.EXACT, "OPT OUT")
    assert classify("please opt out", config) == fuzzy("F5", "OPT OUT")
    assert classify("opt out texts", config) == fuzzy("F4", "OPT OUT")
    assert classify("please take me off the list now", config) == fuzzy("F5", None)  # the built-in phrase fires first
