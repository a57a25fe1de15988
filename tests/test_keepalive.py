""":class:`smshooks.contract.keepalive.KeepAlivePool` answers and sends as urllib3 did, on kept-alive sockets.

The witness is urllib3's own ``PoolManager(retries=False)`` against one raw TCP server: for the same
raw answers the same status, reason, headers and decoded body come out, as many connections are opened,
and the same request bytes reach the server. urllib3's ``list(headers.items())`` groups repeated names
at their first appearance (spelled as then), each value kept; :attr:`Reply.headers` keeps wire order:
ours are grouped so (:func:`grouped`) to compare, and ``Reply.header(name)`` (joined with ", ") must be
urllib3's ``headers[name]``. Where KeepAlivePool differs on purpose (the RFC's reading over
http.client's), a strict xfail row says how: it fails if either side changes.
"""

from __future__ import annotations

import collections
import gzip
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import requests
from support.ssrf import ANSWER, CountingListener, _self_signed, closed_port, urls
from urllib3 import PoolManager
from urllib3.exceptions import HTTPError
from urllib3.util import parse_url

from smshooks.contract import http_answer
from smshooks.contract.keepalive import KeepAlivePool
from smshooks.targets import guarded_pool

HEADERS = {"User-Agent": "smshooks-test", "Accept-Encoding": "identity", "Content-Type": "application/json"}
GZ, DF = gzip.compress(b'{"gzip":true}'), zlib.compress(b"deflated")
RDF = zlib.compress(b"raw deflate")[2:-4]  # no zlib header
BIG = bytes(range(256)) * 400  # 102,400 bytes
BOMB = gzip.compress(bytes(10_000_000))
OK, EMPTY = b"HTTP/1.1 200 OK\r\n", b"Content-Length: 0\r\n\r\n"
#: the witness table: route -> raw answer (test_target_pools' ANSWERS first); POSTed unless in METHODS
WITNESSED = {
    "ok": b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello",
    "continue": b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\nX-A: 1\r\nX-A: 2\r\n\r\nok",
    "chunked": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
    "no-content-folded": b"HTTP/1.1 204 No Content\r\nFolded: a\r\n b\r\n\r\n",
    "busy": b"HTTP/1.1 503 Busy\r\nRetry-After: 7\r\nContent-Length: 1\r\nLatin: caf\xe9\r\n\r\nx",
    "http10": b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nto the end",
    "redirect": b"HTTP/1.1 302 Found\r\nLocation: https://elsewhere.example/\r\nContent-Length: 0\r\n\r\n",
    "gzip": b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n%s" % (len(GZ), GZ),
    "deflate": b"HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\nContent-Length: %d\r\n\r\n%s" % (len(DF), DF),
    "raw-deflate": b"HTTP/1.1 200 OK\r\nContent-Encoding: Deflate\r\nContent-Length: %d\r\n\r\n%s" % (len(RDF), RDF),
    "gzip-chunked": b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"5\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n" % (GZ[:5], len(GZ) - 5, GZ[5:]),
    "trailers": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n3;name=val\r\nabc\r\n"
    b'2 ; q="x"\r\nde\r\n0;last\r\nX-Sum: 5\r\nX-More: 1\r\n\r\n',
    "early-hints": b"HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
    "connection-close": b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 3\r\n\r\nbye",
    "http10-length": b"HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nold",
    "read-to-close": b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end",
    "lf-only": b"HTTP/1.1 200 OK\nX-Lf: only\nContent-Length: 2\n\nok",
    "folded": b"HTTP/1.1 200 OK\r\nFolded: a\r\n  b\r\n\tc\r\nNext: d\r\nContent-Length: 0\r\n\r\n",
    "duplicates": b"HTTP/1.1 200 OK\r\nA: 1\r\nSet-Cookie: s=1\r\nB:\r\na: 2\r\nSet-Cookie: t=2\r\nD:\tx\r\n"
    b"Content-Length: 0\r\n\r\n",
    "spaced": b"HTTP/1.1 200 OK\r\nC:   spaced  \r\nContent-Length: 0\r\n\r\n",
    "no-colon": b"HTTP/1.1 200 OK\r\nNo colon\r\nX: 1\r\nContent-Length: 2\r\n\r\nok",
    "x-gzip": b"HTTP/1.1 200 OK\r\nContent-Encoding: X-Gzip\r\nContent-Length: %d\r\n\r\n%s" % (len(GZ), GZ),
    "empty-gzip": b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 0\r\n\r\n",
    "unknown-encoding": b"HTTP/1.1 200 OK\r\nContent-Encoding: utf-8\r\nContent-Length: 5\r\n\r\nplain",
    "http10-keep-alive": b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 3\r\n\r\nold",
    "head": b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\n",  # no body after a HEAD
    "get": b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nget",
    "not-modified": b'HTTP/1.1 304 Not Modified\r\nETag: "x"\r\nContent-Length: 5\r\n\r\n',
    "deleted": b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n",
    "no-reason": b"HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n",
    **{f"{n}-headers": OK + b"X: 1\r\n" * (n - 1) + EMPTY for n in (99, 100, 101)},  # n lines with Content-Length
    **{f"{n}-line": OK + b"X: %s\r\n" % (b"a" * (n - 5)) + EMPTY for n in (65536, 65537, 70000)},  # n bytes with CRLF
    "garbage": b"HELLO THERE\r\n\r\n",
}
METHODS = {"head": "HEAD", "get": "GET", "not-modified": "GET", "deleted": "DELETE"}
XFAILS = {
    "early-hints": "urllib3 (http.client) answers the 103 interim answer itself and leaves the 200 on the connection"
    " for the next request; KeepAlivePool skips it and answers the 200 (RFC 9110 §15.2)",
    "spaced": "urllib3 keeps a header value's trailing blanks ('spaced  '); KeepAlivePool strips them",
    "no-colon": "http.client ends the head at a line without a colon: the lines after it (Content-Length too) are"
    " lost and the body read to the close; KeepAlivePool skips that line and reads on",
    "100-headers": "http.client counts the head's blank line: it refuses 100 header lines, KeepAlivePool takes them",
    "http10-keep-alive": "http.client keeps an HTTP/1.0 connection that says Connection: keep-alive; KeepAlivePool"
    " closes every HTTP/1.0 one (a new connection each request)",
    "65537-line": "http.client refuses a head line of more than 65,536 bytes with its CRLF; KeepAlivePool takes 65,537",
}
#: answers for the other tests
OTHERS = {
    "hello": b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
    "drop": b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ndrop",  # says keep-alive, then the server closes
    "silent": b"",  # the request read, never answered
    "hangup": b"",  # the request read, the connection closed without a word
    "cut": b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc",
    "length": b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(BIG), BIG),
    "chunks": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    + b"".join(b"400\r\n%s\r\n" % BIG[i : i + 1024] for i in range(0, len(BIG), 1024))
    + b"0\r\n\r\n",
    "to-close": b"HTTP/1.1 200 OK\r\n\r\n" + BIG,
    "bomb": b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n%s" % (len(BOMB), BOMB),
}
ROUTES = {**WITNESSED, **OTHERS}
#: after these answers the server closes the connection (it keeps the others, but "silent")
CLOSES = {"http10", "connection-close", "http10-length", "read-to-close", "no-colon", "101-headers", "65537-line"}
CLOSES |= {"70000-line", "garbage", "drop", "hangup", "cut", "to-close"}


