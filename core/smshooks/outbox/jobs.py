"""The outbox: jobs written in the caller's transaction, claimed and retried by workers.

A job is written in the same transaction as the state change that caused it
(a reply with the consent change, a feedback POST with the delivery report),
so nothing is lost when a process dies between answering and delivering.

Workers claim due jobs in batches with a short lease, which they renew while
an attempt runs; a job whose worker died is claimed again when its lease runs
out, seconds later. On PostgreSQL the claim locks its candidates ``FOR UPDATE
SKIP LOCKED``, so workers sharing the table take different jobs; on SQLite the
claiming UPDATE re-checks that each job is still due under the write lock.
Either way a job is running in at most one place, and a worker finishes an
attempt only while the job is still its own (same worker, same attempt), so a
late worker cannot overwrite the outcome of the one that took the job over.

Enqueueing wakes this process's workers at once and, on PostgreSQL, every
other process's through ``NOTIFY`` when the transaction commits. A job keeps the
request id of what enqueued or replayed it, for the log lines of its attempts.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Connection, text, update
from sqlalchemy.orm import Session

from smshooks.logs import current_request_id
from smshooks.outbox.connection import begin
from smshooks.outbox.retry import RetryPolicy

# the job states are this module's to name (metrics, feedback import them from here)
from smshooks.outbox.statements import DEAD, DONE, PENDING, RUNNING, Statements, lane_key, statements  # noqa: F401
from smshooks.store.db import Database
from smshooks.store.tables import Job, utcnow

DEFAULT_MAX_ATTEMPTS = 8
#: a worker renews the leases of its running jobs every third of this; a dead
#: worker's job is claimed again when it runs out
DEFAULT_LEASE = timedelta(seconds=10)
#: the PostgreSQL ``NOTIFY`` channel enqueues announce themselves on
NOTIFY_CHANNEL = "smshooks_jobs"
_NOTIFY = text(f"NOTIFY {NOTIFY_CHANNEL}")

#: (kind, org, sandbox): the jobs a worker shares its threads fairly between.
#: A feedback lane targets one endpoint (one feedback webhook per org and
#: sandbox); a send_sms lane, one tenant's vendor accounts.
Lane = tuple[str, str, str]

_c = Job.__table__.c


class Waker(Protocol):
    """What wakes a worker: a ``threading.Event`` or anything else with ``set()``."""

    def set(self) -> None: ...


class Wakeup:
    """Wakes every worker of this process (``set()`` is what enqueue and replay call)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: list[Waker] = []

    def subscribe(self, event: Waker) -> None:
        with self._lock:
            self._events.append(event)

    def unsubscribe(self, event: Waker) -> None:
        with self._lock:
            if event in self._events:
                self._events.remove(event)

    def set(self) -> None:
        with self._lock:
            events = list(self._events)
        for event in events:
            event.set()


#: set when a job is enqueued or replayed in this process, so its workers wake at once
wakeup = Wakeup()


@dataclass(frozen=True)
class ClaimedJob:
    id: int
    kind: str
    org: str
    sandbox: str
    payload: dict[str, Any]
    #: this attempt's number (1 = the first); with ``worker`` it identifies the attempt
    attempts: int
    max_attempts: int
    worker: str = ""
    #: what caused the job (:attr:`Job.request_id`): set around each attempt for its log lines
    request_id: str | None = None

    @property
    def lane(self) -> Lane:
        return (self.kind, self.org, self.sandbox)


