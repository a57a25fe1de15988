"""The database replay guard: a nonce is accepted once across processes, again after it expires."""

from __future__ import annotations

import time
from datetime import timedelta

from smshooks.store.db import Database
from smshooks.store.replay import DatabaseReplayGuard
from smshooks.vendor import MemoryReplayGuard


def test_a_nonce_is_accepted_once(smshooks_database_url):
    db = Database.from_url(smshooks_database_url)
    guard = DatabaseReplayGuard(db, namespace="cred_a")
    assert guard.first_use("nonce-1", timedelta(minutes=5)) is True
    assert guard.first_use("nonce-1", timedelta(minutes=5)) is False
    # another process (its own engine) sees the same record
    other = DatabaseReplayGuard(Database.from_url(smshooks_database_url), namespace="cred_a")
    assert other.first_use("nonce-1", timedelta(minutes=5)) is False
    # nonces are per credential
    assert DatabaseReplayGuard(db, namespace="cred_b").first_use("nonce-1", timedelta(minutes=5)) is True
    db.engine.dispose()
    other.db.engine.dispose()


def test_an_expired_nonce_may_be_used_again(smshooks_database_url):
    db = Database.from_url(smshooks_database_url)
    guard = DatabaseReplayGuard(db, namespace="cred_a")
    assert guard.first_use("nonce-2", timedelta(milliseconds=50)) is True
    time.sleep(0.1)
    assert guard.first_use("nonce-2", timedelta(minutes=5)) is True
    assert guard.first_use("nonce-2", timedelta(minutes=5)) is False
    db.engine.dispose()


def test_memory_guard_behaves_the_same():
    guard = MemoryReplayGuard()
    assert guard.first_use("n", timedelta(minutes=5)) is True
    assert guard.first_use("n", timedelta(minutes=5)) is False
