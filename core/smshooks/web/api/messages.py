"""``POST /api/v1/messages``: transactional sends (API-triggered campaigns).

The rules and the send are :func:`smshooks.messages.send.send_messages`; this module parses and answers.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, pre_load, validate, validates, validates_schema

from smshooks.messages.send import (
    MAX_RECIPIENTS,
    MESSAGE_TYPES,
    NOT_A_RECIPIENT,
    Recipient,
    SendResult,
    request_problems,
    send_messages,
    too_many_recipients,
)
from smshooks.phones import subscriber_number
from smshooks.scope import Scope
from smshooks.web.api.base import ApiBlueprint
from smshooks.web.api.phones import E164_PATTERN
from smshooks.web.context import current_scope, gateway
from smshooks.web.urls import public_base_url

blp = ApiBlueprint(
    "messages",
    __name__,
    url_prefix="/api/v1/messages",
    description="Transactional sends; delivery outcomes go to the feedback webhook.",
)


class RecipientIn(Schema):
    phone = fields.String(required=True, validate=validate.Length(1, 32), metadata={"pattern": E164_PATTERN})
    profile = fields.Dict(keys=fields.String(), load_default=None, allow_none=True)

    @validates("phone")
    def check_phone(self, value: str, **_: Any) -> None:
        if subscriber_number(value) is None:
            raise ValidationError(NOT_A_RECIPIENT)


class SendIn(Schema):
    channel_id = fields.String(required=True, validate=validate.Length(1, 40))
    campaign_id = fields.String(required=True, validate=validate.Length(1, 200))
    campaign_version_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 200))
    text = fields.String(
        validate=validate.Length(1, 1600),
        metadata={"description": "a template like a reply's: {{ profile.first_name }}, {{ opt_out_keyword }} …"},
    )
    reply_id = fields.String(validate=validate.Length(1, 40))
    recipients = fields.List(
        fields.Nested(RecipientIn),
        required=True,
        validate=validate.Length(1, MAX_RECIPIENTS),
        metadata={"description": f"1 to {MAX_RECIPIENTS} recipients, each phone number once"},
    )
    create_profiles = fields.Boolean(load_default=False, metadata={"description": "create unknown profiles"})
    message_type = fields.String(load_default="transactional", validate=validate.OneOf(MESSAGE_TYPES))

    @pre_load
    def at_most_max_recipients(self, data: Any, **_: Any) -> Any:
        """Count before validating each recipient: a request with thousands of them is
        refused in constant time, not after parsing every phone number."""
        recipients = data.get("recipients") if isinstance(data, dict) else None
        too_many = too_many_recipients(len(recipients)) if isinstance(recipients, list) else None
        if too_many:
            raise ValidationError({"recipients": [too_many]})
        return data

    @validates_schema
    def check(self, data: dict[str, Any], **_: Any) -> None:
        phones = [subscriber_number(recipient["phone"]) for recipient in data.get("recipients", [])]
        problems = request_problems(
            has_text="text" in data, has_reply="reply_id" in data, phones=[phone for phone in phones if phone]
        )
        if problems:
            raise ValidationError(problems)


class AcceptedOut(Schema):
    phone = fields.String()
    message_execution_id = fields.String()
    state = fields.String(metadata={"description": "queued, or excluded (not sent)"})
    exclusion = fields.String(
        allow_none=True,
        metadata={"description": "why excluded: opted_out, or no_opt_in (marketing without a recorded opt-in)"},
    )
    status_callback_url = fields.String(
        allow_none=True,
        metadata={
            "description": "where the vendor reports on the message (SMSHOOKS_PUBLIC_URL, else this request's"
            " base URL); null when the channel has no webhook to report to"
        },
    )


class SendOut(Schema):
    request_id = fields.String(metadata={"description": "also the requestId of every feedback payload"})
    messages = fields.List(fields.Nested(AcceptedOut))


@blp.route("", methods=["POST"])
@blp.arguments(SendIn)
@blp.response(202, SendOut)
def send(data: dict[str, Any]) -> SendResult:
    """Send an SMS to up to 20 recipients through a channel; opted-out recipients are excluded."""
    return send_loaded(current_scope(), data)


def send_loaded(scope: Scope, data: dict[str, Any]) -> SendResult:
    """The send a body :class:`SendIn` loaded asks for, by ``scope``: this view's and the console's form's."""
    return send_messages(
        gateway(),
        scope,
        channel_id=data["channel_id"],
        campaign_id=data["campaign_id"],
        recipients=[Recipient(r["phone"], r.get("profile")) for r in data["recipients"]],
        text=data.get("text"),
        reply_id=data.get("reply_id"),
        campaign_version_id=data["campaign_version_id"],
        create_profiles=data["create_profiles"],
        message_type=data["message_type"],
        callback_base_url=public_base_url(),
    )
