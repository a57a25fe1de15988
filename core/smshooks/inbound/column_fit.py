"""Events made fit for every engine's columns before they are stored (or a PayloadError)."""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from smshooks.events import Event, InboundMessage
from smshooks.store.text import UNSTORABLE_CHARACTERS, replace_unstorable
from smshooks.vendor import PayloadError

#: column widths of the identifying fields: longer values are not what a vendor sends
FIELD_LIMITS = {"vendor_message_id": 200, "vendor_status": 64, "sender": 64, "recipient": 64, "error_code": 64}
#: the most parts one message can have: the concatenation header counts parts in
#: one octet (3GPP TS 23.040 §9.2.3.24.1). A larger segment count is no vendor's
#: real value; it is stored as this bound (the vendor's value stays in ``raw``)
#: rather than refusing a message that may be an opt-out.
MAX_SEGMENTS = 255


def fit_to_columns(event: Event, **stamps: Any) -> Event:
    """``event`` made fit for every engine's columns, or a :class:`PayloadError`; with ``stamps`` (the
    webhook context of :func:`smshooks.events.stamp`: ``org``, ``sandbox``, ``webhook_id``) set in the
    same copy (a frozen dataclass's copy costs more than the checks).

    - PostgreSQL refuses NUL in text and no engine can encode a lone surrogate;
      in message text they become U+FFFD rather than losing the message. An
      identifier longer than its column, or holding them, is refused: it is
      not a vendor's id.
    - A segment count is an INTEGER column (32-bit signed on PostgreSQL, 64-bit
      on SQLite); it is clamped to ``1 … MAX_SEGMENTS``. Refusing would lose the
      message (perhaps an opt-out) over a number no vendor really sends.
    - A time without a zone is UTC.
    - ``raw`` is what the vendor sent, so it is kept whole, with only the values
      no JSON column can take rewritten: a non-finite float (``NaN`` is not
      JSON; PostgreSQL refuses it) becomes its text, a key that is not text
      becomes text. NUL and lone surrogates stay: they are JSON escapes there.
    """
    changes: dict[str, Any] = {}
    for name in _field_names(type(event)):
        value = getattr(event, name)
        if isinstance(value, datetime) and value.tzinfo is None:
            # a plugin's time without a zone (the conformance kit refuses it; a third party's plugin
            # may ship one) is read as UTC, as vendors' zone-less times are: storing refused it with a 500
            changes[name] = value.replace(tzinfo=UTC)
            continue
        if not isinstance(value, str):
            continue
        limit = FIELD_LIMITS.get(name)
        if limit is not None and len(value) > limit:
            raise PayloadError(f"{name} is longer than {limit} characters")
        if UNSTORABLE_CHARACTERS.search(value):
            if limit is not None:
                raise PayloadError(f"{name} contains NUL or unpaired surrogate characters")
            changes[name] = replace_unstorable(value)
    if isinstance(event, InboundMessage):
        segments = min(max(event.segments, 1), MAX_SEGMENTS) if isinstance(event.segments, int) else 1
        if segments != event.segments:
            changes["segments"] = segments
        urls = tuple(replace_unstorable(url) for url in event.media_urls)
        if urls != tuple(event.media_urls):
            changes["media_urls"] = urls
    raw = fit_json(event.raw)
    if raw is not event.raw:
        changes["raw"] = raw
    changes.update(stamps)
    return dataclasses.replace(event, **changes) if changes else event


@functools.cache
def _field_names(kind: type) -> tuple[str, ...]:
    return tuple(item.name for item in dataclasses.fields(kind))


def fit_json(value: Any) -> Any:
    """``value`` with what a JSON column cannot hold made text: ``value`` itself when nothing needed it.

    Iterative, so a payload nested to the parser's bound costs no recursion.
    """
    if not _needs_json_fix(value):
        return value
    return _fix_json(value)


def _needs_json_fix(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, float):
            if not math.isfinite(item):
                return True
        elif isinstance(item, Mapping):
            if any(not isinstance(key, str) for key in item):
                return True
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
        elif not (item is None or isinstance(item, str | int | bool)):
            return True
    return False


def _fix_json(value: Any) -> Any:
    # Only reached for the rare payload _needs_json_fix found wanting; the
    # depth is bounded by the JSON parser (smshooks.vendor.MAX_JSON_DEPTH).
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    if isinstance(value, Mapping):
        return {str(key): _fix_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_fix_json(item) for item in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)
