"""The bytes of HTTP/1.1 for :mod:`smshooks.contract.keepalive`: a request formatted in one piece,
an answer parsed off a socket (its head, its body by its framing, its Content-Encoding undone).

Parsed as http.client parses (status line, header lines as received, obsolete folding joined,
1xx interim answers skipped; the body by Transfer-Encoding chunked, else Content-Length, else to
the end of the stream) within its bounds: 64 KiB a line, 100 header lines.
"""

from __future__ import annotations

import contextlib
import re
import select
import socket
import ssl
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from urllib3.response import BaseHTTPResponse, _get_decoder  # urllib3's own decoders, for what it decodes

from smshooks.contract.http_answer import (
    AnswerBroken,
    BadEncoding,
    ReadTimedOut,
    Reply,
)

__all__ = [
    "DEFAULT_PORTS",
    "Connection",
    "exchange",
    "host_header",
    "request_bytes",
]

#: http.client's bounds on an answer's head (``_MAXLINE``, ``_MAXHEADERS``)
MAX_LINE = 65536
MAX_HEADERS = 100
_RECV_SIZE = 65536
DEFAULT_PORTS = {"http": 80, "https": 443}
#: methods whose request carries a Content-Length even when empty (as http.client sends them)
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
#: the encodings urllib3 undoes (gzip, deflate; br and zstd where their packages are installed)
_DECODABLE = frozenset(BaseHTTPResponse.CONTENT_DECODERS)


# -- the request's bytes ---------------------------------------------------------------------

#: a header name http.client accepts (no colon, no blank first, no CR/LF)
_LEGAL_NAME = re.compile(r"[^:\s][^:\r\n]*")
#: what a request target may not hold (http.client's ``_contains_disallowed_url_pchar_re``)
_BAD_TARGET = re.compile(r"[\x00-\x20\x7f]")
_checked_names: set[str] = set()


def request_bytes(method: str, target: str, host: str, headers: Iterable[tuple[str, Any]], body: bytes | None) -> bytes:
    """The request line, headers and body: ``Host`` first unless given, a Content-Length for the
    body unless given. ValueError (as http.client raises) for a name or value that would break the head."""
    if _BAD_TARGET.search(target) or _BAD_TARGET.search(method):
        raise ValueError(f"can't put control characters in the request line: {method!r} {target!r}")
    lines = [f"{method} {target} HTTP/1.1\r\n"]
    given_host = given_length = False
    for name, value in headers:
        if name not in _checked_names:
            if not isinstance(name, str) or not _LEGAL_NAME.fullmatch(name):
                raise ValueError(f"Invalid header name {name!r}")
            _checked_names.add(name)
        text = value if isinstance(value, str) else value.decode("latin-1") if isinstance(value, bytes) else str(value)
        if "\n" in text or "\r" in text:
            raise ValueError(f"Invalid header value {text!r}")
        lowered = name.lower()
        if lowered == "host":
            given_host = True
        elif lowered in ("content-length", "transfer-encoding"):
            given_length = True
        lines.append(f"{name}: {text}\r\n")
    # where http.client and urllib3 put them: Host after the request line, then Content-Length
    if not given_length and (body or method in _BODY_METHODS):
        lines.insert(1, f"Content-Length: {len(body or b'')}\r\n")
    if not given_host:
        lines.insert(1, f"Host: {host}\r\n")
    lines.append("\r\n")
    head = "".join(lines).encode("latin-1")
    return head + body if body else head


def host_header(host: str, port: int, scheme: str) -> str:
    shown = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return shown if port == DEFAULT_PORTS.get(scheme) else f"{shown}:{port}"


# -- the answer ------------------------------------------------------------------------------


class Connection:
    """One socket and the read timeout set on it."""

    __slots__ = ("sock", "timeout")

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.timeout = sock.gettimeout()

    def set_timeout(self, timeout: float | None) -> None:
        if timeout != self.timeout:  # a system call each: not per request when unchanged
            self.sock.settimeout(timeout)
            self.timeout = timeout

    def dropped(self) -> bool:
        """Whether an idle connection was closed by the peer (or holds bytes nobody asked for)."""
        if isinstance(self.sock, ssl.SSLSocket) and self.sock.pending():
            return True
        try:
            poller = select.poll()
            poller.register(self.sock, select.POLLIN)
            return bool(poller.poll(0))
        except (OSError, ValueError):
            return True

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.sock.close()


