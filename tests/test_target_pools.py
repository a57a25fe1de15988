"""The lean connections of :mod:`smshooks.target_pools` read and write HTTP as urllib3 and http.client do.

The witness is urllib3's own ``PoolManager`` against one raw TCP server: the same answers (status,
headers, body, keep-alive) come out of both, and the same request bytes reach the server.
"""

from __future__ import annotations

import http.client
import io
import socket
import threading
from collections.abc import Iterator

import pytest
from urllib3 import PoolManager

from smshooks.target_pools import _parse_headers, pool_manager

HEADS = [
    b"Content-Type: application/json\r\nContent-Length: 2\r\n\r\n",
    b"A: 1\r\nA: 2\r\nB:\r\nC:   spaced  \r\nD:\tx\r\n\r\n",
    b"X-Lf: only\n\n",
    b"",
    b"Folded: a\r\n  b\r\nNext: c\r\n\r\n",
    b"Latin: caf\xe9\r\n\r\n",
    b"Bare: a\rb\r\n\r\n",
    b"NEL: a\x85b\r\n\r\n",
    b"No colon here\r\nX: 1\r\n\r\n",
    b"Space before : colon\r\n\r\n",
    b"From someone\r\nX: 1\r\n\r\n",
    b"X: 1\r\n",  # the answer ends inside its head
]


@pytest.mark.parametrize("head", HEADS)
def test_the_head_parses_as_http_client_parses_it(head):
    ours = _parse_headers(io.BytesIO(head + b"body"))
    theirs = http.client.parse_headers(io.BytesIO(head + b"body"))
    assert type(ours) is type(theirs)
    assert ours.items() == theirs.items()
    assert [type(defect) for defect in ours.defects] == [type(defect) for defect in theirs.defects]
    assert (ours.get_payload(), ours.is_multipart()) == (theirs.get_payload(), theirs.is_multipart())


def test_a_head_too_long_is_refused_as_http_client_refuses_it():
    too_many = b"".join(b"X-%d: 1\r\n" % n for n in range(101)) + b"\r\n"
    with pytest.raises(http.client.HTTPException, match="more than 100 headers"):
        _parse_headers(io.BytesIO(too_many))
    with pytest.raises(http.client.LineTooLong):
        _parse_headers(io.BytesIO(b"X: " + b"a" * 70000 + b"\r\n\r\n"))


ANSWERS = [
    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello",
    b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\nX-A: 1\r\nX-A: 2\r\n\r\nok",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
    b"HTTP/1.1 204 No Content\r\nFolded: a\r\n b\r\n\r\n",
    b"HTTP/1.1 503 Busy\r\nRetry-After: 7\r\nContent-Length: 1\r\nLatin: caf\xe9\r\n\r\nx",
    b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nto the end",
    b"HTTP/1.1 302 Found\r\nLocation: https://elsewhere.example/\r\nContent-Length: 0\r\n\r\n",
]


class RawServer:
    """Answers each request on a connection with the next of :data:`ANSWERS`' chosen answer; keeps what it read."""

    def __init__(self, answer: bytes):
        self.answer = answer
        self.received: list[bytes] = []
        self.reads: list[int] = []
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.socket.accept()
            except OSError:
                return
            with conn:
                self._handle(conn)

    def _handle(self, conn: socket.socket) -> None:
        buffer = b""
        reads = 0
        while True:
            while b"\r\n\r\n" not in buffer:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                reads += 1
                buffer += chunk
            head, _, rest = buffer.partition(b"\r\n\r\n")
            length = next(
                (
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                ),
                0,
            )
            while len(rest) < length:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                reads += 1
                rest += chunk
            self.received.append(head + b"\r\n\r\n" + rest[:length])
            self.reads.append(reads)
            buffer, reads = rest[length:], 0
            conn.sendall(self.answer)
            if self.answer.startswith(b"HTTP/1.0"):
                return

    def close(self) -> None:
        self.socket.close()


@pytest.fixture(params=range(len(ANSWERS)))
def server(request) -> Iterator[RawServer]:
    running = RawServer(ANSWERS[request.param])
    yield running
    running.close()


def _two_posts(pools: PoolManager, port: int, how: str) -> list[tuple]:
    seen = []
    headers = {"User-Agent": "smshooks-test", "Content-Type": "application/json", "webhook-id": "evt_1"}
    for number in range(2):
        url, body = f"http://127.0.0.1:{port}/feedback?n={number}", b'{"n":%d}' % number
        if how == "request":  # the manager's request: an HTTPHeaderDict reaches the connection
            response = pools.request("POST", url, body=body, headers=headers, redirect=False)
        else:  # as transport.post: the pool's urlopen, a dict
            path = url.split(str(port), 1)[1]
            response = pools.connection_from_url(url).urlopen(
                "POST", path, body=body, headers=dict(headers), retries=False, redirect=False
            )
        seen.append((response.status, list(response.headers.items()), response.data))
    return seen


@pytest.mark.parametrize("how", ["request", "urlopen"])
def test_the_lean_pools_answer_and_send_as_urllib3(server, how):
    plain = _two_posts(PoolManager(retries=False), server.port, how)
    sent_plain = list(server.received)
    server.received.clear()
    server.reads.clear()
    lean = _two_posts(pool_manager(allow_private=True), server.port, how)
    assert lean == plain
    assert server.received == sent_plain  # the same bytes on the wire …
    assert all(reads == 1 for reads in server.reads), server.reads  # … head and body in one write (loopback)
