"""The Infobip credential the send API and the webhook check use."""

from __future__ import annotations

from typing import Any

import marshmallow
from marshmallow import fields, validate

from smshooks.vendor import secret_field, target_url_field

_OPTIONAL = ("webhook_username", "webhook_password")


class InfobipCredentialsSchema(marshmallow.Schema):
    """Account base URL + API key; optional HTTP Basic credentials Infobip sends to the webhook."""

    base_url = target_url_field(
        required=True,
        metadata={"description": "your account's API base URL, e.g. https://xxxxx.api.infobip.com"},
    )
    api_key = secret_field(
        required=True,
        validate=validate.Length(min=1),
        metadata={"description": "API key (sent as Authorization: App <key>)"},
    )
    webhook_username = fields.String(
        load_default=None,
        allow_none=True,
        # RFC 7617: a Basic user-id cannot contain a colon.
        validate=validate.Regexp(r"^[^:]+$", error="a Basic username is not empty and has no colon"),
        metadata={"description": "username Infobip sends with HTTP Basic (subscription security BASIC)"},
    )
    webhook_password = secret_field(
        load_default=None,
        allow_none=True,
        validate=validate.Length(min=1),
        metadata={"description": "password Infobip sends with HTTP Basic"},
    )

    @marshmallow.pre_load
    def _normalize(self, data: Any, **_kwargs: Any) -> Any:
        if not isinstance(data, dict):
            return data
        data = dict(data)
        base_url = data.get("base_url")
        if isinstance(base_url, str):
            base_url = base_url.strip().rstrip("/")
            # Infobip's portal shows the base URL without a scheme (xxxxx.api.infobip.com).
            if base_url and "://" not in base_url:
                base_url = "https://" + base_url
            data["base_url"] = base_url
        for name in _OPTIONAL:
            if data.get(name) == "":
                data[name] = None
        return data

    @marshmallow.validates_schema
    def _both_or_neither(self, data: dict[str, Any], **_kwargs: Any) -> None:
        username, password = data.get("webhook_username"), data.get("webhook_password")
        if bool(username) != bool(password):
            missing = "webhook_password" if username else "webhook_username"
            raise marshmallow.ValidationError("set both webhook_username and webhook_password, or neither", missing)
