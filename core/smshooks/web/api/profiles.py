"""``/api/v1/profiles/<phone>``: subscriber attributes that reply templates can use."""

from __future__ import annotations

from typing import Any

from flask import g
from marshmallow import Schema, fields
from sqlalchemy import select

from smshooks.store.tables import Profile, utcnow
from smshooks.store.upsert import insert_once
from smshooks.web.api.base import ApiBlueprint
from smshooks.web.api.phones import PHONE_PATH_PARAMETER, phone_from_path
from smshooks.web.api.scope import scoped
from smshooks.web.context import gateway
from smshooks.web.errors import ApiError

blp = ApiBlueprint(
    "profiles",
    __name__,
    url_prefix="/api/v1/profiles",
    description="Subscriber profiles: attributes available to reply templates as {{ profile.<name> }}.",
)


class ProfileIn(Schema):
    attributes = fields.Dict(keys=fields.String(), required=True)


class ProfileOut(Schema):
    phone = fields.String()
    attributes = fields.Dict()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


def _find(session: Any, phone: str) -> Profile | None:
    return session.execute(select(Profile).where(*scoped(Profile), Profile.phone == phone)).scalar()


@blp.route("/<phone>", methods=["GET"], parameters=[PHONE_PATH_PARAMETER])
@blp.response(200, ProfileOut)
def get_profile(phone: str) -> Profile:
    """One subscriber's profile."""
    with gateway().db.session() as session:
        profile = _find(session, phone_from_path(phone))
        if profile is None:
            raise ApiError(404, "no such profile")
        return profile


@blp.route("/<phone>", methods=["PUT"], parameters=[PHONE_PATH_PARAMETER])
@blp.arguments(ProfileIn)
@blp.response(200, ProfileOut)
def put_profile(data: dict[str, Any], phone: str) -> Profile:
    """Create or replace a subscriber's attributes."""
    number = phone_from_path(phone)
    now = utcnow()
    with gateway().db.transaction() as session:
        key = {"org": g.org, "sandbox": g.sandbox, "phone": number}
        insert_once(session, Profile, {**key, "attributes": {}, "created_at": now, "updated_at": now}, key=list(key))
        profile = _find(session, number)
        profile.attributes = data["attributes"]
        profile.updated_at = now
    return profile
