"""``/api/v1/feedback-webhook`` and ``/api/v1/deliveries``: where delivery feedback goes, and how it went.

There is at most one feedback webhook per organisation + sandbox, addressed
without an id. Its secrets — the JWT signing key, the Standard Webhooks
signing secret and the custom header values — are encrypted at rest and never
returned: the signing secret appears once, in the answer that created it
(``POST /feedback-webhook``, ``POST /feedback-webhook/rotate-secret``);
header values come back masked.
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, timedelta
from typing import Any

from flask import g
from flask.views import MethodView
from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema
from sqlalchemy import select

from smshooks.credentials.fields import MASK
from smshooks.feedback.emit import STATES
from smshooks.feedback.payload import FEEDBACK, INBOUND, sandbox_id
from smshooks.feedback.replay import InProgress, replay_one, replay_window
from smshooks.feedback.sealed import WebhookSecrets, open_secrets, seal_secrets
from smshooks.feedback.signing import (
    ALGORITHMS,
    RESERVED_CLAIMS,
    jwt_key_problem,
    new_signing_secret,
    public_key_pem,
    signing_secret_problem,
)
from smshooks.store.tables import DeliveryAttempt, FeedbackDelivery, FeedbackWebhook, Job, utcnow
from smshooks.targets import MAX_URL_LENGTH, BadTargetURL, TargetRefused, check_url
from smshooks.web.api.base import ApiBlueprint
from smshooks.web.api.pagination import PageArgs
from smshooks.web.api.scope import get_scoped, scoped
from smshooks.web.context import gateway
from smshooks.web.errors import ApiError

blp = ApiBlueprint(
    "feedback",
    __name__,
    url_prefix="/api/v1",
    description="The feedback webhook (one per organisation + sandbox) and every delivery to it, with replay.",
)

CHANNELS = ("sms", "email")
#: the documented form of a usable signing secret: whsec_ and base64 of 24 to 63 bytes
SIGNING_SECRET_PATTERN = r"^whsec_(?:[A-Za-z0-9+/]{4}){8,21}$"
DEFAULT_GRACE = timedelta(hours=24)
MAX_GRACE = timedelta(days=7)
MAX_HEADERS = 30
HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}")
#: set by smshooks on every request; a header parameter cannot replace them
RESERVED_HEADERS = frozenset(
    {
        "host",
        "content-type",
        "content-length",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "te",
        "trailer",
        "upgrade",
        "expect",
        "webhook-id",
        "webhook-timestamp",
        "webhook-signature",
    }
)


# --- schemas -----------------------------------------------------------------


class AuthIn(Schema):
    type = fields.String(required=True, validate=validate.OneOf(["none", "jwt"]))
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
        if data.get("type") == "jwt":
            if "algorithm" not in data:
                raise ValidationError({"algorithm": ["required for JWT authentication"]})
            reserved = sorted(set(data.get("claims") or {}) & RESERVED_CLAIMS)
            if reserved:
                raise ValidationError({"claims": [f"set by smshooks, not configurable: {', '.join(reserved)}"]})
        elif data.get("type") == "none":
            extra = sorted(k for k in ("algorithm", "key") if k in data)
            extra += sorted(k for k in ("issuer", "audience", "key_id") if data.get(k) is not None)
            if data.get("claims"):
                extra.append("claims")
            if extra:
                raise ValidationError({name: ["only with type jwt"] for name in extra})


def _check_headers(value: dict[str, str]) -> None:
    if len(value) > MAX_HEADERS:
        raise ValidationError(f"at most {MAX_HEADERS} header parameters")
    problems = []
    for name, header_value in value.items():
        if not HEADER_NAME.fullmatch(name):
            problems.append(f"{name!r} is not a header name")
        elif name.lower() in RESERVED_HEADERS:
            problems.append(f"{name} is set by smshooks")
        if len(header_value) > 4096 or any((ord(ch) < 32 and ch != "\t") or ord(ch) == 127 for ch in header_value):
            problems.append(f"the value of {name} must be at most 4096 characters without control characters")
    if len({name.lower() for name in value}) != len(value):
        problems.append("a header name appears twice (names are case-insensitive)")
    if problems:
        raise ValidationError(problems)


def _check_channels(value: list[str]) -> None:
    if len(set(value)) != len(value):
        raise ValidationError("each channel once")


def _check_secret(value: str | None) -> None:
    problem = signing_secret_problem(value) if value is not None else None
    if problem:
        raise ValidationError(problem)


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
        _check_channels(value)

    @validates("headers")
    def check_headers(self, value: dict[str, str], **_: Any) -> None:
        _check_headers(value)

    @validates("signing_secret")
    def check_secret(self, value: str, **_: Any) -> None:
        _check_secret(value)


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
        _check_channels(value)

    @validates("headers")
    def check_headers(self, value: dict[str, str], **_: Any) -> None:
        _check_headers(value)


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
        _check_secret(value)


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
    event_type = fields.String(validate=validate.OneOf([FEEDBACK, INBOUND]))
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


class ReplayWindowOut(Schema):
    replayed = fields.Integer()
    in_progress = fields.Integer(metadata={"description": "matching deliveries with an attempt running (not replayed)"})
    limit_reached = fields.Boolean(metadata={"description": "at most 10 000 per request: narrow the window and repeat"})


# --- the feedback webhook -------------------------------------------------------


def _current(session: Any) -> FeedbackWebhook:
    webhook = session.execute(select(FeedbackWebhook).where(*scoped(FeedbackWebhook))).scalar()
    if webhook is None:
        raise ApiError(404, f"no feedback webhook in sandbox {g.sandbox!r}")
    return webhook


def _out(webhook: FeedbackWebhook, signing_secret: str | None = None) -> dict[str, Any]:
    auth = dict(webhook.auth or {"type": "none"})
    out = {
        "id": webhook.id,
        "name": webhook.name,
        "channels": list(webhook.channels or []),
        "url": webhook.url,
        "auth": {
            "type": auth.get("type", "none"),
            "algorithm": auth.get("algorithm"),
            "issuer": auth.get("issuer"),
            "audience": auth.get("audience"),
            "key_id": auth.get("key_id"),
            "claims": auth.get("claims") or {},
            "public_key": auth.get("public_key"),
        },
        "headers": dict(webhook.headers or {}),
        "relay_inbound": webhook.relay_inbound,
        "enabled": webhook.enabled,
        "disabled_reason": webhook.disabled_reason,
        "sandbox": {"id": sandbox_id(webhook.org, webhook.sandbox), "name": webhook.sandbox},
        "previous_secret_expires_at": webhook.previous_secret_expires_at,
        "created_at": webhook.created_at,
        "updated_at": webhook.updated_at,
    }
    if signing_secret is not None:
        out["signing_secret"] = signing_secret
    return out


def _checked_url(url: str) -> str:
    try:
        return check_url(url, allow_private=gateway().settings.allow_private_targets)
    except BadTargetURL as exc:
        raise ApiError(422, "the URL cannot receive feedback", details={"url": [f"the URL {exc}"]}) from None
    except TargetRefused as exc:
        raise ApiError(422, "the URL cannot receive feedback", details={"url": [str(exc)]}) from None


def _apply_auth(
    webhook: FeedbackWebhook, vault: WebhookSecrets, auth: dict[str, Any], *, keep_key: bool = False
) -> None:
    """Store ``auth`` (its key sealed). ``keep_key``: a PATCH without a key keeps the
    current one when the algorithm stays."""
    if auth["type"] == "none":
        webhook.auth = {"type": "none"}
        vault.jwt_key = None
        return
    algorithm = auth["algorithm"]
    key = auth.get("key")
    if key is None and keep_key and (webhook.auth or {}).get("algorithm") == algorithm:
        key = vault.jwt_key
    if not key:
        raise ApiError(422, "JWT authentication needs a key", details={"auth": {"key": ["required"]}})
    problem = jwt_key_problem(algorithm, key)
    if problem:
        raise ApiError(422, "unusable JWT key", details={"auth": {"key": [problem]}})
    vault.jwt_key = key
    webhook.auth = {
        "type": "jwt",
        "algorithm": algorithm,
        "issuer": auth.get("issuer"),
        "audience": auth.get("audience"),
        "key_id": auth.get("key_id"),
        "claims": dict(auth.get("claims") or {}),
        "public_key": public_key_pem(algorithm, key),
    }


def _apply_headers(webhook: FeedbackWebhook, vault: WebhookSecrets, headers: dict[str, str]) -> None:
    values: dict[str, str] = {}
    for name, value in headers.items():
        if value == MASK:
            kept = next((v for k, v in vault.headers.items() if k.lower() == name.lower()), None)
            if kept is None:
                raise ApiError(
                    422, "a masked header value has nothing to keep", details={"headers": [f"{name}: give its value"]}
                )
            value = kept
        values[name] = value
    vault.headers = values
    webhook.headers = dict.fromkeys(values, MASK)


def _check_authorization(webhook: FeedbackWebhook) -> None:
    if (webhook.auth or {}).get("type") == "jwt" and any(n.lower() == "authorization" for n in webhook.headers or {}):
        raise ApiError(
            422,
            "an Authorization header parameter conflicts with JWT authentication",
            details={"headers": ["Authorization carries the JWT: remove the header or use auth type none"]},
        )


@blp.route("/feedback-webhook")
class FeedbackWebhookView(MethodView):
    @blp.response(200, FeedbackWebhookOut)
    def get(self) -> dict[str, Any]:
        """The feedback webhook of this organisation and sandbox (404 when there is none)."""
        with gateway().db.session() as session:
            return _out(_current(session))

    @blp.arguments(FeedbackWebhookIn)
    @blp.response(201, FeedbackWebhookWithSecret)
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Create the feedback webhook (409 when this sandbox has one); the answer shows the signing secret once."""
        gw = gateway()
        url = _checked_url(data["url"])
        signing_secret = data.get("signing_secret") or new_signing_secret()
        with gw.db.transaction() as session:
            existing = session.execute(select(FeedbackWebhook.id).where(*scoped(FeedbackWebhook))).scalar()
            if existing is not None:
                raise ApiError(
                    409,
                    f"sandbox {g.sandbox!r} has a feedback webhook: change it with PATCH, or DELETE it first",
                    details={"feedback_webhook_id": existing},
                )
            now = utcnow()
            webhook = FeedbackWebhook(
                id="fbw_" + secrets.token_hex(8),
                org=g.org,
                sandbox=g.sandbox,
                name=data["name"],
                channels=list(data["channels"]),
                url=url,
                relay_inbound=data["relay_inbound"],
                enabled=data["enabled"],
                created_at=now,
                updated_at=now,
            )
            vault = WebhookSecrets(signing_secret=signing_secret)
            _apply_auth(webhook, vault, data["auth"])
            _apply_headers(webhook, vault, data["headers"])
            _check_authorization(webhook)
            seal_secrets(gw.secrets, webhook, vault)
            session.add(webhook)
        return _out(webhook, signing_secret)

    @blp.arguments(FeedbackWebhookPatch)
    @blp.response(200, FeedbackWebhookOut)
    def patch(self, data: dict[str, Any]) -> dict[str, Any]:
        """Change some fields. Enabling clears the reason it was disabled."""
        gw = gateway()
        url = _checked_url(data["url"]) if "url" in data else None
        with gw.db.transaction() as session:
            webhook = _current(session)
            vault = open_secrets(gw.secrets, webhook)
            for name in ("name", "relay_inbound"):
                if name in data:
                    setattr(webhook, name, data[name])
            if "channels" in data:
                webhook.channels = list(data["channels"])
            if url is not None:
                webhook.url = url
            if "enabled" in data:
                webhook.enabled = data["enabled"]
                if data["enabled"]:
                    webhook.disabled_reason = None
            if "auth" in data:
                _apply_auth(webhook, vault, data["auth"], keep_key=True)
            if "headers" in data:
                _apply_headers(webhook, vault, data["headers"])
            _check_authorization(webhook)
            seal_secrets(gw.secrets, webhook, vault)
            webhook.updated_at = utcnow()
            return _out(webhook)

    @blp.response(204)
    def delete(self) -> None:
        """Delete the feedback webhook: no new feedback is written; past deliveries stay listed."""
        with gateway().db.transaction() as session:
            session.delete(_current(session))