class _Reader:
    """Reads an answer off a connection: lines of its head, then its body by its framing."""

    __slots__ = ("conn", "data", "pos")

    def __init__(self, conn: Connection):
        self.conn = conn
        self.data = b""
        self.pos = 0

    def _more(self, in_body: bool) -> bool:
        """Read what arrived; False at the end of the stream."""
        try:
            chunk = self.conn.sock.recv(_RECV_SIZE)
        except TimeoutError:
            raise ReadTimedOut("no answer within the read timeout") from None
        except ssl.SSLError as exc:
            raise AnswerBroken(f"TLS failed while reading: {exc}", in_body=in_body) from None
        except OSError as exc:
            raise AnswerBroken(f"connection aborted: {exc}", in_body=in_body) from None
        if not chunk:
            return False
        self.data = self.data[self.pos :] + chunk if self.pos < len(self.data) else chunk
        self.pos = 0
        return True

    def line(self, in_body: bool = False) -> bytes:
        """The next line, its end (CRLF or LF) included; b"" at the end of the stream."""
        while True:
            end = self.data.find(b"\n", self.pos)
            if end >= 0:
                if end - self.pos > MAX_LINE:
                    raise AnswerBroken("an answer's line is too long", in_body=in_body)
                line = self.data[self.pos : end + 1]
                self.pos = end + 1
                return line
            if len(self.data) - self.pos > MAX_LINE:
                raise AnswerBroken("an answer's line is too long", in_body=in_body)
            if not self._more(in_body):
                rest = self.data[self.pos :]
                self.pos = len(self.data)
                return rest

    def exactly(self, size: int) -> bytes:
        while len(self.data) - self.pos < size:
            if not self._more(True):
                raise AnswerBroken("the connection closed inside the answer's body", in_body=True)
        piece = self.data[self.pos : self.pos + size]
        self.pos += size
        return piece

    def up_to(self, size: int) -> bytes:
        """At most ``size`` bytes: what is buffered, else what one read brings; b"" at the end."""
        if self.pos >= len(self.data) and not self._more(True):
            return b""
        piece = self.data[self.pos : self.pos + size]
        self.pos += len(piece)
        return piece

    def leftover(self) -> bytes:
        return self.data[self.pos :]


@dataclass(slots=True)
class _Head:
    version: str
    status: int
    reason: str
    headers: list[tuple[str, str]]


