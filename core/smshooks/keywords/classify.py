"""classify(text, config): exact keywords of every category first, then the fuzzy opt-out rules.

keywords.md §6.3 (exact and precedence), §6.4 (fuzzy F1-F5), §6.9 (the order of the rules), and docs/keywords.md
§3 for what this project added: the sentence rules F6-F11 and the vetoes V1-V2 (sentences.py). Pure and
deterministic: the result depends only on the text and the configuration, never on consent state (§7.6).
"""

from __future__ import annotations

import re
from functools import reduce
from operator import or_

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
    NEGATORS,
    NO_CUE,
    PHRASE_CONTINUATIONS,
    PHRASES,
    SEND_VERBS,
    STOP_EMOJI,
    THIRD_PARTY,
)
from smshooks.keywords.model import NO_MATCH, Category, Classification, Match
from smshooks.keywords.sentences import (
    RULE_PAIRS,
    WANTED,
    bare_f5_clause,
    infinitive_without_desire,
    is_vcard,
    narrated,
    negated_desire,
    negated_send,
    on_topic,
    quotes_instruction,
    remove_object,
    stop_object,
    wrong_person,
)
from smshooks.keywords.tables import START_LOCALE, START_TRIGGER, KeywordTables, Trigger

#: F5 looks at clauses of this many tokens at most
SHORT_CLAUSE_TOKENS = 8

SEND_VERBS_OR_MESSAGING = SEND_VERBS | MESSAGING
_WRONG_NUMBER = ("wrong", "number")
_F6, _F7, _F8, _F9, _F10, _MANY = RULE_PAIRS
_DIGIT = re.compile(r"\d")

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

    # Every later rule needs a trigger, a phrase or a sentence word in the clause. Most conversation has none
    # anywhere, so ask that (memoised per token) before splitting the text into clauses at all.
    get = tables.starts.__getitem__
    # any() first: most messages hold no start word at all, and it is cheaper than OR-ing every token's bits
    if not any(map(get, whole)) or not WANTED[whole_mask := reduce(or_, map(get, whole))] or is_vcard(whole):  # V1
        return NO_MATCH
    pieces = [tokens for tokens in clause_tokens(text) if tokens]
    # (clause, START_* bits of its tokens) for the clauses where some rule can fire; one clause is the whole message
    live = (
        [(pieces[0], whole_mask)]
        if len(pieces) == 1
        else [
            (tokens, mask)
            for tokens in pieces
            if any(map(get, tokens)) and WANTED[mask := reduce(or_, map(get, tokens))]
        ]
    )
    for tokens, mask in live:
        hit = _clause_rules(tables, tokens, mask, pieces)
        if hit is not None:
            # V2, asked only now because most messages never get here: a message quoting an opt-out instruction
            # anywhere ("Reply STOP to opt out", "txt STOP to 80062") revokes nothing
            digits = _DIGIT.search(text) is not None  # type: ignore[arg-type]
            if any(mask & START_TRIGGER and quotes_instruction(tables, other, digits) for other, mask in live):
                return NO_MATCH
            return hit
    return NO_MATCH


def _clause_rules(
    tables: KeywordTables, tokens: list[str], mask: int, pieces: list[list[str]]
) -> Classification | None:
    """F4-F11 on one clause, in that order, each only if its start words are there (``mask``); ``pieces`` (all
    non-empty clauses) feed the context condition."""
    if mask & START_TRIGGER or mask & _MANY == _MANY:
        trigger = _head_rule(tables, tokens)
        if trigger is not None:
            return _fuzzy(trigger.keyword, "F4")
        if len(tokens) <= SHORT_CLAUSE_TOKENS:
            found, trigger = _short_clause_rule(tables, tokens)
            if found and (trigger is None or _bare_ok(tables, tokens, pieces)):
                return _fuzzy(trigger.keyword if trigger else None, "F5")
    if mask & _F6 == _F6:
        fired, bare, lasting = negated_send(tokens)
        if fired and (
            _bare_ok(tables, tokens, pieces, no_contact_elsewhere=True)
            if bare
            else lasting or _others_on_topic(tables, tokens, pieces)
        ):
            return _fuzzy(None, "F6")
    if mask & _F7 == _F7 and negated_desire(tables, tokens):
        return _fuzzy(None, "F7")
    if mask & _F8 == _F8 and stop_object(tokens):
        return _fuzzy(None, "F8")
    if mask & _F9 == _F9 and remove_object(tokens):
        return _fuzzy(None, "F9")
    if mask & _F10 == _F10 and wrong_person(tokens):
        return _fuzzy(None, "F10")
    if mask & START_LOCALE and _has_locale_phrase(tables, tokens):
        return _fuzzy(None, "F11")
    return None


def _bare_ok(
    tables: KeywordTables, tokens: list[str], pieces: list[list[str]], no_contact_elsewhere: bool = False
) -> bool:
    """The context condition: a clause that says nothing about messages ("Just quit", "Don't call") counts only when
    every other clause of the message stays on topic ("Stop. Thank you"), and it is not an infinitive told to
    someone ("I already told u to quit!")."""
    if not bare_f5_clause(tokens) and not no_contact_elsewhere:
        return True
    if infinitive_without_desire(tables, tokens):
        return False
    for other in pieces:
        if other is tokens:
            continue
        if not on_topic(tables, other):
            return False
        if no_contact_elsewhere and any(word in SEND_VERBS_OR_MESSAGING for word in other):
            return False
    return True


def _others_on_topic(tables: KeywordTables, tokens: list[str], pieces: list[list[str]]) -> bool:
    return all(other is tokens or on_topic(tables, other) for other in pieces)


def _has_locale_phrase(tables: KeywordTables, tokens: list[str]) -> bool:
    """F11: a configured locale pack's phrase in the clause ("sluta skicka", "ya no me manden")."""
    for index, token in enumerate(tokens):
        for phrase in tables.locale_phrases.get(token, ()):
            if phrase[-1] == "$":
                if tuple(tokens) == phrase[:-1]:
                    return True
            elif tuple(tokens[index : index + len(phrase)]) == phrase:
                return True
    return False


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
    if after >= len(tokens) or tokens[after] not in HEAD_FOLLOWERS:
        return None
    # "Stop calling everyone saying I might have cancer" is not about our messages
    return None if after + 1 < len(tokens) and tokens[after + 1] in THIRD_PARTY else trigger


def _has_phrase(tokens: list[str]) -> bool:
    """A phrase, not negated ("pls dun leave me alone") and not going on about something else ("Don't text and
    drive")."""
    for index, token in enumerate(tokens):
        for phrase in _PHRASES_BY_FIRST.get(token, ()):
            end = index + len(phrase)
            if tuple(tokens[index:end]) != phrase:
                continue
            if index > 0 and tokens[index - 1] in NEGATORS and phrase[0] not in ("dont", "do"):
                continue
            if end < len(tokens) and tokens[end] in PHRASE_CONTINUATIONS:
                continue
            if phrase == _WRONG_NUMBER and narrated(tokens, index):
                continue
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
    if all(trigger.ambiguous for trigger in triggers):
        if not any(tokens[index] in CUE for index in others):
            return False, None
        # NO with a messaging word describes ("Why no messages", "No calls..messages"); it revokes with "more"
        if all(trigger.keyword.casefold() == "no" for trigger in triggers) and not any(
            tokens[index] in NO_CUE for index in others
        ):
            return False, None
    return True, triggers[0]
