"""Canonical form of messages and keywords (keywords.md §6.2) and the clauses the fuzzy layer reads.

Both are computed in one pass: steps 1-4 on the whole text, the clause split, then steps 5-7 per piece. Steps
5-7 work character by character and every clause break becomes a space in step 5 anyway, so the tokens of
``canon(text)`` are exactly the tokens of ``clauses(text)`` laid end to end.
"""

from __future__ import annotations

import re
import unicodedata

# Step 4. Deleted after NFKC, and U+00B4 also before it: NFKC turns U+00B4 into a space plus a combining acute,
# which would split "don\u00b4t" into "don t" instead of giving "dont". (U+FF07, the full-width apostrophe,
# becomes U+0027 under NFKC and is deleted with it.)
APOSTROPHES = "\u0027\u2019\u2018\u02bc\u0060\u00b4"

# The clause breaks ". ! ? ; , :" and line breaks (the characters str.splitlines() breaks on).
_CLAUSE_BREAK = re.compile(r"[.!?;,:\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]+")

# ASCII text needs no NFKC, has no format characters, and casefold() is lower() there: its tokens are the runs
# of ASCII letters and digits once apostrophes are gone. Most SMS are ASCII, so this is the hot path, done by one
# bytes.translate() in C: letters lower-cased, digits kept, apostrophes deleted, clause breaks turned into "\n"
# and every other character into a space.
_ASCII_BREAKS = frozenset(".!?;,:\n\r\v\f\x1c\x1d\x1e")
ASCII_FOLD = bytes(
    (code | 0x20 if chr(code).isalpha() else code)
    if chr(code).isalnum()
    else (0x0A if chr(code) in _ASCII_BREAKS else 0x20)
    for code in range(128)
) + bytes(128)  # bytes.translate wants 256 entries; ASCII text never reaches the upper half
ASCII_DELETE = b"'`"  # the ASCII apostrophes, U+0027 and U+0060
# Other text: only its runs of non-ASCII characters go through the per-character table; what remains is ASCII
# plus folded letters and digits, and in Python's re "[^\W_]" is exactly the categories L* and N*.
_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")
_LINE_BREAKS = frozenset("\x85\u2028\u2029")  # the non-ASCII clause breaks
_TOKEN = re.compile(r"[^\W_]+")


def _fold_char(char: str) -> str:
    """Steps 2, 4, 5 and 6 for one (already NFKC-normalised and casefolded) character."""
    if char in APOSTROPHES:
        return ""
    category = unicodedata.category(char)
    if category == "Cf" or category[0] == "M":
        return ""
    if category[0] not in "LN":
        # a line break is a clause break; fold() keeps it as one (the clause split has removed it otherwise)
        return "\n" if char in _LINE_BREAKS else " "
    # Step 6 per character: NFD then drop combining marks. Doing it per character is the same as doing it on the
    # whole string because every mark is dropped, so canonical reordering of marks cannot matter.
    parts = []
    for part in unicodedata.normalize("NFD", char):
        part_category = unicodedata.category(part)
        if part_category[0] != "M":
            parts.append(part if part_category[0] in "LN" else " ")
    return "".join(parts)


_FOLD_TABLE_LIMIT = 65_536


class _FoldTable(dict[int, str]):
    """A ``str.translate`` table that computes each code point's mapping on first sight, then remembers it."""

    def __missing__(self, code: int) -> str:
        value = _fold_char(chr(code))
        if len(self) >= _FOLD_TABLE_LIMIT:  # text full of rare code points must not grow memory without bound
            self.clear()
        self[code] = value
        return value


_FOLD = _FoldTable()


def fold_ascii(text: str) -> str:
    """ASCII ``text`` as canonical tokens separated by spaces, with a "\\n" at every clause break: ``split()`` gives
    the tokens of canon(text), ``split("\\n")`` the clauses."""
    return text.encode("ascii").translate(ASCII_FOLD, ASCII_DELETE).decode("ascii")


def fold(text: str) -> str | None:
    """``text`` in the form of :func:`fold_ascii`, or None when its canonical form keeps non-ASCII letters.

    Text that is ASCII once its non-ASCII characters are folded ("£5", "Über", "don\u2019t", "…") takes the ASCII path
    after steps 1-3 and the folding of those characters: what is left for steps 4-7 is ASCII, where they are the
    same whether applied before or after the clause split (a folded character is never an ASCII clause break)."""
    if text.isascii():
        return fold_ascii(text)
    folded = _NON_ASCII_RUN.sub(_fold_run, _normalize(text))
    return fold_ascii(folded) if folded.isascii() else None


def _normalize(text: str) -> str:
    """Steps 1 and 3 (and U+00B4 of step 4, which must go before NFKC)."""
    return unicodedata.normalize("NFKC", text.replace("\u00b4", "")).casefold()


def clause_tokens(text: str | None, *, split: bool = True) -> list[list[str]]:
    """The canonical tokens of each clause of ``text`` (empty clauses may be included); one piece if not
    ``split``."""
    if not text:
        return []
    folded = fold(text)
    if folded is not None:
        return [piece.split() for piece in folded.split("\n")] if split else [folded.split()]
    normalized = _normalize(text)
    pieces = _CLAUSE_BREAK.split(normalized) if split else [normalized]
    return [_TOKEN.findall(_NON_ASCII_RUN.sub(_fold_run, piece).replace("'", "").replace("`", "")) for piece in pieces]


def _fold_run(match: re.Match[str]) -> str:
    return match.group().translate(_FOLD)


def canon(text: str | None) -> str:
    """§6.2: NFKC, no format characters, casefolded, no apostrophes, letters and digits only, diacritics folded,
    tokens joined by one space. ``None`` and text without letters or digits give ""."""
    pieces = clause_tokens(text, split=False)
    return " ".join(pieces[0]) if pieces else ""


def clauses(text: str | None) -> list[str]:
    """The non-empty canonical clauses of ``text``: split on ``. ! ? ; , :`` and line breaks (§6.2)."""
    return [" ".join(tokens) for tokens in clause_tokens(text) if tokens]
