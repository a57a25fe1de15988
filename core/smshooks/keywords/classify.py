"""classify(text, config): exact keywords of every category first, then the fuzzy opt-out rules F1-F5.

keywords.md §6.3 (exact and precedence), §6.4 (fuzzy), §6.9 (the order of the rules). Pure and deterministic:
the result depends only on the text and the configuration, never on consent state (§7.6).
"""

from __future__ import annotations

from smshooks.keywords.canon import clause_tokens
from smshooks.keywords.config import KeywordConfig
from smshooks.keywords.lexicon import (
    ALLOWED,
    ARTICLES,
    CUE,
    EMOJI_JOINERS,
    HEAD_FOLLOWERS,
    LEAD,
    MESSAGING,
    PHRASES,
    STOP_EMOJI,
)
from smshooks.keywords.model import NO_MATCH, Category, Classification, Match
from smshooks.keywords.tables import KeywordTables, Trigger

#: F5 looks at clauses of this many tokens at most
SHORT_CLAUSE_TOKENS = 8

_PHRASES_BY_FIRST: dict[str, tuple[tuple[str, ...], ...]] = {}
for _phrase in PHRASES:
    _PHRASES_BY_FIRST[_phrase[0]] = (*_PHRASES_BY_FIRST.get(_phrase[0], ()), _phrase)


def classify(text: str | None, config: KeywordConfig) -> Classification:
    """Classify one inbound message under ``config``."""
    tables = config.tables
    pieces = clause_tokens(text, split=False)
    whole = pieces[0] if pieces else []  # canon(text).split()
    if whole:
        hit = tables.exact.get(" ".join(whole))
        if hit is not None:
            return Classification(hit[0], Match.EXACT, hit[1])
    if not config.fuzzy_enabled:
        return NO_MATCH
    if not whole:
        # Stop emoji have no letters, so only an empty canonical form can be F1.
        return _fuzzy(None, "F1") if _only_stop_emoji(text) else NO_MATCH

    triggers = tables.triggers
    if len(whole) >= 3 and all(len(token) == 1 for token in whole):
        trigger = triggers["".join(whole)]  # "S T O P", "s.t.o.p": a keyword, typo or revocation term
        if trigger is not None:
            return _fuzzy(trigger.keyword, "F2")
    elif len(whole) == 1:
        trigger = triggers[whole[0]]  # ambiguity does not matter for a one-word message
        if trigger is not None:
            return _fuzzy(trigger.keyword, "F3")

    # F4 and F5 need a trigger or a phrase in the clause. Most conversation has neither anywhere, so ask that
    # (memoised per token) before splitting the text into clauses at all.
    starts = tables.starts
    if not any(map(starts.__getitem__, whole)):
        return NO_MATCH
    for tokens in clause_tokens(text):
        if not tokens or not any(map(starts.__getitem__, tokens)):
            continue
        trigger = _head_rule(tables, tokens)
        if trigger is not None:
            return _fuzzy(trigger.keyword, "F4")
        if len(tokens) <= SHORT_CLAUSE_TOKENS:
            found, trigger = _short_clause_rule(tables, tokens)
            if found:
                return _fuzzy(trigger.keyword if trigger else None, "F5")
    return NO_MATCH


def _fuzzy(keyword: str | None, rule: str) -> Classification:
    return Classification(Category.OPT_OUT, Match.FUZZY, keyword, rule)


def _only_stop_emoji(text: str | None) -> bool:
    """F1: nothing but 🛑 ⛔ 🚫, whitespace, U+FE0F and U+200D, and at least one emoji."""
    if not text:
        return False
    rest = [char for char in text if not char.isspace() and char not in EMOJI_JOINERS]
    return bool(rest) and all(char in STOP_EMOJI for char in rest)


def _head_rule(tables: KeywordTables, tokens: list[str]) -> Trigger | None:
    """F4: after leading LEAD tokens, a non-ambiguous trigger followed by a send verb or messaging word."""
    index = 0
    while index < len(tokens) and tokens[index] in LEAD:
        index += 1
    if index >= len(tokens):
        return None
    trigger = tables.trigger_at(tokens, index)
    if trigger is None or trigger.ambiguous:
        return None
    after = index + trigger.span
    return trigger if after < len(tokens) and tokens[after] in HEAD_FOLLOWERS else None


def _has_phrase(tokens: list[str]) -> bool:
    for index, token in enumerate(tokens):
        for phrase in _PHRASES_BY_FIRST.get(token, ()):
            if tuple(tokens[index : index + len(phrase)]) == phrase:
                return True
    return False


def _short_clause_rule(tables: KeywordTables, tokens: list[str]) -> tuple[bool, Trigger | None]:
    """F5 for a clause of 1-8 tokens: a phrase; or triggers with only ALLOWED tokens around them, and a CUE token
    when every trigger is ambiguous. Returns (fired, the first trigger if any)."""
    if _has_phrase(tokens):
        return True, None
    triggers: list[Trigger] = []
    others: list[int] = []
    index = 0
    while index < len(tokens):
        trigger = tables.trigger_at(tokens, index)
        if trigger is None:
            others.append(index)
            index += 1
        else:
            triggers.append(trigger)
            index += trigger.span
    if not triggers:
        return False, None
    for index in others:
        token = tokens[index]
        if token in ALLOWED:
            continue
        # "the", "a", "an" only directly before a messaging word: "stop the texts", not "end of the day"
        if token in ARTICLES and index + 1 < len(tokens) and tokens[index + 1] in MESSAGING:
            continue
        return False, None
    if all(trigger.ambiguous for trigger in triggers) and not any(tokens[index] in CUE for index in others):
        return False, None
    return True, triggers[0]
