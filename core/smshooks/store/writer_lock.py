"""The queue SQLite's writers wait in: a mutex in this process, a file lock between processes.

SQLite lets one transaction write at a time. One that finds the write lock taken sleeps in
SQLite's busy handler and tries again, sleeping longer each time (1, 2, 5, 10 ... 100 ms): the
lock is free long before it looks again. In one process the writers queue on a mutex instead and
take turns as soon as the lock is free. Processes on one file (``smshooks serve --workers N``,
a ``smshooks worker`` beside the web server) met the busy handler still: with two web processes
the ones that lost the race slept while the file sat unlocked, and their requests' p99 grew.

:class:`WriterLock` adds an exclusive ``flock`` of a file beside the database, taken after the
mutex: a writer of another process waits in the kernel and is woken when the lock is released.
The wait is bounded like SQLite's own (``timeout``), then refused as a locked database
(SQLAlchemy's OperationalError: the vendor path answers 503 and the vendor retries), so a
process stopped while holding it cannot hold the others forever. Where there is no file (an
in-memory database) or no ``fcntl`` (Windows), it is the mutex alone, as before.
"""

from __future__ import annotations

import itertools
import os
import sqlite3
import threading
import time
from pathlib import Path
from types import TracebackType

from sqlalchemy.exc import OperationalError

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None  # type: ignore[assignment]

#: seconds between tries while another process holds the lock: short, since the kernel has no
#: timed wait on a file lock; it grows to the last, so a long wait costs few wake-ups
_RETRY_DELAYS = (0.0002, 0.0005, 0.001, 0.002)


class WriterLock:
    """Re-entrant in a thread (a nested transaction fails in SQLite, as it always did, rather than
    deadlocking here); ``path`` is the file to lock between processes, None for the mutex alone."""

    def __init__(self, path: Path | None, timeout: float):
        self.path = path if fcntl is not None else None
        self.timeout = timeout
        self._mutex = threading.RLock()
        self._depth = 0
        self._fd: int | None = None
        self._pid = 0

    def __enter__(self) -> WriterLock:
        self._mutex.acquire()
        if self._depth == 0 and self.path is not None:
            try:
                self._lock_file()
            except BaseException:
                self._mutex.release()
                raise
        self._depth += 1
        return self

    def __exit__(
        self, _type: type[BaseException] | None, _error: BaseException | None, _tb: TracebackType | None
    ) -> None:
        self._depth -= 1
        try:
            if self._depth == 0 and self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._mutex.release()

    def _lock_file(self) -> None:
        fd = self._file()
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # the usual case: nobody else writes now
            return
        except BlockingIOError:
            pass
        deadline = time.monotonic() + self.timeout
        for attempt in itertools.count():
            time.sleep(_RETRY_DELAYS[min(attempt, len(_RETRY_DELAYS) - 1)])
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    break
        error = sqlite3.OperationalError("database is locked")
        raise OperationalError("BEGIN IMMEDIATE", None, error)

    def _file(self) -> int:
        """This process's descriptor of the lock file: a forked child opens its own (a descriptor
        shared with the parent would share its lock, and exclude nothing between them)."""
        if self._fd is None or self._pid != os.getpid():
            assert self.path is not None
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        return self._fd

    def close(self) -> None:
        """Close this process's descriptor (the engine was disposed); the next writer opens it again."""
        with self._mutex:
            fd, self._fd = self._fd, None
            if fd is not None and self._pid == os.getpid():
                os.close(fd)
