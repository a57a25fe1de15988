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
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Connection, and_, func, not_, or_, select, text, tuple_, update
from sqlalchemy.orm import Session

from smshooks.logs import current_request_id
from smshooks.outbox.retry import RetryPolicy
from smshooks.store.db import Database
from smshooks.store.tables import Job, utcnow

DEFAULT_MAX_ATTEMPTS = 8
#: a worker renews the leases of its running jobs every third of this; a dead
#: worker's job is claimed again when it runs out
DEFAULT_LEASE = timedelta(seconds=10)
#: the PostgreSQL ``NOTIFY`` channel enqueues announce themselves on
NOTIFY_CHANNEL = "smshooks_jobs"

PENDING, RUNNING, DONE, DEAD = "pending", "running", "done", "dead"

#: (kind, org, sandbox): the jobs a worker shares its threads fairly between.
#: A feedback lane targets one endpoint (one feedback webhook per org and
#: sandbox); a send_sms lane, one tenant's vendor accounts.
Lane = tuple[str, str, str]

#: the table itself: the worker's statements run on a Core connection (no ORM session per batch)
_jobs = Job.__table__
_c = _jobs.c


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
    session.execute(text(f"NOTIFY {NOTIFY_CHANNEL}"))
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
) -> list[ClaimedJob]:
    """Take up to ``limit`` due jobs of ``kinds`` (oldest first; a job whose lease
    ran out counts as due) for ``worker``.

    With ``new_lane_room``, at most that many jobs of one lane are taken, or for
    the lanes in ``lane_room`` (those the worker already holds jobs of) what room
    it says they have left: one slow endpoint cannot take every thread.
    ``exclude``: ids the worker holds now, never taken twice.
    ``done``: attempts that succeeded, marked done in the same transaction (one
    commit where a busy worker would otherwise need two), after ``record`` wrote
    their kinds' own records of the successes (a delivery delivered, a message's
    vendor id) in it.
    """
    if limit <= 0 and not done:
        return []
    lane_room = dict(lane_room or {}) if new_lane_room is not None else {}
    now = utcnow()
    full = [lane for lane, room in lane_room.items() if room <= 0]
    due = or_(
        and_(_c.state == PENDING, _c.due_at <= now),
        and_(_c.state == RUNNING, _c.lease_expires_at < now),
    )
    conditions = [due, _c.kind.in_(list(kinds))]
    if exclude:
        conditions.append(_c.id.not_in(list(exclude)))
    with db.begin() as conn:
        if done:
            _mark_done(conn, done, now, record)
        if limit <= 0:
            return []
        chosen = _choose(conn, conditions, full, limit, new_lane_room, lane_room)
        if not chosen:
            return []
        # On SQLite the write lock is taken here; the due condition is checked
        # again under it, so a job another process claimed meanwhile is skipped.
        rows = conn.execute(
            update(_jobs)
            .where(_c.id.in_(chosen), due)
            .values(
                state=RUNNING,
                attempts=_jobs.c.attempts + 1,
                lease_expires_at=now + lease,
                worker=worker,
                updated_at=now,
            )
            .returning(_c.id, _c.kind, _c.org, _c.sandbox, _c.payload, _c.attempts, _c.max_attempts, _c.request_id)
        ).all()
    order = {job_id: position for position, job_id in enumerate(chosen)}
    claimed = [
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
    ]
    return sorted(claimed, key=lambda job: order[job.id])


def _choose(
    conn: Connection,
    conditions: list[Any],
    full: list[Lane],
    limit: int,
    new_lane_room: int | None,
    lane_room: Mapping[Lane, int],
) -> list[int]:
    """The ids to claim: oldest first, no lane beyond its room.

    Reads no more candidates than the lanes can take: a window of what the known lanes have
    room for (at least a new lane's room), then, while a window came back full, the next one
    without the lanes that have no room left, so one lane's backlog is looked past in a few
    short reads rather than one long one. On PostgreSQL the candidates stay locked until the
    transaction ends: other workers skip them and take the next ones.
    """
    taken: dict[Lane, int] = {}
    chosen: list[int] = []
    excluded = list(full)
    for _ in range(4):
        wanted = limit - len(chosen)
        if wanted <= 0:
            break
        window = wanted
        if new_lane_room is not None:
            known = sum(max(0, room - taken.get(lane, 0)) for lane, room in lane_room.items())
            window = min(wanted, max(new_lane_room, known))
        where = conditions + [not_(and_(_c.kind == k, _c.org == o, _c.sandbox == s)) for k, o, s in excluded]
        if chosen:
            where.append(_c.id.not_in(chosen))
        candidates = select(_c.id, _c.kind, _c.org, _c.sandbox).where(*where).order_by(_c.due_at, _c.id)
        candidates = candidates.limit(window)
        if conn.dialect.name == "postgresql":
            candidates = candidates.with_for_update(skip_locked=True)
        rows = conn.execute(candidates).all()
        for row in rows:
            lane = (row.kind, row.org, row.sandbox)
            if new_lane_room is not None and taken.get(lane, 0) >= lane_room.get(lane, new_lane_room):
                continue
            taken[lane] = taken.get(lane, 0) + 1
            chosen.append(row.id)
            if len(chosen) >= limit:
                break
        if len(rows) < window or new_lane_room is None:
            break  # no more due jobs (or no lanes to look past)
        excluded += [
            lane
            for lane, count in taken.items()
            if count >= lane_room.get(lane, new_lane_room) and lane not in excluded
        ]
    return chosen


