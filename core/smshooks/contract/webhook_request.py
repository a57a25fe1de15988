"""What ``verify`` and ``parse`` receive and what ``acknowledge`` returns: the vendor's HTTP
request and our answer, independent of any web framework, and the nonce guard a
signature scheme records one-time values in.

A plugin's adapter is tested alone by building a :class:`WebhookRequest` by hand
(or with :func:`smshooks.testing.form_request` and friends).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit

from smshooks.contract.jsonsafe import parse_json

__all__ = ["MemoryReplayGuard", "ReplayGuard", "WebhookRequest", "WebhookResponse"]


class ReplayGuard(Protocol):
    """Remembers one-time values (signature nonces) so a captured request cannot be replayed.

    The host hands a database-backed guard to every request, shared by all
    processes; tests get :class:`MemoryReplayGuard`.
    """

    def first_use(self, key: str, ttl: timedelta) -> bool:
        """True the first time ``key`` is seen within ``ttl``; False for a replay."""
        ...


class MemoryReplayGuard:
    """A process-local :class:`ReplayGuard` (for tests and single-process tools)."""

    def __init__(self) -> None:
        self._seen: dict[str, datetime] = {}
        self._lock = threading.Lock()

    def first_use(self, key: str, ttl: timedelta) -> bool:
        now = datetime.now(UTC)
        with self._lock:
            expires = self._seen.get(key)
            if expires is not None and expires > now:
                return False
            self._seen[key] = now + ttl
            return True


@dataclass(frozen=True)
class WebhookRequest:
    """An HTTP request as the vendor made it, independent of any web framework.

    ``url`` is the public URL the vendor called (scheme, host, port, path and
    query exactly as configured at the vendor), which signature schemes sign.
    ``form`` keeps every value of a repeated field, in arrival order.
    """

    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes = b""
    form: Mapping[str, list[str]] = field(default_factory=dict)
    received_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    #: where a vendor's verify() records nonces it accepted (see ReplayGuard)
    replay_guard: ReplayGuard = field(default_factory=MemoryReplayGuard, compare=False, repr=False)
    #: the webhook's credential, for vendors whose formats are configured there
    #: (the Custom vendor's payload mappings); the same values verify() gets
    credentials: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def header(self, name: str) -> str | None:
        """A header's value, looked up case-insensitively."""
        lower = name.lower()
        for key, value in self.headers.items():
            if key.lower() == lower:
                return value
        return None

    @property
    def query(self) -> dict[str, list[str]]:
        """The URL's query parameters, every value kept."""
        return parse_qs(urlsplit(self.url).query, keep_blank_values=True)

    @property
    def content_type(self) -> str:
        return (self.header("Content-Type") or "").split(";")[0].strip().lower()

    def params(self) -> dict[str, str]:
        """Form (or, for GET, query) parameters with the first value of each."""
        source = self.form if self.form else (self.query if self.method.upper() == "GET" else {})
        return {name: values[0] for name, values in source.items() if values}

    def json(self) -> Any:
        """The body parsed by :func:`parse_json`: the one JSON parser for vendor bodies.

        A :class:`PayloadError` (answered 400) when the body is not JSON, is not
        UTF-8/16/32 text, nests deeper than :data:`~smshooks.contract.jsonsafe.MAX_JSON_DEPTH`, holds a number
        literal longer than :data:`~smshooks.contract.jsonsafe.MAX_JSON_NUMBER_LENGTH` characters, ``NaN`` or
        ``Infinity``, or a number too large for a float (``1e999999``). Plugins
        call this instead of ``json.loads`` so every vendor refuses the same
        hostile bodies the same way, before any of their code sees them.
        """
        return parse_json(self.body)


@dataclass(frozen=True)
class WebhookResponse:
    """The HTTP answer a vendor expects once its request was handled."""

    status: int = 200
    body: str = ""
    content_type: str = "text/plain; charset=utf-8"
