"""The fuzzy opt-out rules measured on real replies (tests/data/optout_corpus.csv, see tests/data/README.md) and on
real person-to-person SMS (the UCI SMS Spam Collection), against the bars of the issue that asked for them:

* opt-out recall >= 97 % over all labelled opt-outs, >= 95 % over the court-quoted ones;
* false opt-outs <= 1 % of the labelled hard negatives;
* false opt-outs <= 0.01 % of the UCI collection (Almeida & Gómez Hidalgo, SMS Spam Collection v.1, UCI Machine
  Learning Repository, CC BY 4.0), every row that genuinely asks to stop being listed in UCI_GENUINE_OPT_OUTS.

Each row is classified with the default configuration plus the locale pack of its language (sv, es rows), so
"Sluta skicka" is measured as a Swedish program would see it. The numbers are printed (pytest -s) with the
constructed rows reported apart from the sourced ones.
"""

from __future__ import annotations

import csv
import os
from collections import Counter
from pathlib import Path

import pytest

from smshooks.keywords import Category, KeywordConfig, Match, canon, classify

CORPUS = Path(__file__).parent / "data" / "optout_corpus.csv"
#: a copy of the UCI SMS Spam Collection v.1 (Almeida & Gómez Hidalgo, CC BY 4.0), kept in the
#: repository so the real-SMS bar is measured on every machine, CI included
UCI = Path(os.environ.get("SMSHOOKS_SMS_COLLECTION", Path(__file__).parent / "data" / "SMSSpamCollection"))

RECALL_BAR = 0.97
COURT_RECALL_BAR = 0.95
HARD_NEGATIVE_BAR = 0.01
REAL_SMS_BAR = 0.0001

#: rows of the UCI collection (file line numbers, the header is line 1) that really ask the sender to stop, and are
#: therefore not counted as false opt-outs; each with the reason a reasonable person would read it as revocation
UCI_GENUINE_OPT_OUTS = {
    102: "'Please don't text me anymore. I have nothing else to say.': an explicit request to stop texting",
    336: "'... Please do not contact me again or I will report you to your supervisor.': an explicit revocation",
    1750: "'I think u have the wrong number.': a wrong-person reply, which the rules treat as revocation (F10)",
}

CONFIGS = {
    "": KeywordConfig.default(),
    "sv": KeywordConfig(locale_packs=("sv",)),
    "es": KeywordConfig(locale_packs=("es",)),
}


def _config(row: dict[str, str]) -> KeywordConfig:
    return CONFIGS.get(row["class"], CONFIGS[""])


def _is_opt_out(text: str, config: KeywordConfig) -> bool:
    result = classify(text, config)
    return result.category is Category.OPT_OUT


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    with CORPUS.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_corpus_is_well_formed(rows: list[dict[str, str]]) -> None:
    assert {row["label"] for row in rows} == {"opt_out", "not_opt_out"}
    assert all(row["text"] and row["source"] and row["class"] and row["origin"] for row in rows)
    assert len({row["text"] for row in rows}) == len(rows), "a text is listed twice"
    opt_outs = [row for row in rows if row["label"] == "opt_out"]
    negatives = [row for row in rows if row["label"] == "not_opt_out"]
    assert len(opt_outs) >= 300 and len(negatives) >= 300
    for label, group in (("opt-outs", opt_outs), ("hard negatives", negatives)):
        constructed = sum(row["origin"] == "constructed" for row in group)
        assert constructed * 2 < len(group), f"constructed {label} must stay a minority"
        for row in group:
            if row["origin"] == "constructed":
                assert row["source"].startswith("constructed (variant of "), row


def _report(title: str, rows: list[dict[str, str]], hits: list[bool]) -> str:
    by_origin: Counter[str] = Counter()
    hit_by_origin: Counter[str] = Counter()
    for row, hit in zip(rows, hits, strict=True):
        kind = row["origin"] if row["origin"] in ("constructed", "spec") else "sourced"
        by_origin[kind] += 1
        hit_by_origin[kind] += hit
    parts = ", ".join(f"{kind} {hit_by_origin[kind]}/{by_origin[kind]}" for kind in sorted(by_origin))
    return f"{title}: {sum(hits)}/{len(rows)} ({parts})"


def test_opt_out_recall(rows: list[dict[str, str]]) -> None:
    opt_outs = [row for row in rows if row["label"] == "opt_out"]
    hits = [_is_opt_out(row["text"], _config(row)) for row in opt_outs]
    court = [hit for row, hit in zip(opt_outs, hits, strict=True) if row["origin"] == "court"]
    print(_report("opt-outs recognised", opt_outs, hits))
    print(f"court-quoted recognised: {sum(court)}/{len(court)}")
    missed = [row["text"] for row, hit in zip(opt_outs, hits, strict=True) if not hit]
    assert sum(hits) >= RECALL_BAR * len(opt_outs), f"recall {sum(hits)}/{len(opt_outs)}; missed: {missed}"
    assert court and sum(court) >= COURT_RECALL_BAR * len(court), f"court-quoted {sum(court)}/{len(court)}"


def test_false_opt_outs_on_hard_negatives(rows: list[dict[str, str]]) -> None:
    negatives = [row for row in rows if row["label"] == "not_opt_out"]
    hits = [_is_opt_out(row["text"], _config(row)) for row in negatives]
    print(_report("hard negatives taken for opt-outs", negatives, hits))
    flagged = [
        (row["text"], classify(row["text"], _config(row)).rule) for row, h in zip(negatives, hits, strict=True) if h
    ]
    assert sum(hits) <= HARD_NEGATIVE_BAR * len(negatives), f"false opt-outs: {flagged}"


def _uci_rows() -> list[tuple[int, str, str]]:
    lines = UCI.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "Label\tSMS" and len(lines) == 5575, "not the 5,574-message SMS Spam Collection v.1"
    return [(number, *line.split("\t", 1)) for number, line in enumerate(lines[1:], start=2)]  # type: ignore[misc]


@pytest.mark.parametrize("packs", [(), ("sv", "es")], ids=["default", "sv+es"])
def test_false_opt_outs_on_real_sms(packs: tuple[str, ...]) -> None:
    config = KeywordConfig(locale_packs=packs)
    flagged = {number: text for number, _, text in _uci_rows() if _is_opt_out(text, config)}
    false = {number: text for number, text in flagged.items() if number not in UCI_GENUINE_OPT_OUTS}
    total = len(_uci_rows()) - len(UCI_GENUINE_OPT_OUTS)
    print(f"UCI ({'+'.join(packs) or 'default'}): {len(false)} false opt-outs in {total:,} messages")
    assert len(false) <= REAL_SMS_BAR * total, f"false opt-outs on real SMS: {false}"
    # the listed exclusions must really be what the rules take for opt-outs, or the list is stale
    assert set(UCI_GENUINE_OPT_OUTS) <= set(flagged)


def test_exact_mode_is_unchanged_on_the_corpus(rows: list[dict[str, str]]) -> None:
    """Fuzzy off: only a whole message that is a configured keyword matches, exactly as keywords.md §6.3 says."""
    exact = KeywordConfig.default(fuzzy=False)
    for row in rows:
        result = classify(row["text"], exact)
        assert result.match in (Match.EXACT, Match.NONE)
        if result.match is Match.EXACT:
            assert result.keyword is not None and canon(result.keyword) == canon(row["text"])
