"""A TCP listener on loopback that counts the connections it accepts (the SSRF tests' witness).

It listens on 127.0.0.1 and, where the machine has IPv6, on ::1 with the same
port, so every spelling of loopback lands on it. Each connection gets an HTTP
200 whose body carries :data:`ANSWER`: were a refused target reached after
all, the answer would show up in what the API reports.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from pathlib import Path

ANSWER = b'{"id": "listener-answer-leaked"}'
_RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s"
    % (
        len(ANSWER),
        ANSWER,
    )
)


class CountingListener:
    def __init__(self) -> None:
        self.accepted = 0
        self._lock = threading.Lock()
        self._sockets: list[socket.socket] = []
        first = socket.create_server(("127.0.0.1", 0))
        self.port = first.getsockname()[1]
        self._sockets.append(first)
        with contextlib.suppress(OSError):  # no IPv6 loopback here
            self._sockets.append(socket.create_server(("::1", self.port), family=socket.AF_INET6))
        for sock in self._sockets:
            sock.settimeout(0.1)
        self._stopping = threading.Event()
        self._threads = [threading.Thread(target=self._serve, args=(s,), daemon=True) for s in self._sockets]

    def __enter__(self) -> CountingListener:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopping.set()
        for thread in self._threads:
            thread.join(2)
        for sock in self._sockets:
            sock.close()

    def _serve(self, server: socket.socket) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self.accepted += 1
            with conn:
                try:
                    conn.settimeout(1)
                    conn.recv(65536)
                    conn.sendall(_RESPONSE)
                except OSError:
                    pass


def closed_port() -> int:
    """A loopback port nothing listens on (to show a closed port looks the same as an open one)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def hosts_file_loopback_name() -> str | None:
    """A name other than localhost that /etc/hosts maps to a loopback address (a DNS
    name resolving to loopback, as a rebinding attacker's name would), if there is one."""
    try:
        lines = Path("/etc/hosts").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        fields = line.split("#", 1)[0].split()
        if len(fields) >= 2 and (fields[0].startswith("127.") or fields[0] == "::1"):
            for name in fields[1:]:
                if "localhost" not in name.lower():
                    try:
                        resolved = {info[4][0] for info in socket.getaddrinfo(name, 443, type=socket.SOCK_STREAM)}
                    except OSError:
                        continue
                    if resolved and all(a.startswith("127.") or a == "::1" for a in resolved):
                        return name
    return None
