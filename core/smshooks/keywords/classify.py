"""classify(text, config): exact keywords of every category first, then the fuzzy opt-out rules.

keywords.md §6.3 (exact and precedence), §6.4 (fuzzy F1-F5), §6.9 (the order of the rules), and docs/keywords.md
§3 for what this project added: the sentence rules F6-F11 and the vetoes V1-V2 (sentences.py). Pure and
deterministic: the result depends only on the text and the configuration, never on consent state (§7.6).

This is the fast path. Most real SMS hold no keyword and no rule's words, so it tokenises ASCII text with one
``bytes.translate`` and rejects the message with one C-level pass over the tokens' memoised start bits
(starts.py) before it splits clauses or runs a rule; reference.py evaluates the same rules one after another, and
tests/test_keywords_equivalence.py checks that both agree on real SMS.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import reduce
from operator import or_

from smshooks.keywords.canon import ASCII_DELETE, ASCII_FOLD, clause_tokens, fold
from smshooks.keywords.clause_rules import clause_rules, fuzzy, only_stop_emoji
from smshooks.keywords.config import KeywordConfig
from smshooks.keywords.model import NO_MATCH, Classification
from smshooks.keywords.sentences import is_vcard, quotes_instruction
from smshooks.keywords.starts import RULES, START_TRIGGER

_DIGIT = re.compile(r"\d")


def classify(text: str | None, config: KeywordConfig) -> Classification:
    """Classify one inbound message under ``config``."""
    if not text:
        return NO_MATCH  # no keyword, and no stop emoji for F1
    tables = config.tables
    # tokens separated by " ", clauses by "\n" (canon.fold, inlined for ASCII); None for text that stays non-ASCII
    if text.isascii():
        folded: str | None = text.encode("ascii").translate(ASCII_FOLD, ASCII_DELETE).decode("ascii")
    else:
        folded = fold(text)
    pieces: list[list[str]] | None = None
    if folded is not None:
        whole = folded.split()  # canon(text).split()
    else:
        pieces = [tokens for tokens in clause_tokens(text) if tokens]
        whole = [token for tokens in pieces for token in tokens]  # the clauses' tokens are canon(text)'s
    if whole and len(whole) <= tables.exact_span:
        exact = tables.exact_results.get(" ".join(whole))
        if exact is not None:
            return exact
    if not config.fuzzy_enabled:
        return NO_MATCH
    if not whole:
        # Stop emoji have no letters, so only an empty canonical form can be F1.
        return fuzzy(None, "F1") if only_stop_emoji(text) else NO_MATCH

    triggers = tables.triggers
    if len(whole) >= 3 and len(whole[0]) == 1 and all(len(token) == 1 for token in whole):
        trigger = triggers["".join(whole)]  # "S T O P", "s.t.o.p": a keyword, typo or revocation term
        if trigger is not None:
            return fuzzy(trigger.keyword, "F2")
    elif len(whole) == 1:
        trigger = triggers[whole[0]]  # ambiguity does not matter for a one-word message
        if trigger is not None:
            return fuzzy(trigger.keyword, "F3")

    # Every later rule needs certain words in its clause (starts.py). Most conversation has none of them anywhere,
    # so ask that of the whole message before splitting it into clauses at all.
    # The start bits of the tokens OR-ed, all in C: most tokens have none, and filter() drops them before reduce()
    # calls or_.
    get = tables.start_bits
    if not (rules := RULES[reduce(or_, filter(None, map(get, whole)), 0)]) or is_vcard(whole):  # V1
        return NO_MATCH
    if pieces is None:
        pieces = [tokens for tokens in map(str.split, folded.split("\n")) if tokens]  # type: ignore[union-attr]
    # (clause, the rule groups that can fire on it); one clause is the whole message
    if len(pieces) == 1:
        live = [(pieces[0], rules)]
    else:
        live = [(tokens, rules) for tokens in pieces if (rules := RULES[_bits(get, tokens)])]
    for tokens, rules in live:
        hit = clause_rules(tables, tokens, rules, pieces)
        if hit is not None:
            # V2, asked only now because most messages never get here: a message quoting an opt-out instruction
            # anywhere ("Reply STOP to opt out", "txt STOP to 80062") revokes nothing
            digits = _DIGIT.search(text) is not None
            if any(_bits(get, other) & START_TRIGGER and quotes_instruction(tables, other, digits) for other in pieces):
                return NO_MATCH
            return hit
    return NO_MATCH


def _bits(get: Callable[[str], int], tokens: list[str]) -> int:
    """The start bits of ``tokens`` OR-ed."""
    return reduce(or_, filter(None, map(get, tokens)), 0)
