"""Engines, sessions and schema migrations."""

from __future__ import annotations

import os
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from smshooks.store.driver import PING_AFTER_IDLE
from smshooks.store.unit import Unit
from smshooks.store.writer_lock import WriterLock

MIGRATIONS = Path(__file__).parent / "migrations"
#: seconds a SQLite writer waits for the write lock before the database counts as locked (503)
SQLITE_TIMEOUT = 30.0


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``; SQLite files get WAL mode and a busy timeout so the
    web server and the worker thread can share one file."""
    if url.startswith("sqlite"):
        path = make_url(url).database
        if path and path != ":memory:" and not path.startswith("file:"):
            create_private_file(Path(path))
        engine = create_engine(url, connect_args={"timeout": SQLITE_TIMEOUT}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    engine = create_engine(url, **kwargs)
    _ping_when_idle(engine)
    return engine


def _writer_lock_path(engine: Engine) -> Path | None:
    """The file beside a SQLite database that its writers of every process queue on; None in memory."""
    path = engine.url.database
    if not path or path == ":memory:" or path.startswith("file:"):
        return None
    return Path(f"{path}-writer-lock")


def _ping_when_idle(engine: Engine) -> None:
    """Ping a pooled connection before handing it out only when it rested a while.

    ``pool_pre_ping`` pinged on every checkout: a round trip (and the server's
    work) per unit of work, most of them on a connection checked in a moment
    before. A connection that rested for :data:`PING_AFTER_IDLE` (the server may
    have restarted or dropped it meanwhile) is still pinged, and a dead one is
    replaced before use, as the pre-ping did; one that dies while busy fails its
    statement and the pool drops it and the others of its age, as before.
    """

    def checkin(_dbapi_connection: Any, record: Any) -> None:
        if record is not None:
            record.info["smshooks_idle_since"] = time.monotonic()

    def checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        rested_since = record.info.get("smshooks_idle_since")
        if rested_since is None or time.monotonic() - rested_since < PING_AFTER_IDLE:
            return  # just connected, or just used
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:
            raise DisconnectionError(f"the pooled connection is gone: {exc}") from exc  # the pool connects anew

    event.listen(engine.pool, "checkin", checkin)
    event.listen(engine.pool, "checkout", checkout)


def create_private_file(path: Path) -> None:
    """Create ``path`` (and its missing directories) readable by its owner only,
    unless it exists. The database holds API key hashes, subscribers' numbers and
    sealed vendor secrets; SQLite would create it with the process umask (often
    world-readable), and it gives its -wal and -shm files the database's mode."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    os.close(fd)


#: execution option of a connection whose transaction writes: on SQLite it begins IMMEDIATE
WRITES = "smshooks_writes"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # The driver's own transaction handling begins a transaction only at the first INSERT/UPDATE/
    # DELETE, so a unit of work's reads before its first write ran outside it and could be stale
    # by the time it wrote (another process on the file). Transactions are begun in _sqlite_begin.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    """A unit of work that writes (:meth:`Database.transaction`) takes the write lock at BEGIN, so
    what it reads — a subscriber's consent, before deciding on an opt-out — is what it writes on;
    other transactions begin deferred (readers never wait in WAL mode)."""
    # straight to the driver: this runs once per transaction, and SQLAlchemy's statement
    # execution (events, cursor wrapping) would cost more than the BEGIN itself
    statement = "BEGIN IMMEDIATE" if conn.get_execution_options().get(WRITES) else "BEGIN"
    try:
        conn.connection.driver_connection.execute(statement)
    except conn.dialect.loaded_dbapi.Error as error:
        # SQLAlchemy does not wrap what a begin listener raises: "database is locked" (another process
        # held the write lock past the busy timeout) must be its OperationalError, which the vendor
        # path answers 503 (the vendor retries), not the driver's own error, answered 500
        raise DBAPIError.instance(
            statement, None, error, conn.dialect.loaded_dbapi.Error, dialect=conn.dialect
        ) from error


#: PostgreSQL's deadlock_detected and serialization_failure: the transaction was rolled back
#: and the same work may simply be done again
_RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})


def is_retryable_conflict(error: BaseException) -> bool:
    """True when ``error`` is the database aborting a transaction for a lock conflict with another
    (two batches locking the same rows in opposite orders): doing the work again succeeds."""
    return isinstance(error, DBAPIError) and getattr(error.orig, "sqlstate", None) in _RETRYABLE_SQLSTATES


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (creates it on an empty database)."""
    command.upgrade(alembic_config(engine), revision)