@blp.route("/feedback-webhook/rotate-secret", methods=["POST"])
@blp.arguments(RotateIn, required=False)
@blp.response(200, FeedbackWebhookWithSecret)
def rotate_secret(data: dict[str, Any]) -> dict[str, Any]:
    """Replace the signing secret; the old one keeps signing beside it for the grace period
    (each request then carries two signatures). The answer shows the new secret once."""
    gw = gateway()
    new_secret = data.get("signing_secret") or new_signing_secret()
    with gw.db.transaction() as session:
        webhook = _current(session)
        vault = open_secrets(gw.secrets, webhook)
        if new_secret == vault.signing_secret:
            raise ApiError(422, "that is the current secret", details={"signing_secret": ["give a new secret"]})
        grace = timedelta(seconds=data["grace_period_seconds"])
        now = utcnow()
        vault.previous_signing_secret = vault.signing_secret if grace else None
        vault.signing_secret = new_secret
        webhook.previous_secret_expires_at = now + grace if grace else None
        seal_secrets(gw.secrets, webhook, vault)
        webhook.updated_at = now
        return _out(webhook, new_secret)


# --- deliveries -------------------------------------------------------------------


def _deliveries_out(session: Any, rows: list[tuple[FeedbackDelivery, Any, Any]]) -> list[dict[str, Any]]:
    ids = [delivery.id for delivery, _, _ in rows]
    attempts: dict[str, list[DeliveryAttempt]] = {delivery_id: [] for delivery_id in ids}
    if ids:
        for attempt in session.execute(
            select(DeliveryAttempt).where(DeliveryAttempt.delivery_id.in_(ids)).order_by(DeliveryAttempt.id)
        ).scalars():
            attempts[attempt.delivery_id].append(attempt)
    out = []
    for delivery, due_at, job_state in rows:
        pending = delivery.state == "pending" and job_state == "pending"
        out.append(
            {
                "id": delivery.id,
                "event_type": delivery.event_type,
                "message_id": delivery.message_id,
                "feedback_status": delivery.event_key if delivery.event_type == FEEDBACK else None,
                "state": delivery.state,
                "attempt_count": delivery.attempts,
                "last_status_code": delivery.last_status_code,
                "last_error": delivery.last_error,
                "next_attempt_at": due_at if pending else None,
                "created_at": delivery.created_at,
                "delivered_at": delivery.delivered_at,
                "feedback_webhook_id": delivery.feedback_webhook_id,
                "payload": delivery.payload,
                "attempts": attempts[delivery.id],
            }
        )
    return out


