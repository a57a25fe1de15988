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
  (:mod:`smshooks.target_pools`: the same connections for callers that skip requests.)

A refused target is always :class:`TargetRefused` with one fixed message
(:data:`REFUSED`): it neither says what a name resolved to nor, since nothing
was connected, whether a port is open. ``SMSHOOKS_ALLOW_PRIVATE_TARGETS``
lifts the rule (development, tests with receivers on loopback).
"""

from __future__ import annotations

import contextlib
import functools
import ipaddress
import socket
import sys
from collections.abc import Sequence
from typing import Any, TypeVar, cast
from urllib.parse import unquote, urlsplit

import idna
import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util.timeout import _DEFAULT_TIMEOUT

from smshooks.contract.target_http import NO_COOKIES, OneWriteMixin, OpenAdapter

__all__ = [
    "MAX_URL_LENGTH",
    "REFUSED",
    "BadTargetURL",
    "GuardedHTTPSPool",
    "RefusedConnection",
    "TargetRefused",
    "UnsafeTarget",
    "check_url",
    "http_session",
    "is_public",
    "is_refusal",
    "normalise_host",
    "refusal_count",
]

MAX_URL_LENGTH = 2048
#: the one message of every refused target, at save time and at connection time
REFUSED = "target refused: not a public https address"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class UnsafeTarget(ValueError):
    """A URL smshooks will not call (base of both reasons below)."""


class BadTargetURL(UnsafeTarget):
    """The text is not a URL smshooks calls (no host, credentials in it, …); the
    message says why, from the text alone (nothing was resolved or connected)."""


class TargetRefused(requests.ConnectionError, UnsafeTarget):
    """The URL is not HTTPS to public addresses; raised when a URL is checked and,
    as a ``requests.ConnectionError``, by a guarded session instead of connecting."""

    def __init__(self, *, request: requests.PreparedRequest | None = None):
        super().__init__(REFUSED, request=request)


# -- the rule --------------------------------------------------------------------


def is_public(ip: IPAddress) -> bool:
    """True for a globally routable unicast address, including behind IPv6
    encodings of IPv4 (mapped, 6to4, NAT64, Teredo) that could smuggle a private one."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = [ip.ipv4_mapped, ip.sixtofour, ip.teredo[1] if ip.teredo else None]
        if ip in _NAT64:
            embedded.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        if any(inner is not None and not is_public(inner) for inner in embedded):
            return False
    return ip.is_global and not ip.is_multicast


def normalise_host(host: str) -> str:
    """The host as the network will see it: an IP address in its plain form
    (``127.0.0.1``, ``::1``), else a lower-case ASCII (punycode) name without a
    trailing dot. ``%31%32%37.0.0.1``, ``2130706433``, ``0x7f000001``,
    ``0177.0.0.1``, ``127.1``, ``[::ffff:7f00:1]`` and full-width digits all give
    an address. :class:`TargetRefused` for a host that has no such form."""
    try:
        text = unquote(host, errors="strict").strip("[]")
    except UnicodeDecodeError:
        raise TargetRefused() from None
    if ":" in text:  # IPv6, perhaps with a zone (%eth0)
        try:
            address = ipaddress.IPv6Address(text.split("%", 1)[0])
        except ValueError:
            raise TargetRefused() from None
        mapped = address.ipv4_mapped
        return str(mapped) if mapped is not None else str(address)
    try:
        name = idna.encode(text, uts46=True).decode("ascii") if text else ""
    except (idna.IDNAError, UnicodeError):
        # Numeric labels such as "0x7f" are not IDNA labels: map, then try them as an address.
        try:
            name = idna.uts46_remap(text, std3_rules=False).lower()
        except (idna.IDNAError, UnicodeError):
            raise TargetRefused() from None
    name = name.lower().rstrip(".")
    if not name or not name.isascii():
        raise TargetRefused()
    ipv4 = _ipv4(name)
    return str(ipv4) if ipv4 is not None else name


def _ipv4(name: str) -> ipaddress.IPv4Address | None:
    """``name`` read as inet_aton reads it (what the resolver does with a numeric
    host): 1 to 4 parts, each decimal, 0x hex or 0-led octal, the last filling
    the remaining bytes. None when it is not such a form."""
    parts = name.split(".")
    if len(parts) > 4:
        return None
    numbers = []
    for part in parts:
        try:
            if part[:2] in ("0x", "0X"):
                numbers.append(int(part[2:] or "0", 16))
            elif len(part) > 1 and part.startswith("0"):
                numbers.append(int(part, 8))
            else:
                numbers.append(int(part, 10) if part.isdigit() else -1)
        except ValueError:
            return None
        if numbers[-1] < 0:
            return None
    *head, last = numbers
    if any(n > 255 for n in head) or last >= 256 ** (4 - len(head)):
        return None
    value = last
    for index, n in enumerate(head):
        value += n << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


