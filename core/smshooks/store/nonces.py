"""A ReplayGuard shared by every process through the database.

A nonce is only *checked* while the vendor's signature is verified; it is
*recorded* in the transaction that stores the request's events. So a request
whose events could not be stored (the database hiccuped, the vendor got a 503)
does not burn its nonce, and the vendor's retry of it is accepted.
"""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import delete, select, update

from smshooks.store.db import Database
from smshooks.store.tables import ReplayKey, utcnow
from smshooks.store.unit import Writer, connection
from smshooks.store.upsert import insert_once

#: expired keys are purged on about one call in this many, so the table stays small
PURGE_EVERY = 200


class Replayed(Exception):
    """A nonce was used by a concurrent request that committed first."""


class DatabaseReplayGuard:
    def __init__(self, db: Database, namespace: str):
        self.db = db
        self.namespace = namespace
        self.pending: dict[str, timedelta] = {}

    def first_use(self, key: str, ttl: timedelta) -> bool:
        """True when no live record of ``key`` exists; the key is remembered
        for :meth:`record`. (Standalone use: call :meth:`record` yourself.)"""
        full_key = self._key(key)
        if full_key in self.pending:
            return False
        with self.db.session() as session:
            live = session.execute(
                select(ReplayKey.key).where(ReplayKey.key == full_key, ReplayKey.expires_at > utcnow())
            ).first()
        if live is not None:
            return False
        self.pending[full_key] = ttl
        return True

    def record(self, db: Writer) -> None:
        """Store the checked keys in ``db``'s transaction; :class:`Replayed`
        when a concurrent request recorded one of them first. The keys stay pending: a
        transaction rolled back and tried again (a deadlock) records them again."""
        if not self.pending:
            return
        now = utcnow()
        conn = connection(db)
        if random.randrange(PURGE_EVERY) == 0:
            conn.execute(delete(ReplayKey).where(ReplayKey.expires_at < now))
        for full_key, ttl in self.pending.items():
            if insert_once(db, ReplayKey, {"key": full_key, "expires_at": now + ttl}, key=["key"]) is not None:
                continue
            # Seen before: only an expired entry may be taken over.
            taken = conn.execute(
                update(ReplayKey)
                .where(ReplayKey.key == full_key, ReplayKey.expires_at <= now)
                .values(expires_at=now + ttl)
            )
            if taken.rowcount != 1:
                raise Replayed(full_key)

    def _key(self, key: str) -> str:
        return f"{self.namespace}:{key}"[:255]
