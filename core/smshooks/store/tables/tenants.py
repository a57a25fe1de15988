"""What an organisation configures: API keys, vendor credentials, webhooks, channels, replies,
profiles, sandbox settings and its feedback webhook."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from smshooks.store.tables.base import Base, utcnow


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
