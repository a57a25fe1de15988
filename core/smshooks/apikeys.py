"""Admin API keys, the short way: :func:`create_api_key` returns a new key's text.

The service (list, revoke, scopes, expiry, the per-request check) is
:mod:`smshooks.access.api_keys`; this module keeps the one call tests and scripts use.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from smshooks.access.api_keys import DEFAULT_SCOPES, ORG_ID, create_key
from smshooks.store.db import Database

__all__ = ["ORG_ID", "create_api_key"]


def create_api_key(
    db: Database,
    org: str,
    name: str = "",
    *,
    scopes: Iterable[str] = DEFAULT_SCOPES,
    expires_at: datetime | None = None,
) -> str:
    """Create a key for ``org`` (creating the organisation if new); returns the key once.

    Raises :class:`smshooks.errors.Invalid` for a bad organisation id.
    """
    return create_key(db, org, name=name, scopes=scopes, expires_at=expires_at).key
