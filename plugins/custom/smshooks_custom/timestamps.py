"""A provider's timestamp → an aware UTC datetime.

Providers write ISO-8601 (``2024-06-06T07:52:37.386Z``, ``2023-08-01T16:10:00+05:30``,
``…+0000``) or seconds or milliseconds since the epoch, as a number or as text.
A time without an offset is taken as UTC, the zone such APIs work in.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime
from typing import Any

_NUMBER = re.compile(r"^\d+(\.\d+)?$")
_ISO_START = re.compile(r"^\d{4}-\d{2}-\d{2}")
# Epoch values above this are milliseconds: 10^11 seconds is the year 5138,
# 10^11 milliseconds is March 1973.
_MILLIS_ABOVE = 100_000_000_000


def parse_timestamp(value: Any) -> datetime:
    """The instant ``value`` names, in UTC; :class:`ValueError` when it names none."""
    if isinstance(value, bool):
        raise ValueError(f"not a timestamp: {value!r}")
    if isinstance(value, int | float):
        return _from_epoch(float(value))
    if not isinstance(value, str):
        raise ValueError(f"not a timestamp: {value!r}")
    text = value.strip()
    if _NUMBER.match(text):
        return _from_epoch(float(text))
    if not _ISO_START.match(text):
        raise ValueError(f"not an ISO-8601 timestamp or epoch time: {value!r}")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(f"not an ISO-8601 timestamp: {value!r}") from None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _from_epoch(seconds: float) -> datetime:
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"not an epoch time: {seconds!r}")
    if seconds > _MILLIS_ABOVE:
        seconds /= 1000
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        raise ValueError(f"epoch time out of range: {seconds!r}") from None
