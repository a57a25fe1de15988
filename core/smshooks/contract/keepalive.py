"""HTTP/1.1 requests on kept-alive sockets, without http.client or urllib3 in between.

The outbox's requests are small (a feedback POST, a vendor send: a few hundred bytes each way)
on a few kept-alive connections. Through urllib3 and http.client one such request cost a worker
~900,000 instructions (callgrind): a connection object per request, headers put one call each,
an answer parsed line by line into an ``email`` message, a response object with its decoders.
At a fast receiver that was most of a worker's CPU per job. Here a request is formatted into one
write and its answer parsed from the bytes of (usually) one ``recv``.

What urllib3 gave us is kept:

- **where it may connect** is the caller's ``connect`` (:func:`smshooks.targets.checked_socket`
  connects only to checked public addresses) and ``https_only`` refuses plain http before any
  socket opens (:class:`Refused`);
- **TLS** is verified against certifi's bundle, as requests' ``verify=True`` (one context per process);
- **no proxy, no redirect followed, no retry**: a request that got no whole answer raises one of
  the :class:`HTTPFailure` kinds (:mod:`smshooks.contract.http_wire`) and the caller decides (the
  outbox retries the job);
- **a connection is reused** only after an answer read to its end that did not ask to close, and
  only if, taken from the pool, it shows nothing to read (the peer closed it meanwhile);
- **bounds**: 64 KiB a head line, 100 header lines, and ``max_body`` bytes of body when asked (the
  rest is not read and the connection is closed); a body's ``Content-Encoding`` is undone by
  urllib3's own decoders (gzip, deflate, br and zstd where installed), within the same bound.

One :class:`KeepAlivePool` serves one thread (a worker thread's feedback POSTs or vendor sends);
its lock only makes a shared one safe.
"""

from __future__ import annotations

import functools
import socket
import ssl
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any

import certifi
from urllib3.util import parse_url

from smshooks.contract.http_answer import ConnectFailed, ConnectTimedOut, Refused, Reply, TLSFailed
from smshooks.contract.http_wire import DEFAULT_PORTS, Connection, exchange, host_header, request_bytes

__all__ = ["KeepAlivePool", "open_socket", "route", "verifying_context"]


# -- where a pool connects -------------------------------------------------------------------

#: ``connect(host, port, timeout)`` -> a connected socket; raises :class:`Refused`, ``OSError``
Connect = Callable[[str, int, float | None], socket.socket]


def open_socket(host: str, port: int, timeout: float | None) -> socket.socket:
    """Connect anywhere (``SMSHOOKS_ALLOW_PRIVATE_TARGETS``): the first address of ``host`` that answers."""
    return socket.create_connection((host, port), timeout)


@functools.lru_cache(maxsize=1024)
def route(url: str) -> tuple[str, str, int | None, str]:
    """(scheme, host, port, request target) of a URL as requests prepared it: the arguments of
    :meth:`KeepAlivePool.request` (the same few URLs per credential or webhook, so once each)."""
    parsed = parse_url(url)
    return parsed.scheme or "http", parsed.host or "", parsed.port, parsed.request_uri


_context_lock = threading.Lock()
_context: list[ssl.SSLContext] = []


def verifying_context() -> ssl.SSLContext:
    """Certificate and host name checked against certifi's bundle (requests' ``verify=True``), TLS 1.2+.

    Loaded once per process (about 20 ms of CPU), under a lock: a worker's threads all make
    their pools at once when it starts."""
    with _context_lock:
        if not _context:
            context = ssl.create_default_context(cafile=certifi.where())
            context.minimum_version = ssl.TLSVersion.TLSv1_2
            context.set_alpn_protocols(["http/1.1"])
            _context.append(context)
        return _context[0]


# -- the pool --------------------------------------------------------------------------------

_Key = tuple[str, str, int]


