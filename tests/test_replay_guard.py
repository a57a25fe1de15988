"""The database replay guard: a nonce is accepted once across processes, again after it
expires, and only recorded when the request's events are stored."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest

from smshooks.store.db import Database
from smshooks.store.nonces import DatabaseReplayGuard, Replayed
from smshooks.vendor import MemoryReplayGuard

TTL = timedelta(minutes=5)


@pytest.fixture
def db(smshooks_database_url):
    database = Database.from_url(smshooks_database_url)
    yield database
    database.engine.dispose()


def use(db: Database, namespace: str, key: str, ttl: timedelta = TTL) -> bool:
    """One request: check the nonce, then store it with the request's events."""
    guard = DatabaseReplayGuard(db, namespace)
    if not guard.first_use(key, ttl):
        return False
    with db.transaction() as session:
        guard.record(session)
    return True


def test_a_nonce_is_accepted_once(db, smshooks_database_url):
    assert use(db, "cred_a", "nonce-1") is True
    assert use(db, "cred_a", "nonce-1") is False
    other = Database.from_url(smshooks_database_url)  # another process
    assert use(other, "cred_a", "nonce-1") is False
    other.engine.dispose()
    assert use(db, "cred_b", "nonce-1") is True  # nonces are per credential


def test_a_nonce_is_not_burnt_when_the_events_were_not_stored(db):
    guard = DatabaseReplayGuard(db, "cred_a")
    assert guard.first_use("nonce-2", TTL)
    with pytest.raises(RuntimeError), db.transaction() as session:
        guard.record(session)
        raise RuntimeError("the database failed before commit")
    assert use(db, "cred_a", "nonce-2") is True  # the vendor's retry is accepted


def test_a_transaction_done_again_records_the_nonce_again(db):
    """The vendor path stores a chunk again when the database aborted it (a deadlock): the nonce
    recorded in the aborted transaction must be recorded in the new one, or it could be replayed."""
    guard = DatabaseReplayGuard(db, "cred_a")
    assert guard.first_use("nonce-5", TTL)
    with pytest.raises(RuntimeError), db.transaction() as session:
        guard.record(session)
        raise RuntimeError("deadlock detected")
    with db.transaction() as session:
        guard.record(session)
    assert use(db, "cred_a", "nonce-5") is False  # recorded: a replay is refused


def test_two_requests_racing_with_one_nonce_store_one(db):
    first, second = DatabaseReplayGuard(db, "cred_a"), DatabaseReplayGuard(db, "cred_a")
    assert first.first_use("nonce-3", TTL) and second.first_use("nonce-3", TTL)
    with db.transaction() as session:
        first.record(session)
    with pytest.raises(Replayed), db.transaction() as session:
        second.record(session)


def test_an_expired_nonce_may_be_used_again(db):
    assert use(db, "cred_a", "nonce-4", timedelta(milliseconds=50)) is True
    time.sleep(0.1)
    assert use(db, "cred_a", "nonce-4") is True
    assert use(db, "cred_a", "nonce-4") is False


def test_memory_guard_behaves_the_same():
    guard = MemoryReplayGuard()
    assert guard.first_use("n", TTL) is True
    assert guard.first_use("n", TTL) is False
