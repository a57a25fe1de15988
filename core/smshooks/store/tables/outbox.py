"""The outbox: jobs, and the customer's feedback deliveries with every attempt."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from smshooks.store.tables.base import Base, utcnow


class Job(Base):
    """The transactional outbox: work that leaves the process later, written in
    the same transaction as the state change that caused it."""

    __tablename__ = "jobs"
    __table_args__ = (
        # a claim reads the oldest due jobs in (due_at, id) order and stops at its window
        Index("ix_jobs_due", "state", "due_at", "id"),
        # and the running jobs whose lease ran out, without reading every running one
        Index("ix_jobs_lease", "state", "lease_expires_at"),
    )

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
    #: the request that caused the job (or its replay): on every log line of its attempts
    request_id: Mapped[str | None] = mapped_column(String(128), default=None)
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