def _is_local_name(name: str) -> bool:
    return name == "localhost" or name.endswith(".localhost")


def check_url(url: str, *, allow_private: bool, resolve: bool = True) -> str:
    """``url`` if smshooks may call it; else :class:`BadTargetURL` (not a usable URL)
    or :class:`TargetRefused` (not HTTPS to public addresses).

    ``resolve``: look the host name up and check every address. A name that
    does not resolve now is accepted (its DNS may not be set up yet): the
    guarded session checks the addresses it connects to anyway.
    """
    if len(url) > MAX_URL_LENGTH:
        raise BadTargetURL(f"at most {MAX_URL_LENGTH} characters")
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        raise BadTargetURL("no spaces or control characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises on a bad port
    except ValueError as exc:
        raise BadTargetURL(f"not a URL: {exc}") from None
    if parts.scheme not in ("https", "http"):
        raise BadTargetURL("must be an https:// URL")
    if not parts.hostname:
        raise BadTargetURL("has no host")
    if parts.username is not None or parts.password is not None:
        raise BadTargetURL("must not hold credentials in the URL")
    if parts.fragment:
        raise BadTargetURL("must not have a #fragment")
    if allow_private:
        return url
    if parts.scheme != "https":
        raise TargetRefused()
    host = normalise_host(parts.hostname)
    if _literal(host) is None and not resolve:
        if _is_local_name(host):
            raise TargetRefused()
        return url
    with contextlib.suppress(socket.gaierror):  # not resolvable now: checked on connection
        _checked_addresses(host, parts.port or 443)
    return url


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


_AddrInfo = tuple[socket.AddressFamily, socket.SocketKind, int, Any]


def _checked_addresses(host: str, port: int) -> list[_AddrInfo]:
    """Where ``host`` (normalised) may be connected to: every address it resolves
    to, all public, else :class:`TargetRefused`. ``socket.gaierror`` when it does not resolve."""
    literal = _literal(host)
    if literal is not None:
        if not is_public(literal):
            raise TargetRefused()
        family = socket.AF_INET6 if literal.version == 6 else socket.AF_INET
        sockaddr = (str(literal), port, 0, 0) if literal.version == 6 else (str(literal), port)
        return [(family, socket.SOCK_STREAM, socket.IPPROTO_TCP, sockaddr)]
    if _is_local_name(host):
        raise TargetRefused()
    infos = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
    if not infos:
        raise TargetRefused()
    checked: list[_AddrInfo] = []
    for family, kind, proto, _name, sockaddr in infos:
        try:
            address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        except ValueError:
            raise TargetRefused() from None
        if not is_public(address):
            raise TargetRefused()  # one private address refuses the name: no picking the public one
        checked.append((family, kind, proto, sockaddr))
    return checked


# -- the guarded session -----------------------------------------------------------


class RefusedConnection(NewConnectionError):
    """Inside urllib3: the connection was refused before any socket was opened (:func:`is_refusal`)."""


def _connect(addresses: Sequence[_AddrInfo], timeout: Any, source_address: Any, socket_options: Any) -> socket.socket:
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


class _GuardedConnectionMixin:
    host: str
    port: int
    _dns_host: str
    timeout: Any
    source_address: Any
    socket_options: Any

    def _new_conn(self) -> socket.socket:
        try:
            addresses = _checked_addresses(normalise_host(self._dns_host), self.port)
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
    if allow_private:
        session = session_class(**kwargs)
        adapter = OpenAdapter(pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0)
    else:
        session = cast(Session, _guarded_class(session_class)(**kwargs))
        refusals = session.target_refusals = _Refusals()  # type: ignore[attr-defined]
        adapter = _GuardedAdapter(refusals, pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0)
    session.trust_env = False
    session.cookies.set_policy(NO_COOKIES)  # it serves every tenant of a thread: none's cookie rides along
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def refusal_count(session: requests.Session) -> int:
    """How many requests ``session`` refused so far (0 for an unguarded session):
    lets a caller tell a refusal from whatever failure a plugin reported for it."""
    refusals = getattr(session, "target_refusals", None)
    return refusals.count if isinstance(refusals, _Refusals) else 0
