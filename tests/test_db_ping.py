"""A pooled PostgreSQL connection the server dropped while it rested is replaced before use."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from smshooks.store import db as store_db
from smshooks.store.db import make_engine


def test_a_connection_dropped_while_resting_is_replaced(smshooks_database_url: str, monkeypatch) -> None:
    if not smshooks_database_url.startswith("postgresql"):
        pytest.skip("SQLite has no server to drop a connection")
    engine = make_engine(smshooks_database_url, pool_size=1, max_overflow=0)
    admin = make_engine(smshooks_database_url)
    try:
        with engine.connect() as conn:
            backend = conn.execute(text("SELECT pg_backend_pid()")).scalar()
        with admin.connect() as conn:  # the server drops the resting connection (a restart, an idle timeout)
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
        monkeypatch.setattr(store_db, "PING_AFTER_IDLE", 0.0)  # it has rested long enough to be checked
        with engine.connect() as conn:
            assert conn.execute(text("SELECT pg_backend_pid()")).scalar() != backend
    finally:
        engine.dispose()
        admin.dispose()
