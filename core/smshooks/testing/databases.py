"""Test databases: a fresh SQLite file per test, and PostgreSQL when configured.

PostgreSQL runs where ``SMSHOOKS_TEST_POSTGRES_URL`` is set (a server URL such
as ``postgresql+psycopg://postgres@127.0.0.1:5432/test``): the kit creates one
throw-away database per test session, migrates it once, and empties its
tables before each test (or, for the module-scoped fixtures, before each module).
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from smshooks.store.db import make_engine, upgrade
from smshooks.store.tables import Base

POSTGRES_ENV = "SMSHOOKS_TEST_POSTGRES_URL"


def backends() -> list[str]:
    """The database backends tests run against here."""
    return ["sqlite", "postgresql"] if os.environ.get(POSTGRES_ENV) else ["sqlite"]


class SQLiteTemplate:
    """Migrating is slow next to copying a file: migrate once, copy per test."""

    def __init__(self, directory: Path):
        self.path = directory / "template.db"
        engine = make_engine(f"sqlite:///{self.path}")
        upgrade(engine)
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        engine.dispose()

    def fresh(self, directory: Path) -> str:
        target = directory / "smshooks.db"
        shutil.copyfile(self.path, target)
        return f"sqlite:///{target}"


@contextmanager
def postgres_database() -> Iterator[str]:
    """A new, migrated PostgreSQL database, dropped afterwards."""
    server = make_url(os.environ[POSTGRES_ENV])
    name = "smshooks_test_" + secrets.token_hex(4)
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = server.set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    try:
        upgrade(engine)
        engine.dispose()
        yield url
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def empty_tables(url: str) -> None:
    """Delete every row and restart the id sequences, as on a freshly migrated database.

    DELETE, children first, rather than TRUNCATE: on tables of a few rows
    TRUNCATE costs ~0.3 s (it replaces each table's files), DELETE ~15 ms, and
    this runs before every test. A table whose trigger refuses DELETE (the
    append-only consent ledger) is truncated, and only when it has rows.
    """
    engine = create_engine(url)
    with engine.begin() as conn:
        guarded = set(
            conn.execute(
                text("SELECT DISTINCT tgrelid::regclass::text FROM pg_trigger WHERE NOT tgisinternal")
            ).scalars()
        )
        refusing = []
        for table in reversed(Base.metadata.sorted_tables):
            if table.name not in guarded:
                conn.execute(table.delete())
            elif conn.execute(table.select().limit(1)).first() is not None:
                refusing.append(f'"{table.name}"')
        if refusing:
            conn.execute(text(f"TRUNCATE {', '.join(refusing)} CASCADE"))
        sequences = conn.execute(text("SELECT sequence_schema, sequence_name FROM information_schema.sequences")).all()
        for schema, name in sequences:
            conn.execute(text(f'ALTER SEQUENCE "{schema}"."{name}" RESTART'))
    engine.dispose()
