"""``POST /api/v1/messages``: transactional sends (API-triggered campaigns)."""

from __future__ import annotations

from typing import Any

from flask import g
from marshmallow import Schema, ValidationError, fields, pre_load, validate, validates, validates_schema
from sqlalchemy import select

from smshooks.messages.send import MAX_RECIPIENTS, Recipient, send_request
from smshooks.replies.templates import ReplyTemplateError
from smshooks.store.tables import Channel, ReplyTemplate
from smshooks.web.api.base import ApiBlueprint
from smshooks.web.api.phones import E164_PATTERN, subscriber_number
from smshooks.web.context import gateway
from smshooks.web.errors import ApiError
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
            raise ValidationError("not an E.164 phone number, e.g. +14155550123")


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
    message_type = fields.String(load_default="transactional", validate=validate.OneOf(["transactional", "marketing"]))

    @pre_load
    def at_most_max_recipients(self, data: Any, **_: Any) -> Any:
        """Count before validating each recipient: a request with thousands of them is
        refused in constant time, not after parsing every phone number."""
        recipients = data.get("recipients") if isinstance(data, dict) else None
        if isinstance(recipients, list) and len(recipients) > MAX_RECIPIENTS:
            raise ValidationError(
                {"recipients": [f"at most {MAX_RECIPIENTS} recipients per request, not {len(recipients)}"]}
            )
        return data

    @validates_schema
    def check(self, data: dict[str, Any], **_: Any) -> None:
        errors: dict[str, list[str]] = {}
        if ("text" in data) == ("reply_id" in data):
            errors["text"] = ["give either text or reply_id"]
        seen: set[str] = set()
        duplicates: set[str] = set()
        for recipient in data.get("recipients", []):
            phone = subscriber_number(recipient["phone"])
            if phone is None:
                continue
            if phone in seen:
                duplicates.add(phone)
            seen.add(phone)
        if duplicates:
            errors["recipients"] = [f"duplicate recipients: {', '.join(sorted(duplicates))}"]
        if errors:
            raise ValidationError(errors)


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
def send(data: dict[str, Any]) -> dict[str, Any]:
    """Send an SMS to up to 20 recipients through a channel; opted-out recipients are excluded."""
    recipients = [Recipient(subscriber_number(r["phone"]) or "", r.get("profile")) for r in data["recipients"]]
    with gateway().db.transaction() as session:
        channel = session.get(Channel, data["channel_id"])
        if channel is None or channel.org != g.org or channel.sandbox != g.sandbox:
            raise ApiError(422, "unknown channel", details={"channel_id": ["no such channel in this sandbox"]})
        template = None
        if "reply_id" in data:
            template = session.execute(
                select(ReplyTemplate.template).where(
                    ReplyTemplate.id == data["reply_id"],
                    ReplyTemplate.org == g.org,
                    ReplyTemplate.sandbox == g.sandbox,
                )
            ).scalar()
            if template is None:
                raise ApiError(422, "unknown reply", details={"reply_id": ["no such reply in this sandbox"]})
        try:
            request_id, accepted = send_request(
                session,
                org=g.org,
                sandbox=g.sandbox,
                channel=channel,
                recipients=recipients,
                campaign_id=data["campaign_id"],
                campaign_version_id=data["campaign_version_id"],
                text=data.get("text"),
                reply_template=template,
                create_profiles=data["create_profiles"],
                message_type=data["message_type"],
                callback_base_url=public_base_url(),
            )
        except ReplyTemplateError as exc:
            field = "reply_id" if "reply_id" in data else "text"
            raise ApiError(
                422, f"the {'reply' if field == 'reply_id' else 'text'} does not render", details={field: [str(exc)]}
            ) from None
    return {"request_id": request_id, "messages": accepted}
