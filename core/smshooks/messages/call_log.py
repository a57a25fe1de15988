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

The rows are written when the plugin returns or raises, in a transaction of
their own just before the send job records the outcome; a failure to record is
logged and never fails the send. At most :data:`MAX_CALLS_PER_MESSAGE` calls are
kept per message, the newest: a send retried many times (or a plugin looping)
cannot grow the log without bound.
"""

from __future__ import annotations

import contextvars
import logging
import time
from collections import deque
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import requests
from requests.adapters import BaseAdapter
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from smshooks.messages.redaction import SCAN_LIMIT, Redactor, secret_values
from smshooks.scope import Scope
from smshooks.store.scoped import get_scoped, in_scope
from smshooks.store.tables import OutboundMessageRow, VendorCallRow, utcnow
from smshooks.vendor import Vendor

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


@contextmanager
def recording(
    gw: Gateway, http: requests.Session, message: OutboundMessageRow, vendor: Vendor, credentials: Mapping[str, Any]
) -> Iterator[None]:
    """Log every call made through ``http`` inside the block as one attempt of ``message``."""
    _safely(watch, http)
    calls = _Recording()
    token = _current.set(calls)
    try:
        yield
    finally:
        _current.reset(token)
        if calls.calls:
            scope, message_id = Scope(message.org, message.sandbox), message.id
            _safely(_store, gw, scope, message_id, calls, lambda: secret_values(vendor.secret_fields(), credentials))


def _store(gw: Gateway, scope: Scope, message_id: str, calls: _Recording, secrets: Any) -> None:
    redactor = Redactor(secrets())
    for call in calls.calls:  # learn every secret first: a token fetched by call 2 is masked in call 1 too
        redactor.learn_request(call.headers, call.request.text() if call.request else "")
        if call.response is not None:
            redactor.learn_response(call.response.text())
    rows = [_row(redactor, scope, message_id, call) for call in calls.calls]
    with gw.db.transaction() as session:
        attempt = 1 + (
            session.execute(
                select(func.max(VendorCallRow.attempt)).where(
                    *in_scope(VendorCallRow, scope), VendorCallRow.message_id == message_id
                )
            ).scalar()
            or 0
        )
        for row in rows:
            row.attempt = attempt
            session.add(row)
        session.flush()
        _keep_newest(session, scope, message_id)


def _row(redactor: Redactor, scope: Scope, message_id: str, call: _Call) -> VendorCallRow:
    return VendorCallRow(
        org=scope.org,
        sandbox=scope.sandbox,
        message_id=message_id,
        number=call.number,
        at=call.at,
        method=call.method[:16],
        url=redactor.url(call.url),
        status_code=call.status_code,
        error=redactor.error(call.error) if call.error is not None else None,
        duration_ms=call.duration_ms,
        request_excerpt=redactor.excerpt(call.request.head, call.request.size) if call.request else None,
        response_excerpt=redactor.excerpt(call.response.head, call.response.size) if call.response else None,
    )


def _keep_newest(session: Session, scope: Scope, message_id: str) -> None:
    where = [*in_scope(VendorCallRow, scope), VendorCallRow.message_id == message_id]
    newest = (
        select(VendorCallRow.id)
        .where(*where)
        .order_by(VendorCallRow.attempt.desc(), VendorCallRow.number.desc())
        .limit(MAX_CALLS_PER_MESSAGE)
    )
    session.execute(delete(VendorCallRow).where(*where, VendorCallRow.id.not_in(newest)))


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
