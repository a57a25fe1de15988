"""GUARD words for any opt-out keyword: real English words the typo model would otherwise take for typos.

keywords.md §6.4 derives GUARD from "a US English word list, minus inflections of the keywords" and asks for it
to be recomputed for custom keywords. The word list shipped in ``_words_en`` is exactly that kind of list (the
lower-case, non-possessive entries of Debian's wamerican, SCOWL size 50), and for the default keywords it gives
back the GUARD printed in the spec (a test checks this), so custom keywords get the same treatment.
"""

from __future__ import annotations

import functools

from rapidfuzz import process
from rapidfuzz.distance import OSA

from smshooks.keywords.typos import MIN_KEYWORD_LENGTH, OSA_MAX_DISTANCE, OSA_MIN_KEYWORD_LENGTH, near

_SUFFIXES = ("s", "es", "d", "ed", "ing", "er", "ers")


@functools.cache
def english_words() -> tuple[str, ...]:
    """The shipped word list (canonical: lower case ASCII after diacritic folding, 3+ letters)."""
    # ~600 kB: loaded only when a guard is first computed. Imported from the module itself, not through the
    # package: the package's __init__ imports this module (through config and tables), which would be a cycle.
    from smshooks.keywords._words_en import WORDS

    return tuple(WORDS.split())


def is_inflection(word: str, keyword: str) -> bool:
    """stops, stopped, stopping, stopper; cancels, canceled, canceling; unsubscribed, unsubscribing ..."""
    stems = {keyword, keyword + keyword[-1]}
    if keyword.endswith("e"):
        stems.add(keyword[:-1])
    if keyword.endswith("y"):
        stems.add(keyword[:-1] + "i")
    return any(word == stem + suffix for stem in stems for suffix in _SUFFIXES)


@functools.lru_cache(maxsize=1024)
def guard_words(keyword: str) -> frozenset[str]:
    """The words of the list that rules (a)/(b) turn into canonical ``keyword``, minus its inflections.

    Rule (c) (squeezing) is left out: no list word has a run of three identical letters.
    """
    if len(keyword) < MIN_KEYWORD_LENGTH or " " in keyword:
        return frozenset()
    # RapidFuzz narrows 60k words to the handful within OSA reach in C; every edit of rule (a) is one OSA step.
    reach = OSA_MAX_DISTANCE if len(keyword) >= OSA_MIN_KEYWORD_LENGTH else 1
    candidates = process.extract(keyword, english_words(), scorer=OSA.distance, score_cutoff=reach, limit=None)
    return frozenset(
        word
        for word, _, _ in candidates
        if near(word, keyword) and not is_inflection(word, keyword) and word != keyword
    )
