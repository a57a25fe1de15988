"""Admin API keys: created for one organisation, stored hashed."""

from __future__ import annotations

import re

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