def claim(db: Database, worker: str, kinds: Sequence[str], lease: timedelta = DEFAULT_LEASE) -> ClaimedJob | None:
    """Take the oldest due job of ``kinds`` for ``worker``, if any."""
    batch = claim_batch(db, worker, kinds, limit=1, lease=lease)
    return batch[0] if batch else None


def renew(db: Database, worker: str, running: Collection[ClaimedJob], lease: timedelta = DEFAULT_LEASE) -> set[int]:
    """Extend the leases of ``worker``'s running attempts; returns the ids still its own."""
    if not running:
        return set()
    now = utcnow()
    with db.begin() as conn:
        rows = conn.execute(
            update(_jobs)
            .where(_attempts_of(running), _c.state == RUNNING)
            .values(lease_expires_at=now + lease)
            .returning(_c.id)
        ).all()
    return {row.id for row in rows}


def complete(db: Database, job: ClaimedJob, record: Callable[[Connection], None] | None = None) -> bool:
    """The attempt succeeded; False when the job was no longer this attempt's."""
    return complete_many(db, [job], record) == 1


def complete_many(
    db: Database, done: Collection[ClaimedJob], record: Callable[[Connection], None] | None = None
) -> int:
    """Mark attempts that succeeded done in one transaction, after ``record`` wrote their kinds'
    records of the successes in it; returns how many were still theirs."""
    if not done:
        return 0
    with db.begin() as conn:
        return _mark_done(conn, done, utcnow(), record)


def _mark_done(
    conn: Connection, done: Collection[ClaimedJob], now: datetime, record: Callable[[Connection], None] | None
) -> int:
    if record is not None:
        # The work was done whether or not the job is still this attempt's (a worker
        # whose lease ran out): what it did is recorded either way.
        record(conn)
    result = conn.execute(
        update(_jobs)
        .where(_attempts_of(done), _c.state == RUNNING)
        .values(state=DONE, lease_expires_at=None, updated_at=now)
    )
    return result.rowcount


def release(db: Database, unstarted: Collection[ClaimedJob]) -> int:
    """Give back claimed attempts that never started (a worker stopping): due at once, their attempt not counted."""
    if not unstarted:
        return 0
    now = utcnow()
    with db.transaction() as session:
        result = session.execute(
            update(Job)
            .where(_attempts_of(unstarted), _c.state == RUNNING)
            .values(
                state=PENDING, attempts=_c.attempts - 1, due_at=now, lease_expires_at=None, worker=None, updated_at=now
            )
        )
        if result.rowcount:
            notify(session)
    return result.rowcount


def kill(db: Database, job: ClaimedJob, error: str) -> bool:
    """The job cannot succeed: dead now, kept for inspection and replay."""
    return _finish(db, job, {"state": DEAD, "last_error": error})


def retry_later(
    db: Database, job: ClaimedJob, error: str, policy: RetryPolicy, *, retry_after: float | None = None
) -> str:
    """Schedule the next attempt by ``policy``, or kill the job after its last one; returns the new state."""
    if policy.is_last(job.attempts) or job.attempts >= job.max_attempts:
        kill(db, job, f"gave up after {job.attempts} attempts: {error}")
        return DEAD
    due_at = utcnow() + timedelta(seconds=policy.next_delay(job.attempts, retry_after))
    _finish(db, job, {"state": PENDING, "due_at": due_at, "last_error": error})
    return PENDING


def next_due(db: Database, kinds: Sequence[str]) -> datetime | None:
    """When the next job of ``kinds`` becomes due: a pending one's time, or a running one's lease end."""
    with db.engine.connect() as session:
        pending = session.execute(
            select(func.min(_c.due_at)).where(_c.state == PENDING, _c.kind.in_(list(kinds)))
        ).scalar()
        leased = session.execute(
            select(func.min(_c.lease_expires_at)).where(_c.state == RUNNING, _c.kind.in_(list(kinds)))
        ).scalar()
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


def _attempts_of(attempts: Collection[ClaimedJob]) -> Any:
    """The rows of these attempts: the job, still held by the same worker, at the same attempt."""
    workers = {job.worker for job in attempts}
    pairs = [(job.id, job.attempts) for job in attempts]
    return and_(_c.worker.in_(workers), tuple_(_c.id, _c.attempts).in_(pairs))


def _finish(db: Database, job: ClaimedJob, values: dict[str, Any]) -> bool:
    with db.begin() as conn:
        result = conn.execute(
            update(_jobs)
            .where(_attempts_of([job]), _c.state == RUNNING)
            .values(lease_expires_at=None, updated_at=utcnow(), **values)
        )
    return result.rowcount == 1
