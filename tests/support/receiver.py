"""A customer's feedback endpoint for tests: a real HTTP server on loopback.

It answers from a script (500, 429 with Retry-After, 410, …; 200 once the
script is used up), records every request, and can be down: before
``start()`` and after ``stop()`` its port refuses connections, so a test can
play "connection refused, then 500s, then 429, then 200" on one URL.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Answer:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass
class Received:
    """One request the receiver got, and what it answered."""

    at: float
    path: str
    headers: dict[str, str]
    body: bytes
    status: int
    #: every header line as sent, in order (``headers`` keeps one value per name)
    header_lines: list[tuple[str, str]] = field(default_factory=list)

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def webhook_id(self) -> str | None:
        return self.header("webhook-id")


class Receiver:
    """``url`` is fixed at construction; the server listens between ``start()`` and ``stop()``."""

    def __init__(self, path: str = "/feedback"):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}{path}"
        self.received: list[Received] = []
        self._script: list[Answer] = []
        self._changed = threading.Condition()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- up and down ---------------------------------------------------------

    def start(self) -> Receiver:
        handler = self._handler_class()
        deadline = time.monotonic() + 10
        while True:
            try:
                self._server = ThreadingHTTPServer(("127.0.0.1", self.port), handler)
                break
            except OSError:  # the port is still held by the previous run's sockets
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Receiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- what it answers -------------------------------------------------------

    def script(self, answers: Iterable[Answer | int]) -> None:
        """Answer the next requests with these, in order; 200 afterwards."""
        with self._changed:
            self._script = [a if isinstance(a, Answer) else Answer(a) for a in answers]

    # --- what it got -------------------------------------------------------------

    def wait_for(self, count: int, timeout: float = 15.0) -> list[Received]:
        """Block until ``count`` requests arrived (AssertionError after ``timeout``)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self.received) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"{len(self.received)} of {count} requests arrived in {timeout} s")
                self._changed.wait(left)
            return list(self.received)

    def accepted(self) -> list[Received]:
        """Requests answered 2xx, each webhook-id once (the receiver drops duplicates by webhook-id)."""
        seen: dict[str, Received] = {}
        for request in self.received:
            if 200 <= request.status < 300 and request.webhook_id not in seen:
                seen[request.webhook_id or ""] = request
        return list(seen.values())

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # an answer's head and body in one segment, sent at once: in two, the body waited for the
            # client's delayed ACK of the head (Nagle), 40 ms a request
            wbufsize = 64 * 1024
            disable_nagle_algorithm = True

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with receiver._changed:
                    answer = receiver._script.pop(0) if receiver._script else Answer()
                    receiver.received.append(
                        Received(
                            time.monotonic(),
                            self.path,
                            dict(self.headers.items()),
                            body,
                            answer.status,
                            list(self.headers.items()),
                        )
                    )
                    receiver._changed.notify_all()
                try:
                    self.send_response(answer.status)
                    for name, value in answer.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(answer.body)))
                    self.end_headers()
                    self.wfile.write(answer.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler
