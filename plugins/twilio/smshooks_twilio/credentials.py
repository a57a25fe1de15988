"""The Twilio credential a webhook and the send API use."""

from __future__ import annotations

import marshmallow
from marshmallow import fields, validate

from smshooks.vendor import secret_field, target_url_field

DEFAULT_API_BASE_URL = "https://api.twilio.com"


class TwilioCredentialsSchema(marshmallow.Schema):
    """Account SID + Auth Token; the token both signs Twilio's webhooks and authenticates sends."""

    account_sid = fields.String(
        required=True,
        validate=validate.Regexp(r"^AC[0-9A-Za-z]+$", error="an Account SID starts with AC"),
        metadata={"description": "Twilio Account SID (AC…)"},
    )
    auth_token = secret_field(
        required=True,
        validate=validate.Length(min=1),
        metadata={"description": "Twilio Auth Token (signs webhooks, authenticates the send API)"},
    )
    messaging_service_sid = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Regexp(r"^MG[0-9A-Za-z]+$", error="a Messaging Service SID starts with MG"),
        metadata={"description": "Send through this Messaging Service (MG…) instead of a From number"},
    )
    # Overridable so tests and regional/edge deployments can point elsewhere.
    api_base_url = target_url_field(
        load_default=DEFAULT_API_BASE_URL,
        metadata={"description": "Twilio REST API base URL"},
    )
    # Inline TwiML replies are immediate and free of an API call, but Twilio
    # reports nothing on them; through the send API each reply gets a status
    # callback and the outbox's retries.
    inline_replies = fields.Boolean(
        load_default=True,
        metadata={"description": "reply in the TwiML answer (true) or through the Messages API with status callbacks"},
    )
