"""Subscriber profiles of one scope: the attributes reply templates read as ``{{ profile.<name> }}``.

Framework-free: the admin API and the console call these with a :class:`~smshooks.scope.Scope` and
the :class:`~smshooks.gateway.Gateway`; refusals are :mod:`smshooks.errors`. A profile is keyed by
the subscriber's number in E.164 (:func:`smshooks.phones.subscriber_number`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from smshooks.errors import INVALID_FIELDS, Invalid, NotFound
from smshooks.gateway import Gateway
from smshooks.phones import require_subscriber_number
from smshooks.scope import Scope
from smshooks.store.scoped import in_scope
from smshooks.store.tables import Profile, utcnow
from smshooks.store.upsert import insert_once


@dataclass(frozen=True)
class ProfileInfo:
    """A subscriber's profile: the number in E.164 and the attributes."""

    phone: str
    attributes: dict[str, Any]
    created_at: datetime
    updated_at: datetime


def get_profile(gw: Gateway, scope: Scope, phone: str) -> ProfileInfo:
    """The profile of the subscriber ``phone`` (any spelling of the number); :class:`Invalid` when
    ``phone`` is not a phone number, :class:`NotFound` ("no such profile") when none is stored."""
    number = require_subscriber_number(phone)
    with gw.db.session() as session:
        profile = _find(session, scope, number)
        if profile is None:
            raise NotFound("no such profile")
        return _info(profile)


def put_profile(gw: Gateway, scope: Scope, phone: str, attributes: Mapping[str, Any]) -> ProfileInfo:
    """Create or replace the attributes of the subscriber ``phone`` (:class:`Invalid` when it is
    not a phone number); safe when two callers create the same profile at once."""
    number = require_subscriber_number(phone)
    if not isinstance(attributes, Mapping) or not all(isinstance(key, str) for key in attributes):
        raise Invalid(INVALID_FIELDS, details={"attributes": ["Not a valid mapping type."]})
    now = utcnow()
    with gw.db.transaction() as session:
        key = {"org": scope.org, "sandbox": scope.sandbox, "phone": number}
        insert_once(session, Profile, {**key, "attributes": {}, "created_at": now, "updated_at": now}, key=list(key))
        profile = _find(session, scope, number)
        profile.attributes = dict(attributes)
        profile.updated_at = now
    return _info(profile)


def _find(session: Session, scope: Scope, phone: str) -> Profile | None:
    return session.execute(select(Profile).where(*in_scope(Profile, scope), Profile.phone == phone)).scalar()


def _info(profile: Profile) -> ProfileInfo:
    return ProfileInfo(
        phone=profile.phone,
        attributes=profile.attributes,
        created_at=profile.created_at,
        updated_at=profile.updated_at,
    )
