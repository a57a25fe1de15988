"""Hostile JSON bodies every JSON vendor plugin must refuse with :class:`~smshooks.vendor.PayloadError`.

:meth:`smshooks.vendor.WebhookRequest.json` refuses them all, so a plugin that
reads its body through it passes this table for free; one that calls
``json.loads`` itself, or trips over the parsed value, does not. A
:class:`~smshooks.testing.VendorConformance` subclass with
``hostile_json = True`` runs every row against its vendor.
"""

from __future__ import annotations

from dataclasses import dataclass


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
