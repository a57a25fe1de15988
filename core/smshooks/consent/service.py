"""Consent as an administrator sees it: a subscriber's state and ledger, a change with a note, lists, export.

Subscribers and sender numbers are E.164 (``+14155550123``); both are
normalised here (:mod:`smshooks.phones`): "+1 (415) 555-0123" is the same
subscriber, and a value that is not a phone number is :class:`Invalid`.
Functions take the :class:`~smshooks.gateway.Gateway` and the caller's
:class:`~smshooks.scope.Scope` and raise :mod:`smshooks.errors`.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select

from smshooks.consent.ledger import (
    ALL_NUMBERS,
    ConsentState,
    Evidence,
    change,
    effective_state,
    end_waits,
    read_subscriber,
    record_for_update,
)
from smshooks.errors import INVALID_FIELDS, Invalid
from smshooks.gateway import Gateway
from smshooks.phones import NOT_A_SENDER_ADDRESS, require_subscriber_number, sender_address
from smshooks.scope import Scope
from smshooks.store.pages import DEFAULT_LIMIT, Page, newest_first
from smshooks.store.scoped import in_scope
from smshooks.store.tables import ConsentLedgerEntry, ConsentRecord, utcnow
from smshooks.vendor import to_e164

#: the states a record can be in (a record with none has no consent recorded)
STATES = tuple(state.value for state in ConsentState)
#: the ledger action of an administrator's change
ADMIN_CHANGE = "admin_change"
#: the columns of :func:`export_rows`, in order
EXPORT_COLUMNS = ("subscriber", "sender_number", "state", "pending_expires_at", "updated_at")


@dataclass(frozen=True)
class SenderConsent:
    """A subscriber's consent for one of our sender numbers, as it counts now."""

    id: int
    subscriber: str
    sender_number: str
    #: opted_in, opted_out, pending, or None (nothing recorded, or a double opt-in that expired)
    state: str | None
    pending_expires_at: datetime | None
    updated_at: datetime


@dataclass(frozen=True)
class SubscriberConsent:
    """Everything recorded about one subscriber in a scope."""

    subscriber: str
    #: the state per sender number, by sender number
    senders: list[SenderConsent]
    #: every change, oldest first (the append-only ledger)
    history: list[ConsentLedgerEntry]


def sender_consent(record: ConsentRecord) -> SenderConsent:
    """``record`` with its effective state (an expired pending double opt-in counts as none)."""
    state = effective_state(record)
    return SenderConsent(
        id=record.id,
        subscriber=record.subscriber,
        sender_number=record.sender_number,
        state=state.value if state else None,
        pending_expires_at=record.pending_expires_at,
        updated_at=record.updated_at,
    )


def subscriber_consent(gw: Gateway, scope: Scope, subscriber: str) -> SubscriberConsent:
    """A subscriber's consent per sender number and its whole history (empty lists for an unknown
    number); :class:`Invalid` (under ``phone``) when ``subscriber`` is not a phone number."""
    subscriber = require_subscriber_number(subscriber)
    with gw.db.session() as session:
        records = session.execute(
            select(ConsentRecord)
            .where(*in_scope(ConsentRecord, scope), ConsentRecord.subscriber == subscriber)
            .order_by(ConsentRecord.sender_number)
        ).scalars()
        history = session.execute(
            select(ConsentLedgerEntry)
            .where(*in_scope(ConsentLedgerEntry, scope), ConsentLedgerEntry.subscriber == subscriber)
            .order_by(ConsentLedgerEntry.id)
        ).scalars()
        return SubscriberConsent(subscriber, [sender_consent(r) for r in records], list(history))


