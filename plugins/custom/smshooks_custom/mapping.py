"""Payload mappings: a JSON template of the provider's webhook body, in the seed product's form.

The operator writes the provider's payload with placeholders where the
provider puts each value::

    {"results": [{"messageId": "{{requestId}}", "from": "{{profileNumber}}",
                  "to": "{{inboundNumber}}", "text": "{{inboundMessage}}",
                  "receivedAt": "{{originTimestamp}}"}]}

and the mapping is compiled once into a tree of positions. The rules:

- a string that is exactly ``"{{name}}"`` (spaces inside the braces allowed)
  is a placeholder. Names match without regard to case or underscores, so
  ``{{client_reference}}`` and ``{{clientReference}}`` are one placeholder;
- an object matches an object; keys the mapping does not name are ignored,
  and a key the payload leaves out leaves its placeholders unset;
- an array with **one** element means "each element of this array is one
  event": ``results[]`` with three elements gives three events, each with the
  values outside the array too. Nested one-element arrays multiply
  (``statuses[].recipients[]``: one event per recipient of each status);
- an array with several elements matches position by position;
- any other value (a number, ``true``, a string without braces) is a
  condition: the payload must hold exactly that value there, so
  ``"type": "mo_text"`` tells an inbound message from a report on a URL that
  receives both;
- a placeholder may appear at several positions (e.g. ``from`` in one payload
  version, ``sender`` in another): the first one in the document holding a
  value wins.
"""

from __future__ import annotations

import functools
import itertools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

#: a request may not expand into more events than this (a hostile payload's arrays multiply)
MAX_EVENTS = 1000

_PLACEHOLDER = re.compile(r"^\s*\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}\s*$")


def canonical(name: str) -> str:
    """The key a placeholder name is known by: no case, no underscores."""
    return name.replace("_", "").casefold()


@dataclass(frozen=True)
class Kind:
    """What one mapping describes: its placeholders, and which an event cannot do without."""

    name: str
    #: placeholder display names, as the seed spells them
    placeholders: tuple[str, ...]
    #: each entry is satisfied by any one of its names
    required: tuple[tuple[str, ...], ...]

    @property
    def known(self) -> dict[str, str]:
        return {canonical(name): name for name in self.placeholders}

    def describe(self, group: tuple[str, ...]) -> str:
        return " or ".join("{{" + name + "}}" for name in group)


INBOUND = Kind(
    "inbound",
    ("inboundMessage", "profileNumber", "requestId", "originTimestamp", "inboundNumber", "segmentCount"),
    (("inboundMessage",), ("profileNumber",), ("requestId",), ("inboundNumber",)),
)
FEEDBACK = Kind(
    "feedback",
    (
        "client_reference",
        "messageId",
        "feedbackStatus",
        "failureCode",
        "failureReason",
        "profileNumber",
        "originTimestamp",
    ),
    (("messageId", "client_reference"), ("feedbackStatus",)),
)

#: the seed's inbound mapping: what a provider posting smshooks' own shape sends
DEFAULT_INBOUND_MAPPING: Mapping[str, Any] = {
    "inboundMessage": "{{inboundMessage}}",
    "profileNumber": "{{profileNumber}}",
    "requestId": "{{requestId}}",
    "originTimestamp": "{{originTimestamp}}",
    "inboundNumber": "{{inboundNumber}}",
}
#: the seed's feedback mapping (the shape of Sinch's batch delivery report)
DEFAULT_FEEDBACK_MAPPING: Mapping[str, Any] = {
    "clientReference": "{{client_reference}}",
    "statuses": [{"code": "{{failureCode}}", "status": "{{feedbackStatus}}"}],
}


class MappingError(ValueError):
    """The mapping itself is wrong (a save-time error)."""


class TooManyEvents(ValueError):
    """The payload expands into more than :data:`MAX_EVENTS` events."""


# -- the compiled tree --------------------------------------------------------


@dataclass(frozen=True)
class Binding:
    """One event's worth of values, and the part of the payload it came from.

    ``raw`` is the payload with every iterated array cut down to the element
    this event came from, so a batch of N is not stored N times over.
    """

    values: Mapping[str, Any]
    raw: Any
    #: an element of an iterated array that is not of the mapping's shape: parse refuses
    #: it alone, so the batch's other elements (an opt-out among them) are still read
    unmatched: bool = False


class Node:
    has_conditions: bool = False

    def match(self, value: Any) -> list[Binding] | None:
        """The bindings ``value`` yields, ``None`` when it does not have this shape."""
        raise NotImplementedError


@dataclass(frozen=True)
class Placeholder(Node):
    name: str  # canonical

    def match(self, value: Any) -> list[Binding] | None:
        # A null is an absent value: another position may hold it.
        return [Binding({} if value is None else {self.name: value}, value)]


@dataclass(frozen=True)
class Condition(Node):
    value: Any
    has_conditions: bool = True

    def match(self, value: Any) -> list[Binding] | None:
        return [Binding({}, value)] if _same(value, self.value) else None


@dataclass(frozen=True)
class Object(Node):
    children: tuple[tuple[str, Node], ...]
    has_conditions: bool = False

    def match(self, value: Any) -> list[Binding] | None:
        if not isinstance(value, dict):
            return None
        bindings = [Binding({}, dict(value))]
        for key, child in self.children:
            if key not in value:
                if child.has_conditions:
                    return None
                continue
            matched = child.match(value[key])
            if matched is None:
                return None
            bindings = _product(bindings, matched, lambda raw, part, key=key: {**raw, key: part})
        return bindings


