"""Where smshooks may send a request a tenant aims: HTTPS to public addresses only (no SSRF).

A tenant chooses URLs (the feedback webhook, a vendor credential's API base
URL, a custom provider's send and OAuth2 token URLs), and smshooks calls them
from inside the operator's network. A URL naming a loopback, private or
link-local address (the cloud metadata service at 169.254.169.254, a database
on 10.0.0.5) must never be reached, however the address is spelled.

Two checks, one rule:

- :func:`check_url` when a URL is saved: the host is normalised first
  (:func:`normalise_host`: percent-decoding, IDNA/UTS 46, the integer, octal
  and hex forms of IPv4, IPv4-mapped IPv6) so no spelling slips past, and a
  host name is resolved and every address checked.
- :func:`http_session` for the requests themselves: its connections resolve
  the host, check every address, and connect only to a checked address (never
  first connect and then look), which also defeats a name that resolved to a
  public address when saved and a private one now (DNS rebinding). TLS SNI,
  certificate checks and the Host header still use the URL's host.
  (:func:`guarded_pool`: the same rule for callers that skip requests, on
  :mod:`smshooks.contract.keepalive`.) The rule itself: :mod:`smshooks.contract.target_rule`.

A refused target is always :class:`TargetRefused` with one fixed message
(:data:`REFUSED`): it neither says what a name resolved to nor, since nothing
was connected, whether a port is open. ``SMSHOOKS_ALLOW_PRIVATE_TARGETS``
lifts the rule (development, tests with receivers on loopback).
"""

from __future__ import annotations

import functools
import socket
import sys
from collections.abc import Sequence
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util.timeout import _DEFAULT_TIMEOUT

from smshooks.contract import http_answer, keepalive
from smshooks.contract.keepalive_adapter import KeepAliveAdapter
from smshooks.contract.target_http import NO_COOKIES, OneWriteMixin, OpenAdapter
from smshooks.contract.target_rule import (
    MAX_URL_LENGTH,
    REFUSED,
    AddrInfo,
    BadTargetURL,
    TargetRefused,
    UnsafeTarget,
    check_url,
    checked_addresses,
    is_public,
    normalise_host,
)

__all__ = [
    "MAX_URL_LENGTH",
    "REFUSED",
    "BadTargetURL",
    "GuardedHTTPSPool",
    "RefusedConnection",
    "TargetRefused",
    "UnsafeTarget",
    "check_url",
    "checked_socket",
    "guarded_pool",
    "http_session",
    "is_public",
    "is_refusal",
    "normalise_host",
    "refusal_count",
]


# -- the guarded session -----------------------------------------------------------


class RefusedConnection(NewConnectionError):
    """Inside urllib3: the connection was refused before any socket was opened (:func:`is_refusal`)."""


def _connect(addresses: Sequence[AddrInfo], timeout: Any, source_address: Any, socket_options: Any) -> socket.socket:
    """A socket connected to the first of ``addresses`` that answers (as
    ``urllib3.util.connection.create_connection``, but to checked addresses only)."""
    error: OSError | None = None
    for family, kind, proto, sockaddr in addresses:
        sock = socket.socket(family, kind, proto)
        try:
            for option in socket_options or ():
                sock.setsockopt(*option)
            if timeout is not _DEFAULT_TIMEOUT:
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
            return sock
        except OSError as exc:
            error = exc
            sock.close()
    raise error or OSError("no address to connect to")


def checked_socket(host: str, port: int, timeout: float | None) -> socket.socket:
    """A socket connected to a checked public address of ``host`` (the guard of a
    :class:`~smshooks.contract.keepalive.KeepAlivePool`): :class:`http_answer.Refused` with :data:`REFUSED`,
    nothing connected, when any address of it is not public; ``socket.gaierror`` when it does not
    resolve; ``OSError`` (``TimeoutError``) when no address answers."""
    try:
        addresses = checked_addresses(normalise_host(host), port)
    except TargetRefused:
        raise http_answer.Refused(REFUSED) from None
    return _connect(addresses, timeout, None, None)


def guarded_pool(*, allow_private: bool, pool_size: int = 10) -> keepalive.KeepAlivePool:
    """Kept-alive connections under the rule: unless ``allow_private``, HTTPS to checked public
    addresses only, anything else refused before a socket opens (:class:`http_answer.Refused`)."""
    if allow_private:
        return keepalive.KeepAlivePool(keepalive.open_socket, hosts=pool_size, per_host=pool_size)
    return keepalive.KeepAlivePool(checked_socket, https_only=True, hosts=pool_size, per_host=pool_size)


