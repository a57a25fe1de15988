"""``/api/v1/profiles/<phone>``: subscriber attributes that reply templates can use.

The rules live in :mod:`smshooks.replies.profiles`; this module parses and answers."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields

from smshooks.replies import profiles as service
from smshooks.replies.profiles import ProfileInfo
from smshooks.web.api.base import ApiBlueprint
from smshooks.web.api.phones import PHONE_PATH_PARAMETER
from smshooks.web.context import current_scope, gateway

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


@blp.route("/<phone>", methods=["GET"], parameters=[PHONE_PATH_PARAMETER])
@blp.response(200, ProfileOut)
def get_profile(phone: str) -> ProfileInfo:
    """One subscriber's profile."""
    return service.get_profile(gateway(), current_scope(), phone)


@blp.route("/<phone>", methods=["PUT"], parameters=[PHONE_PATH_PARAMETER])
@blp.arguments(ProfileIn)
@blp.response(200, ProfileOut)
def put_profile(data: dict[str, Any], phone: str) -> ProfileInfo:
    """Create or replace a subscriber's attributes."""
    return service.put_profile(gateway(), current_scope(), phone, data["attributes"])
