"""The outbox: jobs written in the caller's transaction, claimed and retried by workers.

A job is written in the same transaction as the state change that caused it
(a reply with the consent change, a feedback POST with the delivery report),
so nothing is lost when a process dies between answering and delivering.
Workers claim due jobs with a lease; on PostgreSQL ``FOR UPDATE SKIP LOCKED``
lets many workers share the table without delivering a job twice at once, and
a job whose worker died is claimed again when its lease runs out.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from smshooks.settings import Settings
from smshooks.store.db import Database
from smshooks.store.tables import Job, utcnow

#: seconds to wait before attempt 2, 3, …; the last entry repeats; ±20 % jitter
DEFAULT_RETRY_DELAYS: tuple[float, ...] = Settings.retry_delays
DEFAULT_MAX_ATTEMPTS = 8
DEFAULT_LEASE = timedelta(minutes=2)
JITTER = 0.2

PENDING, RUNNING, DONE, DEAD = "pending", "running", "done", "dead"

#: set when a job is enqueued in this process, so an in-process worker wakes at once
wakeup = threading.Event()


@dataclass(frozen=True)
class ClaimedJob:
    id: int
    kind: str
    org: str
    sandbox: str
    payload: dict[str, Any]
    attempts: int
    max_attempts: int


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
    )
    session.add(job)
    session.flush()
    wakeup.set()
    return job


def claim(db: Database, worker: str, kinds: Sequence[str], lease: timedelta = DEFAULT_LEASE) -> ClaimedJob | None:
    """Take the oldest due job of ``kinds`` (or one whose lease ran out) for ``worker``."""
    now = utcnow()
    with db.transaction() as session:
        due = or_(
            and_(Job.state == PENDING, Job.due_at <= now),
            and_(Job.state == RUNNING, Job.lease_expires_at < now),
        )
        query = select(Job).where(due, Job.kind.in_(list(kinds))).order_by(Job.due_at, Job.id).limit(1)
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        job = session.execute(query).scalar()
        if job is None:
            return None
        # read before the UPDATE below, which also refreshes ``job`` in the session
        attempts = job.attempts
        # On SQLite the write lock is taken here; the state check in the
        # UPDATE makes the claim fail if another process got there first.
        claimed = session.execute(
            update(Job)
            .where(Job.id == job.id, Job.attempts == attempts, Job.state == job.state)
            .values(
                state=RUNNING,
                attempts=Job.attempts + 1,
                lease_expires_at=now + lease,
                worker=worker,
                updated_at=now,
            )
        )
        if claimed.rowcount != 1:
            return None
        return ClaimedJob(
            id=job.id,
            kind=job.kind,
            org=job.org,
            sandbox=job.sandbox,
            payload=dict(job.payload),
            attempts=attempts + 1,
            max_attempts=job.max_attempts,
        )


def complete(db: Database, job_id: int) -> None:
    _finish(db, job_id, state=DONE, error=None)


def kill(db: Database, job_id: int, error: str) -> None:
    """The job cannot succeed: dead now, kept for inspection and replay."""
    _finish(db, job_id, state=DEAD, error=error)


def retry_later(
    db: Database,
    job: ClaimedJob,
    error: str,
    *,
    delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
    retry_after: float | None = None,
) -> str:
    """Schedule the next attempt, or kill the job after its last one; returns the new state."""
    if job.attempts >= job.max_attempts:
        kill(db, job.id, f"gave up after {job.attempts} attempts: {error}")
        return DEAD
    delay = next_delay(job.attempts, delays, retry_after)
    now = utcnow()
    with db.transaction() as session:
        session.execute(
            update(Job)
            .where(Job.id == job.id)
            .values(state=PENDING, due_at=now + timedelta(seconds=delay), last_error=error, updated_at=now)
        )
    return PENDING


def next_delay(attempts: int, delays: Sequence[float], retry_after: float | None = None) -> float:
    """Seconds before the next attempt after ``attempts`` tries: the schedule's
    entry with jitter, or the vendor's ``Retry-After`` when it is within bounds."""
    base = delays[min(attempts - 1, len(delays) - 1)] if delays else 0.0
    if retry_after is not None and 0 <= retry_after <= max(delays or (0,)) * 2:
        return retry_after
    return base * random.uniform(1 - JITTER, 1 + JITTER)


def replay(session: Session, job_id: int) -> bool:
    """Make a dead (or done) job due again; True when it was replayed."""
    now = utcnow()
    result = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.state.in_([DEAD, DONE]))
        .values(state=PENDING, due_at=now, attempts=0, updated_at=now)
    )
    if result.rowcount:
        wakeup.set()
    return bool(result.rowcount)


def _finish(db: Database, job_id: int, *, state: str, error: str | None) -> None:
    now = utcnow()
    with db.transaction() as session:
        values: dict[str, Any] = {"state": state, "lease_expires_at": None, "updated_at": now}
        if error is not None:
            values["last_error"] = error
        session.execute(update(Job).where(Job.id == job_id).values(**values))
