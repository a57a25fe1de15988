"""Dot paths into a JSON document: where a provider's response keeps the message id.

A path is keys and list indices separated by dots, ``messages.0.id``; the
bracket form ``messages[0].id`` and a leading ``$.`` are accepted too, because
that is how providers' documentation often writes them. A negative index counts
from the end (``messages.-1.id``).
"""

from __future__ import annotations

import re
from typing import Any

_BRACKET = re.compile(r"\[(-?\d+)\]")
_INDEX = re.compile(r"^-?\d+$")

#: what :func:`lookup` answers when the path leads nowhere
MISSING = object()


def split_path(path: str) -> tuple[str, ...]:
    """The steps of a path; :class:`ValueError` for an empty path or an empty step."""
    text = path.strip()
    if text.startswith("$"):
        text = text[1:].lstrip(".")
    text = _BRACKET.sub(r".\1", text)
    if not text:
        raise ValueError("the path is empty")
    steps = tuple(text.split("."))
    if any(not step for step in steps):
        raise ValueError(f"the path {path!r} has an empty step (two dots in a row?)")
    return steps


def lookup(document: Any, path: str) -> Any:
    """The value at ``path`` in ``document``, or :data:`MISSING`.

    A step that is a number indexes a list; on an object it is a key like any
    other (providers do use ``"0"`` as a key).
    """
    value = document
    for step in split_path(path):
        if isinstance(value, dict):
            if step not in value:
                return MISSING
            value = value[step]
        elif isinstance(value, list) and _INDEX.match(step):
            index = int(step)
            if not -len(value) <= index < len(value):
                return MISSING
            value = value[index]
        else:
            return MISSING
    return value
