"""The vendor path's unit of work: one write transaction on a Core connection, no ORM session unless asked.

An ORM session costs more to begin and commit than the vendor path's few prebuilt statements cost
to run (profile_inbound.py), so :meth:`smshooks.store.db.Database.unit` hands out a :class:`Unit`:
the connection of a write transaction (taken as :meth:`~smshooks.store.db.Database.begin` takes it:
SQLite's writer mutex and ``BEGIN IMMEDIATE``), a session joined to that same transaction only when
a collaborator needs the ORM (:attr:`Unit.session`), and callbacks run once the transaction
committed (:meth:`Unit.after_commit`: the metrics of what committed).

Store functions that the vendor path and the ORM callers share take :data:`Writer`, either one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)


class Unit:
    """A write transaction's connection, its lazily joined ORM session and its after-commit callbacks."""

    __slots__ = ("_after_commit", "_session", "_sessions", "conn", "dialect")

    def __init__(self, conn: Connection, sessions: sessionmaker) -> None:
        self.conn = conn
        #: the dialect's name: "sqlite" or "postgresql"
        self.dialect: str = conn.dialect.name
        self._sessions = sessions
        self._session: Session | None = None
        self._after_commit: list[Callable[[], None]] = []

    def execute(self, statement: Any, parameters: Any = None) -> CursorResult:
        """Run a Core statement in the transaction."""
        return self.conn.execute(statement, parameters)

    @property
    def session(self) -> Session:
        """An ORM session in this same transaction (made on first use): for collaborators that add ORM
        objects. Its ``after_commit`` listeners run once the transaction committed, as for any session."""
        if self._session is None:
            self._session = self._sessions(bind=self.conn)
        return self._session

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` once the transaction committed (never if it rolls back)."""
        self._after_commit.append(callback)

    def flush(self) -> None:
        """Write what the ORM session holds (before the transaction commits)."""
        if self._session is not None:
            self._session.flush()

    def committed(self) -> None:
        """The transaction committed: the session's commit listeners, then the callbacks. A failing
        callback is logged, never raised: what it reports on is stored."""
        if self._session is not None:
            try:
                self._session.commit()  # joined, not owned: commits nothing, fires after_commit
            except Exception:  # a listener's failure: the work is stored all the same
                log.exception("an after-commit listener of the unit's session failed")
            finally:
                self._session.close()
        for callback in self._after_commit:
            try:
                callback()
            except Exception:
                log.exception("an after-commit callback failed")

    def discard(self) -> None:
        """The transaction rolled back: forget the session's work and the callbacks."""
        if self._session is not None:
            self._session.close()
        self._after_commit.clear()


#: what a store function shared by the vendor path (a :class:`Unit`) and ORM callers writes through
Writer = Session | Unit


def connection(writer: Writer) -> Connection:
    """The Core connection of ``writer``'s transaction."""
    return writer.conn if isinstance(writer, Unit) else writer.connection()


def dialect_name(writer: Writer) -> str:
    return writer.dialect if isinstance(writer, Unit) else writer.get_bind().dialect.name
