"""The claiming loop's own database connection, kept from one of its transactions to the next.

A busy worker runs a claiming transaction every few jobs (record, mark done, claim). On a
pooled connection each paid a checkout and was planned anew by PostgreSQL: psycopg prepares a
statement on the server once it ran a few times on one connection, but forgets them all, and
sends ``DEALLOCATE ALL``, at the next ``ROLLBACK`` — and every pooled connection gets one
whenever a handler's read ends. The loop's own connection only ever commits: its statements
are prepared once and stay so, and none of them costs a pooled connection a round trip later.

It is PostgreSQL's alone: SQLite has no server to plan or round trips to save, and its
transactions queue on the writer mutex that :meth:`Database.begin` takes.

Its planner has bitmap scans turned off. The jobs table's statistics trail its churn (a
campaign's backlog, enqueued since the last ANALYZE, is estimated at a row or two), and for
a row or two a bitmap scan and a sort cost the planner as little as the ordered index scan
the claim is written for; it then reads and sorts the whole backlog on every claim. The
connection runs only the outbox's statements and the kinds' records, which look rows up by
key, where the ordered index scan is the plan wanted anyway.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection

from smshooks.store.db import Database
from smshooks.store.driver import PING_AFTER_IDLE, answers, autocommit


class KeptConnection:
    """One connection for one thread (the claiming loop's); None where the pool's serve better."""

    def __init__(self, db: Database):
        self.db = db
        self._conn: Connection | None = None
        self._used = 0.0

    def get(self) -> Connection | None:
        """The kept connection (connected on first use, pinged after it rested like the pool's)."""
        if self.db.engine.dialect.name != "postgresql":
            return None
        now = time.monotonic()
        if self._conn is not None and now - self._used >= PING_AFTER_IDLE and not answers(self._conn):
            self.drop()  # the server dropped it while it rested (a restart): connect anew, as the pool would
        if self._conn is None:
            conn = self.db.engine.connect()
            conn.exec_driver_sql("SET enable_bitmapscan = off")
            conn.commit()
            self._conn = conn
        self._used = now
        return self._conn

    def drop(self) -> None:
        """Close it (after a failure: the next :meth:`get` connects anew)."""
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()


@contextmanager
def begin(db: Database, conn: Connection | None, *, alone: bool = False) -> Iterator[Connection]:
    """A transaction on ``conn`` (a worker's own connection), else on one of the pool's.

    ``alone``: the block's statements are each atomic by themselves; on a PostgreSQL ``conn`` they
    run in autocommit, each its own transaction, with no BEGIN and COMMIT round trips."""
    if conn is None:
        with db.begin() as pooled:
            yield pooled
        return
    if not alone:
        with conn.begin():
            yield conn
        return
    with autocommit(conn), conn.begin():  # SQLAlchemy's own bookkeeping: its BEGIN and COMMIT send nothing
        yield conn
