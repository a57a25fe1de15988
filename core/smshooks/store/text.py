"""What text a database column can hold."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

UNSTORABLE_TEXT = "text must not contain NUL characters or unpaired surrogates"
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def storable(value: Any) -> bool:
    """False when ``value`` holds text no database column can take: PostgreSQL
    refuses NUL in text, and a lone surrogate (legal as a JSON escape) has no
    UTF-8 encoding. Iterative: the JSON may nest nearly to the recursion limit."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "\x00" in item or _SURROGATE.search(item):
                return False
        elif isinstance(item, Mapping):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return True
