"""Configuration rows the vendor-facing path reads on every request, kept for at most a second.

A webhook, its opened credential, the sandbox's policy and the feedback webhook change rarely and are
read on every vendor request. :class:`ConfigCache` keeps what a loader returned
for ``ttl`` seconds (default 1), so another process's change (another host on
PostgreSQL) is seen within a second, and drops everything at once when this
process commits a change to a configuration table (a session event watches
flushes and bulk UPDATE/DELETE statements), so an administrator's change here
takes effect on the next request.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker

from smshooks.store.tables import Channel, Credential, FeedbackWebhook, ReplyTemplate, SandboxSettings, Webhook

T = TypeVar("T")

#: the tables whose rows the cache may hold something derived from
CONFIG_TABLES = frozenset(
    model.__tablename__ for model in (Webhook, Credential, SandboxSettings, ReplyTemplate, Channel, FeedbackWebhook)
)
CHANGED = "smshooks_config_changed"


class ConfigCache:
    """Values loaded from configuration rows, each for at most ``ttl`` seconds."""

    def __init__(self, sessions: sessionmaker, *, ttl: float = 1.0, clock: Callable[[], float] = time.monotonic):
        self.ttl = ttl
        self.clock = clock
        self._entries: dict[Hashable, tuple[float, int, Any]] = {}
        self._generation = 0
        self._lock = threading.Lock()
        event.listen(sessions, "after_flush", self._note_flush)
        event.listen(sessions, "do_orm_execute", self._note_statement)
        event.listen(sessions, "after_commit", self._after_commit)

    def get(self, key: Hashable, load: Callable[[], T]) -> T:
        """The cached value of ``key``, else ``load()`` (kept for ``ttl`` seconds unless this process
        changes a configuration table meanwhile)."""
        now = self.clock()
        entry = self._entries.get(key)
        if entry is not None and entry[0] > now and entry[1] == self._generation:
            return entry[2]
        generation = self._generation  # read before loading: a change committed meanwhile invalidates it
        value = load()
        if len(self._entries) > 10_000:  # many webhooks: drop the lot rather than grow without bound
            self._entries.clear()
        self._entries[key] = (now + self.ttl, generation, value)
        return value

    def clear(self) -> None:
        """Forget everything (a change this process made to a configuration table)."""
        with self._lock:
            self._generation += 1
            self._entries.clear()

    def _note_flush(self, session: Session, _context: Any) -> None:
        for instance in (*session.new, *session.dirty, *session.deleted):
            if getattr(instance, "__tablename__", None) in CONFIG_TABLES:
                session.info[CHANGED] = True
                return

    def _note_statement(self, state: ORMExecuteState) -> None:
        if state.is_update or state.is_delete:
            table = getattr(state.statement, "table", None)
            if getattr(table, "name", None) in CONFIG_TABLES:
                state.session.info[CHANGED] = True

    def _after_commit(self, session: Session) -> None:
        if session.info.pop(CHANGED, False):
            self.clear()
