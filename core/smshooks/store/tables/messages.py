"""What vendors sent and what we sent: inbound messages, outbound messages, delivery reports, signature nonces."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
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


class VendorCallRow(Base):
    """One HTTP request a vendor plugin made while sending a message: the message's call log.

    Secret-free by construction (``smshooks.messages.redaction``): no headers, the
    URL and the excerpts with every secret of the credential masked. At most
    ``call_log.MAX_CALLS_PER_MESSAGE`` rows per message (the newest are kept).
    """

    __tablename__ = "vendor_calls"
    __table_args__ = (Index("ix_vendor_calls_message", "org", "sandbox", "message_id", "attempt", "number"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org: Mapped[str] = mapped_column(String(64))
    sandbox: Mapped[str] = mapped_column(String(64))
    #: no foreign key: the log is written beside the send, never in its way
    message_id: Mapped[str] = mapped_column(String(40))
    #: the send attempt (1, 2, …) and the call's place in it (1, 2, …: a token fetch, then the send)
    attempt: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    method: Mapped[str] = mapped_column(String(16))
    url: Mapped[str] = mapped_column(Text)
    #: the answer's HTTP status, None when there was no answer (``error`` says why)
    status_code: Mapped[int | None] = mapped_column(Integer, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    request_excerpt: Mapped[str | None] = mapped_column(Text, default=None)
    response_excerpt: Mapped[str | None] = mapped_column(Text, default=None)