def _with_job() -> Any:
    return select(FeedbackDelivery, Job.due_at, Job.state).outerjoin(Job, Job.id == FeedbackDelivery.job_id)


@blp.route("/deliveries")
@blp.arguments(DeliveryFilter, location="query")
@blp.response(200, DeliveryPage)
def list_deliveries(args: dict[str, Any]) -> dict[str, Any]:
    """Feedback deliveries, newest first, each with every attempt (status code, duration, error)."""
    query = _with_job().where(*scoped(FeedbackDelivery))
    for name in ("state", "event_type", "message_id"):
        if args.get(name):
            query = query.where(getattr(FeedbackDelivery, name) == args[name])
    if args.get("since"):
        query = query.where(FeedbackDelivery.created_at >= args["since"])
    if args.get("until"):
        query = query.where(FeedbackDelivery.created_at < args["until"])
    # Deliveries are ordered by their outbox job, created with them: an integer cursor.
    if args["cursor"] is not None:
        query = query.where(FeedbackDelivery.job_id < args["cursor"])
    limit = args["limit"]
    with gateway().db.session() as session:
        rows = session.execute(query.order_by(FeedbackDelivery.job_id.desc()).limit(limit + 1)).all()
        more = len(rows) > limit
        rows = [tuple(row) for row in rows[:limit]]
        return {
            "items": _deliveries_out(session, rows),
            "next_cursor": rows[-1][0].job_id if more and rows else None,
        }


