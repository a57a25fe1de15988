"""Consent: one record per (organisation, sandbox, our sender number, subscriber), and
an append-only ledger of every change to it.

The ledger is evidence: nothing in smshooks updates or deletes an entry, and
the migration installs database triggers that refuse to.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from smshooks.consent.sandbox_policy import sandbox_settings
from smshooks.metrics import CONSENT_CHANGES, count_on_commit
from smshooks.store.driver import DriverStatement
from smshooks.store.tables import ConsentLedgerEntry, ConsentRecord, utcnow
from smshooks.store.unit import Writer, connection, dialect_name


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


@dataclass
class Record:
    """One consent record as read from the database (a plain row, not an ORM object: the
    vendor path reads and writes these on every inbound message, with prebuilt statements)."""

    id: int
    org: str
    sandbox: str
    sender_number: str
    subscriber: str
    state: str | None
    pending_expires_at: datetime | None
    last_fuzzy_prompt_at: datetime | None
    last_default_reply_at: datetime | None
    updated_at: datetime
    stated_at: datetime | None = None


_RECORDS = ConsentRecord.__table__
#: a :class:`Record`'s columns, in its fields' order; :data:`LATEST_FIRST`, the order of a subscriber's
#: records (for a statement that reads them beside other rows: the send job's message read)
RECORD_COLUMNS = _COLUMNS = [_RECORDS.c[field.name] for field in fields(Record)]
LATEST_FIRST = (_RECORDS.c.updated_at.desc(), _RECORDS.c.id.desc())
#: a subscriber's records in a sandbox, latest first; on PostgreSQL ``FOR UPDATE`` so concurrent
#: messages from one subscriber apply in turn (SQLite's one writer already serialises them)
_SUBSCRIBER = (
    select(*_COLUMNS)
    .where(
        _RECORDS.c.org == bindparam("org"),
        _RECORDS.c.sandbox == bindparam("sandbox"),
        _RECORDS.c.subscriber == bindparam("subscriber"),
    )
    .order_by(*LATEST_FIRST)
)
#: run on the driver's cursor (store/driver.py): every inbound message that depends on consent runs some
_READ = DriverStatement(_SUBSCRIBER, ["org", "sandbox", "subscriber"], _COLUMNS)
_READ_LOCKED = DriverStatement(_SUBSCRIBER.with_for_update(), ["org", "sandbox", "subscriber"], _COLUMNS)
_UPDATE_STATE = DriverStatement(
    update(_RECORDS).where(_RECORDS.c.id == bindparam("b_id")),
    ["b_id", "state", "pending_expires_at", "updated_at", "stated_at"],
)
_STAMPS = {
    column: DriverStatement(update(_RECORDS).where(_RECORDS.c.id == bindparam("b_id")), ["b_id", column])
    for column in ("last_fuzzy_prompt_at", "last_default_reply_at")
}
_LEDGER_FIELDS = [
    "org",
    "sandbox",
    "sender_number",
    "subscriber",
    "at",
    "previous_state",
    "new_state",
    "action",
    "inbound_message_id",
    "keyword",
    "category",
    "match",
    "rule",
    "decided_by",
    "reply_text",
    "actor",
    "note",
]
_APPEND = DriverStatement(insert(ConsentLedgerEntry.__table__), _LEDGER_FIELDS)
_FORGET = DriverStatement(
    delete(_RECORDS).where(_RECORDS.c.id == bindparam("b_id"), _RECORDS.c.state.is_(None)), ["b_id"]
)
_PAIR_FIELDS = ["org", "sandbox", "sender_number", "subscriber", "state", "updated_at"]


@dataclass(frozen=True)
class SubscriberRecords:
    """Every consent record of one subscriber in a sandbox, latest first (one statement's read)."""

    org: str
    sandbox: str
    subscriber: str
    records: list[Record]
    #: the record :func:`ensure_pair` inserted in this transaction, if it did (not one it found)
    created: Record | None = None

    def pair(self, sender_number: str) -> Record | None:
        """The record of (our ``sender_number``, the subscriber), if there is one."""
        return next((record for record in self.records if record.sender_number == sender_number), None)

    def state(self, sender_number: str, scope: str, now: datetime | None = None) -> ConsentState | None:
        """The subscriber's consent for messages from ``sender_number`` under ``scope``.

        ``sandbox`` scope (as Twilio Messaging Services pool numbers): the latest stated consent to any of
        our numbers in the sandbox. ``number`` scope: the latest of the number's own record and the
        every-number record a STOPALL wrote. A pending double opt-in past its expiry states nothing; an
        older record then counts.
        """
        for record in self.in_reach(sender_number, scope):
            state = effective_state(record, now)
            if state is not None:
                return state
        return None

    def in_reach(self, sender_number: str, scope: str, *, every_number: bool = False) -> Iterator[Record]:
        """The records, latest first, that consent for messages from ``sender_number`` under ``scope``
        reads (and an opt-out to it reaches): every one under ``sandbox`` scope or for ``every_number``
        (a STOPALL); under ``number`` scope the number's own and the every-number record."""
        if scope != "number" or every_number:
            return iter(self.records)
        return (record for record in self.records if record.sender_number in (sender_number, ALL_NUMBERS))

    def opted_out(self, sender_number: str | None, scope: str) -> bool:
        """True when the subscriber opted out of messages from ``sender_number`` under ``scope`` (or,
        without a sender number, of any of our numbers in the sandbox: the safe reading)."""
        if not sender_number:
            return any(record.state == ConsentState.OPTED_OUT.value for record in self.records)
        return self.state(sender_number, scope) is ConsentState.OPTED_OUT

    def waiting(self, sender_number: str, scope: str, now: datetime, *, every_number: bool = False) -> list[Record]:
        """The records an opt-out to ``sender_number`` under ``scope`` reaches (every record for
        ``every_number``: a STOPALL) whose opt-out waits for a double opt-in's confirmation: that
        opt-out ends each wait (keywords.md 6.7.3), so it is recorded even where already opted out."""
        reach = self.in_reach(sender_number, scope, every_number=every_number)
        return [record for record in reach if awaits_confirmation(record, now)]

    def opt_out_stated_at(self, sender_number: str, scope: str) -> datetime | None:
        """When the latest opt-out that reaches ``sender_number`` under ``scope`` was sent, if known: an
        opt-in (or a request to join) sent before it, arriving late, must leave it in force."""
        times = [
            record.stated_at
            for record in self.in_reach(sender_number, scope)
            if record.state == ConsentState.OPTED_OUT.value and record.stated_at is not None
        ]
        return max(times, default=None)

    def opted_out_everywhere(self, now: datetime | None = None) -> bool:
        """True when a STOPALL's every-number opt-out stands: no record stated since says otherwise."""
        for record in self.records:
            state = effective_state(record, now)
            if record.sender_number == ALL_NUMBERS:
                return state is ConsentState.OPTED_OUT
            if state is not None and state is not ConsentState.OPTED_OUT:
                return False
        return False


def read_subscriber(db: Writer, org: str, sandbox: str, subscriber: str, *, lock: bool = False) -> SubscriberRecords:
    """The subscriber's records (``lock``: locked for this transaction on PostgreSQL)."""
    # on the connection: a read of Core rows needs none of the ORM session's execution path
    rows = (_READ_LOCKED if lock else _READ).rows(
        connection(db), {"org": org, "sandbox": sandbox, "subscriber": subscriber}
    )
    return SubscriberRecords(org, sandbox, subscriber, [Record(*row) for row in rows])


def lock_subscriber(db: Writer, org: str, sandbox: str, subscriber: str, sender_number: str) -> SubscriberRecords:
    """The subscriber's records, locked for this transaction, with the (``sender_number``, subscriber)
    record among them (created empty if new: one more statement; ``created`` says so)."""
    return ensure_pair(db, read_subscriber(db, org, sandbox, subscriber, lock=True), sender_number)


def ensure_pair(db: Writer, records: SubscriberRecords, sender_number: str) -> SubscriberRecords:
    """``records`` with a (``sender_number``, subscriber) record: created empty unless it exists."""
    if records.pair(sender_number) is not None:
        return records
    now = utcnow()
    values = {"org": records.org, "sandbox": records.sandbox, "sender_number": sender_number}
    values |= {"subscriber": records.subscriber, "state": None, "updated_at": now}
    row = _create_pair(dialect_name(db)).first(connection(db), values)
    if row is None:  # another transaction created it meanwhile: read it, locked, with the rest
        found = read_subscriber(db, records.org, records.sandbox, records.subscriber, lock=True)
        # gone again when that transaction was a retry that forgot the record it made: make it here
        return found if found.pair(sender_number) is not None else ensure_pair(db, found, sender_number)
    # new and latest: first in the latest-first order (its row lock is ours: we inserted it)
    created = Record(*row)
    return SubscriberRecords(records.org, records.sandbox, records.subscriber, [created, *records.records], created)


@cache
def _create_pair(dialect: str) -> DriverStatement:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    key = ["org", "sandbox", "sender_number", "subscriber"]
    return DriverStatement(
        insert(_RECORDS).on_conflict_do_nothing(index_elements=key).returning(*_COLUMNS), _PAIR_FIELDS, _COLUMNS
    )


def forget_new_pair(db: Writer, record: Record) -> None:
    """Remove the empty record :func:`ensure_pair` just made in this transaction (for a message
    that turned out to be a vendor's retry: it must leave nothing behind). Only the record this
    transaction inserted (``SubscriberRecords.created``): one another made is someone else's."""
    _FORGET.rows(connection(db), {"b_id": record.id})


def record_for_update(db: Writer, org: str, sandbox: str, sender_number: str, subscriber: str) -> Record:
    """The consent record of the pair, created empty if new, locked for this transaction on
    PostgreSQL so concurrent changes of one subscriber apply in turn."""
    found = lock_subscriber(db, org, sandbox, subscriber, sender_number).pair(sender_number)
    assert found is not None  # lock_subscriber made it
    return found


def awaits_confirmation(record: Record | ConsentRecord | None, now: datetime) -> bool:
    """An opted-out record that waits for a double opt-in's confirmation (asked after the opt-out)."""
    return (
        record is not None
        and record.state == ConsentState.OPTED_OUT.value
        and record.pending_expires_at is not None
        and record.pending_expires_at > now
    )


#: how far back a vendor's time of a message is believed: retries and batches arrive within days; a
#: time further back (a clock at 1970) or ahead is a clock's fault, and the message counts as sent now
TRUSTED_PAST = timedelta(days=7)


def end_waits(db: Writer, waiting: Iterable[Record | ConsentRecord], evidence: Evidence) -> None:
    """An opt-out ends these double opt-in requests waiting beside an opt-out (keywords.md 6.7.3):
    each stays opted out, keeping its own opt-out's time, and no longer waits."""
    for record in waiting:
        change(db, record, ConsentState.OPTED_OUT, evidence, stated_at=record.stated_at)


def sent_time(at: datetime, now: datetime) -> datetime:
    """When a message was sent, as the ledger orders consent by: the vendor's time ``at`` when it lies
    within :data:`TRUSTED_PAST` before ``now``, else ``now`` (so no clock can make an opt-out older or
    newer than every other message for good)."""
    return at if now - TRUSTED_PAST <= at <= now else now


def effective_state(record: Record | ConsentRecord | None, now: datetime | None = None) -> ConsentState | None:
    """The record's state; a pending double opt-in past its expiry counts as none."""
    if record is None or record.state is None:
        return None
    state = ConsentState(record.state)
    if state is ConsentState.PENDING and record.pending_expires_at and record.pending_expires_at <= (now or utcnow()):
        return None
    return state


def change(
    db: Writer,
    record: Record,
    new_state: ConsentState | None,
    evidence: Evidence,
    *,
    pending_expires_at: datetime | None = None,
    stated_at: datetime | None = None,
) -> None:
    """Move ``record`` to ``new_state`` and append the change to the ledger (``record`` is kept current).

    ``pending_expires_at``: until when a double opt-in asked for waits for its confirmation.
    ``stated_at``: when the subscriber sent the message that asks for it (:func:`sent_time`: now when
    None or outside the trusted window, so a vendor's clock cannot date an opt-out for good)."""
    now = utcnow()
    previous = record.state
    stated = now if stated_at is None else sent_time(stated_at, now)
    if new_state is not None and previous == new_state.value and record.stated_at is not None:
        stated = max(stated, record.stated_at)  # the state stays: said again, never earlier
    record.stated_at = stated
    record.state = new_state.value if new_state else None
    # set by a double opt-in: on a pending record, or on an opted-out one whose opt-out stands
    # until the confirmation; any other change ends the wait
    record.pending_expires_at = pending_expires_at
    record.updated_at = now
    conn = connection(db)
    _UPDATE_STATE.rows(
        conn,
        {
            "b_id": record.id,
            "state": record.state,
            "pending_expires_at": record.pending_expires_at,
            "updated_at": now,
            "stated_at": record.stated_at,
        },
    )
    _APPEND.rows(
        conn,
        {
            "org": record.org,
            "sandbox": record.sandbox,
            "sender_number": record.sender_number,
            "subscriber": record.subscriber,
            "at": now,
            "previous_state": previous,
            "new_state": record.state,
            "action": evidence.action,
            "inbound_message_id": evidence.inbound_message_id,
            "keyword": evidence.keyword,
            "category": evidence.category,
            "match": evidence.match,
            "rule": evidence.rule,
            "decided_by": evidence.decided_by,
            "reply_text": evidence.reply_text,
            "actor": evidence.actor,
            "note": evidence.note,
        },
    )
    count_on_commit(db, CONSENT_CHANGES, new_state=record.state or "none", action=evidence.action)


def stamp(db: Writer, record: Record, column: str, at: datetime) -> None:
    """Note on ``record`` when its subscriber was last sent a rate-limited reply (``column``:
    ``last_fuzzy_prompt_at`` or ``last_default_reply_at``)."""
    setattr(record, column, at)
    _STAMPS[column].rows(connection(db), {"b_id": record.id, column: at})


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
    """The subscriber's consent for messages from ``sender_number`` under ``scope``
    (:meth:`SubscriberRecords.state`), read in one statement."""
    return read_subscriber(session, org, sandbox, subscriber).state(sender_number, scope, now)


def opted_out_everywhere(
    session: Session, org: str, sandbox: str, subscriber: str, now: datetime | None = None
) -> bool:
    """True when a STOPALL's every-number opt-out stands (:meth:`SubscriberRecords.opted_out_everywhere`)."""
    return read_subscriber(session, org, sandbox, subscriber).opted_out_everywhere(now)


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
    records = read_subscriber(session, org, sandbox, subscriber)
    if sender_number and scope is None:
        scope = sandbox_settings(session, org, sandbox).consent_scope
    return records.opted_out(sender_number, scope or "")
