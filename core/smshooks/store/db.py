"""Engines, sessions and schema migrations."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).parent / "migrations"


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``; SQLite files get WAL mode and a busy timeout so the
    web server and the worker thread can share one file."""
    if url.startswith("sqlite"):
        path = make_url(url).database
        if path and path != ":memory:" and not path.startswith("file:"):
            create_private_file(Path(path))
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


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


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


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

    def __init__(self, engine: Engine):
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        # SQLite has one writer at a time. Threads that find the write lock taken sleep in
        # SQLite's busy handler with a back-off of up to 100 ms and retry, so under load a
        # few unlucky requests waited seconds (bench_inbound.py: p99 1.4 s at 200 req/s).
        # Queued on a mutex instead, this process's writers take turns as soon as the lock
        # is free. Re-entrant, so a nested transaction fails in SQLite (as it always did)
        # rather than deadlocking here. Other processes still meet the busy handler.
        self._writer = threading.RLock() if engine.dialect.name == "sqlite" else None

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
            # pysqlite begins a transaction at the first write, so what a transaction reads first (the
            # consent records a message is decided on) was read outside it, and another process's
            # commit could slip in before the write. BEGIN IMMEDIATE takes the write lock first (it
            # replaces pysqlite's own BEGIN: SQLite runs no more statements than before).
            session.connection().exec_driver_sql("BEGIN IMMEDIATE")
            yield session

    def session(self) -> Session:
        return self._sessions()

    @property
    def sessions(self) -> sessionmaker:
        """The session factory (for session events)."""
        return self._sessions
