"""Pieces of the host's HTTP sessions and pools, guarded (:mod:`smshooks.targets`) or open.

- :class:`OneWriteMixin`: a request's head and its in-memory body in one write;
- :class:`OpenAdapter`: requests' adapter for ``SMSHOOKS_ALLOW_PRIVATE_TARGETS`` (connects anywhere),
  with those connections;
- :data:`NO_COOKIES`: the cookie policy of a session that keeps no cookie a response sets.
"""

from __future__ import annotations

import http.cookiejar
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

__all__ = ["NO_COOKIES", "OneWriteMixin", "OpenAdapter"]

_HOLD = object()


class OneWriteMixin:
    """Sends a request's head and its (whole, in memory) body in one write, not two.

    urllib3 writes the head, then the body: two segments, two system calls and two wake-ups of
    the far end for every form or JSON POST. The bytes on the wire are the same."""

    _held: Any = None

    def request(self, method: str, url: str, body: Any = None, headers: Any = None, **kwargs: Any) -> None:
        if body and isinstance(body, bytes | str):
            self._held = _HOLD  # the next send is the head: kept for the body's
        try:
            super().request(method, url, body, headers, **kwargs)  # type: ignore[misc]
            if self._held is not None and self._held is not _HOLD:
                super().send(self._held)  # type: ignore[misc]  # no body came after all
        finally:
            self._held = None

    def send(self, data: Any) -> None:
        held = self._held
        if held is _HOLD and isinstance(data, bytes):
            self._held = data
            return
        if held is not None and held is not _HOLD:
            self._held = None
            if isinstance(data, bytes):
                data = held + data
            else:
                super().send(held)  # type: ignore[misc]
        elif held is _HOLD:
            self._held = None
        super().send(data)  # type: ignore[misc]


class _OneWriteHTTPConnection(OneWriteMixin, HTTPConnection):
    pass


class _OneWriteHTTPSConnection(OneWriteMixin, HTTPSConnection):
    pass


class _OneWriteHTTPPool(HTTPConnectionPool):
    ConnectionCls = _OneWriteHTTPConnection


class _OneWriteHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _OneWriteHTTPSConnection


class OpenAdapter(HTTPAdapter):
    """Connects anywhere (``SMSHOOKS_ALLOW_PRIVATE_TARGETS``), a request in one write as the guarded one."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _OneWriteHTTPPool, "https": _OneWriteHTTPSPool}


class _KeepNoCookies(http.cookiejar.DefaultCookiePolicy):
    def set_ok(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:
        return False


NO_COOKIES = _KeepNoCookies()
