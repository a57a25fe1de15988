"""What the ``smshooks_classify`` hook sees and answers: the classification of an inbound text.

Part of the plugin contract (with :mod:`smshooks.hookspecs`): a plugin that
refines the fuzzy opt-out decision imports these, never the keyword engine.
:mod:`smshooks.keywords` re-exports them and holds the rules that produce them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

__all__ = ["NO_MATCH", "Category", "Classification", "KeywordConfigView", "Match"]


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


class KeywordConfigView(Protocol):
    """What a ``smshooks_classify`` hook may read of the webhook's keyword configuration
    (the host passes its :class:`smshooks.keywords.KeywordConfig`, which has more)."""

    @property
    def fuzzy_enabled(self) -> bool: ...

    @property
    def fuzzy_action(self) -> str: ...

    @property
    def compliance_profile(self) -> str: ...

    @property
    def locale_packs(self) -> tuple[str, ...]: ...

    @property
    def reply_ids(self) -> Mapping[str, str | None]: ...

    def keywords(self, category: Category | str) -> tuple[str, ...]:
        """The effective keywords of ``category`` as configured (display form)."""
        ...
