"""Where feedback may be sent: HTTPS to public addresses only (no SSRF into our network).

A tenant chooses the URL, and smshooks POSTs to it from inside the
operator's network, so a URL naming a private, loopback or link-local address
(the cloud metadata service at 169.254.169.254, a database on 10.0.0.5) is
refused. The URL is checked when it is configured; at delivery the address
actually connected to is checked again, which also defeats a DNS name that
resolves to a public address when configured and a private one later.
``SMSHOOKS_ALLOW_PRIVATE_TARGETS`` lifts both checks (development, tests).
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NewConnectionError

MAX_URL_LENGTH = 2048
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeTarget(ValueError):
    """The URL may not receive feedback; the message says why."""


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


def check_url(url: str, *, allow_private: bool, resolve: bool = True) -> str:
    """``url`` if feedback may go there, else :class:`UnsafeTarget`.

    A host name that does not resolve now is accepted (its DNS may not be set
    up yet): delivery checks the address it connects to anyway.
    """
    if len(url) > MAX_URL_LENGTH:
        raise UnsafeTarget(f"at most {MAX_URL_LENGTH} characters")
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        raise UnsafeTarget("no spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeTarget(f"not a URL: {exc}") from None
    schemes = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in schemes:
        raise UnsafeTarget("must be an https:// URL" if not allow_private else "must be an http(s):// URL")
    if not parts.hostname:
        raise UnsafeTarget("has no host")
    if parts.username is not None or parts.password is not None:
        raise UnsafeTarget("must not hold credentials: use header parameters or JWT authentication")
    if parts.fragment:
        raise UnsafeTarget("must not have a #fragment")
    if allow_private:
        return url
    host = parts.hostname
    for address in _addresses(host, port or 443, resolve):
        if not is_public(address):
            raise UnsafeTarget(f"{host} is a private, loopback or link-local address ({address})")
    return url


def _addresses(host: str, port: int, resolve: bool) -> list[IPAddress]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    if host.rstrip(".").lower() == "localhost" or host.rstrip(".").lower().endswith(".localhost"):
        return [ipaddress.ip_address("127.0.0.1")]
    if not resolve:
        return []
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return []
    return [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]


class UnsafeTargetError(NewConnectionError):
    """Raised (inside urllib3) when a connection reached a non-public address."""


def _check_peer(conn: Any, sock: socket.socket) -> None:
    try:
        peer = ipaddress.ip_address(sock.getpeername()[0].split("%", 1)[0])
    except (OSError, ValueError):
        sock.close()
        raise UnsafeTargetError(conn, "refused: the connected address cannot be checked") from None
    if not is_public(peer):
        sock.close()
        raise UnsafeTargetError(conn, f"refused: {conn.host} is a private, loopback or link-local address ({peer})")


class _GuardedHTTPConnection(HTTPConnection):
    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        _check_peer(self, sock)
        return sock


class _GuardedHTTPSConnection(HTTPSConnection):
    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        _check_peer(self, sock)
        return sock


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class _GuardedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _GuardedHTTPPool, "https": _GuardedHTTPSPool}


def http_session(*, allow_private: bool, pool_size: int = 10) -> requests.Session:
    """A session with pooled keep-alive connections that refuses non-public peers
    (unless ``allow_private``). Proxies and .netrc from the environment are
    ignored: a proxy would hide the address actually reached."""
    session = requests.Session()
    session.trust_env = False
    adapter_class = HTTPAdapter if allow_private else _GuardedAdapter
    adapter = adapter_class(pool_connections=pool_size, pool_maxsize=pool_size, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session
