"""A ReplayGuard shared by every process through the database."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import delete, update

from smshooks.store.db import Database
from smshooks.store.tables import ReplayKey, utcnow
from smshooks.store.upsert import insert_once

#: expired keys are purged on about one call in this many, so the table stays small
PURGE_EVERY = 200


class DatabaseReplayGuard:
    """``first_use`` is decided by the primary key, so two processes racing on the
    same nonce cannot both accept it."""

    def __init__(self, db: Database, namespace: str):
        self.db = db
        self.namespace = namespace

    def first_use(self, key: str, ttl: timedelta) -> bool:
        full_key = f"{self.namespace}:{key}"[:255]
        now = utcnow()
        with self.db.transaction() as session:
            if random.randrange(PURGE_EVERY) == 0:
                session.execute(delete(ReplayKey).where(ReplayKey.expires_at < now))
            if insert_once(session, ReplayKey, {"key": full_key, "expires_at": now + ttl}, key=["key"]) is not None:
                return True
            # Seen before: only an expired entry may be taken over.
            taken = session.execute(
                update(ReplayKey)
                .where(ReplayKey.key == full_key, ReplayKey.expires_at <= now)
                .values(expires_at=now + ttl)
            )
            return taken.rowcount == 1
