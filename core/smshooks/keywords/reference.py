"""The classification rules evaluated one after another, with no prefilter and no shortcut.

:func:`classify_reference` is what classify() must answer, written the obvious way: canon(), the exact keywords,
F1-F3 on the whole message, V1, then every rule F4-F11 on every clause in order, then V2. classify() gets the same
answers faster (the ASCII tokeniser, start bits that skip rules and clauses that cannot fire);
tests/test_keywords_equivalence.py compares the two on real SMS, and benchmarks/bench_classify.py times both.
Not used in production.
"""

from __future__ import annotations

import re

from smshooks.keywords.canon import canon, clauses
from smshooks.keywords.clause_rules import clause_rules, fuzzy, only_stop_emoji
from smshooks.keywords.config import KeywordConfig
from smshooks.keywords.lexicon import PHRASE_STARTS
from smshooks.keywords.lookup_tables import KeywordTables
from smshooks.keywords.model import NO_MATCH, Classification, Match
from smshooks.keywords.sentences import is_vcard, quotes_instruction
from smshooks.keywords.starts import ALL_RULES

_DIGIT = re.compile(r"\d")


def classify_reference(text: str | None, config: KeywordConfig) -> Classification:
    """Classify one inbound message under ``config``, the slow and obvious way."""
    tables = config.tables
    whole_text = canon(text)
    if whole_text in tables.exact:
        category, keyword = tables.exact[whole_text]
        return Classification(category, Match.EXACT, keyword)
    if not config.fuzzy_enabled:
        return NO_MATCH
    whole = whole_text.split()
    if not whole:
        return fuzzy(None, "F1") if only_stop_emoji(text) else NO_MATCH  # F1
    if len(whole) >= 3 and all(len(token) == 1 for token in whole):
        trigger = tables.token_trigger("".join(whole))  # F2
        if trigger is not None:
            return fuzzy(trigger.keyword, "F2")
    if len(whole) == 1:
        trigger = tables.token_trigger(whole[0])  # F3
        if trigger is not None:
            return fuzzy(trigger.keyword, "F3")
    if is_vcard(whole):  # V1
        return NO_MATCH
    pieces = [clause.split() for clause in clauses(text)]
    for tokens in pieces:
        hit = clause_rules(tables, tokens, ALL_RULES, pieces)
        if hit is not None:
            digits = _DIGIT.search(text or "") is not None
            if any(_may_quote(tables, other) and quotes_instruction(tables, other, digits) for other in pieces):
                return NO_MATCH  # V2
            return hit
    return NO_MATCH


def _may_quote(tables: KeywordTables, tokens: list[str]) -> bool:
    """The clauses V2 reads: those with a trigger, the first word of a multi-word trigger, or a phrase's first
    word (quotes_instruction also counts "opt" and "optout", which are always one of these unless an operator
    configured OPTOUT for another category)."""
    return any(
        tables.token_trigger(token) is not None or token in tables.multi or token in PHRASE_STARTS for token in tokens
    )
