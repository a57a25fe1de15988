"""Waking workers across processes: PostgreSQL ``LISTEN`` on the channel enqueues ``NOTIFY``.

A listener holds one connection of its own (not the pool's) in autocommit
mode and sets the worker's wake event on every notification. When it cannot
connect it tries again with a backoff while the worker keeps polling, so a
lost notification delays a job by at most the poll interval. :class:`News` is
what the listener and this process's enqueues set: it wakes the worker's loop
and tells it to look at every lane.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from smshooks.outbox.jobs import NOTIFY_CHANNEL, Waker
from smshooks.store.db import Database

log = logging.getLogger(__name__)

#: seconds between reconnection attempts, doubling up to the last
_BACKOFF = (0.5, 1.0, 2.0, 5.0, 10.0)


class Listener:
    def __init__(self, conninfo: str, wake: Waker, stopping: threading.Event):
        self.conninfo = conninfo
        self.wake = wake
        self.stopping = stopping
        #: set once ``LISTEN`` is in place (tests wait for it)
        self.listening = threading.Event()
        self.thread = threading.Thread(target=self._run, name="smshooks-outbox-listen", daemon=True)

    @classmethod
    def start(cls, db: Database, wake: Waker, stopping: threading.Event) -> Listener | None:
        """A running listener for ``db``, or None where there is nothing to listen to (SQLite)."""
        conninfo = conninfo_of(db)
        if conninfo is None:
            return None
        listener = cls(conninfo, wake, stopping)
        listener.thread.start()
        return listener

    def join(self, timeout: float | None = None) -> None:
        self.thread.join(timeout)

    def _run(self) -> None:
        import psycopg

        failures = 0
        while not self.stopping.is_set():
            try:
                with psycopg.connect(self.conninfo, autocommit=True) as conn:
                    conn.execute(f"LISTEN {NOTIFY_CHANNEL}")
                    self.listening.set()
                    failures = 0
                    self.wake.set()  # a job may have been enqueued while nobody listened
                    while not self.stopping.is_set():
                        for _ in conn.notifies(timeout=1.0):
                            self.wake.set()
            except Exception as exc:
                self.listening.clear()
                delay = _BACKOFF[min(failures, len(_BACKOFF) - 1)]
                failures += 1
                log.warning("outbox listener: %s; polling, reconnecting in %.1f s", exc, delay)
                self.stopping.wait(delay)


def conninfo_of(db: Database) -> str | None:
    """A libpq URI for ``db``'s PostgreSQL server when it is reached through psycopg 3, else None."""
    url: Any = db.engine.url
    if url.get_backend_name() != "postgresql" or url.get_driver_name() != "psycopg":
        return None
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


class News:
    """An event that also wakes the worker's loop (what enqueue and the listener set)."""

    def __init__(self, wake: threading.Event):
        self._event = threading.Event()
        self._wake = wake

    def set(self) -> None:
        self._event.set()
        self._wake.set()

    def take(self) -> bool:
        """Whether news came since the last call."""
        if not self._event.is_set():
            return False
        self._event.clear()
        return True
