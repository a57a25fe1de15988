"""``/api/v1/feedback-webhook`` and ``/api/v1/deliveries``: where delivery feedback goes, and how it went.

There is at most one feedback webhook per organisation + sandbox, addressed
without an id. Its secrets — the JWT signing key, the Standard Webhooks
signing secret and the custom header values — are encrypted at rest and never
returned: the signing secret appears once, in the answer that created it
(``POST /feedback-webhook``, ``POST /feedback-webhook/rotate-secret``);
header values come back masked. The rules and queries are
:mod:`smshooks.feedback.settings` and :mod:`smshooks.feedback.deliveries`;
this module parses and answers.
"""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

from flask.views import MethodView
from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from smshooks.feedback import deliveries, sample, settings
from smshooks.feedback.deliveries import EVENT_TYPES, STATES, DeliveryView
from smshooks.feedback.rules import (
    AUTH_TYPES,
    CHANNELS,
    DEFAULT_GRACE,
    MAX_GRACE,
    SIGNING_SECRET_PATTERN,
    auth_problems,
    channel_problems,
    header_problems,
    secret_problems,
)
from smshooks.feedback.settings import WebhookView
from smshooks.feedback.signing import ALGORITHMS
from smshooks.store.pages import Page
from smshooks.targets import MAX_URL_LENGTH
from smshooks.web.api.base import ApiBlueprint
from smshooks.web.api.pagination import PageArgs
from smshooks.web.context import current_scope, gateway

blp = ApiBlueprint(
    "feedback",
    __name__,
    url_prefix="/api/v1",
    description="The feedback webhook (one per organisation + sandbox) and every delivery to it, with replay.",
)


# --- schemas -----------------------------------------------------------------


class AuthIn(Schema):
    type = fields.String(required=True, validate=validate.OneOf(AUTH_TYPES))
    algorithm = fields.String(validate=validate.OneOf(ALGORITHMS))
    key = fields.String(
        validate=validate.Length(1, 16_384),
        metadata={"description": "HS256: a shared secret (32+ bytes); RS256/ES256: a PEM private key. Write-only."},
    )
    issuer = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 500))
    audience = fields.String(load_default=None, allow_none=True, validate=validate.Length(1, 500))
    key_id = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(1, 200), metadata={"description": "JWT kid"}
    )
    claims = fields.Dict(
        keys=fields.String(validate=validate.Length(1, 100)),
        load_default=dict,
        metadata={"description": "extra claims in every token"},
    )

    @validates_schema
    def check(self, data: dict[str, Any], **_: Any) -> None:
        _refuse(auth_problems(data))


def _refuse(problems: Any) -> None:
    """A rule's messages (a list for the field, or a dict per field) as a marshmallow error."""
    if problems:
        raise ValidationError(problems)


class FeedbackWebhookIn(Schema):
    name = fields.String(required=True, validate=validate.Length(1, 200))
    channels = fields.List(
        fields.String(validate=validate.OneOf(CHANNELS)), required=True, validate=validate.Length(1, 2)
    )
    url = fields.String(
        required=True,
        validate=validate.Length(1, MAX_URL_LENGTH),
        metadata={"description": "HTTPS, on a public address"},
    )
    auth = fields.Nested(AuthIn, load_default=lambda: {"type": "none"})
    headers = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        load_default=dict,
        metadata={"description": "header parameters sent with every request; values are returned masked"},
    )
    signing_secret = fields.String(
        validate=validate.Length(1, 200),
        metadata={
            "description": "whsec_… (Standard Webhooks); generated when absent",
            "pattern": SIGNING_SECRET_PATTERN,
        },
    )
    relay_inbound = fields.Boolean(
        load_default=False, metadata={"description": "also send inbound SMS (eventType message.inbound)"}
    )
    enabled = fields.Boolean(load_default=True)

    @validates("channels")
    def check_channels(self, value: list[str], **_: Any) -> None:
        _refuse(channel_problems(value))

    @validates("headers")
    def check_headers(self, value: dict[str, str], **_: Any) -> None:
        _refuse(header_problems(value))

    @validates("signing_secret")
    def check_secret(self, value: str, **_: Any) -> None:
        _refuse(secret_problems(value))


class FeedbackWebhookPatch(Schema):
    name = fields.String(validate=validate.Length(1, 200))
    channels = fields.List(fields.String(validate=validate.OneOf(CHANNELS)), validate=validate.Length(1, 2))
    url = fields.String(validate=validate.Length(1, MAX_URL_LENGTH))
    auth = fields.Nested(
        AuthIn, metadata={"description": "replaces the whole object; a JWT key left out stays (same algorithm)"}
    )
    headers = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={"description": "replaces all header parameters; a value sent back masked keeps its value"},
    )
    relay_inbound = fields.Boolean()
    enabled = fields.Boolean(metadata={"description": "true re-enables a webhook disabled after a 410"})

    @validates("channels")
    def check_channels(self, value: list[str], **_: Any) -> None:
        _refuse(channel_problems(value))

    @validates("headers")
    def check_headers(self, value: dict[str, str], **_: Any) -> None:
        _refuse(header_problems(value))


