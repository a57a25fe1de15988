"""The delivery log of a scope's feedback webhook: every payload, its state and attempts; replays.

Each delivery is one event for the customer's feedback webhook (a message's
status, or a relayed inbound SMS), with every POST made for it. A replay
sends a delivery again now, with a fresh retry schedule, to the scope's
current feedback webhook (same payload, same ``webhook-id``).

Functions take the :class:`~smshooks.gateway.Gateway` and the caller's
:class:`~smshooks.scope.Scope` and raise :mod:`smshooks.errors`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from smshooks.errors import INVALID_FIELDS, Conflict, Invalid
from smshooks.feedback.emit import STATES
from smshooks.feedback.payload import FEEDBACK, INBOUND
from smshooks.feedback.replay import BulkReplay, InProgress, replay_one, replay_window
from smshooks.feedback.settings import find_webhook
from smshooks.gateway import Gateway
from smshooks.scope import Scope
from smshooks.store.pages import DEFAULT_LIMIT, Page
from smshooks.store.scoped import get_scoped, in_scope
from smshooks.store.tables import DeliveryAttempt, FeedbackDelivery, FeedbackWebhook, Job

#: the event types a delivery carries: a message's status, a relayed inbound SMS
EVENT_TYPES = (FEEDBACK, INBOUND)


@dataclass(frozen=True)
class DeliveryView:
    """A delivery as the API and the console show it."""

    #: also the ``webhook-id`` header: the same on every attempt and replay
    id: str
    event_type: str
    message_id: str | None
    #: the status reported (message.feedback), None for an inbound relay
    feedback_status: str | None
    #: pending, delivered, dead, or disabled
    state: str
    attempt_count: int
    last_status_code: int | None
    last_error: str | None
    #: when the next attempt is due (pending deliveries only)
    next_attempt_at: datetime | None
    created_at: datetime
    delivered_at: datetime | None
    feedback_webhook_id: str
    payload: dict[str, Any]
    #: every attempt, oldest first (``at``, ``status_code``, ``duration_ms``, ``error``, ``response_excerpt``)
    attempts: list[DeliveryAttempt]


def list_deliveries(
    gw: Gateway,
    scope: Scope,
    *,
    state: str | None = None,
    event_type: str | None = None,
    message_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = DEFAULT_LIMIT,
    cursor: int | None = None,
) -> Page[DeliveryView]:
    """Deliveries of ``scope``, newest first, each with every attempt.

    Filters: ``state``, ``event_type``, ``message_id``, created in [``since``, ``until``).
    ``cursor`` is the ``next_cursor`` of the page before.
    """
    query = _with_job().where(*in_scope(FeedbackDelivery, scope))
    for column, value in (("state", state), ("event_type", event_type), ("message_id", message_id)):
        if value:
            query = query.where(getattr(FeedbackDelivery, column) == value)
    if since:
        query = query.where(FeedbackDelivery.created_at >= since)
    if until:
        query = query.where(FeedbackDelivery.created_at < until)
    # Deliveries are ordered by their outbox job, created with them: an integer cursor.
    if cursor is not None:
        query = query.where(FeedbackDelivery.job_id < cursor)
    with gw.db.session() as session:
        rows = [tuple(row) for row in session.execute(query.order_by(FeedbackDelivery.job_id.desc()).limit(limit + 1))]
        more = len(rows) > limit
        rows = rows[:limit]
        return Page(_views(session, rows), rows[-1][0].job_id if more and rows else None)


def get_delivery(gw: Gateway, scope: Scope, delivery_id: str) -> DeliveryView:
    """One delivery of ``scope`` with its payload, state and every attempt; :class:`NotFound` otherwise."""
    with gw.db.session() as session:
        delivery = get_scoped(session, FeedbackDelivery, delivery_id, scope, "delivery")
        return _view_of(session, delivery.id)


def replay_target(session: Session, scope: Scope) -> FeedbackWebhook:
    """The feedback webhook replays of ``scope`` go to; :class:`Conflict` when there is none or it is disabled."""
    webhook = find_webhook(session, scope)
    if webhook is None:
        raise Conflict(f"no feedback webhook in sandbox {scope.sandbox!r} to replay to")
    if not webhook.enabled:
        raise Conflict(
            "the feedback webhook is disabled: enable it first (PATCH /feedback-webhook enabled=true)",
            details={"disabled_reason": webhook.disabled_reason},
        )
    return webhook


def replay_delivery(gw: Gateway, scope: Scope, delivery_id: str) -> DeliveryView:
    """Send one delivery again now with a fresh retry schedule; the delivery as it is then.

    :class:`NotFound` for no such delivery in ``scope``; :class:`Conflict` without an enabled
    feedback webhook, or while an attempt of it is running.
    """
    with gw.db.transaction() as session:
        delivery = get_scoped(session, FeedbackDelivery, delivery_id, scope, "delivery")
        try:
            replay_one(session, delivery, replay_target(session, scope))
        except InProgress:
            raise Conflict("an attempt of this delivery is running; try again in a moment") from None
        session.flush()
        return _view_of(session, delivery.id)


def replay_deliveries(
    gw: Gateway, scope: Scope, *, since: datetime, until: datetime | None = None, state: str | None = None
) -> BulkReplay:
    """Send again every delivery of ``scope`` created in [``since``, ``until``), only those in
    ``state`` when given; at most 10 000 (``limit_reached`` says to narrow the window).

    Deliveries with an attempt running are counted in ``in_progress``, not replayed.
    :class:`Invalid` when ``until`` is not after ``since`` or ``state`` is unknown;
    :class:`Conflict` without an enabled feedback webhook.
    """
    problems: dict[str, list[str]] = {}
    if until is not None and until <= since:
        problems["until"] = ["must be after since"]
    if state is not None and state not in STATES:
        problems["status"] = [f"Must be one of: {', '.join(STATES)}."]
    if problems:
        raise Invalid(INVALID_FIELDS, details=problems)
    with gw.db.transaction() as session:
        return replay_window(session, replay_target(session, scope), since=since, until=until, state=state)


def _with_job() -> Select:
    """Deliveries with the due time and state of their outbox job (for ``next_attempt_at``)."""
    return select(FeedbackDelivery, Job.due_at, Job.state).outerjoin(Job, Job.id == FeedbackDelivery.job_id)


def _view_of(session: Session, delivery_id: str) -> DeliveryView:
    row = session.execute(_with_job().where(FeedbackDelivery.id == delivery_id)).one()
    return _views(session, [tuple(row)])[0]


def _views(session: Session, rows: list[tuple[FeedbackDelivery, Any, Any]]) -> list[DeliveryView]:
    ids = [delivery.id for delivery, _, _ in rows]
    attempts: dict[str, list[DeliveryAttempt]] = {delivery_id: [] for delivery_id in ids}
    if ids:
        for attempt in session.execute(
            select(DeliveryAttempt).where(DeliveryAttempt.delivery_id.in_(ids)).order_by(DeliveryAttempt.id)
        ).scalars():
            attempts[attempt.delivery_id].append(attempt)
    views = []
    for delivery, due_at, job_state in rows:
        pending = delivery.state == "pending" and job_state == "pending"
        views.append(
            DeliveryView(
                id=delivery.id,
                event_type=delivery.event_type,
                message_id=delivery.message_id,
                feedback_status=delivery.event_key if delivery.event_type == FEEDBACK else None,
                state=delivery.state,
                attempt_count=delivery.attempts,
                last_status_code=delivery.last_status_code,
                last_error=delivery.last_error,
                next_attempt_at=due_at if pending else None,
                created_at=delivery.created_at,
                delivered_at=delivery.delivered_at,
                feedback_webhook_id=delivery.feedback_webhook_id,
                payload=delivery.payload,
                attempts=attempts[delivery.id],
            )
        )
    return views
