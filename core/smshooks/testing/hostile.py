"""Hostile JSON bodies every JSON vendor plugin must refuse with :class:`~smshooks.vendor.PayloadError`.

:meth:`smshooks.vendor.WebhookRequest.json` refuses them all, so a plugin that
reads its body through it passes this table for free; one that calls
``json.loads`` itself, or trips over the parsed value, does not. A
:class:`~smshooks.testing.VendorConformance` subclass with
``hostile_json = True`` runs every row against its vendor.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class HostileBody:
    """A body no vendor sends, and why it is here."""

    label: str
    body: bytes


HOSTILE_JSON_BODIES: tuple[HostileBody, ...] = (
    HostileBody("empty", b""),
    HostileBody("not-json", b"{not json"),
    HostileBody("truncated", b'{"results": [{"messageId": "1"'),
    HostileBody("random-bytes", bytes(range(256)) * 4),
    HostileBody("invalid-utf8", b'{"text": "\xc3\x28"}'),
    HostileBody("nul-bytes", b"\x00" * 64),
    HostileBody("utf16-without-bom-garbage", b"\xff\xfe\x00\xd8"),
    HostileBody("deep-arrays", b"[" * 100_000),
    HostileBody("deep-objects", b'{"a":' * 100_000),
    HostileBody("deep-but-closed", b"[" * 65 + b"]" * 65),
    HostileBody("integer-5000-digits", b'{"messageId": ' + b"9" * 5000 + b"}"),
    HostileBody("integer-5000-digits-top-level", b"9" * 5000),
    HostileBody("float-overflow", b'{"smsCount": 1e999999}'),
    HostileBody("nan", b'{"smsCount": NaN}'),
    HostileBody("infinity", b'{"smsCount": Infinity}'),
    HostileBody("minus-infinity", b'{"smsCount": -Infinity}'),
    HostileBody("top-level-null", b"null"),
    HostileBody("top-level-string", b'"results"'),
    HostileBody("top-level-number", b"42"),
    HostileBody("top-level-bool", b"true"),
    HostileBody("top-level-list-of-lists", b"[[], [[]], {}]"),
    HostileBody("empty-object", b"{}"),
)


#: one value of each JSON type, put where a payload holds a value of another type
WRONG_TYPES: Mapping[str, Any] = {
    "list": ["x"],
    "object": {"x": "y"},
    "integer": 7,
    "float": 1.5,
    "bool": True,
    "null": None,
    "string": "x",
}


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "object"
    return "null"


def wrong_type_variants(payload: Any) -> Iterator[tuple[str, Any]]:
    """``payload`` with one value at a time replaced by a value of every other JSON type.

    Labels name the position (``statuses[0].recipients[1]``) and the type put
    there. The payload itself (the root) is replaced too.
    """
    positions: list[tuple[str, tuple[str | int, ...]]] = []
    stack: list[tuple[str, tuple[str | int, ...], Any]] = [("$", (), payload)]
    while stack:
        label, path, value = stack.pop()
        positions.append((label, path))
        if isinstance(value, dict):
            stack.extend((f"{label}.{key}", (*path, key), item) for key, item in value.items())
        elif isinstance(value, list):
            stack.extend((f"{label}[{index}]", (*path, index), item) for index, item in enumerate(value))
    for label, path in sorted(positions):
        current = _at(payload, path)
        for type_name, replacement in WRONG_TYPES.items():
            if type_name != _json_type(current):
                yield f"{label}={type_name}", _replaced(payload, path, replacement)


def _at(document: Any, path: tuple[str | int, ...]) -> Any:
    for step in path:
        document = document[step]
    return document


def _replaced(document: Any, path: tuple[str | int, ...], value: Any) -> Any:
    if not path:
        return copy.deepcopy(value)
    copied = copy.deepcopy(document)
    parent = _at(copied, path[:-1])
    parent[path[-1]] = copy.deepcopy(value)
    return copied