class KeepAlivePool:
    """Kept-alive connections to up to ``hosts`` hosts, ``per_host`` idle ones each.

    ``connect`` opens a socket to a host (:func:`open_socket`, or the guard's), ``https_only``
    refuses plain http before connecting, ``context`` is the TLS context (:func:`verifying_context`)."""

    def __init__(
        self,
        connect: Connect = open_socket,
        *,
        https_only: bool = False,
        hosts: int = 10,
        per_host: int = 10,
        context: ssl.SSLContext | None = None,
    ):
        self._connect = connect
        self.https_only = https_only
        self._hosts = hosts
        self._per_host = per_host
        self._context = context
        self._idle: OrderedDict[_Key, list[Connection]] = OrderedDict()
        self._lock = threading.Lock()
        #: connections opened so far (tests and benchmarks read it: reuse shows as fewer)
        self.opened = 0

    def request(
        self,
        method: str,
        scheme: str,
        host: str,
        port: int | None,
        target: str,
        headers: Iterable[tuple[str, Any]],
        body: bytes | None = None,
        *,
        connect_timeout: float | None,
        read_timeout: float | None,
        max_body: int | None = None,
    ) -> Reply:
        """Send ``method target`` with ``headers`` and ``body`` to ``scheme://host:port`` on a kept
        connection (or a new one) and read the answer. Raises :class:`~smshooks.contract.http_answer.HTTPFailure`
        (its kinds) or ValueError for a header that would break the request's head."""
        if scheme not in DEFAULT_PORTS:
            raise Refused(f"not an http(s) URL: {scheme!r}")
        if self.https_only and scheme != "https":
            raise Refused("plain http is refused")
        port = port or DEFAULT_PORTS[scheme]
        data = request_bytes(method, target, host_header(host, port, scheme), headers, body)
        key = (scheme, host, port)
        conn = self._take(key) or self._open(scheme, host, port, connect_timeout)
        conn.set_timeout(read_timeout)
        try:
            reply, keep = exchange(conn, method, data, max_body)
        except BaseException:
            conn.close()
            raise
        if keep:
            self._put(key, conn)
        else:
            conn.close()
        return reply

    def _open(self, scheme: str, host: str, port: int, timeout: float | None) -> Connection:
        try:
            sock = self._connect(host.strip("[]"), port, timeout)
        except Refused:
            raise
        except TimeoutError:
            raise ConnectTimedOut(f"connection to {host} timed out (connect timeout={timeout})") from None
        except socket.gaierror as exc:
            raise ConnectFailed(f"failed to resolve {host!r} ({exc})") from None
        except OSError as exc:
            raise ConnectFailed(f"failed to establish a new connection: {exc}") from None
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # a request is one write: send it now
            if scheme == "https":
                sock.settimeout(timeout)
                sock = (self._context or verifying_context()).wrap_socket(sock, server_hostname=host.strip("[]"))
        except TimeoutError:
            sock.close()
            raise ConnectTimedOut(f"TLS handshake with {host} timed out (connect timeout={timeout})") from None
        except ssl.SSLError as exc:
            sock.close()
            raise TLSFailed(str(exc)) from None
        except OSError as exc:
            sock.close()
            raise ConnectFailed(f"connection failed during the TLS handshake: {exc}") from None
        self.opened += 1
        return Connection(sock)

    def _take(self, key: _Key) -> Connection | None:
        with self._lock:
            idle = self._idle.get(key)
            while idle:
                conn = idle.pop()
                if not conn.dropped():
                    return conn
                conn.close()
        return None

    def _put(self, key: _Key, conn: Connection) -> None:
        with self._lock:
            idle = self._idle.get(key)
            if idle is None:
                idle = self._idle[key] = []
                while len(self._idle) > self._hosts:  # the host used least recently gives way
                    _, evicted = self._idle.popitem(last=False)
                    for old in evicted:
                        old.close()
            else:
                self._idle.move_to_end(key)
            if len(idle) < self._per_host:
                idle.append(conn)
                return
        conn.close()

    def close(self) -> None:
        """Close every idle connection (the pool stays usable)."""
        with self._lock:
            idle, self._idle = self._idle, OrderedDict()
        for connections in idle.values():
            for conn in connections:
                conn.close()