class _GuardedConnectionMixin:
    host: str
    port: int
    _dns_host: str
    timeout: Any
    source_address: Any
    socket_options: Any

    def _new_conn(self) -> socket.socket:
        try:
            addresses = checked_addresses(normalise_host(self._dns_host), self.port)
        except TargetRefused:
            raise RefusedConnection(self, REFUSED) from None  # type: ignore[arg-type]
        except socket.gaierror as exc:
            raise NameResolutionError(self.host, self, exc) from exc  # type: ignore[arg-type]
        try:
            sock = _connect(addresses, self.timeout, self.source_address, self.socket_options)
        except TimeoutError as exc:
            raise ConnectTimeoutError(
                self, f"Connection to {self.host} timed out. (connect timeout={self.timeout})"
            ) from exc
        except OSError as exc:
            raise NewConnectionError(self, f"Failed to establish a new connection: {exc}") from exc  # type: ignore[arg-type]
        sys.audit("http.client.connect", self, self.host, self.port)
        return sock


class _GuardedHTTPConnection(_GuardedConnectionMixin, OneWriteMixin, HTTPConnection):
    pass


class _GuardedHTTPSConnection(_GuardedConnectionMixin, OneWriteMixin, HTTPSConnection):
    pass


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


def is_refusal(exc: BaseException) -> bool:
    """Whether urllib3's (or requests') ``exc`` is, or wraps, a :class:`RefusedConnection`."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, RefusedConnection):
            return True
        reason = getattr(current, "reason", None)
        if isinstance(reason, RefusedConnection):
            return True
        nested = current.args[0] if current.args and isinstance(current.args[0], BaseException) else None
        current = nested or current.__cause__ or current.__context__
    return False


class _Refusals:
    """How many requests one guarded session refused (shared by the session and its adapter)."""

    count = 0


class _GuardedAdapter(HTTPAdapter):
    """Refuses plain http and connections to non-public addresses, counting each refusal."""

    def __init__(self, refusals: _Refusals, **kwargs: Any):
        super().__init__(**kwargs)
        self.refusals = refusals

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _GuardedHTTPPool, "https": GuardedHTTPSPool}

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        if urlsplit(request.url or "").scheme != "https":
            self.refusals.count += 1
            raise TargetRefused(request=request)
        try:
            return super().send(request, *args, **kwargs)
        except requests.ConnectionError as exc:
            if not is_refusal(exc):
                raise
            self.refusals.count += 1
            raise TargetRefused(request=request) from None


#: what requests raises for a URL it cannot even prepare (no adapter is reached):
#: for a guarded session that is a target it refuses, with the same message
_UNPREPARABLE = (requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema, requests.exceptions.MissingSchema)


class _GuardedRequests(requests.Session):
    """Mixed in before a session class: a URL requests cannot prepare is refused too."""

    target_refusals: _Refusals

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        try:
            return super().request(method, url, *args, **kwargs)
        except _UNPREPARABLE:
            self.target_refusals.count += 1
            raise TargetRefused() from None


Session = TypeVar("Session", bound=requests.Session)


@functools.cache
def _guarded_class(session_class: type[requests.Session]) -> type[requests.Session]:
    return type(f"Guarded{session_class.__name__}", (_GuardedRequests, session_class), {})


def http_session(
    session_class: type[Session] = requests.Session,  # type: ignore[assignment]
    *,
    allow_private: bool,
    pool_size: int = 10,
    **kwargs: Any,
) -> Session:
    """A ``session_class(**kwargs)`` with pooled keep-alive connections that, unless
    ``allow_private``, only reaches HTTPS on public addresses and raises
    :class:`TargetRefused` for anything else (without connecting).

    No proxy or .netrc from the environment (a proxy would hide the address reached); no cookie kept.
    """
    pool = guarded_pool(allow_private=allow_private, pool_size=pool_size)
    if allow_private:
        session = session_class(**kwargs)
        fallback: HTTPAdapter = OpenAdapter(pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0)
        adapter = KeepAliveAdapter(pool, fallback)
    else:
        session = cast(Session, _guarded_class(session_class)(**kwargs))
        refusals = session.target_refusals = _Refusals()  # type: ignore[attr-defined]
        fallback = _GuardedAdapter(refusals, pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0)

        def refused(request: requests.PreparedRequest) -> Exception:
            refusals.count += 1
            return TargetRefused(request=request)

        adapter = KeepAliveAdapter(pool, fallback, refused)
    session.trust_env = False
    session.cookies.set_policy(NO_COOKIES)  # it serves every tenant of a thread: none's cookie rides along
    # Ordinary requests on the kept-alive pool; a streamed one, a file body, a custom verify: requests' adapter.
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def refusal_count(session: requests.Session) -> int:
    """How many requests ``session`` refused so far (0 for an unguarded session):
    lets a caller tell a refusal from whatever failure a plugin reported for it."""
    refusals = getattr(session, "target_refusals", None)
    return refusals.count if isinstance(refusals, _Refusals) else 0
