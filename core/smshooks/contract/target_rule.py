"""The rule of :mod:`smshooks.targets`: which URLs and addresses smshooks may call.

HTTPS to public addresses only, however an address is spelled (:func:`normalise_host`); a
host name's every address checked (:func:`checked_addresses`). The sessions and pools that
enforce it on every connection are in :mod:`smshooks.targets`.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
from typing import Any
from urllib.parse import unquote, urlsplit

import idna
import requests

__all__ = [
    "MAX_URL_LENGTH",
    "REFUSED",
    "AddrInfo",
    "BadTargetURL",
    "TargetRefused",
    "UnsafeTarget",
    "check_url",
    "checked_addresses",
    "is_public",
    "normalise_host",
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
        checked_addresses(host, parts.port or 443)
    return url


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


AddrInfo = tuple[socket.AddressFamily, socket.SocketKind, int, Any]


def checked_addresses(host: str, port: int) -> list[AddrInfo]:
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
    checked: list[AddrInfo] = []
    for family, kind, proto, _name, sockaddr in infos:
        try:
            address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        except ValueError:
            raise TargetRefused() from None
        if not is_public(address):
            raise TargetRefused()  # one private address refuses the name: no picking the public one
        checked.append((family, kind, proto, sockaddr))
    return checked
