"""The call log of a sent message: every HTTP request its vendor plugin made, as courier's channel logs.

The send job wraps :meth:`Vendor.send` in :func:`recording`. The session the
plugin gets (the worker's guarded one) has a recording adapter mounted in front
of its own, so every request the plugin makes through it is seen, whatever
helper it uses (``vendor_request``, ``http.post`` for an OAuth2 token): plugins
need no change and cannot forget it. Outside a recording the adapter only
passes requests on. The recording is per thread of work (a context variable),
so a session shared by threads would still log each message's own calls.

What is kept of a call: method, URL, status or transport error, duration,
``at``, and excerpts of the request and response bodies (at most
:data:`~smshooks.messages.redaction.EXCERPT_LIMIT` characters each), every
secret masked (:mod:`smshooks.messages.redaction`). No headers.

The rows of a send the vendor accepted are written in the transaction that
records its vendor id (the worker's batch of successes: no transaction, and no
statement, of their own per send); those of an attempt that raised, in a
transaction of their own before the send job records the failure. A failure to
write the log is logged and never fails the send (a savepoint holds it). At
most :data:`MAX_CALLS_PER_MESSAGE` calls are kept per message, the newest: a
send retried many times (or a plugin looping) cannot grow the log without bound.
"""

from __future__ import annotations

import contextvars
import logging
import time
from collections import deque
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import requests
from requests.adapters import BaseAdapter
from sqlalchemy import Connection, bindparam, delete, func, insert, select

from smshooks.messages.redaction import SCAN_LIMIT, Redactor
from smshooks.scope import Scope
from smshooks.store.member_of import by_dialect, list_value, member_of
from smshooks.store.scoped import get_scoped, in_scope
from smshooks.store.tables import OutboundMessageRow, VendorCallRow, utcnow

if TYPE_CHECKING:
    from smshooks.gateway import Gateway

log = logging.getLogger(__name__)

#: calls kept per message: the newest; older ones are dropped as new attempts are logged
MAX_CALLS_PER_MESSAGE = 50
#: what stands for a body requests streamed (smshooks does not read it)
STREAMED = "(streamed: not captured)"


@dataclass
class _Body:
    """The start of a body (at most SCAN_LIMIT bytes) and its whole size."""

    head: bytes
    size: int

    @classmethod
    def of(cls, value: Any) -> _Body | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = value.encode("utf-8")
        if not isinstance(value, bytes | bytearray):
            return cls(STREAMED.encode(), len(STREAMED))
        return cls(bytes(value[:SCAN_LIMIT]), len(value))

    def text(self) -> str:
        return self.head.decode("utf-8", errors="replace")


@dataclass
class _Call:
    number: int
    at: datetime
    method: str
    url: str
    #: kept in memory to learn the secrets they carry, never stored
    headers: dict[str, str]
    request: _Body | None
    duration_ms: int = 0
    status_code: int | None = None
    response: _Body | None = None
    error: BaseException | None = None


@dataclass
class _Recording:
    calls: deque[_Call] = field(default_factory=lambda: deque(maxlen=MAX_CALLS_PER_MESSAGE))
    made: int = 0

    def start(self, request: requests.PreparedRequest) -> _Call:
        self.made += 1
        headers = {str(name): str(value) for name, value in request.headers.items()}
        call = _Call(self.made, utcnow(), str(request.method or ""), str(request.url or ""), headers, None)
        call.request = _Body.of(request.body)
        self.calls.append(call)
        return call


_current: contextvars.ContextVar[_Recording | None] = contextvars.ContextVar("smshooks_call_log", default=None)


class _RecordingAdapter(BaseAdapter):
    """Sends through ``inner`` (the session's own adapter) and notes the call while a recording runs."""

    def __init__(self, inner: BaseAdapter):
        super().__init__()
        self.inner = inner

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        recording = _current.get()
        if recording is None:
            return self.inner.send(request, **kwargs)
        call = _safely(recording.start, request)
        started = time.monotonic()
        response: requests.Response | None = None
        try:
            response = self.inner.send(request, **kwargs)
            if not kwargs.get("stream"):
                # What Session.send would read next anyway: read here, the excerpt and the
                # duration cover the whole answer. A failure raises as it would there.
                response.content  # noqa: B018
        except BaseException as exc:
            if call is not None:
                _safely(_finish, call, started, response, exc, False)
            raise
        if call is not None:
            _safely(_finish, call, started, response, None, bool(kwargs.get("stream")))
        return response

    def close(self) -> None:
        self.inner.close()