@blp.route("/deliveries/<delivery_id>")
@blp.response(200, DeliveryOut)
def get_delivery(delivery_id: str) -> dict[str, Any]:
    """One delivery: its payload, state and every attempt."""
    with gateway().db.session() as session:
        delivery = get_scoped(session, FeedbackDelivery, delivery_id, "delivery")
        row = session.execute(_with_job().where(FeedbackDelivery.id == delivery.id)).one()
        return _deliveries_out(session, [tuple(row)])[0]


def _replay_target(session: Any) -> FeedbackWebhook:
    webhook = session.execute(select(FeedbackWebhook).where(*scoped(FeedbackWebhook))).scalar()
    if webhook is None:
        raise ApiError(409, f"no feedback webhook in sandbox {g.sandbox!r} to replay to")
    if not webhook.enabled:
        raise ApiError(
            409,
            "the feedback webhook is disabled: enable it first (PATCH /feedback-webhook enabled=true)",
            details={"disabled_reason": webhook.disabled_reason},
        )
    return webhook


@blp.route("/deliveries/<delivery_id>/replay", methods=["POST"])
@blp.arguments(ReplayOneIn, required=False)
@blp.response(202, DeliveryOut)
def replay_delivery(_data: dict[str, Any], delivery_id: str) -> dict[str, Any]:
    """Send a delivery again now, with a fresh retry schedule (same payload and webhook-id)."""
    with gateway().db.transaction() as session:
        delivery = get_scoped(session, FeedbackDelivery, delivery_id, "delivery")
        try:
            replay_one(session, delivery, _replay_target(session))
        except InProgress:
            raise ApiError(409, "an attempt of this delivery is running; try again in a moment") from None
        session.flush()
        row = session.execute(_with_job().where(FeedbackDelivery.id == delivery.id)).one()
        return _deliveries_out(session, [tuple(row)])[0]


@blp.route("/deliveries/replay", methods=["POST"])
@blp.arguments(ReplayWindowIn)
@blp.response(202, ReplayWindowOut)
def replay_deliveries(data: dict[str, Any]) -> dict[str, Any]:
    """Send again every delivery created in [since, until), optionally only those in one state."""
    with gateway().db.transaction() as session:
        result = replay_window(
            session, _replay_target(session), since=data["since"], until=data["until"], state=data["status"]
        )
    return {"replayed": result.replayed, "in_progress": result.in_progress, "limit_reached": result.limit_reached}
