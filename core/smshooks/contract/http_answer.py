"""What a request through :mod:`smshooks.contract.keepalive` comes to: a :class:`Reply`, or one of
the :class:`HTTPFailure` kinds (each a reason a caller words and decides on: retry, refuse, log)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "AnswerBroken",
    "BadEncoding",
    "ConnectFailed",
    "ConnectTimedOut",
    "HTTPFailure",
    "ReadTimedOut",
    "Refused",
    "Reply",
    "TLSFailed",
]


class HTTPFailure(Exception):
    """A request that got no whole answer; ``str()`` says why."""


class Refused(HTTPFailure):
    """Not connected: the target is not one the pool may reach (plain http when ``https_only``, or
    what ``connect`` refused). Nothing was sent, no socket opened to it."""


class ConnectFailed(HTTPFailure):
    """No connection: the name did not resolve, the port refused, the network is unreachable."""


class ConnectTimedOut(ConnectFailed):
    """No connection within the connect timeout."""


class TLSFailed(ConnectFailed):
    """The TLS handshake failed (the certificate did not verify, no common protocol)."""


class ReadTimedOut(HTTPFailure):
    """No (further) byte of the answer within the read timeout."""


class AnswerBroken(HTTPFailure):
    """The connection dropped or the answer was not HTTP: before its head was whole (``in_body``
    false: the request may not have been seen) or inside its body."""

    def __init__(self, reason: str, *, in_body: bool = False):
        super().__init__(reason)
        self.in_body = in_body


class BadEncoding(HTTPFailure):
    """The body's ``Content-Encoding`` could not be undone."""


@dataclass(slots=True)
class Reply:
    """An answer: its status, reason, header lines as received (names as sent, values without
    surrounding blanks), and its body with any ``Content-Encoding`` undone."""

    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: bytes
    #: ``max_body`` was reached: ``body`` is its first ``max_body`` bytes, the rest was not read
    truncated: bool = False

    def header(self, name: str) -> str | None:
        """The header ``name`` (any case); repeated lines joined with ", " (as urllib3 does); None if absent."""
        wanted = name.lower()
        values = [value for key, value in self.headers if key.lower() == wanted]
        return ", ".join(values) if values else None
