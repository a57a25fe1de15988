"""The typo model of keywords.md §6.4: which tokens count as a misspelt opt-out keyword.

Deliberately not a similarity score: for 3-6 letter keywords no threshold separates typos ("stpo") from real
words ("step", "shop", §5). Instead a token is a typo of keyword k when one *plausible* edit turns it into k:

(a) an insertion, a deletion, a swap of two adjacent letters, or a substitution by the left/right neighbour key
    in the same QWERTY row or of a vowel by another vowel;
(b) for keywords of 8+ letters: same first letter and OSA distance <= 2 (RapidFuzz computes it);
(c) after squeezing runs of 3+ identical letters to one ("STOPPPP" -> "stop"), equal to k or (a)/(b).

Only keywords of 4+ characters get typos (END and NO do not). Whether a token is excluded (a keyword of any
category, a GUARD word) is the caller's business, see :func:`is_typo`.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Container

from rapidfuzz.distance import OSA

MIN_KEYWORD_LENGTH = 4
OSA_MIN_KEYWORD_LENGTH = 8
OSA_MAX_DISTANCE = 2

_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_NEIGHBOURS = frozenset(pair for row in _ROWS for a, b in itertools.pairwise(row) for pair in ((a, b), (b, a)))
_VOWELS = frozenset("aeiou")
# letters only (not digits or "_"): "1000" is a number, not a squeezed "10"
_LETTER_RUN = re.compile(r"([^\W\d_])\1{2,}")


def _close_keys(a: str, b: str) -> bool:
    return (a, b) in _NEIGHBOURS or (a in _VOWELS and b in _VOWELS)


def one_edit(token: str, keyword: str) -> bool:
    """Rule (a): one insertion, deletion, adjacent swap, or neighbour-key / vowel substitution turns token into
    keyword (token != keyword)."""
    length, target = len(token), len(keyword)
    if length == target:
        diffs = [i for i in range(length) if token[i] != keyword[i]]
        if len(diffs) == 1:
            i = diffs[0]
            return _close_keys(token[i], keyword[i])
        if len(diffs) == 2:
            i, j = diffs
            return j == i + 1 and token[i] == keyword[j] and token[j] == keyword[i]
        return False
    if length == target + 1:
        return _drops_to(token, keyword)
    if length + 1 == target:
        return _drops_to(keyword, token)
    return False


def _drops_to(longer: str, shorter: str) -> bool:
    """Deleting one character of ``longer`` gives ``shorter`` (lengths differ by one)."""
    i = 0
    while i < len(shorter) and longer[i] == shorter[i]:
        i += 1
    return longer[i + 1 :] == shorter[i:]


def long_near(token: str, keyword: str) -> bool:
    """Rule (b): keyword of 8+ letters, same first letter, OSA distance <= 2 (token != keyword)."""
    return (
        len(keyword) >= OSA_MIN_KEYWORD_LENGTH
        and token[:1] == keyword[:1]
        and token != keyword
        and OSA.distance(token, keyword, score_cutoff=OSA_MAX_DISTANCE) <= OSA_MAX_DISTANCE
    )


def near(token: str, keyword: str) -> bool:
    """Rules (a) or (b), without squeezing or exclusions."""
    # neither rule bridges more than two characters of length (an OSA distance is at least the length difference)
    if not -OSA_MAX_DISTANCE <= len(token) - len(keyword) <= OSA_MAX_DISTANCE:
        return False
    return one_edit(token, keyword) or long_near(token, keyword)


def squeeze(token: str) -> str:
    """Every run of 3+ identical letters squeezed to one letter (rule c)."""
    return _LETTER_RUN.sub(r"\1", token)


def is_typo(token: str, keyword: str, excluded: Container[str], squeezed: str | None = None) -> bool:
    """Whether canonical ``token`` is a typo of canonical opt-out ``keyword`` (§6.4 (a)-(c)).

    ``excluded`` holds what is never a typo: the keywords of all categories (ALL) and the GUARD words. The squeezed
    form must not be excluded either (unless it is the keyword itself), so "stepppp" is as much a real word as
    "step" and "yesss" stays "yes". ``squeezed`` is ``squeeze(token)`` when the caller has it already (it asks
    about one token and several keywords).
    """
    if len(keyword) < MIN_KEYWORD_LENGTH or token == keyword or token in excluded:
        return False
    if near(token, keyword):
        return True
    if squeezed is None:
        squeezed = squeeze(token)
    if squeezed == token:
        return False
    return squeezed == keyword or (squeezed not in excluded and near(squeezed, keyword))
