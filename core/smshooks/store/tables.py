"""The database schema (SQLAlchemy 2 declarative). Changes go through Alembic migrations."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC datetime on every engine (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: times are timezone-aware UTC")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiKey(Base):
    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org: Mapped[str] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    #: the first characters of the key, to tell keys apart without storing them
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    #: comma-separated: admin, send, read (smshooks.access.scopes)
    scopes: Mapped[str] = mapped_column(String(64), default="admin", server_default="admin")
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
    #: noted at most once a minute (smshooks.access.api_keys.LAST_USED_RESOLUTION)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)


class Credential(Base):
    __tablename__ = "credentials"
    __table_args__ = (UniqueConstraint("org", "sandbox", "name", name="uq_credentials_name"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org: Mapped[str] = mapped_column(String(64))
    sandbox: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    vendor: Mapped[str] = mapped_column(String(64))
    #: the vendor fields that are not secret
    fields: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: the secret fields, encrypted with the server secret key
    sealed_secrets: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Webhook(Base):
    __tablename__ = "webhooks"
    __table_args__ = (
        UniqueConstraint("org", "sandbox", "name", name="uq_webhooks_name"),
        Index("ix_webhooks_scope", "org", "sandbox"),
    )

    #: unguessable: it is the secret part of the URL the vendor calls
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    org: Mapped[str] = mapped_column(String(64))
    sandbox: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    vendor: Mapped[str] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(16))
    credentials_id: Mapped[str] = mapped_column(ForeignKey("credentials.id"))
    sender_number: Mapped[str | None] = mapped_column(String(32), default=None)
    #: the keyword configuration (KeywordSettingsSchema), None for the defaults
    keyword_settings: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class InboundMessageRow(Base):
    __tablename__ = "inbound_messages"
    __table_args__ = (
        UniqueConstraint("webhook_id", "vendor_message_id", name="uq_inbound_vendor_message"),
        Index("ix_inbound_scope", "org", "sandbox", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org: Mapped[str] = mapped_column(String(64))
    sandbox: Mapped[str] = mapped_column(String(64))
    #: no foreign key: messages outlive a deleted webhook
    webhook_id: Mapped[str] = mapped_column(String(64))
    vendor: Mapped[str] = mapped_column(String(64))
    vendor_message_id: Mapped[str] = mapped_column(String(200))
    sender: Mapped[str] = mapped_column(String(64), index=True)
    recipient: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    segments: Mapped[int] = mapped_column(Integer, default=1)
    media_urls: Mapped[list[Any]] = mapped_column(default=list)
    received_at: Mapped[datetime]
    stored_at: Mapped[datetime] = mapped_column(default=utcnow)
    raw: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The keyword event: what the pipeline made of the message (None on
    # feedback webhooks, which do not run the pipeline).
    canonical_text: Mapped[str | None] = mapped_column(Text, default=None)
    category: Mapped[str | None] = mapped_column(String(16), default=None, index=True)
    match: Mapped[str | None] = mapped_column(String(8), default=None)
    keyword: Mapped[str | None] = mapped_column(String(64), default=None)
    rule: Mapped[str | None] = mapped_column(String(8), default=None)
    #: the smshooks_classify plugin that decided, None when the built-in rules did
    decided_by: Mapped[str | None] = mapped_column(String(128), default=None)
    action: Mapped[str | None] = mapped_column(String(32), default=None)
    reply_text: Mapped[str | None] = mapped_column(Text, default=None)


class OutboundMessageRow(Base):
    """A message we sent (or a vendor reported on), with its forward-only status."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint(
            "org", "sandbox", "vendor", "vendor_message_id", "recipient", name="uq_messages_vendor_message"
        ),
        Index("ix_messages_scope", "org", "sandbox", "id"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org: Mapped[str] = mapped_column(String(64))
    sandbox: Mapped[str] = mapped_column(String(64))
    vendor: Mapped[str] = mapped_column(String(64))
    #: None until the vendor accepted the message (sends in the outbox)
    vendor_message_id: Mapped[str | None] = mapped_column(String(200))
    #: '' when the vendor's report names no recipient
    recipient: Mapped[str] = mapped_column(String(64), default="")
    status: Mapped[str] = mapped_column(String(16))
    #: Status.rank of ``status``: lets one UPDATE move a status only forward
    status_rank: Mapped[int] = mapped_column(Integer)
    status_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: reply (to an inbound message), transactional (send API), or reported
    #: (a vendor reported on a message smshooks did not send)
    kind: Mapped[str] = mapped_column(String(16), default="reported")
    sender: Mapped[str | None] = mapped_column(String(64), default=None)
    text: Mapped[str | None] = mapped_column(Text, default=None)
    webhook_id: Mapped[str | None] = mapped_column(String(64), default=None)
    credentials_id: Mapped[str | None] = mapped_column(String(40), default=None)
    inbound_message_id: Mapped[int | None] = mapped_column(Integer, default=None)
    error_code: Mapped[str | None] = mapped_column(String(64), default=None)
    error_reason: Mapped[str | None] = mapped_column(Text, default=None)
    # Transactional sends (POST /api/v1/messages): the execution context the
    # feedback payload reports back.
    request_id: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    channel_id: Mapped[str | None] = mapped_column(String(40), default=None)
    campaign_id: Mapped[str | None] = mapped_column(String(200), default=None)
    campaign_version_id: Mapped[str | None] = mapped_column(String(200), default=None)
    message_type: Mapped[str | None] = mapped_column(String(32), default=None)
    profile_id: Mapped[int | None] = mapped_column(Integer, default=None)
    #: why the message was not sent at all (opted out …): the feedback's messageExclusion
    exclusion: Mapped[str | None] = mapped_column(String(64), default=None)
    #: send attempts that failed and were retried (the feedback's retryCount)
    retry_count: Mapped[int] = mapped_column(Integer, default=0)
    encoding: Mapped[str | None] = mapped_column(String(8), default=None)
    segments: Mapped[int | None] = mapped_column(Integer, default=None)


class DeliveryReportRow(Base):
    __tablename__ = "delivery_reports"
    __table_args__ = (
        # The vendor status (not only the common one) is in the key: two
        # different vendor statuses mapping to one common status are two reports.
        UniqueConstraint(
            "org",
            "sandbox",
            "vendor",
            "vendor_message_id",
            "recipient",
            "vendor_status",
            name="uq_delivery_reports_vendor_status",
        ),
        Index("ix_delivery_reports_scope", "org", "sandbox", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org: Mapped[str] = mapped_column(String(64))
    sandbox: Mapped[str] = mapped_column(String(64))
    webhook_id: Mapped[str] = mapped_column(String(64))
    vendor: Mapped[str] = mapped_column(String(64))
    vendor_message_id: Mapped[str] = mapped_column(String(200))
    recipient: Mapped[str] = mapped_column(String(64), default="", index=True)
    message_id: Mapped[str | None] = mapped_column(ForeignKey("messages.id"), default=None)
    status: Mapped[str] = mapped_column(String(16))
    vendor_status: Mapped[str] = mapped_column(String(64))
    final: Mapped[bool] = mapped_column(Boolean, default=False)
    error_code: Mapped[str | None] = mapped_column(String(64), default=None)
    error_reason: Mapped[str | None] = mapped_column(Text, default=None)
    failure_category: Mapped[str | None] = mapped_column(String(64), default=None)
    failure_type: Mapped[str | None] = mapped_column(String(8), default=None)
    occurred_at: Mapped[datetime]
    stored_at: Mapped[datetime] = mapped_column(default=utcnow)
    raw: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ReplayKey(Base):
    """One-time values (signature nonces) already accepted, until they expire."""

    __tablename__ = "replay_keys"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)


class Profile(Base):
    """A subscriber's attributes, available to reply templates."""

    __tablename__ = "profiles"
    __table_args__ = (UniqueConstraint("org", "sandbox", "phone", name="uq_profiles_phone"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org: Mapped[str] = mapped_column(String(64))
    sandbox: Mapped[str] = mapped_column(String(64))
    phone: Mapped[str] = mapped_column(String(64))
    attributes: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReplyTemplate(Base):
    __tablename__ = "replies"
    __table_args__ = (UniqueConstraint("org", "sandbox", "name", name="uq_replies_name"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org: Mapped[str] = mapped_column(String(64))
    sandbox: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    template: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ConsentRecord(Base):
    """The current consent of one subscriber for one of our sender numbers."""

    __tablename__ = "consent"
    __table_args__ = (
        UniqueConstraint("org", "sandbox", "sender_number", "subscriber", name="uq_consent_pair"),
        Index("ix_consent_state", "org", "sandbox", "state", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org: Mapped[str] = mapped_column(String(64))
    sandbox: Mapped[str] = mapped_column(String(64))
    sender_number: Mapped[str] = mapped_column(String(64))
    subscriber: Mapped[str] = mapped_column(String(64), index=True)
    #: opted_in, opted_out, pending (double opt-in) or None (never stated)
    state: Mapped[str | None] = mapped_column(String(16), default=None)
    pending_expires_at: Mapped[datetime | None] = mapped_column(default=None)
    last_fuzzy_prompt_at: Mapped[datetime | None] = mapped_column(default=None)
    last_default_reply_at: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class SandboxSettings(Base):
    """How consent applies in one organisation + sandbox (absent: the defaults)."""

    __tablename__ = "sandbox_settings"
    __table_args__ = (UniqueConstraint("org", "sandbox", name="uq_sandbox_settings_scope"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org: Mapped[str] = mapped_column(String(64))
    sandbox: Mapped[str] = mapped_column(String(64))
    #: "sandbox": an opt-out (or opt-in) to any of our numbers applies to all of them; "number": to that one
    consent_scope: Mapped[str] = mapped_column(String(16), default="sandbox")
    #: marketing sends go only to subscribers with a recorded opt-in
    marketing_requires_opt_in: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ConsentLedgerEntry(Base):
    """Every consent change, appended and never edited (no API writes here but
    the pipeline and the administrator's change, both as new rows)."""

    __tablename__ = "consent_ledger"
    __table_args__ = (Index("ix_consent_ledger_pair", "org", "sandbox", "subscriber", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org: Mapped[str] = mapped_column(String(64))
    sandbox: Mapped[str] = mapped_column(String(64))
    sender_number: Mapped[str] = mapped_column(String(64))
    subscriber: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    previous_state: Mapped[str | None] = mapped_column(String(16))
    new_state: Mapped[str | None] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(32))
    inbound_message_id: Mapped[int | None] = mapped_column(Integer, default=None)
    keyword: Mapped[str | None] = mapped_column(String(64), default=None)
    category: Mapped[str | None] = mapped_column(String(16), default=None)
    match: Mapped[str | None] = mapped_column(String(8), default=None)
    rule: Mapped[str | None] = mapped_column(String(8), default=None)
    #: the smshooks_classify plugin that decided, None when the built-in rules did
    decided_by: Mapped[str | None] = mapped_column(String(128), default=None)
    reply_text: Mapped[str | None] = mapped_column(Text, default=None)
    #: "subscriber", or "admin:<api key prefix>" for an administrator's change
    actor: Mapped[str] = mapped_column(String(80), default="subscriber")
    note: Mapped[str | None] = mapped_column(Text, default=None)


class Job(Base):
    """The transactional outbox: work that leaves the process later, written in
    the same transaction as the state change that caused it."""

    __tablename__ = "jobs"
    __table_args__ = (Index("ix_jobs_due", "state", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))
    org: Mapped[str] = mapped_column(String(64))
    sandbox: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: pending, running, done or dead
    state: Mapped[str] = mapped_column(String(16), default="pending")
    due_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=8)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    #: a running job whose lease ran out (its worker died) is claimed again
    lease_expires_at: Mapped[datetime | None] = mapped_column(default=None)
    worker: Mapped[str | None] = mapped_column(String(80), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Channel(Base):
    """Which vendor account and number a message goes out from, and where the vendor reports on it."""

    __tablename__ = "channels"
    __table_args__ = (UniqueConstraint("org", "sandbox", "name", name="uq_channels_name"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org: Mapped[str] = mapped_column(String(64))
    sandbox: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    credentials_id: Mapped[str] = mapped_column(ForeignKey("credentials.id"))
    sender_number: Mapped[str] = mapped_column(String(32))
    inbound_webhook_id: Mapped[str | None] = mapped_column(ForeignKey("webhooks.id"), default=None)
    feedback_webhook_id: Mapped[str | None] = mapped_column(ForeignKey("webhooks.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class FeedbackWebhook(Base):
    """The customer's endpoint for delivery feedback: at most one per organisation + sandbox."""

    __tablename__ = "feedback_webhooks"
    __table_args__ = (UniqueConstraint("org", "sandbox", name="uq_feedback_webhooks_scope"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org: Mapped[str] = mapped_column(String(64))
    sandbox: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    channels: Mapped[list[Any]] = mapped_column(default=list)
    url: Mapped[str] = mapped_column(Text)
    #: {"type": "none"} or {"type": "jwt", "algorithm", "issuer", "audience", "claims"}; the key is sealed
    auth: Mapped[dict[str, Any]] = mapped_column(default=dict)
    headers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: sealed: the JWT key and the Standard Webhooks secrets (current, previous)
    sealed_secrets: Mapped[str] = mapped_column(Text, default="")
    previous_secret_expires_at: Mapped[datetime | None] = mapped_column(default=None)
    relay_inbound: Mapped[bool] = mapped_column(Boolean, default=False)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    #: why smshooks disabled it (the endpoint answered 410 Gone …)
    disabled_reason: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class FeedbackDelivery(Base):
    """One feedback payload for the customer's endpoint, and its delivery state."""

    __tablename__ = "feedback_deliveries"
    __table_args__ = (
        # one event per message and status, however often the vendor reports it
        UniqueConstraint("message_id", "event_key", name="uq_feedback_event"),
        Index("ix_feedback_deliveries_scope", "org", "sandbox", "created_at"),
    )

    #: the Standard Webhooks ``webhook-id``: stable across retries, for receivers to dedupe
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    org: Mapped[str] = mapped_column(String(64))
    sandbox: Mapped[str] = mapped_column(String(64))
    feedback_webhook_id: Mapped[str] = mapped_column(String(40))
    event_type: Mapped[str] = mapped_column(String(32))
    message_id: Mapped[str | None] = mapped_column(String(40), default=None)
    #: what makes the event unique for its message: the feedback status, or "inbound:<id>"
    event_key: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: pending, delivered, dead, or disabled (the endpoint was off)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    job_id: Mapped[int | None] = mapped_column(Integer, default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_status_code: Mapped[int | None] = mapped_column(Integer, default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)


class DeliveryAttempt(Base):
    """Every POST to a feedback endpoint: status code, duration, error."""

    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    delivery_id: Mapped[str] = mapped_column(ForeignKey("feedback_deliveries.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    status_code: Mapped[int | None] = mapped_column(Integer, default=None)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    response_excerpt: Mapped[str | None] = mapped_column(Text, default=None)
