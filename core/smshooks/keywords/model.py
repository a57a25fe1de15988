"""What classification answers: a category, how it matched, and why (keywords.md §6.8)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Category(StrEnum):
    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    DOUBLE_OPT_IN = "double_opt_in"
    HELP = "help"
    CUSTOM = "custom"
    NONE = "none"


class Match(StrEnum):
    EXACT = "exact"
    FUZZY = "fuzzy"
    NONE = "none"


#: the categories that hold keywords, in exact-match precedence order (§6.3)
PRECEDENCE: tuple[Category, ...] = (
    Category.OPT_OUT,
    Category.HELP,
    Category.DOUBLE_OPT_IN,
    Category.OPT_IN,
    Category.CUSTOM,
)


@dataclass(frozen=True)
class Classification:
    """The result of :func:`smshooks.keywords.classify`.

    ``keyword`` is the configured keyword as written for an exact match; for a fuzzy match it is the opt-out
    keyword (or built-in revocation term) the trigger resolved to, and None when the rule has no single keyword
    (F1 stop emoji, F5 phrases). ``rule`` is "F1".."F11" for fuzzy matches (docs/keywords.md) and None otherwise.

    ``decided_by`` is None when the built-in rules decided, and the name of the plugin when a ``smshooks_classify``
    hook changed the decision (see keywords/hooks.py); its ``rule`` is then the plugin's own (at most 8 characters,
    "HOOK" when it gave none).
    """

    category: Category
    match: Match
    keyword: str | None = None
    rule: str | None = None
    decided_by: str | None = None


NO_MATCH = Classification(Category.NONE, Match.NONE)