@dataclass(frozen=True)
class Each(Node):
    """A one-element array in the mapping: every element of the payload's array is one event."""

    element: Node
    has_conditions: bool = False

    def match(self, value: Any) -> list[Binding] | None:
        if not isinstance(value, list):
            return None
        bindings: list[Binding] = []
        for item in value:
            matched = self.element.match(item)
            if matched is None:
                matched = [Binding({}, item, unmatched=True)]
            bindings.extend(Binding(b.values, [b.raw], b.unmatched) for b in matched)
            if len(bindings) > MAX_EVENTS:
                raise TooManyEvents(f"the payload holds more than {MAX_EVENTS} events")
        if bindings and all(b.unmatched for b in bindings):
            return None  # an array of something else altogether: not this shape
        return bindings


@dataclass(frozen=True)
class Positions(Node):
    """An array of several elements in the mapping: matched position by position."""

    elements: tuple[Node, ...]
    has_conditions: bool = False

    def match(self, value: Any) -> list[Binding] | None:
        if not isinstance(value, list) or len(value) < len(self.elements):
            return None
        bindings = [Binding({}, list(value))]
        for index, child in enumerate(self.elements):
            matched = child.match(value[index])
            if matched is None:
                return None
            bindings = _product(bindings, matched, lambda raw, part, i=index: [*raw[:i], part, *raw[i + 1 :]])
        return bindings


def _product(left: list[Binding], right: list[Binding], place: Any) -> list[Binding]:
    if len(left) * len(right) > MAX_EVENTS:
        raise TooManyEvents(f"the payload holds more than {MAX_EVENTS} events")
    combined = []
    for a, b in itertools.product(left, right):
        values = dict(a.values)
        for name, value in b.values.items():
            values.setdefault(name, value)  # the first position in the document wins
        combined.append(Binding(values, place(a.raw, b.raw), a.unmatched or b.unmatched))
    return combined


def _same(actual: Any, expected: Any) -> bool:
    # JSON's true is not 1: compare types as well as values.
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(actual) is type(expected) and actual == expected
    if isinstance(expected, int | float) and isinstance(actual, int | float):
        return actual == expected
    return type(actual) is type(expected) and actual == expected


# -- compiling ----------------------------------------------------------------


@dataclass(frozen=True)
class CompiledMapping:
    """A mapping ready to match payloads, and the JSON paths of each placeholder."""

    kind: Kind
    root: Node
    #: canonical placeholder name → the JSON paths it appears at, in document order
    paths: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def match(self, payload: Any) -> list[Binding] | None:
        return self.root.match(payload)

    def missing(self, values: Mapping[str, Any]) -> list[tuple[str, ...]]:
        """The required groups ``values`` lacks (a value that is blank text counts as absent)."""
        return [
            group for group in self.kind.required if not any(_present(values.get(canonical(name))) for name in group)
        ]

    def where(self, group: tuple[str, ...]) -> str:
        """Where the mapping expects a required value, for error messages."""
        found = [path for name in group for path in self.paths.get(canonical(name), ())]
        return ", ".join(found)


def _present(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def compile_mapping(document: Any, kind: Kind) -> CompiledMapping:
    """Compile a mapping given as JSON text or as a parsed document.

    A :class:`MappingError` names the position of a placeholder that is
    unknown or not a whole value, and the required placeholders that are absent.
    """
    key = document if isinstance(document, str) else json.dumps(document, sort_keys=False)
    return _compile(key, kind)


@functools.lru_cache(maxsize=256)
def _compile(text: str, kind: Kind) -> CompiledMapping:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise MappingError(f"line {exc.lineno}, column {exc.colno}: not valid JSON: {exc.msg}") from None
    if not isinstance(document, dict | list):
        raise MappingError("a mapping is a JSON object or array, as the provider's payload is")
    paths: dict[str, list[str]] = {}
    root = _node(document, "$", kind, paths)
    compiled = CompiledMapping(kind, root, {name: tuple(found) for name, found in paths.items()})
    absent = [group for group in kind.required if not any(canonical(name) in paths for name in group)]
    if absent:
        names = "; ".join(kind.describe(group) for group in absent)
        raise MappingError(f"the {kind.name} mapping must place {names}")
    return compiled


def _node(value: Any, path: str, kind: Kind, paths: dict[str, list[str]]) -> Node:
    if isinstance(value, dict):
        children = tuple((key, _node(child, f"{path}.{key}", kind, paths)) for key, child in value.items())
        return Object(children, has_conditions=any(child.has_conditions for _, child in children))
    if isinstance(value, list):
        if len(value) == 1:
            element = _node(value[0], f"{path}[*]", kind, paths)
            return Each(element, has_conditions=element.has_conditions)
        elements = tuple(_node(child, f"{path}[{index}]", kind, paths) for index, child in enumerate(value))
        return Positions(elements, has_conditions=any(child.has_conditions for child in elements))
    if isinstance(value, str):
        found = _PLACEHOLDER.match(value)
        if found:
            name = canonical(found.group(1))
            if name not in kind.known:
                known = ", ".join("{{" + known + "}}" for known in kind.placeholders)
                raise MappingError(
                    f"{path}: unknown placeholder {value.strip()} in the {kind.name} mapping; use {known}"
                )
            paths.setdefault(name, []).append(path)
            return Placeholder(name)
        if "{{" in value or "}}" in value:
            raise MappingError(f'{path}: a placeholder must be the whole value, like "{{{{requestId}}}}": {value!r}')
    return Condition(value)


def placeholder_paths(mapping: CompiledMapping) -> dict[str, Sequence[str]]:
    """Placeholder display name → its JSON paths (for documentation and the API)."""
    known = mapping.kind.known
    return {known[name]: found for name, found in mapping.paths.items()}
