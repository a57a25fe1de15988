"""Sending deliveries again: one by id, or every one in a time window.

A replay makes the delivery's job due now with a fresh retry schedule, aimed
at the scope's current feedback webhook (it may have been re-created since).
The payload and the ``webhook-id`` stay the same: it is the same event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.orm import Session

from smshooks.feedback.emit import JOB_KIND, JOB_MAX_ATTEMPTS, PENDING
from smshooks.outbox import jobs
from smshooks.store.tables import FeedbackDelivery, FeedbackWebhook, Job, utcnow

MAX_BULK_REPLAY = 10_000
_CHUNK = 500


class InProgress(Exception):
    """An attempt of this delivery is running now."""


@dataclass(frozen=True)
class BulkReplay:
    replayed: int
    in_progress: int
    limit_reached: bool


def replay_one(session: Session, delivery: FeedbackDelivery, webhook: FeedbackWebhook) -> None:
    now = utcnow()
    job = session.get(Job, delivery.job_id) if delivery.job_id is not None else None
    if job is not None and _running(job, now):
        raise InProgress(delivery.id)
    if job is None:
        job = jobs.enqueue(
            session,
            JOB_KIND,
            {"delivery_id": delivery.id},
            org=delivery.org,
            sandbox=delivery.sandbox,
            max_attempts=JOB_MAX_ATTEMPTS,
        )
        delivery.job_id = job.id
    elif not _make_due(session, [job.id], now):
        raise InProgress(delivery.id)  # a worker claimed it a moment ago
    delivery.state = PENDING
    delivery.feedback_webhook_id = webhook.id
    jobs.wakeup.set()


def replay_window(
    session: Session,
    webhook: FeedbackWebhook,
    *,
    since: datetime,
    until: datetime | None = None,
    state: str | None = None,
) -> BulkReplay:
    """Replay the deliveries of ``webhook``'s scope created in [since, until), optionally in one ``state``."""
    conditions: list[ColumnElement[bool]] = [FeedbackDelivery.created_at >= since]
    if until is not None:
        conditions.append(FeedbackDelivery.created_at < until)
    if state is not None:
        conditions.append(FeedbackDelivery.state == state)
    return replay_where(session, webhook, conditions)


def replay_where(session: Session, webhook: FeedbackWebhook, conditions: list[ColumnElement[bool]]) -> BulkReplay:
    """Replay the deliveries of ``webhook``'s scope that meet every one of ``conditions``, oldest
    first, at most :data:`MAX_BULK_REPLAY`; those with an attempt running are counted, not replayed."""
    now = utcnow()
    query = select(FeedbackDelivery.id, FeedbackDelivery.job_id).where(
        FeedbackDelivery.org == webhook.org, FeedbackDelivery.sandbox == webhook.sandbox, *conditions
    )
    running = select(Job.id).where(Job.state == jobs.RUNNING, Job.lease_expires_at > now)
    busy_filter = or_(FeedbackDelivery.job_id.is_(None), FeedbackDelivery.job_id.not_in(running))
    rows = session.execute(
        query.where(busy_filter).order_by(FeedbackDelivery.created_at).limit(MAX_BULK_REPLAY + 1)
    ).all()
    in_progress = len(session.execute(query.where(and_(FeedbackDelivery.job_id.in_(running)))).all())
    limit_reached = len(rows) > MAX_BULK_REPLAY
    rows = rows[:MAX_BULK_REPLAY]
    for start in range(0, len(rows), _CHUNK):
        chunk = rows[start : start + _CHUNK]
        job_ids = [job_id for _, job_id in chunk if job_id is not None]
        _make_due(session, job_ids, now)
        session.execute(
            update(FeedbackDelivery)
            .where(FeedbackDelivery.id.in_([delivery_id for delivery_id, _ in chunk]))
            .values(state=PENDING, feedback_webhook_id=webhook.id)
        )
        for delivery_id, job_id in chunk:
            if job_id is None:
                replay_one(session, session.get(FeedbackDelivery, delivery_id), webhook)
    if rows:
        jobs.wakeup.set()
    return BulkReplay(replayed=len(rows), in_progress=in_progress, limit_reached=limit_reached)


def _running(job: Job, now: datetime) -> bool:
    return job.state == jobs.RUNNING and job.lease_expires_at is not None and job.lease_expires_at > now


def _make_due(session: Session, job_ids: list[int], now: datetime) -> int:
    """Make the jobs due now with a fresh schedule, except one a worker holds; how many were."""
    if not job_ids:
        return 0
    result = session.execute(
        update(Job)
        .where(Job.id.in_(job_ids), or_(Job.state != jobs.RUNNING, Job.lease_expires_at <= now))
        .values(
            state=jobs.PENDING,
            due_at=now,
            attempts=0,
            last_error=None,
            lease_expires_at=None,
            updated_at=now,
            **jobs.replayed_by(),  # its attempts log the replaying request's id
        )
    )
    return result.rowcount