def schema_revisions(engine: Engine) -> tuple[str | None, str]:
    """(the database's Alembic revision, None on an empty database; the code's head revision).
    Raises the driver's error when the database does not answer."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    return current, head or ""


def has_schema(engine: Engine) -> bool:
    return inspect(engine).has_table("alembic_version")


class Database:
    """The engine plus a session factory; ``transaction()`` is the unit of work."""

    def __init__(self, engine: Engine, *, writer_timeout: float = SQLITE_TIMEOUT):
        """``writer_timeout``: seconds a SQLite writer waits for another process's write to end."""
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        # SQLite has one writer at a time. Threads that find the write lock taken sleep in
        # SQLite's busy handler with a back-off of up to 100 ms and retry, so under load a
        # few unlucky requests waited seconds (bench_inbound.py: p99 1.4 s at 200 req/s).
        # Queued instead (a mutex in this process, a file lock between processes), writers
        # take turns as soon as the lock is free (store/writer_lock.py).
        sqlite = engine.dialect.name == "sqlite"
        self._writer = WriterLock(_writer_lock_path(engine), writer_timeout) if sqlite else None
        # ... and, taking turns anyway, they share one connection: a pool checkout and return per
        # transaction cost more CPU than the statements of an inbound message (store/driver.py)
        self._writer_conn: Connection | None = None
        self._writer_pid = 0
        if self._writer is not None:
            event.listen(engine, "engine_disposed", lambda _engine: self._close_writer())

    @classmethod
    def from_url(cls, url: str) -> Database:
        return cls(make_engine(url))

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work commits together at the end of the block, or not at all."""
        if self._writer is None:
            with self._sessions.begin() as session:
                yield session
            return
        with self._writer, self._sessions.begin() as session:
            session.connection(execution_options={WRITES: True})
            yield session

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """A Core connection whose work commits together at the end of the block, or not at all
        (the outbox's batched statements: no ORM session to build); SQLite writers queue as in
        :meth:`transaction`."""
        if self._writer is None:
            with self.engine.begin() as conn:
                yield conn
            return
        with self._writer:
            conn = self._writer_connection()
            with conn.begin():
                yield conn

    def _writer_connection(self) -> Connection:
        """This process's SQLite writer connection (made on first use; the writer mutex is held)."""
        conn = self._writer_conn
        if conn is None or conn.closed or self._writer_pid != os.getpid():
            # after a fork the parent's connection is left alone: the child makes its own
            conn = self.engine.connect().execution_options(**{WRITES: True})
            self._writer_conn, self._writer_pid = conn, os.getpid()
            weakref.finalize(self, conn.close)
        return conn

    def _close_writer(self) -> None:
        """The engine was disposed: give the writer connection back (the next writer makes another)."""
        with self._writer:  # type: ignore[union-attr]  # only listened to on SQLite
            conn, self._writer_conn = self._writer_conn, None
            if conn is not None and self._writer_pid == os.getpid():
                conn.close()
        self._writer.close()  # type: ignore[union-attr]

    @contextmanager
    def unit(self) -> Iterator[Unit]:
        """A :class:`~smshooks.store.unit.Unit`: :meth:`begin`'s connection (same locking), with an ORM
        session in its transaction only if one is asked for, and callbacks after the commit (the vendor
        path's unit of work: an ORM session's begin and commit cost more than its statements)."""
        unit: Unit | None = None
        try:
            with self.begin() as conn:
                unit = Unit(conn, self._sessions)
                yield unit
                unit.flush()
        except BaseException:
            if unit is not None:  # rolled back, or the commit failed
                unit.discard()
            raise
        unit.committed()

    def session(self) -> Session:
        return self._sessions()

    @property
    def sessions(self) -> sessionmaker:
        """The session factory (for session events)."""
        return self._sessions
