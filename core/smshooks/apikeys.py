"""Admin API keys: created for one organisation, stored hashed."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select

from smshooks.crypto import hash_api_key, new_api_key
from smshooks.store.db import Database
from smshooks.store.tables import ApiKey, Organisation

ORG_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")


def create_api_key(db: Database, org: str, name: str = "") -> str:
    """Create a key for ``org`` (creating the organisation if new); returns the key once."""
    if not ORG_ID.match(org):
        raise ValueError("organisation id: letters, digits, '.', '_', '@' and '-', at most 64")
    key = new_api_key()
    with db.transaction() as session:
        if session.get(Organisation, org) is None:
            session.add(Organisation(id=org))
            session.flush()
        session.add(ApiKey(org=org, name=name, prefix=key[:12], key_hash=hash_api_key(key)))
    return key


@dataclass(frozen=True, slots=True)
class KeyOwner:
    """Who an API key in force belongs to."""

    id: int
    org: str
    prefix: str


def find_api_key(db: Database, key: str) -> KeyOwner | None:
    """The owner of ``key`` when it is a key in force (not revoked), else None.

    The one lookup of a presented key: the API's Bearer check and the console's
    sign-in both call it.
    """
    with db.session() as session:
        found = session.execute(
            select(ApiKey.id, ApiKey.org, ApiKey.prefix).where(
                ApiKey.key_hash == hash_api_key(key.strip()), ApiKey.revoked_at.is_(None)
            )
        ).first()
    return None if found is None else KeyOwner(*found)


def api_key_in_force(db: Database, key_id: int, org: str) -> KeyOwner | None:
    """The key ``key_id`` of ``org`` while it is not revoked, else None (a console session checks it each request)."""
    with db.session() as session:
        found = session.execute(
            select(ApiKey.id, ApiKey.org, ApiKey.prefix).where(
                ApiKey.id == key_id, ApiKey.org == org, ApiKey.revoked_at.is_(None)
            )
        ).first()
    return None if found is None else KeyOwner(*found)