class RawServer:
    """A TCP server on 127.0.0.1 (TLS with ``context``): a request for ``/<route>…`` gets ``ROUTES[route]``'s
    bytes, then the connection is kept or closed (or nothing is answered); it keeps what it read, counts connections."""

    def __init__(self, context: ssl.SSLContext | None = None):
        self.context = context
        self.received: list[bytes] = []
        self.accepted = 0
        self.closed = collections.defaultdict(threading.Event)  # by route
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.socket.accept()
            except OSError:
                return
            self.accepted += 1
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        try:
            if self.context is not None:
                conn = self.context.wrap_socket(conn, server_side=True)
            self._answer(conn)
        except OSError:  # a failed handshake (ssl.SSLError) too
            pass
        finally:
            conn.close()

    def _answer(self, conn: socket.socket) -> None:
        buffer = b""
        while True:
            while b"\r\n\r\n" not in buffer:
                if not (chunk := conn.recv(65536)):
                    return
                buffer += chunk
            head, _, rest = buffer.partition(b"\r\n\r\n")
            length = next(
                (int(line[15:]) for line in head.lower().split(b"\r\n") if line[:15] == b"content-length:"), 0
            )
            while len(rest) < length:
                if not (chunk := conn.recv(65536)):
                    return
                rest += chunk
            self.received.append(head + b"\r\n\r\n" + rest[:length])
            buffer = rest[length:]
            route = head.split(b" ", 2)[1].split(b"?")[0].strip(b"/").decode()
            if route == "silent":
                conn.recv(1)  # until the client gives up
                return
            conn.sendall(ROUTES[route])
            if route in CLOSES:
                conn.close()
                self.closed[route].set()
                return

    def close(self) -> None:
        self.socket.close()


