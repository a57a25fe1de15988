"""The fuzzy rules F4-F11 on one clause (keywords.md §6.4, docs/keywords.md §3), shared by classify() and reference.py.

:func:`clause_rules` runs the rule groups it is told to (starts.CAN_* bits) in their fixed order and answers the
first that fires. classify() passes only the groups the clause's start bits allow; reference.py passes all of them.
"""

from __future__ import annotations

import functools

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
from smshooks.keywords.lookup_tables import KeywordTables, Trigger
from smshooks.keywords.model import Category, Classification, Match
from smshooks.keywords.sentences import (
    bare_f5_clause,
    infinitive_without_desire,
    narrated,
    negated_desire,
    negated_send,
    on_topic,
    remove_object,
    stop_object,
    wrong_person,
)
from smshooks.keywords.starts import CAN_F4_F5, CAN_F6, CAN_F7, CAN_F8, CAN_F9, CAN_F10, CAN_F11

#: F5 looks at clauses of this many tokens at most
SHORT_CLAUSE_TOKENS = 8

SEND_VERBS_OR_MESSAGING = SEND_VERBS | MESSAGING
_WRONG_NUMBER = ("wrong", "number")

_PHRASES_BY_FIRST: dict[str, tuple[tuple[str, ...], ...]] = {}
for _phrase in PHRASES:
    _PHRASES_BY_FIRST[_phrase[0]] = (*_PHRASES_BY_FIRST.get(_phrase[0], ()), _phrase)


def clause_rules(
    tables: KeywordTables, tokens: list[str], rules: int, pieces: list[list[str]]
) -> Classification | None:
    """F4-F11 on one clause, in that order, each only if its group is in ``rules`` (starts.CAN_* bits); ``pieces``
    (all non-empty clauses of the message) feed the context condition."""
    if rules & CAN_F4_F5:
        trigger = _head_rule(tables, tokens)
        if trigger is not None:
            return fuzzy(trigger.keyword, "F4")
        if len(tokens) <= SHORT_CLAUSE_TOKENS:
            found, trigger = _short_clause_rule(tables, tokens)
            if found and (trigger is None or _bare_ok(tables, tokens, pieces)):
                return fuzzy(trigger.keyword if trigger else None, "F5")
    if rules & CAN_F6:
        fired, bare, lasting = negated_send(tokens)
        if fired and (
            _bare_ok(tables, tokens, pieces, no_contact_elsewhere=True)
            if bare
            else lasting or _others_on_topic(tables, tokens, pieces)
        ):
            return fuzzy(None, "F6")
    if rules & CAN_F7 and negated_desire(tables, tokens):
        return fuzzy(None, "F7")
    if rules & CAN_F8 and stop_object(tokens):
        return fuzzy(None, "F8")
    if rules & CAN_F9 and remove_object(tokens):
        return fuzzy(None, "F9")
    if rules & CAN_F10 and wrong_person(tokens):
        return fuzzy(None, "F10")
    if rules & CAN_F11 and _has_locale_phrase(tables, tokens):
        return fuzzy(None, "F11")
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


@functools.lru_cache(maxsize=4096)
def fuzzy(keyword: str | None, rule: str) -> Classification:
    """The fuzzy opt-out answer; built once per (keyword, rule), a Classification is immutable."""
    return Classification(Category.OPT_OUT, Match.FUZZY, keyword, rule)


def only_stop_emoji(text: str | None) -> bool:
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
