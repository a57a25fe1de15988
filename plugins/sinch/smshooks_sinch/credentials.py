"""The Sinch credential a webhook and the send API use."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import marshmallow
from marshmallow import fields, validate

from smshooks.vendor import secret_field, target_url_field

#: the SMS REST API host of each region a service plan can live in (vendors.md §3.5)
REGION_BASE_URLS: Mapping[str, str] = {
    "us": "https://us.sms.api.sinch.com",
    "eu": "https://eu.sms.api.sinch.com",
}


class SinchCredentialsSchema(marshmallow.Schema):
    """Service plan id + API token (sends), the region or a base URL, and the optional HMAC secret."""

    service_plan_id = fields.String(
        required=True,
        # It becomes a path segment of every send URL.
        validate=validate.Regexp(r"^[A-Za-z0-9_-]+$", error="a service plan id is letters, digits, - and _"),
        metadata={"description": "Sinch SMS service plan id"},
    )
    api_token = secret_field(
        required=True,
        validate=validate.Length(min=1),
        metadata={"description": "API token of the service plan (Bearer token of the send API)"},
    )
    region = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(sorted(REGION_BASE_URLS)),
        metadata={
            "description": "Region the service plan lives in: us or eu (or set base_url)",
            # the console's form: shown beside base_url as a pair one of which the schema requires
            "group": "Where the service plan lives",
            "group_hint": "Give the region of the service plan, or the base URL of its SMS REST API "
            "(which wins over the region).",
            "group_requires_one": True,
        },
    )
    # For other regions agreed with Sinch, a proxy, or tests; wins over region.
    base_url = target_url_field(
        load_default=None,
        allow_none=True,
        metadata={
            "description": "SMS REST API base URL, instead of the region's",
            "group": "Where the service plan lives",
            "group_requires_one": True,
        },
    )
    webhook_secret = secret_field(
        load_default=None,
        allow_none=True,
        metadata={"description": "HMAC secret of the service plan's signed callbacks; unsigned ones are then refused"},
    )

    @marshmallow.validates_schema
    def _region_or_base_url(self, data: Mapping[str, Any], **_: Any) -> None:
        # No default region: a service plan answers only in its own region, and a
        # silent "us" would turn an EU customer's every send into a 401.
        if not data.get("region") and not data.get("base_url"):
            raise marshmallow.ValidationError("give region (us or eu) or base_url", field_name="region")


def api_base_url(credentials: Mapping[str, Any]) -> str | None:
    """The SMS REST API base URL a credential points at: ``base_url``, else its region's."""
    base = credentials.get("base_url")
    if base:
        return str(base).rstrip("/")
    return REGION_BASE_URLS.get(str(credentials.get("region") or "").lower())