def _finish(
    call: _Call, started: float, response: requests.Response | None, error: BaseException | None, streamed: bool
) -> None:
    call.duration_ms = round((time.monotonic() - started) * 1000)
    call.error = error
    if response is not None:
        call.status_code = response.status_code
        call.response = _Body.of(STREAMED if streamed else response.content if error is None else None)


def _safely(func: Any, *args: Any) -> Any:
    """``func(*args)``; a failure of the log is logged, never the send's."""
    try:
        return func(*args)
    except Exception:
        log.warning("a vendor call could not be logged", exc_info=True)
        return None


def watch(http: requests.Session) -> None:
    """Mount the recording adapter in front of ``http``'s own (once; it passes requests on outside a recording)."""
    for prefix in ("https://", "http://"):
        adapter = http.get_adapter(prefix)
        if not isinstance(adapter, _RecordingAdapter):
            http.mount(prefix, _RecordingAdapter(adapter))


@dataclass
class Log:
    """The calls of one attempt at sending a message, redacted: the rows :func:`write` stores."""

    scope: Scope
    message_id: str
    #: the columns of each call but its attempt, which :func:`write` numbers
    rows: list[dict[str, Any]]


@dataclass
class Attempt:
    """What :func:`recording` yields: after a block that returned, ``log`` holds its calls (None
    when it made none, or they could not be redacted), for the caller to :func:`write` with the
    outcome of the send."""

    log: Log | None = None


@contextmanager
def recording(
    gw: Gateway, http: requests.Session, message: Any, secrets: Callable[[], Collection[str]]
) -> Iterator[Attempt]:
    """Log every call made through ``http`` inside the block as one attempt of ``message`` (its
    ``id``, ``org`` and ``sandbox``), masking what ``secrets()`` returns after the block (the
    credential's secret values, as the plugin left its copy) and whatever else the calls reveal.

    A block that raises has its calls stored at once, in a transaction of their own; one that
    returns leaves them in the yielded :class:`Attempt`: the caller writes them in the
    transaction that records the send (no transaction of its own)."""
    _safely(watch, http)
    calls = _Recording()
    attempt = Attempt()
    token = _current.set(calls)
    try:
        yield attempt
    except BaseException:
        _current.reset(token)
        token = None
        _safely(store, gw, [_safely(_log, message, calls, secrets)])
        raise
    finally:
        if token is not None:
            _current.reset(token)
    attempt.log = _safely(_log, message, calls, secrets)


def _log(message: Any, calls: _Recording, secrets: Callable[[], Collection[str]]) -> Log | None:
    if not calls.calls:
        return None
    redactor = Redactor(secrets())
    for call in calls.calls:  # learn every secret first: a token fetched by call 2 is masked in call 1 too
        redactor.learn_request(call.headers, call.request.text() if call.request else "")
        if call.response is not None:
            redactor.learn_response(call.response.text())
    scope = Scope(message.org, message.sandbox)
    return Log(scope, message.id, [_row(redactor, scope, message.id, call) for call in calls.calls])


def store(gw: Gateway, logs: list[Log | None]) -> None:
    """:func:`write` ``logs`` in a transaction of their own."""
    if any(logs):
        with gw.db.begin() as conn:
            write(conn, logs)


