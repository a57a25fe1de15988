"""Logging for every smshooks process: text or JSON lines, each with its request id, phone numbers masked.

:func:`configure` is called by the ``smshooks`` command (serve, worker, ...); an app
served another way calls it once at start-up. No Flask here: the web layer sets the
request id (``smshooks.web.request_log``) with :func:`set_request_id`.

- ``SMSHOOKS_LOG_FORMAT=json``: one JSON object a line (``time``, ``level``, ``logger``,
  ``message``, ``request_id`` and the record's extra fields, e.g. ``vendor``, ``status``,
  ``duration_ms``); anything else: text.
- Numbers written as E.164 (``+14155550100``, also URL-encoded ``%2B…``) show as
  ``+1415555****`` (the last four digits hidden) in the message, the extra fields and
  tracebacks, unless ``SMSHOOKS_LOG_PHONE_NUMBERS=1``. Numbers without a leading ``+``
  are not recognised (they cannot be told from other digits).
"""

from __future__ import annotations

import atexit
import contextlib
import contextvars
import json
import logging
import os
import re
import signal
import sys
import threading
import weakref
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import IO, Any

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("smshooks_request_id", default=None)

# "+" (or %2B) and 7 to 15 digits, not inside a longer run of digits or a word
_E164 = re.compile(r"(?<![\w%])(\+|%2[Bb])(\d{3,11})\d{4}(?!\d)")

#: the attributes every LogRecord has: the others are a call's extra fields
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "request_id"}


def mask_phone_numbers(text: str) -> str:
    """``text`` with the last four digits of every E.164 number replaced by ``*``."""
    if "+" not in text and "%2" not in text:
        return text
    return _E164.sub(lambda match: f"{match.group(1)}{match.group(2)}****", text)


def set_request_id(request_id: str | None) -> contextvars.Token:
    """Make ``request_id`` the id on every line logged in this context (a request, a job); returns the reset token."""
    return _request_id.set(request_id)


def reset_request_id(token: contextvars.Token) -> None:
    _request_id.reset(token)


def current_request_id() -> str | None:
    return _request_id.get()


class RequestIdFilter(logging.Filter):
    """Adds ``request_id`` (``-`` outside a request) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = _request_id.get() or "-"
        return True


class PhoneNumberFilter(logging.Filter):
    """Masks E.164 numbers in the message, the extra fields and the traceback of every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        record.msg, record.args = mask_phone_numbers(message), None
        attributes = vars(record)
        for key in attributes.keys() - _STANDARD:  # the call's extra fields (a set difference, in C)
            value = attributes[key]
            if key.startswith("_") or (isinstance(value, str) and "+" not in value and "%2" not in value):
                continue  # a string without a number to mask (most): left as it is
            attributes[key] = _masked(value)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_phone_numbers(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_phone_numbers(record.stack_info)
        return True


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return mask_phone_numbers(value)
    if isinstance(value, Mapping):
        return {key: _masked(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_masked(item) for item in value]
    return value


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC), level, logger, message, request_id, extra fields, exception."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or _request_id.get(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_") and key not in line:
                line[key] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = record.stack_info
        return json.dumps(line, ensure_ascii=False, default=str)


#: seconds a line may wait in the buffer of the process's stderr before it is written
FLUSH_EVERY = 0.1


class BatchingStderrHandler(logging.StreamHandler):
    """Lines to the process's stderr through a buffer written every :data:`FLUSH_EVERY` seconds,
    at once for a WARNING or worse, before a fork and at exit.

    A worker logs a line per delivery attempt: through ``sys.stderr`` (line-buffered) each was a
    write system call under the handler's lock, and the threads logging behind it queued on that
    lock and on the GIL around the call. That was 0.12 ms of a worker's CPU per SMS job against
    a 0 ms endpoint (0.81 against 0.69 ms with the success lines left out; benchmarks/bench_outbox.py),
    more than the rest of its log line. What can be lost to a kill -9: the last tenth of a second of
    INFO lines; never a warning or an error (written at once)."""

    def __init__(self, fileno: int, encoding: str | None = None):
        stream = open(  # noqa: SIM115 -- the handler owns it, closed with it (not the descriptor)
            fileno, "w", buffering=1 << 16, encoding=encoding, errors="backslashreplace", closefd=False
        )
        super().__init__(stream)
        self._closed = threading.Event()
        self._start_flusher()
        os.register_at_fork(before=self.flush, after_in_child=self._start_flusher)
        atexit.register(self.flush)
        _batching.add(self)
        if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGTERM) in (
            signal.SIG_DFL,
            None,
        ):
            # a process stopped by SIGTERM with no handler of its own (``smshooks serve``) runs no
            # atexit: its last lines are written first, then it ends as SIGTERM ends it
            signal.signal(signal.SIGTERM, _flush_then_terminate)

    def _start_flusher(self) -> None:
        if not self._closed.is_set():
            threading.Thread(target=self._flush_every, name="smshooks-log-flush", daemon=True).start()

    def _flush_every(self) -> None:
        while not self._closed.wait(FLUSH_EVERY):
            self.flush()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.stream.write(self.format(record) + self.terminator)
            if record.levelno >= logging.WARNING:
                self.stream.flush()
        except RecursionError:
            raise
        except Exception:
            self.handleError(record)

    def close(self) -> None:
        self._closed.set()
        self.flush()
        super().close()


_batching: weakref.WeakSet[BatchingStderrHandler] = weakref.WeakSet()


def _flush_then_terminate(signum: int, _frame: Any) -> None:
    for handler in list(_batching):
        with contextlib.suppress(Exception):  # the main thread may have been writing: never stop the exit
            handler.stream.flush()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def _stderr_handler() -> logging.StreamHandler:
    """The batching handler on the process's stderr, or a plain one where stderr is no file (captured)."""
    try:
        fileno = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is an OSError
        return logging.StreamHandler(sys.stderr)
    sys.stderr.flush()
    return BatchingStderrHandler(fileno, getattr(sys.stderr, "encoding", None))


def configure(
    environ: Mapping[str, str] | None = None, *, level: str | int = "INFO", stream: IO[str] | None = None
) -> logging.Handler:
    """Send every log record to ``stream`` (stderr) as text or JSON lines; replaces an earlier call's handler."""
    env = os.environ if environ is None else environ
    handler = logging.StreamHandler(stream) if stream is not None else _stderr_handler()
    handler.set_name("smshooks")
    as_json = env.get("SMSHOOKS_LOG_FORMAT", "text").strip().lower() == "json"
    handler.setFormatter(JsonFormatter() if as_json else logging.Formatter(TEXT_FORMAT))
    handler.addFilter(RequestIdFilter())
    if env.get("SMSHOOKS_LOG_PHONE_NUMBERS", "").strip().lower() not in TRUE_WORDS:
        handler.addFilter(PhoneNumberFilter())
    # What no smshooks line shows is not collected per record (the logging HOWTO's "Optimization"):
    # the caller's file and line (a walk up the stack for every record), thread and process names.
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == "smshooks"]:
        root.removeHandler(old)
        if isinstance(old, BatchingStderrHandler):
            old.close()  # its lines written, its flusher stopped (not the descriptor: stderr stays)
    root.addHandler(handler)
    root.setLevel(level.upper() if isinstance(level, str) else level)
    # Alembic narrates every plugin it sets up at INFO; only its warnings matter here.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, root.level))
    return handler