def change_consent(
    gw: Gateway,
    scope: Scope,
    subscriber: str,
    *,
    sender_number: str,
    state: ConsentState | str | None,
    admin: str,
    note: str | None = None,
) -> SubscriberConsent:
    """An administrator sets the subscriber's consent for ``sender_number`` to ``state`` (None or
    "none": no consent recorded); the ledger records it as ``admin:<admin>`` with ``note``.

    Setting the state it already has records nothing. ``admin`` names who did it (the API
    key's prefix). :class:`Invalid` for a subscriber that is not a phone number, an unknown state,
    or a sender that is none of ours (:func:`sender_of_change`): a change recorded under a typo
    would look successful and affect no send. Returns the subscriber's consent after the change.
    """
    subscriber = require_subscriber_number(subscriber)
    sender = sender_of_change(gw, scope, subscriber, sender_number)
    problems = {}
    if sender is None:
        problems["sender_number"] = [NOT_A_SENDER_ADDRESS]
    if state is not None and state != "none" and state not in STATES:
        problems["state"] = [f"Must be one of: {', '.join([*STATES, 'none'])}."]
    if problems:
        raise Invalid(INVALID_FIELDS, details=problems)
    new_state = None if state in (None, "none") else ConsentState(state)
    with gw.db.transaction() as session:
        record = record_for_update(session, scope.org, scope.sandbox, sender, subscriber)
        # the same state again records nothing, but an opt-out set by hand ends a double opt-in
        # request waiting beside the subscriber's opt-out (or its confirmation would still opt in)
        evidence = Evidence(action=ADMIN_CHANGE, actor=f"admin:{admin}", note=note)
        if effective_state(record) != new_state or record.pending_expires_at is not None:
            change(session, record, new_state, evidence)
        if new_state is ConsentState.OPTED_OUT:
            # ends every double opt-in request of the subscriber's waiting beside an opt-out in the
            # sandbox (the safe reading, whatever the consent scope): a later CONFIRM opts in nowhere
            records = read_subscriber(session, scope.org, scope.sandbox, subscriber)
            waiting = records.waiting(sender, "sandbox", utcnow())
            end_waits(session, [other for other in waiting if other.id != record.id], evidence)
    return subscriber_consent(gw, scope, subscriber)


def sender_of_change(gw: Gateway, scope: Scope, subscriber: str, value: str) -> str | None:
    """The sender number an administrator's change of ``subscriber``'s consent names, normalised, or None.

    One of our sender addresses (:func:`smshooks.phones.sender_address`, the webhook's rule), every
    number (``*``, the record a STOPALL writes), or the sender of a record ``subscriber`` already has:
    a vendor may spell our number in a way the rule refuses, and the consent recorded under it must
    stay changeable (an opt-out is never blocked).
    """
    sender = sender_address(value)
    if sender is not None:
        return sender
    written = to_e164(value)
    if written == ALL_NUMBERS:
        return written
    if not written:
        return None
    with gw.db.session() as session:
        kept = session.execute(
            select(ConsentRecord.id).where(
                *in_scope(ConsentRecord, scope),
                ConsentRecord.subscriber == subscriber,
                ConsentRecord.sender_number == written,
            )
        ).first()
    return written if kept else None


def list_consent(
    gw: Gateway,
    scope: Scope,
    *,
    state: str | None = None,
    sender_number: str | None = None,
    limit: int = DEFAULT_LIMIT,
    cursor: int | None = None,
) -> Page[SenderConsent]:
    """Consent records of ``scope``, newest first; only those stored in ``state`` / for ``sender_number``."""
    with gw.db.session() as session:
        found = newest_first(session, _records(scope, state, sender_number), ConsentRecord.id, limit, cursor)
        return Page([sender_consent(record) for record in found.items], found.next_cursor)


def export_rows(
    gw: Gateway, scope: Scope, *, state: str | None = None, sender_number: str | None = None
) -> list[tuple[str, ...]]:
    """Every matching record (oldest first) as text in :data:`EXPORT_COLUMNS` order; "" for none."""
    with gw.db.session() as session:
        records = session.execute(_records(scope, state, sender_number).order_by(ConsentRecord.id)).scalars()
        rows = []
        for record in records:
            current = effective_state(record)
            rows.append(
                (
                    record.subscriber,
                    record.sender_number,
                    current.value if current else "",
                    record.pending_expires_at.isoformat() if record.pending_expires_at else "",
                    record.updated_at.isoformat(),
                )
            )
        return rows


def export_csv(gw: Gateway, scope: Scope, *, state: str | None = None, sender_number: str | None = None) -> str:
    """:func:`export_rows` as CSV text with a header line (CRLF line ends)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    writer.writerows(export_rows(gw, scope, state=state, sender_number=sender_number))
    return out.getvalue()


def _records(scope: Scope, state: str | None, sender_number: str | None) -> Select:
    query = select(ConsentRecord).where(*in_scope(ConsentRecord, scope))
    if state:
        query = query.where(ConsentRecord.state == state)
    if sender_number:
        query = query.where(ConsentRecord.sender_number == to_e164(sender_number))
    return query
