"""Lookup tables compiled once per keyword configuration, so classify() does dictionary lookups, not scans."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import NamedTuple, TypeVar

from smshooks.keywords.canon import canon
from smshooks.keywords.guard import guard_words
from smshooks.keywords.lexicon import (
    AMBIGUOUS,
    CUE,
    EXTRA_REVOCATION_UNIGRAMS,
    GUARD,
    PHRASE_ENDS,
    PHRASE_STARTS,
    REVOCATION_BIGRAMS,
    REVOCATION_UNIGRAMS,
)
from smshooks.keywords.model import PRECEDENCE, Category, Classification, Match
from smshooks.keywords.packs import KeywordLists
from smshooks.keywords.starts import (
    START_AMBIGUOUS,
    START_LOCALE,
    START_PHRASE,
    START_STRONG,
    START_TRIGGER,
    WITH_CUE,
    WITH_PHRASE,
)
from smshooks.keywords.typos import MIN_KEYWORD_LENGTH, is_typo, squeeze

# Per-token typo answers are memoised; SMS vocabulary is small and repetitive. The bound only stops a flood of
# unique junk tokens from growing memory without limit.
_TOKEN_CACHE_LIMIT = 100_000

_T = TypeVar("_T")


class Trigger(NamedTuple):
    """An opt-out trigger found in a clause (§6.4)."""

    keyword: str  # the configured keyword (as written) or built-in revocation term it resolves to
    ambiguous: bool  # NO, CANCEL, REMOVE and their typos
    span: int  # tokens covered: a multi-word keyword or bigram is one trigger


class KeywordTables:
    """Canonical lookup tables of one effective keyword configuration."""

    def __init__(
        self,
        lists: KeywordLists,
        locale_phrases: Collection[tuple[str, ...]],
        sentence_starts: Mapping[int, Collection[str]],
    ) -> None:
        #: canonical keyword -> (category, keyword as written); first category in precedence order wins (§6.3)
        self.exact: dict[str, tuple[Category, str]] = {}
        for category in PRECEDENCE:
            for keyword in lists.get(category, ()):
                self.exact.setdefault(canon(keyword), (category, keyword))
        all_keywords = frozenset(self.exact)
        #: the most tokens a keyword has: a longer message cannot match exactly
        self.exact_span: int = max((key.count(" ") + 1 for key in self.exact), default=0)
        #: canonical keyword -> classify()'s answer for it, built once (a Classification is immutable)
        self.exact_results: dict[str, Classification] = {
            key: Classification(category, Match.EXACT, keyword) for key, (category, keyword) in self.exact.items()
        }

        opt_out = [(key, keyword) for key, (category, keyword) in self.exact.items() if category is Category.OPT_OUT]
        self.single: dict[str, Trigger] = {}
        multi: dict[str, list[tuple[tuple[str, ...], Trigger]]] = {}
        for key, keyword in opt_out:
            words = tuple(key.split())
            trigger = Trigger(keyword, key in AMBIGUOUS, len(words))
            if len(words) == 1:
                self.single[key] = trigger
            else:
                multi.setdefault(words[0], []).append((words, trigger))
        # Built-in revocation terms, unless configured: as an opt-out keyword they are already in, and a word an
        # operator gave another category (say custom REMOVE) must not turn into an opt-out in a sentence.
        for key, term in {**REVOCATION_UNIGRAMS, **EXTRA_REVOCATION_UNIGRAMS}.items():
            if key not in all_keywords:
                self.single[key] = Trigger(term, key in AMBIGUOUS, 1)
        for words, term in REVOCATION_BIGRAMS.items():
            if " ".join(words) not in all_keywords:
                multi.setdefault(words[0], []).append((words, Trigger(term, False, len(words))))
        #: first token -> multi-word triggers starting with it, longest first
        self.multi: dict[str, tuple[tuple[tuple[str, ...], Trigger], ...]] = {
            first: tuple(sorted(entries, key=lambda entry: -len(entry[0]))) for first, entries in multi.items()
        }

        #: the opt-out keywords that have typos, in configured order (the first one a token is a typo of wins)
        self.typo_targets: tuple[tuple[str, Trigger], ...] = tuple(
            (key, Trigger(keyword, key in AMBIGUOUS, 1))
            for key, keyword in opt_out
            if len(key) >= MIN_KEYWORD_LENGTH and " " not in key
        )
        guard = set(GUARD)
        for key, _ in self.typo_targets:
            guard |= guard_words(key)
        self.guard: frozenset[str] = frozenset(guard)
        #: never a typo: any category's keyword, or a real word next to a keyword
        self.excluded: frozenset[str] = all_keywords | self.guard
        #: token -> the one-token trigger it is, or None; filled on first sight (dict lookups stay in C)
        self.triggers: _Memo[Trigger | None] = _Memo(self._compute_trigger)
        #: F11: the configured locale packs' phrases (a trailing "$" token: the phrase must be the whole clause)
        self.locale_phrases: dict[str, tuple[tuple[str, ...], ...]] = {}
        for phrase in locale_phrases:
            self.locale_phrases[phrase[0]] = (*self.locale_phrases.get(phrase[0], ()), phrase)
        sentence_bits = [(bit, frozenset(words)) for bit, words in sentence_starts.items()]
        locale_firsts = frozenset(self.locale_phrases)

        def start_mask(token: str) -> int:
            trigger = self.triggers[token]
            mask = 0
            if token in self.multi:
                mask |= START_TRIGGER | START_STRONG
            if trigger is not None:
                mask |= START_TRIGGER | (START_AMBIGUOUS if trigger.ambiguous else START_STRONG)
            if token in PHRASE_STARTS:
                mask |= START_TRIGGER | START_PHRASE
            if token in PHRASE_ENDS:
                mask |= WITH_PHRASE
            if token in CUE:
                mask |= WITH_CUE
            if token in locale_firsts:
                mask |= START_LOCALE
            for bit, words in sentence_bits:
                if token in words:
                    mask |= bit
            return mask

        #: token -> which rules it can take part in (starts.py bits, 0 for none); lets classify() skip clauses and rules
        self.starts: _Memo[int] = _Memo(start_mask)
        #: ``starts.__getitem__``, bound once for classify()'s hot path
        self.start_bits: Callable[[str], int] = self.starts.__getitem__

    def token_trigger(self, token: str) -> Trigger | None:
        """The one-token trigger ``token`` is: an opt-out keyword, a revocation unigram, or a typo of a keyword."""
        return self.triggers[token]

    def _compute_trigger(self, token: str) -> Trigger | None:
        trigger = self.single.get(token)
        if trigger is None and self.typo_targets and token not in self.excluded:
            squeezed = squeeze(token)  # once, not once per keyword
            for key, typo_trigger in self.typo_targets:
                if is_typo(token, key, self.excluded, squeezed):
                    return typo_trigger
        return trigger

    def trigger_at(self, tokens: list[str], index: int) -> Trigger | None:
        """The trigger starting at ``tokens[index]``, multi-word ones first."""
        token = tokens[index]
        for words, trigger in self.multi.get(token, ()):
            if tuple(tokens[index : index + len(words)]) == words:
                return trigger
        return self.triggers[token]


class _Memo(dict[str, _T]):
    """A dict that computes a missing token's value once; plain dict lookups afterwards."""

    def __init__(self, compute: Callable[[str], _T]) -> None:
        super().__init__()
        self._compute = compute

    def __missing__(self, token: str) -> _T:
        value = self._compute(token)
        if len(self) >= _TOKEN_CACHE_LIMIT:
            self.clear()
        self[token] = value
        return value