def write(conn: Connection, logs: list[Log | None]) -> None:
    """Store the calls of ``logs`` in ``conn``'s transaction, each log one attempt numbered after
    its message's last, dropping the oldest calls of a message beyond :data:`MAX_CALLS_PER_MESSAGE`.

    Statements per batch, not per message: one read of the messages' last attempts, one INSERT,
    and a DELETE only for a message that now has more calls than it keeps. Under a savepoint,
    so a log that cannot be written (logged) never fails the caller's transaction: the
    outcome of a send is recorded whatever happens to its log.
    """
    logs = [entry for entry in logs if entry is not None and entry.rows]
    if not logs:
        return
    try:
        with conn.begin_nested():
            _insert(conn, logs)
    except Exception:
        log.warning("the calls of %d sends could not be logged", len(logs), exc_info=True)


_calls = VendorCallRow.__table__
_c = _calls.c
_INSERT = insert(_calls)
#: the last attempt of each message of one scope, and how many calls it keeps (at most the bound)
_LAST_ATTEMPTS = by_dialect(
    lambda dialect: (
        select(_c.message_id, func.max(_c.attempt), func.count())
        .where(
            _c.org == bindparam("org"),
            _c.sandbox == bindparam("sandbox"),
            member_of(dialect, _c.message_id, "message_ids"),
        )
        .group_by(_c.message_id)
    )
)


def _insert(conn: Connection, logs: list[Log]) -> None:
    known: dict[tuple[Scope, str], tuple[int, int]] = {}
    by_scope: dict[Scope, set[str]] = {}
    for entry in logs:
        by_scope.setdefault(entry.scope, set()).add(entry.message_id)
    for scope, message_ids in by_scope.items():  # a batch is mostly of one scope: one read
        values = {"org": scope.org, "sandbox": scope.sandbox, "message_ids": list_value(conn, message_ids)}
        for message_id, last, kept in conn.execute(_LAST_ATTEMPTS[conn.dialect.name], values):
            known[(scope, message_id)] = (last, kept)
    rows: list[dict[str, Any]] = []
    over: list[tuple[Scope, str]] = []
    for entry in logs:
        key = (entry.scope, entry.message_id)
        last, kept = known.get(key, (0, 0))
        known[key] = (last + 1, kept + len(entry.rows))
        rows.extend({**row, "attempt": last + 1} for row in entry.rows)
        if kept + len(entry.rows) > MAX_CALLS_PER_MESSAGE and key not in over:
            over.append(key)
    conn.execute(_INSERT, rows)
    for scope, message_id in over:
        _keep_newest(conn, scope, message_id)


def _row(redactor: Redactor, scope: Scope, message_id: str, call: _Call) -> dict[str, Any]:
    return {
        "org": scope.org,
        "sandbox": scope.sandbox,
        "message_id": message_id,
        "number": call.number,
        "at": call.at,
        "method": call.method[:16],
        "url": _storable(redactor.url(call.url)),
        "status_code": call.status_code,
        "error": _storable(redactor.error(call.error)) if call.error is not None else None,
        "duration_ms": call.duration_ms,
        "request_excerpt": _storable(redactor.excerpt(call.request.head, call.request.size)) if call.request else None,
        "response_excerpt": (
            _storable(redactor.excerpt(call.response.head, call.response.size)) if call.response else None
        ),
    }


def _storable(text: str) -> str:
    # PostgreSQL text cannot hold NUL: a body with one would lose the whole call
    return text.replace("\x00", "\ufffd") if "\x00" in text else text


def _keep_newest(conn: Connection, scope: Scope, message_id: str) -> None:
    where = [*in_scope(VendorCallRow, scope), _c.message_id == message_id]
    newest = select(_c.id).where(*where).order_by(_c.attempt.desc(), _c.number.desc()).limit(MAX_CALLS_PER_MESSAGE)
    conn.execute(delete(_calls).where(*where, _c.id.not_in(newest)))


def list_calls(gw: Gateway, scope: Scope, message_id: str) -> list[VendorCallRow]:
    """The call log of a message of ``scope``, oldest first; :class:`NotFound` for another scope's."""
    with gw.db.session() as session:
        get_scoped(session, OutboundMessageRow, message_id, scope, "message")
        query = (
            select(VendorCallRow)
            .where(*in_scope(VendorCallRow, scope), VendorCallRow.message_id == message_id)
            .order_by(VendorCallRow.attempt, VendorCallRow.number)
        )
        return list(session.execute(query).scalars())
