"""Admin API keys: created for one organisation, stored hashed, listed, revoked, checked per request.

The CLI, the ``/api/v1/api-keys`` view and the request authenticator all call these.
:func:`check_key` reads the database on every request (one read by the unique hash), so
a revoked or expired key is refused at once by every process: there is no cache to go stale.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update

from smshooks.access.scopes import ADMIN, SCOPES
from smshooks.crypto import hash_api_key, new_api_key
from smshooks.errors import Conflict, Invalid, NotFound
from smshooks.store.db import Database
from smshooks.store.tables import ApiKey, Organisation, utcnow

log = logging.getLogger(__name__)

ORG_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
ORG_ID_RULE = "organisation id: letters, digits, '.', '_', '@' and '-', at most 64"
MAX_NAME = 200
#: characters of the key kept in clear, to tell keys apart ("smsh_" + 7)
PREFIX_LENGTH = 12
DEFAULT_SCOPES = (ADMIN,)
#: last_used_at is written at most this often per key: a write per request would make
#: every API read contend for the database's write lock
LAST_USED_RESOLUTION = timedelta(seconds=60)
#: ids are INTEGER (32-bit on PostgreSQL): a larger one cannot exist
MAX_ID = 2**31 - 1

#: why check_key refused a key
UNKNOWN, EXPIRED = "unknown", "expired"


@dataclass(frozen=True)
class ApiKeyInfo:
    """What may be shown about a key: never the key or its hash."""

    id: int
    org: str
    name: str
    prefix: str
    scopes: tuple[str, ...]
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None

    def expired(self, now: datetime | None = None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or utcnow())


@dataclass(frozen=True)
class NewApiKey:
    info: ApiKeyInfo
    #: the key itself, shown once: only its hash is stored
    key: str


@dataclass(frozen=True)
class Caller:
    """The holder of a key the gateway accepted."""

    key_id: int
    org: str
    prefix: str
    scopes: tuple[str, ...]


@dataclass(frozen=True)
class KeyCheck:
    caller: Caller | None
    #: UNKNOWN (no such key, or revoked) or EXPIRED when ``caller`` is None
    refusal: str | None = None


def normalise_scopes(scopes: Iterable[str]) -> tuple[str, ...]:
    """``scopes`` deduplicated in the order of :data:`SCOPES`; :class:`Invalid` for an unknown or empty set."""
    wanted = {scope.strip().lower() for scope in scopes if scope.strip()}
    unknown = sorted(wanted - set(SCOPES))
    if unknown or not wanted:
        message = f"scopes: one or more of {', '.join(SCOPES)}" + (
            f"; unknown: {', '.join(unknown)}" if unknown else ""
        )
        raise Invalid(message, details={"scopes": [message]})
    return tuple(scope for scope in SCOPES if scope in wanted)


def create_key(
    db: Database,
    org: str,
    *,
    name: str = "",
    scopes: Iterable[str] = DEFAULT_SCOPES,
    expires_at: datetime | None = None,
    create_org: bool = True,
) -> NewApiKey:
    """A new key for ``org`` (the organisation is created when new and ``create_org``).

    Raises :class:`Invalid` for a bad organisation id, name, scope set or an expiry not in the future.
    """
    if not ORG_ID.match(org or ""):
        raise Invalid(ORG_ID_RULE, details={"org": [ORG_ID_RULE]})
    if len(name) > MAX_NAME:
        raise Invalid(f"name: at most {MAX_NAME} characters", details={"name": [f"at most {MAX_NAME} characters"]})
    granted = normalise_scopes(scopes)
    now = utcnow()
    if expires_at is not None:
        if expires_at.tzinfo is None:
            raise Invalid("expires_at: give a time zone (e.g. Z)", details={"expires_at": ["no time zone"]})
        if expires_at <= now:
            raise Invalid("expires_at: must be in the future", details={"expires_at": ["must be in the future"]})
    key = new_api_key()
    with db.transaction() as session:
        if session.get(Organisation, org) is None:
            if not create_org:
                raise NotFound(f"no organisation {org!r}")
            session.add(Organisation(id=org))
            session.flush()
        row = ApiKey(
            org=org,
            name=name,
            prefix=key[:PREFIX_LENGTH],
            key_hash=hash_api_key(key),
            scopes=",".join(granted),
            created_at=now,
            expires_at=expires_at,
        )
        session.add(row)
        session.flush()
        return NewApiKey(_info(row), key)


def list_keys(db: Database, org: str | None = None) -> list[ApiKeyInfo]:
    """The keys not revoked, of ``org`` (every organisation when None), oldest first; expired ones included."""
    query = select(ApiKey).where(ApiKey.revoked_at.is_(None)).order_by(ApiKey.id)
    if org is not None:
        query = query.where(ApiKey.org == org)
    with db.session() as session:
        return [_info(row) for row in session.execute(query).scalars()]


def revoke_key(db: Database, org: str, key_id: int, *, by_key_id: int | None = None) -> ApiKeyInfo:
    """Revoke key ``key_id`` of ``org``: refused from the next request on, in every process.

    :class:`NotFound` when ``org`` has no such key not revoked yet; :class:`Conflict` when
    ``by_key_id`` (the key making the request) is that key: a key does not revoke itself,
    so an organisation cannot lock itself out of the API by mistake (another admin key or
    ``smshooks apikey revoke`` can).
    """
    if not 0 < key_id <= MAX_ID:
        raise NotFound("no such API key")
    if by_key_id is not None and by_key_id == key_id:
        raise Conflict("a key cannot revoke itself: use another admin key or `smshooks apikey revoke`")
    with db.transaction() as session:
        row = session.execute(
            select(ApiKey).where(ApiKey.id == key_id, ApiKey.org == org, ApiKey.revoked_at.is_(None))
        ).scalar()
        if row is None:
            raise NotFound("no such API key")
        row.revoked_at = utcnow()
        return _info(row)


def check_key(db: Database, presented: str) -> KeyCheck:
    """The caller a presented key stands for, or why it is refused; notes when it was last used."""
    now = utcnow()
    with db.session() as session:
        row = session.execute(
            select(ApiKey.id, ApiKey.org, ApiKey.prefix, ApiKey.scopes, ApiKey.expires_at, ApiKey.last_used_at).where(
                ApiKey.key_hash == hash_api_key(presented), ApiKey.revoked_at.is_(None)
            )
        ).first()
    if row is None:
        return KeyCheck(None, UNKNOWN)
    if row.expires_at is not None and row.expires_at <= now:
        return KeyCheck(None, EXPIRED)
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION:
        _touch(db, row.id, now)
    return KeyCheck(Caller(row.id, row.org, row.prefix, tuple(_split(row.scopes))))


def key_in_force(db: Database, key_id: int, org: str) -> Caller | None:
    """The caller of the key ``key_id`` of ``org`` while it is neither revoked nor expired, else None
    (a console session holds the key's id, not the key, and checks it on each request)."""
    with db.session() as session:
        row = session.execute(
            select(ApiKey.id, ApiKey.org, ApiKey.prefix, ApiKey.scopes, ApiKey.expires_at).where(
                ApiKey.id == key_id, ApiKey.org == org, ApiKey.revoked_at.is_(None)
            )
        ).first()
    if row is None or (row.expires_at is not None and row.expires_at <= utcnow()):
        return None
    return Caller(row.id, row.org, row.prefix, tuple(_split(row.scopes)))


def _touch(db: Database, key_id: int, now: datetime) -> None:
    # Bookkeeping: a request must not fail because its key's last-use time could not be written.
    try:
        with db.transaction() as session:
            session.execute(
                update(ApiKey)
                .where(
                    ApiKey.id == key_id,
                    or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at < now - LAST_USED_RESOLUTION),
                )
                .values(last_used_at=now)
            )
    except Exception as exc:
        log.warning("could not note the use of API key %s: %s", key_id, exc)


def _split(scopes: str | None) -> list[str]:
    return [scope for scope in (scopes or ADMIN).split(",") if scope]


def _info(row: ApiKey) -> ApiKeyInfo:
    return ApiKeyInfo(
        id=row.id,
        org=row.org,
        name=row.name or "",
        prefix=row.prefix,
        scopes=tuple(_split(row.scopes)),
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        expires_at=row.expires_at,
    )