class RotateIn(Schema):
    grace_period_seconds = fields.Integer(
        load_default=int(DEFAULT_GRACE.total_seconds()),
        validate=validate.Range(0, int(MAX_GRACE.total_seconds())),
        metadata={"description": "how long the old secret keeps signing beside the new one"},
    )
    signing_secret = fields.String(
        validate=validate.Length(1, 200),
        metadata={"description": "the new whsec_… secret; generated when absent", "pattern": SIGNING_SECRET_PATTERN},
    )

    @validates("signing_secret")
    def check_secret(self, value: str, **_: Any) -> None:
        _refuse(secret_problems(value))


class AuthOut(Schema):
    type = fields.String()
    algorithm = fields.String(allow_none=True)
    issuer = fields.String(allow_none=True)
    audience = fields.String(allow_none=True)
    key_id = fields.String(allow_none=True)
    claims = fields.Dict()
    public_key = fields.String(
        allow_none=True, metadata={"description": "RS256/ES256: the PEM public key receivers verify tokens with"}
    )


class SandboxOut(Schema):
    id = fields.String()
    name = fields.String()


class FeedbackWebhookOut(Schema):
    id = fields.String()
    name = fields.String()
    channels = fields.List(fields.String())
    url = fields.String()
    auth = fields.Nested(AuthOut)
    headers = fields.Dict(metadata={"description": "names of the header parameters, values masked"})
    relay_inbound = fields.Boolean()
    enabled = fields.Boolean()
    disabled_reason = fields.String(
        allow_none=True, metadata={"description": "why smshooks disabled it (the endpoint answered 410 Gone)"}
    )
    sandbox = fields.Nested(SandboxOut, metadata={"description": "as in the payloads"})
    previous_secret_expires_at = fields.DateTime(
        allow_none=True, metadata={"description": "until then the previous signing secret also signs"}
    )
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class FeedbackWebhookWithSecret(FeedbackWebhookOut):
    signing_secret = fields.String(
        metadata={"description": "the Standard Webhooks secret: shown here only, store it now"}
    )


class AttemptOut(Schema):
    at = fields.DateTime()
    status_code = fields.Integer(allow_none=True)
    duration_ms = fields.Integer()
    error = fields.String(allow_none=True)
    response_excerpt = fields.String(allow_none=True)


class DeliveryOut(Schema):
    id = fields.String(metadata={"description": "also the webhook-id header: the same on every attempt and replay"})
    event_type = fields.String()
    message_id = fields.String(allow_none=True)
    feedback_status = fields.String(allow_none=True)
    state = fields.String(metadata={"description": "pending, delivered, dead, or disabled"})
    attempt_count = fields.Integer()
    last_status_code = fields.Integer(allow_none=True)
    last_error = fields.String(allow_none=True)
    next_attempt_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    delivered_at = fields.DateTime(allow_none=True)
    feedback_webhook_id = fields.String()
    payload = fields.Dict()
    attempts = fields.List(fields.Nested(AttemptOut), metadata={"description": "every attempt, oldest first"})


class DeliveryPage(Schema):
    items = fields.List(fields.Nested(DeliveryOut))
    next_cursor = fields.Integer(allow_none=True)


class DeliveryFilter(PageArgs):
    state = fields.String(validate=validate.OneOf(STATES))
    event_type = fields.String(validate=validate.OneOf(EVENT_TYPES))
    message_id = fields.String(validate=validate.Length(1, 40))
    since = fields.AwareDateTime(default_timezone=UTC, metadata={"description": "created at or after"})
    until = fields.AwareDateTime(default_timezone=UTC, metadata={"description": "created before"})


class ReplayOneIn(Schema):
    """No fields: the delivery is sent again as it is."""