def enqueue(
    session: Session,
    kind: str,
    payload: dict[str, Any],
    *,
    org: str,
    sandbox: str,
    due_at: datetime | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> Job:
    """Add a job in the caller's transaction; it becomes visible when that commits."""
    now = utcnow()
    job = Job(
        kind=kind,
        org=org,
        sandbox=sandbox,
        payload=payload,
        state=PENDING,
        due_at=due_at or now,
        max_attempts=max_attempts,
        created_at=now,
        updated_at=now,
        request_id=current_request_id(),
    )
    session.add(job)
    session.flush()
    notify(session)
    wakeup.set()
    return job


def notify(session: Session) -> None:
    """Announce new work to the workers of other processes when ``session``'s
    transaction commits (PostgreSQL ``NOTIFY``, once per transaction; a no-op
    elsewhere, where workers poll)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    transaction = session.get_transaction()
    if session.info.get("smshooks_notified") is transaction:
        return
    session.execute(_NOTIFY)
    session.info["smshooks_notified"] = transaction


def claim_batch(
    db: Database,
    worker: str,
    kinds: Sequence[str],
    *,
    limit: int,
    lease: timedelta = DEFAULT_LEASE,
    new_lane_room: int | None = None,
    lane_room: Mapping[Lane, int] | None = None,
    exclude: Collection[int] = (),
    done: Collection[ClaimedJob] = (),
    record: Callable[[Connection], None] | None = None,
    discover: bool = True,
    conn: Connection | None = None,
) -> Batch:
    """Take up to ``limit`` due jobs of ``kinds`` (oldest first; a job whose lease
    ran out counts as due) for ``worker``.

    With ``new_lane_room``, at most that many jobs of one lane are taken, or for
    the lanes in ``lane_room`` (those the worker already holds jobs of) what room
    it says they have left: one slow endpoint cannot take every thread. Without
    ``discover``, only jobs of the lanes in ``lane_room`` with room are taken (a
    busy worker topping up its lanes; it discovers other lanes when it polls).
    ``exclude``: ids the worker holds now, never taken twice.
    ``done``: attempts that succeeded, marked done in the same transaction (one
    commit where a busy worker would otherwise need two), after ``record`` wrote
    their kinds' own records of the successes (a delivery delivered, a message's
    vendor id) in it. ``conn``: the worker's own connection (else the pool's).
    """
    if limit <= 0 and not done:
        return Batch()
    now = utcnow()
    # A claim alone is one statement per round, atomic by itself: on the worker's own PostgreSQL
    # connection it runs without BEGIN and COMMIT round trips (a busy worker's claim waits for the
    # GIL behind its threads at each round trip, while the lanes it claims for run dry)
    with begin(db, conn, alone=not done) as tx:
        sql = statements(tx)
        if done:
            _mark_done(tx, sql, done, now, record)
        if limit <= 0:
            return Batch()
        rows, drained = _choose(
            tx, sql, worker, kinds, now, now + lease, limit, new_lane_room, lane_room, exclude, discover
        )
    batch = Batch(
        ClaimedJob(
            id=row.id,
            kind=row.kind,
            org=row.org,
            sandbox=row.sandbox,
            payload=dict(row.payload or {}),
            attempts=row.attempts,
            max_attempts=row.max_attempts,
            worker=worker,
            request_id=row.request_id,
        )
        for row in rows
    )
    batch.drained = drained
    return batch


class Batch(list[ClaimedJob]):
    """What a claim took, oldest first."""

    #: it took every due job it could (no lane was passed over for want of room): claiming again
    #: finds nothing until jobs are enqueued or become due (the worker waits for news or its poll)
    drained = False


def _choose(
    conn: Connection,
    sql: Statements,
    worker: str,
    kinds: Sequence[str],
    now: datetime,
    lease_until: datetime,
    limit: int,
    new_lane_room: int | None,
    lane_room: Mapping[Lane, int] | None,
    exclude: Collection[int],
    discover: bool,
) -> tuple[list[Any], bool]:
    """Claim the oldest due jobs, no lane beyond its room: the claimed rows, oldest first, and
    whether they were every due job it could have taken (:attr:`Batch.drained`: no lane was
    passed over for want of room).

    Each round is one statement (:meth:`Statements.claim`) over a window of candidates the size of
    what the lanes can take (at least a new lane's room); while a round came back full, or filled a
    lane, the next one looks past the lanes that have no room left, so one lane's backlog is looked
    past in a few short reads rather than one long one. On PostgreSQL the candidates stay locked
    until the transaction ends: other workers skip them and take the next ones.
    """
    rooms = {lane_key(*lane): room for lane, room in (lane_room or {}).items()} if new_lane_room is not None else {}
    default = limit if new_lane_room is None else new_lane_room
    full = [lane for lane, room in rooms.items() if room <= 0]
    rooms = {lane: room for lane, room in rooms.items() if room > 0}
    claimed: list[Any] = []
    for _ in range(4):
        wanted = limit - len(claimed)
        known = sum(rooms.values())
        if wanted <= 0 or (not discover and not known):
            break
        window = min(wanted, max(default, known) if discover else known)
        rows = sql.claim(
            conn,
            worker=worker,
            kinds=kinds,
            now=now,
            lease_until=lease_until,
            limit=wanted,
            window=window,
            new_lane_room=default,
            rooms=rooms,
            full=full,
            exclude=exclude,
            known=None if discover else list(rooms),
        )
        claimed += sorted(rows, key=lambda row: (row.due_at, row.id))
        taken = Counter(lane_key(row.kind, row.org, row.sandbox) for row in rows)
        filled = [lane for lane, count in taken.items() if count >= rooms.get(lane, default)]
        if len(rows) < window and (new_lane_room is None or not filled):
            # every candidate was taken: no more due jobs, unless a lane without room has more
            return claimed, not full
        if new_lane_room is None:
            break  # no lanes to look past
        for lane, count in taken.items():
            rooms[lane] = rooms.get(lane, default) - count
        full += filled
        rooms = {lane: room for lane, room in rooms.items() if room > 0}
    return claimed, False


def claim(db: Database, worker: str, kinds: Sequence[str], lease: timedelta = DEFAULT_LEASE) -> ClaimedJob | None:
    """Take the oldest due job of ``kinds`` for ``worker``, if any."""
    batch = claim_batch(db, worker, kinds, limit=1, lease=lease)
    return batch[0] if batch else None


def renew(
    db: Database,
    worker: str,
    running: Collection[ClaimedJob],
    lease: timedelta = DEFAULT_LEASE,
    *,
    conn: Connection | None = None,
) -> set[int]:
    """Extend the leases of ``worker``'s running attempts; returns the ids still its own."""
    if not running:
        return set()
    with begin(db, conn) as tx:
        sql = statements(tx)
        rows = tx.execute(sql.renew, sql.attempts(running, lease_until=utcnow() + lease)).all()
    return {row.id for row in rows}


def complete(db: Database, job: ClaimedJob, record: Callable[[Connection], None] | None = None) -> bool:
    """The attempt succeeded; False when the job was no longer this attempt's."""
    return complete_many(db, [job], record) == 1


def complete_many(
    db: Database,
    done: Collection[ClaimedJob],
    record: Callable[[Connection], None] | None = None,
    *,
    conn: Connection | None = None,
) -> int:
    """Mark attempts that succeeded done in one transaction, after ``record`` wrote their kinds'
    records of the successes in it; returns how many were still theirs."""
    if not done:
        return 0
    with begin(db, conn) as tx:
        return _mark_done(tx, statements(tx), done, utcnow(), record)


def _mark_done(
    conn: Connection,
    sql: Statements,
    done: Collection[ClaimedJob],
    now: datetime,
    record: Callable[[Connection], None] | None,
) -> int:
    if record is not None:
        # The work was done whether or not the job is still this attempt's (a worker
        # whose lease ran out): what it did is recorded either way.
        record(conn)
    return conn.execute(sql.mark_done, sql.attempts(done, now=now)).rowcount


def release(db: Database, unstarted: Collection[ClaimedJob], *, conn: Connection | None = None) -> int:
    """Give back claimed attempts that never started (a worker stopping): due at once, their attempt not counted."""
    if not unstarted:
        return 0
    with begin(db, conn) as tx:
        sql = statements(tx)
        count = tx.execute(sql.release, sql.attempts(unstarted, now=utcnow())).rowcount
        if count and tx.dialect.name == "postgresql":
            tx.execute(_NOTIFY)
    return count


def kill(db: Database, job: ClaimedJob, error: str) -> bool:
    """The job cannot succeed: dead now, kept for inspection and replay."""
    return _finish(db, job, DEAD, error)


def retry_later(
    db: Database, job: ClaimedJob, error: str, policy: RetryPolicy, *, retry_after: float | None = None
) -> str:
    """Schedule the next attempt by ``policy``, or kill the job after its last one; returns the new state."""
    if policy.is_last(job.attempts) or job.attempts >= job.max_attempts:
        kill(db, job, f"gave up after {job.attempts} attempts: {error}")
        return DEAD
    due_at = utcnow() + timedelta(seconds=policy.next_delay(job.attempts, retry_after))
    _finish(db, job, PENDING, error, due_at)
    return PENDING


def next_due(db: Database, kinds: Sequence[str]) -> datetime | None:
    """When the next job of ``kinds`` becomes due: a pending one's time, or a running one's lease end."""
    with db.engine.connect() as conn:
        sql = statements(conn)
        pending, leased = conn.execute(sql.next_due, {"kinds": sql.dialect.encode_list(kinds)}).one()
    times = [t for t in (pending, leased) if t is not None]
    return min(times) if times else None


def replay(session: Session, job_id: int) -> bool:
    """Make a dead (or done) job due again; True when it was replayed."""
    now = utcnow()
    result = session.execute(
        update(Job)
        .where(_c.id == job_id, _c.state.in_([DEAD, DONE]))
        .values(state=PENDING, due_at=now, attempts=0, updated_at=now, **replayed_by())
    )
    if result.rowcount:
        notify(session)
        wakeup.set()
    return bool(result.rowcount)


def replayed_by() -> dict[str, str]:
    """A replayed job's new request id: the replaying request's (outside one, it keeps its own)."""
    request_id = current_request_id()
    return {"request_id": request_id} if request_id else {}


def _finish(db: Database, job: ClaimedJob, state: str, error: str, due_at: datetime | None = None) -> bool:
    with db.begin() as conn:
        sql = statements(conn)
        params = sql.attempts([job], state=state, error=error, due_at=due_at, now=utcnow())
        return conn.execute(sql.finish, params).rowcount == 1
