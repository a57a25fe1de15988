"""keywords.md §6.5: what must NOT count as opt-out, every example, under the default config with fuzzy on."""

from __future__ import annotations

import pytest

from smshooks.keywords import Category, Classification, KeywordConfig, Match, classify

DEFAULT = KeywordConfig.default()
NONE = Classification(Category.NONE, Match.NONE)


def _cases(group: str, texts: list[str]) -> list:
    return [pytest.param(text, id=f"{group}:{text}") for text in texts]


NOT_OPT_OUT = [
    # a keyword as part of another word: tokens are compared whole
    *_cases("part-of-word", ["nonstop", "unstoppable", "stoplight", "weekend", "friend", "endless", "know", "nothing"]),
    # a keyword used as an ordinary word with other content
    *_cases(
        "ordinary-word",
        [
            "I'll stop by the store",
            "bus stop",
            "end of the day",
            "cancel my order",
            "can I cancel my appointment?",
            "I quit smoking",
            "no worries",
            "no problem",
            "Stop and Shop",
        ],
    ),
    # negated keywords
    *_cases("negated", ["I can't stop laughing", "Don't stop the deals", "Please don't cancel"]),
    # declines that are not requests to stop messaging
    *_cases("decline", ["No thanks", "no thank you", "Nope", "nah", "Not interested"]),
    # real words one edit away from a keyword (GUARD)
    *_cases("guard", ["quiet", "quite", "top", "step", "stoop", "stomp", "atop"]),
    # mentions or quotes of the keyword
    *_cases("mention", ["What happens if I reply stop?", "Reply STOP to opt out"]),
    # other languages and scripts without configured keywords
    *_cases("other-language", ["SLUTA", "AVREGISTRERA", "ALTO", "BAJA", "ARRET", "СТОП"]),
    # empty, whitespace-only, punctuation-only, digit-only and non-stop emoji messages
    pytest.param("", id="empty"),
    pytest.param(None, id="None"),
    pytest.param(" \t\r\n ", id="whitespace-only"),
    pytest.param("?!... ,;", id="punctuation-only"),
    pytest.param("12345", id="digit-only"),
    pytest.param("2 4 6", id="spaced-digits"),
    pytest.param("😀👍", id="non-stop-emoji"),
    pytest.param("✋", id="raised-hand"),
    pytest.param("\u200b\ufeff", id="format-characters-only"),
    # also quoted in keywords.md §2-§3 as not opt-outs
    pytest.param("Stop joking around", id="mobile-commons:Stop-joking-around"),
    pytest.param("Please cancel my order!", id="voyage:Please-cancel-my-order"),
    pytest.param("PLEASE CANCEL", id="twilio:PLEASE-CANCEL"),
    pytest.param("Thanks", id="recart:Thanks"),
    pytest.param("Ok", id="recart:Ok"),
]


@pytest.mark.parametrize("text", NOT_OPT_OUT)
def test_not_opt_out(text: str | None) -> None:
    assert classify(text, DEFAULT) == NONE


@pytest.mark.parametrize(
    ("text", "category"),
    [
        pytest.param("UNSTOP", Category.OPT_IN, id="UNSTOP"),
        pytest.param("SUBSCRIBE", Category.OPT_IN, id="SUBSCRIBE"),
        pytest.param("unstop!", Category.OPT_IN, id="unstop-bang"),
    ],
)
def test_opt_in_keywords_that_look_like_opt_out(text: str, category: Category) -> None:
    assert classify(text, DEFAULT).category == category


def test_only_a_bare_no_opts_out() -> None:
    assert classify("NO", DEFAULT) == Classification(Category.OPT_OUT, Match.EXACT, "NO")


@pytest.mark.parametrize("text", ["SLUTA", "AVREGISTRERA"])
def test_swedish_opt_outs_need_configuring(text: str) -> None:
    with_pack = KeywordConfig.from_settings({"locale_packs": ["sv"]})
    assert classify(text, with_pack) == Classification(Category.OPT_OUT, Match.EXACT, text)
