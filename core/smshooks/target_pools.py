"""urllib3 connection pools under the rule of :mod:`smshooks.targets`, for a caller that skips requests.

The feedback POST is one fixed request per job: requests' session, adapter and
prepared request cost more CPU than the request itself, so it posts through
urllib3 directly. :func:`pool_manager` gives it what :func:`targets.http_session`
gives requests: unless ``allow_private``, a connection goes only to a checked
public address of the host and never to plain http (both refused before any
socket opens, an error :func:`targets.is_refusal` recognises); TLS verified
against certifi's CAs as requests does (loaded once, not per connection); no
proxy from the environment (urllib3 reads none); no retries.

Its connections read a response's headers without the ``email`` package: http.client parses them
with ``email.parser`` (a feed parser, a policy, a Message per answer), which cost a feedback POST
more CPU than anything else it did. :class:`_LeanResponse` splits the usual lines (a token, a
colon, visible ASCII) itself, into the same :class:`http.client.HTTPMessage`, and hands anything
else (folded lines, other bytes, more than ``_MAX_HEADERS`` lines) to http.client's own parsing.
"""

from __future__ import annotations

import email.parser
import http.client
import re
import socket
import ssl
import threading
from typing import Any

import certifi
from urllib3 import PoolManager
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.util.ssl_ import create_urllib3_context

from smshooks.contract.target_http import OneWriteMixin
from smshooks.targets import REFUSED, GuardedHTTPSPool, RefusedConnection

__all__ = ["pool_manager"]


#: http.client's bounds on a response's head (``_MAXLINE``, ``_MAXHEADERS``)
_MAX_LINE = 65536
_MAX_HEADERS = 100
#: a header line the fast path takes: a token, a colon, visible ASCII, space and tab, CRLF or LF
_PLAIN_HEADER = re.compile(rb"([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[ \t]*([\t\x20-\x7e]*?)\r?\n")


def _parse_headers(fp: Any) -> http.client.HTTPMessage:
    """What :func:`http.client.parse_headers` gives for the head on ``fp``, the usual lines split
    here, any other through the ``email`` parser as there."""
    lines: list[bytes] = []
    plain = True
    while True:
        line = fp.readline(_MAX_LINE + 1)
        if len(line) > _MAX_LINE:
            raise http.client.LineTooLong("header line")
        if line in (b"\r\n", b"\n", b""):
            break
        lines.append(line)
        if len(lines) > _MAX_HEADERS:
            raise http.client.HTTPException(f"got more than {_MAX_HEADERS} headers")
        if plain and _PLAIN_HEADER.fullmatch(line) is None:
            plain = False
    if not plain:
        text = b"".join([*lines, line]).decode("iso-8859-1")
        return email.parser.Parser(_class=http.client.HTTPMessage).parsestr(text)
    message = http.client.HTTPMessage()
    for line in lines:
        name, value = _PLAIN_HEADER.fullmatch(line).groups()  # type: ignore[union-attr]
        # as the email parser's compat32 policy: the value without its leading blanks, trailing kept
        message[name.decode("ascii")] = value.decode("ascii")
    message.set_payload("")  # the (empty) body the email parser finds after the head
    return message


class _LeanResponse(http.client.HTTPResponse):
    """http.client's response, the head read by :func:`_parse_headers` (the rest as :meth:`begin` there)."""

    def begin(self) -> None:
        if self.headers is not None:
            return
        while True:  # until an answer that is not 100 Continue
            version, status, reason = self._read_status()  # type: ignore[attr-defined]
            if status != http.client.CONTINUE:
                break
            _parse_headers(self.fp)
        self.code = self.status = status
        self.reason = reason.strip()
        if version in ("HTTP/1.0", "HTTP/0.9"):
            self.version = 10
        elif version.startswith("HTTP/1."):
            self.version = 11
        else:
            raise http.client.UnknownProtocol(version)
        self.headers = self.msg = _parse_headers(self.fp)
        encoding = self.headers.get("transfer-encoding")
        self.chunked = bool(encoding and encoding.lower() == "chunked")
        self.chunk_left = None
        self.will_close = self._check_close()  # type: ignore[attr-defined]
        self.length = None
        length = self.headers.get("content-length")
        if length and not self.chunked:
            try:
                self.length = int(length)
            except ValueError:
                self.length = None
            else:
                if self.length < 0:
                    self.length = None
        if (
            status in (http.client.NO_CONTENT, http.client.NOT_MODIFIED)
            or 100 <= status < 200
            or self._method == "HEAD"
        ):  # type: ignore[attr-defined]
            self.length = 0
        if not self.will_close and not self.chunked and self.length is None:
            self.will_close = True


class _LeanResponses:
    """Connections whose responses are :class:`_LeanResponse`. A request's head and its ``bytes``
    body go in one write (:class:`~smshooks.contract.target_http.OneWriteMixin`, as the host's
    sessions send; the guarded connection has it already)."""

    response_class = _LeanResponse


class _LeanHTTPConnection(_LeanResponses, OneWriteMixin, HTTPConnection):
    pass


class _LeanHTTPSConnection(_LeanResponses, OneWriteMixin, HTTPSConnection):
    pass


class _LeanGuardedHTTPSConnection(_LeanResponses, GuardedHTTPSPool.ConnectionCls):  # type: ignore[misc,valid-type]
    pass


class _LeanHTTPPool(HTTPConnectionPool):
    ConnectionCls = _LeanHTTPConnection


class _LeanHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _LeanHTTPSConnection


class _LeanGuardedHTTPSPool(GuardedHTTPSPool):
    ConnectionCls = _LeanGuardedHTTPSConnection


class _PlainHTTPRefused(HTTPConnection):
    """Plain http under the rule: refused before any socket opens."""

    def _new_conn(self) -> socket.socket:
        raise RefusedConnection(self, REFUSED)  # type: ignore[arg-type]


class _PlainHTTPRefusedPool(HTTPConnectionPool):
    ConnectionCls = _PlainHTTPRefused


_context_lock = threading.Lock()
_context: list[ssl.SSLContext] = []


def _verifying_context() -> ssl.SSLContext:
    """Certificate and host name checked, against certifi's bundle (as requests' ``verify=True``).

    Loaded once per process (about 20 ms of CPU), under a lock: a worker's threads all make
    their pools at once when it starts."""
    with _context_lock:
        if not _context:
            context = create_urllib3_context(cert_reqs=ssl.CERT_REQUIRED)
            context.load_verify_locations(cafile=certifi.where())
            _context.append(context)
        return _context[0]


def pool_manager(*, allow_private: bool, pool_size: int = 10) -> PoolManager:
    """Keep-alive pools for up to ``pool_size`` hosts, ``pool_size`` connections each, that reach
    only HTTPS on public addresses unless ``allow_private`` (then anything, as an open session)."""
    manager = PoolManager(
        num_pools=pool_size,
        maxsize=pool_size,
        retries=False,
        cert_reqs="CERT_REQUIRED",
        ssl_context=_verifying_context(),
    )
    if allow_private:
        manager.pool_classes_by_scheme = {"http": _LeanHTTPPool, "https": _LeanHTTPSPool}
    else:
        manager.pool_classes_by_scheme = {"http": _PlainHTTPRefusedPool, "https": _LeanGuardedHTTPSPool}
    return manager
