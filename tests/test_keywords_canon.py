"""keywords.md §6.2: the canonical form and the clauses, example by example."""

from __future__ import annotations

import random
import unicodedata

import pytest

from smshooks.keywords import KeywordConfig, canon, classify, clauses

CANON_CASES = [
    pytest.param(None, "", id="None-is-empty"),
    pytest.param("", "", id="empty"),
    pytest.param("   \t\n ", "", id="whitespace-only"),
    # step 1: NFKC
    pytest.param("\uff33\uff34\uff2f\uff30", "stop", id="nfkc-full-width"),
    pytest.param("wait…what", "wait what", id="nfkc-ellipsis"),
    pytest.param("hja\u0308lp", "hjalp", id="nfkc-decomposed-a-umlaut"),
    pytest.param("ﬁne", "fine", id="nfkc-ligature"),
    # step 2: format characters deleted, not spaced
    pytest.param("ST\u200bOP", "stop", id="cf-zero-width-space"),
    pytest.param("ST\u200dOP", "stop", id="cf-zero-width-joiner"),
    pytest.param("\ufeffSTOP", "stop", id="cf-bom"),
    pytest.param("\u202eSTOP\u202c", "stop", id="cf-bidi-marks"),
    # step 3: casefold
    pytest.param("ÄPPLE", "apple", id="casefold-A-umlaut"),
    pytest.param("Straße", "strasse", id="casefold-sharp-s"),
    pytest.param("STRAẞE", "strasse", id="casefold-capital-sharp-s"),
    # step 4: apostrophe-like characters deleted
    pytest.param("don't", "dont", id="apostrophe-u0027"),
    pytest.param("don\u2019t", "dont", id="apostrophe-u2019"),
    pytest.param("don\u2018t", "dont", id="apostrophe-u2018"),
    pytest.param("don\u02bct", "dont", id="apostrophe-u02bc"),
    pytest.param("don\u0060t", "dont", id="apostrophe-u0060"),
    pytest.param("don\u00b4t", "dont", id="apostrophe-u00b4"),
    pytest.param("don\uff07t", "dont", id="apostrophe-full-width"),
    pytest.param("I'll", "ill", id="apostrophe-I'll"),
    # step 5: marks deleted; everything that is not a letter or digit becomes a space
    pytest.param("STOP\ufe0f", "stop", id="mark-variation-selector"),
    pytest.param("stop.", "stop", id="punctuation"),
    pytest.param("STOP!!", "stop", id="punctuation-run"),
    pytest.param("Stop 🛑", "stop", id="emoji"),
    pytest.param("s.t.o.p", "s t o p", id="dotted-letters"),
    pytest.param("S-T-O-P", "s t o p", id="hyphenated-letters"),
    pytest.param("opt-out", "opt out", id="hyphen-is-space"),
    pytest.param("stop\u00a0now", "stop now", id="no-break-space"),
    pytest.param("stop\u3000now", "stop now", id="ideographic-space"),
    pytest.param("stop\tnow\r\n", "stop now", id="tab-and-newline"),
    pytest.param("$100 & 50%", "100 50", id="symbols-and-digits"),
    pytest.param("🛑⛔🚫", "", id="emoji-only"),
    pytest.param("?!...", "", id="punctuation-only"),
    # step 6: diacritics folded on both sides
    pytest.param("fortsätt", "fortsatt", id="fold-fortsatt"),
    pytest.param("hjälp", "hjalp", id="fold-hjalp"),
    pytest.param("FORTSÄTT", "fortsatt", id="fold-upper"),
    pytest.param("Çà é", "ca e", id="fold-latin"),
    # step 7: tokens joined by one space
    pytest.param("  STOP   all  ", "stop all", id="spaces-collapsed"),
    # not done: confusables, spelling correction, stemming
    pytest.param("СТОП", "стоп", id="cyrillic-stays-cyrillic"),
    pytest.param("stpo", "stpo", id="no-spelling-correction"),
    pytest.param("stopped", "stopped", id="no-stemming"),
]


@pytest.mark.parametrize(("text", "expected"), CANON_CASES)
def test_canon(text: str | None, expected: str) -> None:
    assert canon(text) == expected


