"""Consent: one record per (organisation, sandbox, our sender number, subscriber), and
an append-only ledger of every change to it.

The ledger is evidence: nothing in smshooks updates or deletes an entry, and
the migration installs database triggers that refuse to.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from smshooks.consent.sandbox_policy import sandbox_settings
from smshooks.metrics import CONSENT_CHANGES, count_on_commit
from smshooks.store.tables import ConsentLedgerEntry, ConsentRecord, utcnow
from smshooks.store.upsert import insert_once


class ConsentState(enum.StrEnum):
    OPTED_IN = "opted_in"
    OPTED_OUT = "opted_out"
    PENDING = "pending"


@dataclass(frozen=True)
class Evidence:
    """Why a consent change happened, as the ledger records it."""

    action: str
    actor: str = "subscriber"
    inbound_message_id: int | None = None
    keyword: str | None = None
    category: str | None = None
    match: str | None = None
    rule: str | None = None
    #: the smshooks_classify plugin that decided, None when the built-in rules did
    decided_by: str | None = None
    reply_text: str | None = None
    note: str | None = None


def record_for_update(session: Session, org: str, sandbox: str, sender_number: str, subscriber: str) -> ConsentRecord:
    """The consent record of the pair, created empty if new, locked for this
    transaction on PostgreSQL so concurrent messages from one subscriber apply in turn."""
    key = {"org": org, "sandbox": sandbox, "sender_number": sender_number, "subscriber": subscriber}
    insert_once(session, ConsentRecord, {**key, "state": None, "updated_at": utcnow()}, key=list(key))
    query = select(ConsentRecord).filter_by(**key)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return session.execute(query).scalar_one()


def effective_state(record: ConsentRecord | None, now: datetime | None = None) -> ConsentState | None:
    """The record's state; a pending double opt-in past its expiry counts as none."""
    if record is None or record.state is None:
        return None
    state = ConsentState(record.state)
    if state is ConsentState.PENDING and record.pending_expires_at and record.pending_expires_at <= (now or utcnow()):
        return None
    return state


def change(
    session: Session,
    record: ConsentRecord,
    new_state: ConsentState | None,
    evidence: Evidence,
    *,
    pending_expires_at: datetime | None = None,
) -> ConsentLedgerEntry:
    """Move ``record`` to ``new_state`` and append the change to the ledger."""
    now = utcnow()
    entry = ConsentLedgerEntry(
        org=record.org,
        sandbox=record.sandbox,
        sender_number=record.sender_number,
        subscriber=record.subscriber,
        at=now,
        previous_state=record.state,
        new_state=new_state.value if new_state else None,
        action=evidence.action,
        inbound_message_id=evidence.inbound_message_id,
        keyword=evidence.keyword,
        category=evidence.category,
        match=evidence.match,
        rule=evidence.rule,
        decided_by=evidence.decided_by,
        reply_text=evidence.reply_text,
        actor=evidence.actor,
        note=evidence.note,
    )
    record.state = new_state.value if new_state else None
    record.pending_expires_at = pending_expires_at if new_state is ConsentState.PENDING else None
    record.updated_at = now
    session.add(entry)
    session.flush()
    count_on_commit(session, CONSENT_CHANGES, new_state=entry.new_state or "none", action=evidence.action)
    return entry


#: the sender number of the record a STOPALL writes under number scope: every one of our numbers
ALL_NUMBERS = "*"
#: keywords (canonical) that opt out of every number whatever the consent scope
STOP_ALL_KEYWORDS = frozenset({"stopall", "stop all"})


def scoped_state(
    session: Session,
    org: str,
    sandbox: str,
    sender_number: str,
    subscriber: str,
    scope: str,
    now: datetime | None = None,
) -> ConsentState | None:
    """The subscriber's consent for messages from ``sender_number`` under ``scope``.

    ``sandbox`` scope (as Twilio Messaging Services pool numbers): the latest stated consent to any of our
    numbers in the sandbox. ``number`` scope: the latest of the number's own record and the every-number
    record a STOPALL wrote. A pending double opt-in past its expiry states nothing; an older record then counts.
    """
    numbers = [sender_number, ALL_NUMBERS] if scope == "number" else None
    for record in _stated_records(session, org, sandbox, subscriber, numbers):
        state = effective_state(record, now)
        if state is not None:
            return state
    return None


def opted_out_everywhere(
    session: Session, org: str, sandbox: str, subscriber: str, now: datetime | None = None
) -> bool:
    """True when a STOPALL's every-number opt-out stands: no record stated since says otherwise."""
    for record in _stated_records(session, org, sandbox, subscriber):
        state = effective_state(record, now)
        if record.sender_number == ALL_NUMBERS:
            return state is ConsentState.OPTED_OUT
        if state is not None and state is not ConsentState.OPTED_OUT:
            return False
    return False


def _stated_records(
    session: Session, org: str, sandbox: str, subscriber: str, sender_numbers: list[str] | None = None
) -> Iterable[ConsentRecord]:
    """The subscriber's records that state a consent, latest first (of ``sender_numbers`` only, when given)."""
    query = select(ConsentRecord).where(
        ConsentRecord.org == org,
        ConsentRecord.sandbox == sandbox,
        ConsentRecord.subscriber == subscriber,
        ConsentRecord.state.is_not(None),
    )
    if sender_numbers is not None:
        query = query.where(ConsentRecord.sender_number.in_(sender_numbers))
    return session.execute(query.order_by(ConsentRecord.updated_at.desc(), ConsentRecord.id.desc())).scalars()


def is_opted_out(
    session: Session,
    org: str,
    sandbox: str,
    sender_number: str | None,
    subscriber: str,
    scope: str | None = None,
) -> bool:
    """True when the subscriber opted out of messages from ``sender_number`` under the sandbox's consent
    scope (or, without a sender number, of any of our numbers in the sandbox: the safe reading)."""
    if not sender_number:
        query = select(ConsentRecord.state).where(
            ConsentRecord.org == org,
            ConsentRecord.sandbox == sandbox,
            ConsentRecord.subscriber == subscriber,
            ConsentRecord.state == ConsentState.OPTED_OUT.value,
        )
        return session.execute(query.limit(1)).first() is not None
    if scope is None:
        scope = sandbox_settings(session, org, sandbox).consent_scope
    return scoped_state(session, org, sandbox, sender_number, subscriber, scope) is ConsentState.OPTED_OUT