@pytest.fixture(scope="module")
def server() -> Iterator[RawServer]:
    yield (running := RawServer())
    running.close()


def ours(pool: KeepAlivePool, method: str, port: int, target: str, body: bytes | None = None, **kwargs):
    """``pool.request`` (``scheme``, ``host``, ``headers``: http, 127.0.0.1, :data:`HEADERS` unless given)."""
    scheme, host, headers = (
        kwargs.pop("scheme", "http"),
        kwargs.pop("host", "127.0.0.1"),
        kwargs.pop("headers", HEADERS),
    )
    kwargs = {"connect_timeout": 5, "read_timeout": 5, **kwargs}
    return pool.request(method, scheme, host, port, target, headers.items(), body, **kwargs)


def grouped(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """``headers`` as urllib3's ``HTTPHeaderDict.items()`` lists them: a name's lines together at its
    first appearance, spelled as it was then."""
    names, values = {}, collections.defaultdict(list)
    for name, value in headers:
        names.setdefault(name.lower(), name)
        values[name.lower()].append(value)
    return [(names[key], value) for key, listed in values.items() for value in listed]


def unordered(request: bytes) -> tuple:
    """A request's line, its header lines in no order, its body (the order is the next test's)."""
    head, _, body = request.partition(b"\r\n\r\n")
    line, *headers = head.split(b"\r\n")
    return line, sorted(headers), body


def _twice(client, server: RawServer, method: str, route: str) -> tuple[list, list[bytes], int]:
    """Two requests through ``client`` (urllib3's pools or ours): the answers, what the server read, connections."""
    accepted, server.received = server.accepted, []
    seen = []
    for number in range(2):
        target, body = f"/{route}?n={number}", (b'{"n":%d}' % number if method in ("POST", "DELETE") else None)
        try:
            if isinstance(client, PoolManager):
                url = f"http://127.0.0.1:{server.port}{target}"
                answer = client.request(method, url, body=body, headers=HEADERS, redirect=False, timeout=5)
                headers = list(answer.headers.items())
                joined = {name: answer.headers[name] for name, _ in headers}
                seen.append((answer.status, answer.reason, headers, joined, answer.data))
            else:
                reply = ours(client, method, server.port, target, body)
                joined = {name: reply.header(name) for name, _ in grouped(reply.headers)}
                seen.append((reply.status, reply.reason, grouped(reply.headers), joined, reply.body))
                assert not reply.truncated
        except (HTTPError, http_answer.HTTPFailure):
            seen.append("raised")  # on both sides is enough: the kinds differ by design
            break  # a broken answer ends the case
    return seen, list(server.received), server.accepted - accepted


@pytest.mark.parametrize(
    "route",
    [
        pytest.param(r, marks=[pytest.mark.xfail(strict=True, reason=XFAILS[r])] if r in XFAILS else [])
        for r in WITNESSED
    ],
)
def test_keepalive_answers_and_sends_as_urllib3(server, route):
    method = METHODS.get(route, "POST")
    witness = PoolManager(retries=False)
    theirs, sent_theirs, connections_theirs = _twice(witness, server, method, route)
    witness.clear()
    pool = KeepAlivePool()
    mine, sent_mine, connections_mine = _twice(pool, server, method, route)
    pool.close()
    assert mine == theirs
    assert [unordered(sent) for sent in sent_mine] == [unordered(sent) for sent in sent_theirs]
    assert (connections_mine, pool.opened) == (connections_theirs, connections_theirs)


@pytest.mark.parametrize(
    ("method", "body", "extra"),
    [
        ("GET", None, {}),
        ("HEAD", None, {}),
        ("POST", b"{}", {"Content-Length": "2"}),
        ("POST", b'{"n":1}', {}),
        ("PUT", None, {}),
    ],
)
def test_the_request_bytes_are_urllib3s_in_order(server, method, body, extra):
    headers, target = {**HEADERS, **extra}, "/deleted?a=%C3%A9"
    server.received = []
    PoolManager(retries=False).request(method, f"http://127.0.0.1:{server.port}{target}", body=body, headers=headers)
    ours(KeepAlivePool(), method, server.port, target, body, headers=headers)
    theirs, mine = server.received
    assert mine == theirs


def test_a_connection_is_kept_and_replaced_once_the_server_closed_it(server):
    pool, accepted = KeepAlivePool(), server.accepted
    assert [ours(pool, "GET", server.port, "/hello").body for _ in range(3)] == [b"hello"] * 3
    assert (pool.opened, server.accepted - accepted) == (1, 1)
    assert ours(pool, "GET", server.port, "/drop").body == b"drop"  # no Connection: close, then closed
    assert server.closed["drop"].wait(5)
    time.sleep(0.05)  # for its FIN to cross loopback
    assert ours(pool, "GET", server.port, "/hello").body == b"hello"
    assert pool.opened == 2
    for route in ("connection-close", "http10-length", "hello"):
        ours(pool, "GET", server.port, f"/{route}")
    assert (pool.opened, server.accepted - accepted) == (4, 4)  # no reuse after the two, reuse after "hello"


@pytest.mark.parametrize("route", ["length", "chunks", "to-close"])
@pytest.mark.parametrize("limit", [1, 1000, 1024 * 50, len(BIG) - 1])
def test_a_body_past_max_body_is_cut_and_its_connection_not_reused(server, route, limit):
    pool = KeepAlivePool()
    reply = ours(pool, "GET", server.port, f"/{route}", max_body=limit)
    assert (reply.status, reply.body, reply.truncated) == (200, BIG[:limit], True)
    assert ours(pool, "GET", server.port, "/hello").body == b"hello"  # its own answer, not the rest of that body
    assert pool.opened == 2


@pytest.mark.parametrize("route", ["length", "chunks"])
def test_a_body_of_max_body_bytes_is_whole(server, route):
    pool = KeepAlivePool()
    reply = ours(pool, "GET", server.port, f"/{route}", max_body=len(BIG))
    assert (reply.body, reply.truncated) == (BIG, False)
    assert ours(pool, "GET", server.port, "/hello").body == b"hello" and pool.opened == 1


def test_a_gzip_bomb_stops_at_max_body(server):
    reply = ours(KeepAlivePool(), "GET", server.port, "/bomb", max_body=65536)
    assert reply.truncated and 0 < len(reply.body) <= 65536
    assert reply.body == bytes(len(reply.body))


@pytest.mark.parametrize(
    ("route", "in_body"),
    [("hangup", False), ("cut", True), ("garbage", False), ("101-headers", False), ("70000-line", False)],
)
def test_a_broken_answer_is_answer_broken_and_the_pool_goes_on(server, route, in_body):
    pool = KeepAlivePool()
    with pytest.raises(http_answer.AnswerBroken) as broken:
        ours(pool, "POST", server.port, f"/{route}", b"{}")
    assert broken.value.in_body is in_body
    assert ours(pool, "GET", server.port, "/hello").body == b"hello" and pool.opened == 2


def test_no_answer_within_the_read_timeout_is_read_timed_out(server):
    with pytest.raises(http_answer.ReadTimedOut):
        ours(KeepAlivePool(), "POST", server.port, "/silent", b"{}", read_timeout=0.3)


def test_a_closed_port_is_connect_failed_saying_refused():
    with pytest.raises(http_answer.ConnectFailed) as failed:
        ours(KeepAlivePool(), "GET", closed_port(), "/")
    assert type(failed.value) is http_answer.ConnectFailed and "refused" in str(failed.value).lower()


@pytest.mark.parametrize(("https_only", "scheme"), [(True, "http"), (False, "ftp")])
def test_a_refused_scheme_opens_no_connection(server, https_only, scheme):
    pool, accepted = KeepAlivePool(https_only=https_only), server.accepted
    with pytest.raises(http_answer.Refused):
        ours(pool, "GET", server.port, "/hello", scheme=scheme)
    assert (pool.opened, server.accepted) == (0, accepted)


@pytest.mark.parametrize(
    ("headers", "target"),
    [
        ({"X": "a\r\nInjected: 1"}, "/hello"),
        ({"X": "a\nb"}, "/hello"),
        ({"X": "a\rb"}, "/hello"),
        ({"X": b"a\r\nb"}, "/hello"),
        ({"Bad:Name": "v"}, "/hello"),
        ({" Lead": "v"}, "/hello"),
        ({"X\r\nY": "v"}, "/hello"),
        ({"X": "v"}, "/a b"),
        ({"X": "v"}, "/a\r\nInjected: 1"),
    ],
)
def test_what_would_break_the_head_is_a_value_error_before_anything_is_sent(server, headers, target):
    pool = KeepAlivePool()
    assert ours(pool, "GET", server.port, "/hello").body == b"hello"
    server.received = []
    with pytest.raises(ValueError):
        ours(pool, "GET", server.port, target, headers=headers)
    assert server.received == []
    assert ours(pool, "GET", server.port, "/hello").body == b"hello" and pool.opened == 1  # the connection untouched


@pytest.fixture(scope="module")
def tls(tmp_path_factory) -> Iterator[tuple[RawServer, ssl.SSLContext]]:
    cert, key = _self_signed(tmp_path_factory.mktemp("tls"))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    yield (running := RawServer(context)), ssl.create_default_context(cafile=str(cert))
    running.close()


def test_tls_checks_the_certificate_and_keeps_a_trusted_connection(tls):
    server, trusting = tls
    with pytest.raises(http_answer.TLSFailed, match="CERTIFICATE_VERIFY_FAILED"):
        ours(KeepAlivePool(), "GET", server.port, "/hello", scheme="https")
    pool = KeepAlivePool(context=trusting)
    assert [ours(pool, "POST", server.port, "/hello", b"{}", scheme="https").body for _ in range(2)] == [b"hello"] * 2
    assert pool.opened == 1 and len(server.received) == 2


def route(url: str) -> tuple[str, str, int | None, str]:
    """(scheme, host, port, target) as the feedback POST works them out (``Target.route``: requests' IDNA
    host), else as written (the host requests cannot prepare: not ASCII)."""
    try:
        prepared = requests.PreparedRequest()
        prepared.prepare_url(url, None)
    except requests.exceptions.InvalidURL:
        parts = urlsplit(url)
        return parts.scheme, parts.hostname or "", parts.port, parts.path
    parsed = parse_url(prepared.url)
    return parsed.scheme or "http", parsed.host or "", parsed.port, parsed.request_uri


def test_the_guarded_pool_refuses_every_private_spelling_before_connecting():
    with CountingListener() as listener:
        guarded, reached = guarded_pool(allow_private=False), []
        closed = closed_port()
        for url in [*urls(listener.port), f"https://127.0.0.1:{closed}/", f"http://93.184.216.34:{closed}/"]:
            scheme, host, port, target = route(url)
            try:
                reached.append(ours(guarded, "POST", port, target, b"{}", scheme=scheme, host=host))
            except http_answer.Refused:
                pass
            except ValueError:  # a host not in latin-1 cannot be in the head (UnicodeEncodeError): nothing sent
                if host.isascii():
                    reached.append((url, "ValueError"))
            except http_answer.HTTPFailure as exc:
                reached.append((url, repr(exc)))
        assert reached == []
        assert (listener.accepted, guarded.opened) == (0, 0)
        # The witness works: with the setting on, the same factory does connect.
        reply = ours(guarded_pool(allow_private=True), "POST", listener.port, "/x", b"{}")
        assert reply.body == ANSWER and listener.accepted == 1
