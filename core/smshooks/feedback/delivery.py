"""The ``feedback`` job: one POST of a stored payload to the feedback webhook.

Only 2xx is success. 410 Gone disables the webhook (the API shows why) and
stops the delivery. Anything else — no connection, a timeout, a redirect,
4xx, 5xx — is retried on the feedback schedule (:func:`retry_policy`: the
next delay of ``feedback_retry_delays``, ±20 % jitter, a ``Retry-After``
honoured within the schedule's shortest and longest delay), and the delivery
is dead after the last one. Every attempt is
recorded with its status code, duration and error. The ``webhook-id`` is
the delivery's id, the same on every attempt and replay, so a receiver can
drop duplicates (delivery is at least once).
"""

from __future__ import annotations

import copy
import json
import logging
import weakref
from datetime import datetime
from typing import TYPE_CHECKING, Any

import requests
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from smshooks import observe
from smshooks.events import FeedbackEvent  # defined in the plugin contract; re-exported here
from smshooks.feedback.emit import DEAD, DELIVERED, DISABLED, PENDING
from smshooks.feedback.endpoint_health import disable_if_failing
from smshooks.feedback.sealed import open_secrets
from smshooks.feedback.transport import Answer, Target, post
from smshooks.metrics import FEEDBACK_WEBHOOKS_DISABLED, count_on_commit
from smshooks.outbox import jobs
from smshooks.outbox.retry import PermanentFailure, RetryPolicy, TryAgain
from smshooks.store.tables import DeliveryAttempt, FeedbackDelivery, FeedbackWebhook, Job, utcnow
from smshooks.targets import http_session

if TYPE_CHECKING:
    from smshooks.gateway import Gateway
    from smshooks.outbox.context import JobContext
    from smshooks.settings import Settings

log = logging.getLogger(__name__)


def retry_policy(settings: Settings) -> RetryPolicy:
    """The feedback schedule (DESIGN.md): the first attempt at once, then one retry after
    each of ``feedback_retry_delays`` (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h by
    default), ±20 % jitter; dead after the last."""
    delays = settings.feedback_retry_delays
    return RetryPolicy(delays, max_attempts=len(delays) + 1)


def gave_up(gw: Gateway, job: jobs.ClaimedJob, error: str) -> None:
    """The worker gave the job up (its last attempt crashed): the delivery, still pending, is dead too."""
    with gw.db.transaction() as session:
        session.execute(
            update(FeedbackDelivery)
            .where(FeedbackDelivery.id == str(job.payload.get("delivery_id")), FeedbackDelivery.state == PENDING)
            .values(state=DEAD, last_error=error)
        )


_sessions: weakref.WeakKeyDictionary[Any, requests.Session] = weakref.WeakKeyDictionary()


def http_for(worker: JobContext) -> requests.Session:
    """The worker thread's pooled session for feedback POSTs (keep-alive across jobs)."""
    session = _sessions.get(worker)
    if session is None:
        session = _sessions[worker] = worker.timed(
            http_session(allow_private=worker.gateway.settings.allow_private_targets)
        )
    return session


def deliver(worker: JobContext, job: jobs.ClaimedJob) -> None:
    """Run one attempt of a feedback delivery (the worker's ``feedback`` handler)."""
    gw = worker.gateway
    delivery_id = str(job.payload.get("delivery_id"))
    now = utcnow()
    with gw.db.session() as session:
        delivery = session.get(FeedbackDelivery, delivery_id)
        if delivery is None:
            raise PermanentFailure(f"feedback delivery {delivery_id} does not exist")
        if delivery.state == DELIVERED:
            return  # an earlier attempt succeeded; only its job's completion was lost
        webhook = session.get(FeedbackWebhook, delivery.feedback_webhook_id)
        if webhook is None or not webhook.enabled:
            reason = (
                "the feedback webhook was deleted"
                if webhook is None
                else f"the feedback webhook is disabled ({webhook.disabled_reason or 'turned off'})"
            )
            _finish(gw, delivery_id, DISABLED, reason)
            raise PermanentFailure(reason)
        secrets = open_secrets(gw.secrets, webhook)
        target = Target.of(webhook, secrets, now)
        event = FeedbackEvent(
            id=delivery.id,
            org=delivery.org,
            sandbox=delivery.sandbox,
            event_type=delivery.event_type,
            message_id=delivery.message_id,
            url=webhook.url,
            attempt=job.attempts,
        )
        payload = copy.deepcopy(delivery.payload)

    payload = _with_plugin_fields(gw, payload, event)
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    answer = post(http_for(worker), gw.settings.allow_private_targets, target, event.id, body)

    last = retry_policy(gw.settings).is_last(job.attempts)
    if answer.status_code is not None and 200 <= answer.status_code < 300:
        _record(gw, event.id, answer, DELIVERED)
        return
    if answer.status_code == 410:
        reason = f"the endpoint answered 410 Gone on {utcnow().isoformat(timespec='seconds')} (delivery {event.id})"
        _record(gw, event.id, answer, DISABLED, disable=(target.webhook_id, reason))
        log.warning("feedback webhook %s disabled: %s", target.webhook_id, reason)
        raise PermanentFailure(reason)
    error = answer.error or f"HTTP {answer.status_code}"
    if last:
        _record(gw, event.id, answer, DEAD)
        raise PermanentFailure(f"gave up after {job.attempts} attempts: {error}")
    _record(gw, event.id, answer, PENDING)
    raise TryAgain(error, answer.retry_after)