class ReplayWindowIn(Schema):
    since = fields.AwareDateTime(required=True, default_timezone=UTC, metadata={"description": "created at or after"})
    until = fields.AwareDateTime(load_default=None, allow_none=True, default_timezone=UTC)
    status = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(STATES),
        metadata={"description": "only deliveries in this state (dead, disabled, delivered, pending)"},
    )

    @validates_schema
    def check(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("until") is not None and data.get("since") is not None and data["until"] <= data["since"]:
            raise ValidationError({"until": ["must be after since"]})


class SampleIn(Schema):
    """No fields: the sample is always the same made-up delivered message."""


class SampleOut(Schema):
    id = fields.String(metadata={"description": "the webhook-id the sample carried (not a delivery: not listed)"})
    url = fields.String()
    delivered = fields.Boolean(metadata={"description": "the receiver answered 2xx"})
    status_code = fields.Integer(allow_none=True, metadata={"description": "the receiver's; null: no answer"})
    duration_ms = fields.Integer()
    error = fields.String(allow_none=True)
    response_excerpt = fields.String(allow_none=True)
    payload = fields.Dict(metadata={"description": "the message.feedback body sent"})


class EnableIn(Schema):
    replay_missed = fields.Boolean(
        load_default=True,
        metadata={"description": "also replay what it missed: every disabled delivery, the dead ones since it failed"},
    )


class ReplayWindowOut(Schema):
    replayed = fields.Integer()
    in_progress = fields.Integer(metadata={"description": "matching deliveries with an attempt running (not replayed)"})
    limit_reached = fields.Boolean(metadata={"description": "at most 10 000 per request: narrow the window and repeat"})


class EnableOut(ReplayWindowOut):
    feedback_webhook = fields.Nested(FeedbackWebhookOut)


# --- the feedback webhook -------------------------------------------------------


@blp.route("/feedback-webhook")
class FeedbackWebhookView(MethodView):
    @blp.response(200, FeedbackWebhookOut)
    def get(self) -> WebhookView:
        """The feedback webhook of this organisation and sandbox (404 when there is none)."""
        return settings.get(gateway(), current_scope())

    @blp.arguments(FeedbackWebhookIn)
    @blp.response(201, FeedbackWebhookWithSecret)
    def post(self, data: dict[str, Any]) -> WebhookView:
        """Create the feedback webhook (409 when this sandbox has one); the answer shows the signing secret once."""
        return settings.create(gateway(), current_scope(), data)

    @blp.arguments(FeedbackWebhookPatch)
    @blp.response(200, FeedbackWebhookOut)
    def patch(self, data: dict[str, Any]) -> WebhookView:
        """Change some fields. Enabling clears the reason it was disabled."""
        return settings.update(gateway(), current_scope(), data)

    @blp.response(204)
    def delete(self) -> None:
        """Delete the feedback webhook: no new feedback is written; past deliveries stay listed."""
        settings.delete(gateway(), current_scope())


@blp.route("/feedback-webhook/rotate-secret", methods=["POST"])
@blp.arguments(RotateIn, required=False)
@blp.response(200, FeedbackWebhookWithSecret)
def rotate_secret(data: dict[str, Any]) -> WebhookView:
    """Replace the signing secret; the old one keeps signing beside it for the grace period
    (each request then carries two signatures). The answer shows the new secret once."""
    grace = timedelta(seconds=data["grace_period_seconds"])
    return settings.rotate_secret(gateway(), current_scope(), grace=grace, signing_secret=data.get("signing_secret"))


@blp.route("/feedback-webhook/test", methods=["POST"])
@blp.arguments(SampleIn, required=False)
@blp.response(200, SampleOut)
def send_sample(_data: dict[str, Any]) -> sample.SampleResult:
    """Send a signed sample event (a made-up delivered message) now, even while disabled, and
    answer with the receiver's status; nothing is stored or retried."""
    return sample.send_sample(gateway(), current_scope())


@blp.route("/feedback-webhook/enable", methods=["POST"])
@blp.arguments(EnableIn, required=False)
@blp.response(200, EnableOut)
def enable(data: dict[str, Any]) -> settings.Enabled:
    """Enable the feedback webhook again (smshooks disables one that answered 410, or failed for
    longer than SMSHOOKS_FEEDBACK_DISABLE_AFTER, 5 days by default) and replay what it missed."""
    return settings.enable(gateway(), current_scope(), replay_missed=data["replay_missed"])


# --- deliveries -------------------------------------------------------------------


@blp.route("/deliveries")
@blp.arguments(DeliveryFilter, location="query")
@blp.response(200, DeliveryPage)
def list_deliveries(args: dict[str, Any]) -> Page[DeliveryView]:
    """Feedback deliveries, newest first, each with every attempt (status code, duration, error)."""
    return deliveries.list_deliveries(gateway(), current_scope(), **args)


@blp.route("/deliveries/<delivery_id>")
@blp.response(200, DeliveryOut)
def get_delivery(delivery_id: str) -> DeliveryView:
    """One delivery: its payload, state and every attempt."""
    return deliveries.get_delivery(gateway(), current_scope(), delivery_id)


@blp.route("/deliveries/<delivery_id>/replay", methods=["POST"])
@blp.arguments(ReplayOneIn, required=False)
@blp.response(202, DeliveryOut)
def replay_delivery(_data: dict[str, Any], delivery_id: str) -> DeliveryView:
    """Send a delivery again now, with a fresh retry schedule (same payload and webhook-id)."""
    return deliveries.replay_delivery(gateway(), current_scope(), delivery_id)


@blp.route("/deliveries/replay", methods=["POST"])
@blp.arguments(ReplayWindowIn)
@blp.response(202, ReplayWindowOut)
def replay_deliveries(data: dict[str, Any]) -> deliveries.BulkReplay:
    """Send again every delivery created in [since, until), optionally only those in one state."""
    return deliveries.replay_deliveries(
        gateway(), current_scope(), since=data["since"], until=data["until"], state=data["status"]
    )
