"""classify()'s fast path gives exactly what the rules give when evaluated one after another (reference.py).

classify() tokenises ASCII with bytes.translate and skips every rule and clause its start bits rule out; the
reference runs canon(), then every rule on every clause. Both must answer the same category, match, keyword and rule
for every message: the UCI SMS Spam Collection (Almeida & Gómez Hidalgo, UCI Machine Learning Repository, CC BY 4.0;
tests/data/README.md), the labelled opt-out corpus, and messages made of two of those (so that a clause of one can
meet a veto or a context condition in the other), under configurations that change which words are start words.
"""

from __future__ import annotations

import csv
import random
from pathlib import Path

import pytest

from smshooks.keywords import KeywordConfig, classify
from smshooks.keywords.reference import classify_reference

DATA = Path(__file__).parent / "data"

CONFIGS = {
    "default": KeywordConfig.default(),
    "sv+es": KeywordConfig(locale_packs=("sv", "es")),
    "us+sv": KeywordConfig.from_settings({"compliance_profile": "us", "locale_packs": ["sv"]}),
    # multi-word keywords, an opt-out keyword with typos that is no default, revocation terms given to custom
    "custom": KeywordConfig(opt_out=("HALT", "CANCEL", "STOP ALL", "NO MORE"), custom=("REMOVE", "OPTOUT")),
    "exact only": KeywordConfig.default(fuzzy=False),
}

EDGE_CASES = [
    None,
    "",
    " ",
    "🛑",
    "Stop texting me. Reply NO to 12345",  # the veto V2 in a clause that could fire nothing itself
    "Stop texting me\u2028reply stop to 80062",  # a non-ASCII clause break
    "don\u2019t text me",
    "\uff33\uff54\uff4f\uff50 texting me",  # full-width
    "СТОП. Stop texting me",
    "£5 off. No more texts",
    "S T O P",
    "s.t.o.p",
    "BEGIN:VCARD stop END:VCARD",
    "Sluta skicka sms",
    "no más",
    "Too many messages!",
    "Please remove. Thanks.",
]


def _texts() -> list[str | None]:
    lines = (DATA / "SMSSpamCollection").read_text(encoding="utf-8").splitlines()[1:]
    uci = [line.split("\t", 1)[1] for line in lines]
    with (DATA / "optout_corpus.csv").open(encoding="utf-8", newline="") as handle:
        corpus = [row["text"] for row in csv.DictReader(handle)]
    rng = random.Random(20250411)
    pairs = [rng.choice(corpus) + rng.choice([". ", "\n", " ", "! "]) + rng.choice(uci + corpus) for _ in range(1000)]
    return [*EDGE_CASES, *uci, *corpus, *pairs]


TEXTS = _texts()


def _answer(result: object) -> tuple[str, str, str | None, str | None]:
    return (str(result.category), str(result.match), result.keyword, result.rule)  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", list(CONFIGS))
def test_classify_agrees_with_the_reference_on_real_sms(name: str) -> None:
    config = CONFIGS[name]
    differ = [
        (text, _answer(fast), _answer(slow))
        for text in TEXTS
        if (fast := classify(text, config)) != (slow := classify_reference(text, config))
    ]
    assert not differ, f"{len(differ)} messages differ, e.g. {differ[:5]}"
    fuzzy = sum(classify(text, config).rule is not None for text in TEXTS)
    assert name == "exact only" or fuzzy > 300, "the corpus must exercise the fuzzy rules"