def _with_plugin_fields(gw: Gateway, payload: dict[str, Any], event: FeedbackEvent) -> dict[str, Any]:
    """The payload after the ``smshooks_feedback_payload`` hooks; a failing hook
    is logged and the payload goes out as built (a plugin bug must not stop feedback)."""
    candidate = copy.deepcopy(payload)
    try:
        gw.plugins.hook.smshooks_feedback_payload(payload=candidate, delivery=event)
        json.dumps(candidate)
    except Exception:
        log.exception("a smshooks_feedback_payload hook failed; sending delivery %s without its fields", event.id)
        return payload
    return candidate


def _record(
    gw: Gateway, delivery_id: str, answer: Answer, state: str, *, disable: tuple[str, str] | None = None
) -> None:
    """Log the attempt and move the delivery to ``state`` in one transaction."""
    observe.feedback_attempt(state, answer, delivery_id=delivery_id)  # the attempt's log line and metrics
    now = utcnow()
    with gw.db.transaction() as session:
        session.add(
            DeliveryAttempt(
                delivery_id=delivery_id,
                at=now,
                status_code=answer.status_code,
                duration_ms=answer.duration_ms,
                error=answer.error,
                response_excerpt=answer.response_excerpt,
            )
        )
        values: dict[str, Any] = {
            "state": state,
            "attempts": FeedbackDelivery.attempts + 1,
            "last_status_code": answer.status_code,
            "last_error": answer.error,
        }
        if state == DELIVERED:
            values["delivered_at"] = now
        session.execute(update(FeedbackDelivery).where(FeedbackDelivery.id == delivery_id).values(**values))
        if state in (PENDING, DEAD):  # a failed attempt: has the endpoint failed for too long?
            disable_if_failing(session, delivery_id, gw.settings.feedback_disable_after, now)
        if disable is not None:
            webhook_id, reason = disable
            session.execute(
                update(FeedbackWebhook)
                .where(FeedbackWebhook.id == webhook_id)
                .values(enabled=False, disabled_reason=reason, updated_at=now)
            )
            _stop_waiting(session, webhook_id, reason, now)
            count_on_commit(session, FEEDBACK_WEBHOOKS_DISABLED, reason="gone")


def _stop_waiting(session: Session, webhook_id: str, reason: str, now: datetime) -> None:
    """The other deliveries waiting for a gone endpoint stop too (replayable once it is enabled again)."""
    waiting = select(FeedbackDelivery.job_id).where(
        FeedbackDelivery.feedback_webhook_id == webhook_id, FeedbackDelivery.state == PENDING
    )
    session.execute(
        update(Job)
        .where(Job.id.in_(waiting), Job.state == jobs.PENDING)
        .values(state=jobs.DEAD, last_error=reason, updated_at=now)
    )
    session.execute(
        update(FeedbackDelivery)
        .where(FeedbackDelivery.feedback_webhook_id == webhook_id, FeedbackDelivery.state == PENDING)
        .values(state=DISABLED, last_error=reason)
    )


def _finish(gw: Gateway, delivery_id: str, state: str, error: str) -> None:
    with gw.db.transaction() as session:
        session.execute(
            update(FeedbackDelivery).where(FeedbackDelivery.id == delivery_id).values(state=state, last_error=error)
        )
