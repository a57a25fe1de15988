"""Small readers: dot paths into a provider's answer, and timestamps in any form providers write."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from smshooks_custom.jsonpath import MISSING, lookup, split_path
from smshooks_custom.timestamps import parse_timestamp

DOCUMENT = {"messages": [{"id": "a", "to": ["1", "2"]}, {"id": "b"}], "0": "zero", "n": None}


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("messages.0.id", "a"),
        ("messages[1].id", "b"),
        ("$.messages[0].to[1]", "2"),
        ("messages.0.to.-1", "2"),
        ("0", "zero"),
        ("n", None),
        ("messages.2.id", MISSING),
        ("messages.x", MISSING),
        ("messages.0.id.more", MISSING),
        ("nothing", MISSING),
    ],
)
def test_lookup(path: str, value: object) -> None:
    found = lookup(DOCUMENT, path)
    if value is MISSING:
        assert found is MISSING
    else:
        assert found == value


@pytest.mark.parametrize("path", ["", "$", "a..b", ".a", "a."])
def test_bad_paths(path: str) -> None:
    with pytest.raises(ValueError):
        split_path(path)


SECOND = datetime(2024, 6, 6, 7, 52, 37, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-06-06T07:52:37Z", SECOND),
        ("2024-06-06T07:52:37.386Z", SECOND.replace(microsecond=386000)),
        ("2024-06-06T09:52:37+02:00", SECOND),
        ("2024-06-06T07:52:37.000+0000", SECOND),
        ("2024-06-06 07:52:37", SECOND),
        ("2024-06-06T07:52:37", SECOND),
        (1717660357, SECOND),
        (1717660357.5, SECOND.replace(microsecond=500000)),
        ("1717660357", SECOND),
        (1717660357000, SECOND),
        ("1717660357386", SECOND.replace(microsecond=386000)),
    ],
)
def test_timestamps(value: object, expected: datetime) -> None:
    parsed = parse_timestamp(value)
    assert parsed == expected
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize("value", ["yesterday", "06/06/2024", "2024-13-01T00:00:00Z", True, -5, [1], {"t": 1}, "1e999"])
def test_not_timestamps(value: object) -> None:
    with pytest.raises(ValueError):
        parse_timestamp(value)
