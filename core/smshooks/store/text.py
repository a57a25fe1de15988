"""What text a database column can hold."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

UNSTORABLE_TEXT = "text must not contain NUL characters or unpaired surrogates"
#: what no text column takes: NUL (PostgreSQL) and lone surrogates (no UTF-8 encoding)
UNSTORABLE_CHARACTERS = re.compile(r"[\x00\ud800-\udfff]")


def is_storable(value: Any) -> bool:
    """False when ``value`` holds text no database column can take: PostgreSQL
    refuses NUL in text, and a lone surrogate (legal as a JSON escape) has no
    UTF-8 encoding. Iterative: the JSON may nest nearly to the recursion limit."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if UNSTORABLE_CHARACTERS.search(item):
                return False
        elif isinstance(item, Mapping):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return True


def replace_unstorable(value: Any) -> str:
    """``value`` as text with each unstorable character replaced by U+FFFD."""
    return UNSTORABLE_CHARACTERS.sub("\ufffd", value) if isinstance(value, str) else str(value)
