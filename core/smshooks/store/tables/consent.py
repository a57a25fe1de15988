"""Consent: one record per (sender number, subscriber) and the ledger that is never edited."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from smshooks.store.tables.base import Base, utcnow


class ConsentRecord(Base):
    """The current consent of one subscriber for one of our sender numbers."""

    __tablename__ = "consent"
    __table_args__ = (
        UniqueConstraint("org", "sandbox", "sender_number", "subscriber", name="uq_consent_pair"),
        Index("ix_consent_state", "org", "sandbox", "state", "id"),
        # a subscriber's records in a sandbox, read on every inbound message (consent/ledger.py)
        Index("ix_consent_subscriber_latest", "org", "sandbox", "subscriber", "updated_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    org: Mapped[str] = mapped_column(String(64))
    sandbox: Mapped[str] = mapped_column(String(64))
    sender_number: Mapped[str] = mapped_column(String(64))
    subscriber: Mapped[str] = mapped_column(String(64))
    #: opted_in, opted_out, pending (double opt-in) or None (never stated)
    state: Mapped[str | None] = mapped_column(String(16), default=None)
    pending_expires_at: Mapped[datetime | None] = mapped_column(default=None)
    last_fuzzy_prompt_at: Mapped[datetime | None] = mapped_column(default=None)
    last_default_reply_at: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: when the subscriber sent the message that stated ``state`` (the vendor's time, never later than
    #: when we took it; the change's time for an administrator's): an opt-in sent before an opt-out
    #: that arrived first (a vendor's retry, reports out of order) must not undo it
    stated_at: Mapped[datetime | None] = mapped_column(default=None)


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