CLAUSE_CASES = [
    pytest.param("Stop. Thank you", ["stop", "thank you"], id="full-stop"),
    pytest.param("stop! no? yes; ok, fine: bye", ["stop", "no", "yes", "ok", "fine", "bye"], id="every-break"),
    pytest.param("first line\nsecond line\r\nthird", ["first line", "second line", "third"], id="line-breaks"),
    pytest.param("a\u2028b\u2029c", ["a", "b", "c"], id="unicode-line-separators"),
    pytest.param("wait…what", ["wait", "what"], id="nfkc-ellipsis-breaks"),
    pytest.param("STOP\uff01\uff01 please", ["stop", "please"], id="full-width-exclamation-breaks"),
    pytest.param("stop -- now", ["stop now"], id="dash-does-not-break"),
    pytest.param("..., !!", [], id="only-breaks"),
    pytest.param("don't stop", ["dont stop"], id="apostrophe-is-no-break"),
    pytest.param(None, [], id="None"),
]


@pytest.mark.parametrize(("text", "expected"), CLAUSE_CASES)
def test_clauses(text: str | None, expected: list[str]) -> None:
    assert clauses(text) == expected


def _random_texts(count: int) -> list[str]:
    alphabet = "aZ09 .!?;,:\n\t'\u2019\u00b4`-🛑\u200b\ufe0fÄäß\uff33…\u0308\u0418\u0441\u0442\u043e\u043fΣ中\u2028"
    rng = random.Random(62)
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 24))) for _ in range(count)]


def test_canon_is_the_clauses_laid_end_to_end() -> None:
    # classify() relies on this: one pass gives both
    for text in _random_texts(1000):
        assert canon(text) == " ".join(clauses(text)), ascii(text)


def test_canon_is_idempotent() -> None:
    for text in _random_texts(1000):
        assert canon(canon(text)) == canon(text), ascii(text)


@pytest.mark.parametrize(
    ("text", "keyword"),
    [
        pytest.param("FORTSATT", "FORTSÄTT", id="FORTSATT-matches-FORTSÄTT"),
        pytest.param("hjalp", "HJÄLP", id="hjalp-matches-HJÄLP"),
        pytest.param("Hjälp!", "HJÄLP", id="Hjälp-matches-HJÄLP"),
    ],
)
def test_folding_applies_to_both_sides(text: str, keyword: str) -> None:
    assert classify(text, KeywordConfig.default()).keyword == keyword


def _reference_canon(text: str | None) -> str:
    """§6.2 step by step, slow and literal: what the fast canon() must equal.

    One deliberate deviation, also in canon(): U+00B4 is deleted before NFKC, which would otherwise turn it into a
    space and a combining accent before step 4 could delete it ("don\u00b4t" -> "don t" instead of "dont").
    """
    if text is None:
        return ""
    category = unicodedata.category
    text = unicodedata.normalize("NFKC", text.replace("\u00b4", ""))  # 1
    text = "".join(char for char in text if category(char) != "Cf")  # 2
    text = text.casefold()  # 3
    text = "".join(char for char in text if char not in "\u0027\u2019\u2018\u02bc\u0060\u00b4")  # 4
    text = "".join("" if category(char)[0] == "M" else char if category(char)[0] in "LN" else " " for char in text)  # 5
    text = "".join(char for char in unicodedata.normalize("NFD", text) if category(char)[0] != "M")  # 6
    return " ".join(text.split())  # 7


def _code_point_sample(count: int) -> list[str]:
    rng = random.Random(1)
    points = [rng.randrange(0x20, 0x30000) for _ in range(count)]
    return [chr(point) for point in points if not 0xD800 <= point <= 0xDFFF]


@pytest.mark.parametrize("chunk", range(10))
def test_canon_equals_the_literal_steps(chunk: int) -> None:
    # 2,000 random code points in a word context, and 300 random strings mixing them with the tricky characters
    for char in _code_point_sample(2000)[chunk::10]:
        text = f"Ab{char}c d"
        assert canon(text) == _reference_canon(text), hex(ord(char))
    rng = random.Random(chunk)
    alphabet = [*_code_point_sample(200), *"aZ9 .!'\u2019\u00b4\u200b\ufe0f\u0308\uff07Äß"]
    for _ in range(30):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 20)))
        assert canon(text) == _reference_canon(text), ascii(text)