def _read_head(reader: _Reader) -> _Head:
    """The status line and headers of the next final answer (1xx interim answers skipped)."""
    while True:
        line = reader.line()
        if not line:
            raise AnswerBroken("the connection closed without an answer")
        parts = line.decode("iso-8859-1").strip().split(None, 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not (len(parts[1]) == 3 and parts[1].isdigit()):
            raise AnswerBroken(f"not an HTTP/1.x answer: {line[:80]!r}")
        status = int(parts[1])
        headers = _read_headers(reader)
        if 100 <= status < 200 and status != 101:
            continue  # 100 Continue, 103 Early Hints: the answer follows
        return _Head(parts[0], status, parts[2].strip() if len(parts) > 2 else "", headers)


def _read_headers(reader: _Reader, in_body: bool = False) -> list[tuple[str, str]]:
    headers: list[tuple[str, str]] = []
    while True:
        line = reader.line(in_body)
        if line in (b"\r\n", b"\n"):
            return headers
        if not line:
            raise AnswerBroken("the connection closed inside the answer's head", in_body=in_body)
        if len(headers) >= MAX_HEADERS:
            raise AnswerBroken(f"got more than {MAX_HEADERS} headers", in_body=in_body)
        text = line.decode("iso-8859-1")
        if text[0] in " \t" and headers:  # an obsolete folded line: part of the value before
            name, value = headers[-1]
            headers[-1] = (name, f"{value} {text.strip()}".strip())
            continue
        name, colon, value = text.partition(":")
        if colon and name and name == name.strip():
            headers.append((name, value.strip()))
        # else: not a header line (no colon, blanks in the name): skipped, as a parser's defect


def _framing(head: _Head, method: str) -> tuple[str, int]:
    """How the body is delimited ("none", "length", "chunked" or "close") and its length."""
    if method == "HEAD" or head.status in (204, 304):
        return "none", 0
    encoding = ""
    length_values: list[str] = []
    for name, value in head.headers:
        lowered = name.lower()
        if lowered == "transfer-encoding":
            encoding = value.lower()
        elif lowered == "content-length":
            length_values.append(value)
    if encoding:
        if encoding.rsplit(",", 1)[-1].strip() == "chunked":
            return "chunked", 0
        return "close", 0
    if length_values:
        lengths = {part.strip() for value in length_values for part in value.split(",")}
        if len(lengths) != 1 or not (length := lengths.pop()).isdigit():
            raise AnswerBroken(f"invalid Content-Length: {', '.join(length_values)!r}")
        return "length", int(length)
    return "close", 0


def _keeps_alive(head: _Head) -> bool:
    if head.version != "HTTP/1.1":
        return False
    for name, value in head.headers:
        if name.lower() == "connection" and "close" in (token.strip().lower() for token in value.split(",")):
            return False
    return True


def _read_body(reader: _Reader, framing: str, length: int, limit: int | None) -> tuple[bytes, bool]:
    """The body's bytes (at most ``limit``) and whether it was read to its end."""
    if framing == "none":
        return b"", True
    if framing == "length":
        if limit is not None and length > limit:
            return reader.exactly(limit), False
        return reader.exactly(length), True
    pieces: list[bytes] = []
    size = 0
    if framing == "chunked":
        while True:
            line = reader.line(in_body=True)
            if not line:
                raise AnswerBroken("the connection closed inside the answer's body", in_body=True)
            try:
                chunk_size = int(line.split(b";", 1)[0].strip(), 16)
            except ValueError:
                raise AnswerBroken(f"invalid chunk size line: {line[:40]!r}", in_body=True) from None
            if chunk_size == 0:
                _read_headers(reader, in_body=True)  # the trailer section
                return b"".join(pieces), True
            if limit is not None and size + chunk_size > limit:
                pieces.append(reader.exactly(limit - size))
                return b"".join(pieces), False
            pieces.append(reader.exactly(chunk_size))
            size += chunk_size
            if reader.line(in_body=True) not in (b"\r\n", b"\n"):
                raise AnswerBroken("a chunk was longer than its size said", in_body=True)
    while True:  # to the end of the stream
        piece = reader.up_to(_RECV_SIZE if limit is None else min(_RECV_SIZE, limit - size))
        if not piece:
            return b"".join(pieces), True
        pieces.append(piece)
        size += len(piece)
        if limit is not None and size >= limit:
            return b"".join(pieces), False


def _content_encoding(headers: list[tuple[str, str]]) -> str:
    """The Content-Encoding to undo, as urllib3 chooses it: the (joined, lower-case) value when it is
    one urllib3 decodes or a list naming at least one; "" to keep the body as it came (identity, or
    an encoding nobody here knows: urllib3 hands such a body over undecoded too)."""
    values = [value for name, value in headers if name.lower() == "content-encoding"]
    if not values:
        return ""
    encoding = ", ".join(values).lower()
    if encoding in _DECODABLE:
        return encoding
    if "," in encoding and any(part.strip() in _DECODABLE for part in encoding.split(",")):
        return encoding
    return ""


def _decoded(body: bytes, encoding: str, limit: int | None) -> tuple[bytes, bool]:
    """``body`` with its Content-Encoding undone (at most ``limit`` bytes out); whether all of it was."""
    try:
        decoder = _get_decoder(encoding)
        if limit is None:
            return decoder.decompress(body) + decoder.flush(), True
        out: list[bytes] = []
        size = 0
        for start in range(0, len(body), 4096):  # slices: a small bomb stops at the limit
            piece = decoder.decompress(body[start : start + 4096])
            out.append(piece)
            size += len(piece)
            if size >= limit:
                return b"".join(out)[:limit], False
        out.append(decoder.flush())
    except Exception as exc:
        raise BadEncoding(f"the body's Content-Encoding {encoding!r} could not be decoded: {exc}") from None
    whole = b"".join(out)
    return whole[:limit], len(whole) <= limit


def exchange(conn: Connection, method: str, data: bytes, max_body: int | None) -> tuple[Reply, bool]:
    """Write the request ``data`` (:func:`request_bytes`) on ``conn`` and read its answer (at most
    ``max_body`` bytes of body); whether ``conn`` may carry the next request. Raises :class:`HTTPFailure`."""
    sys.audit("smshooks.http.send", conn.sock, data)  # as http.client's "http.client.send": one per write
    try:
        conn.sock.sendall(data)
    except TimeoutError:
        raise ReadTimedOut("the request could not be written within the timeout") from None
    except OSError as exc:
        raise AnswerBroken(f"connection aborted: {exc}") from None
    reader = _Reader(conn)
    head = _read_head(reader)
    framing, length = _framing(head, method)
    raw, complete = _read_body(reader, framing, length, max_body)
    # bytes past the answer nobody asked for: the connection is not the next request's
    keep = complete and framing != "close" and _keeps_alive(head) and not reader.leftover()
    encoding = _content_encoding(head.headers)
    if raw and encoding:
        raw, all_of_it = _decoded(raw, encoding, max_body)
        complete = complete and all_of_it
    return Reply(head.status, head.reason, head.headers, raw, truncated=not complete), keep
