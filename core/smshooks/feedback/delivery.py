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
import functools
import json
import logging
import time
import weakref
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, bindparam, insert, select, update
from sqlalchemy.orm import Session

from smshooks import observe
from smshooks.events import FeedbackEvent  # defined in the plugin contract; re-exported here
from smshooks.feedback.emit import DEAD, DELIVERED, DISABLED, PENDING
from smshooks.feedback.endpoint_health import disable_if_failing
from smshooks.feedback.sealed import WebhookSecrets, open_secrets
from smshooks.feedback.stored import DeliveryReader, StoredDelivery
from smshooks.feedback.transport import Answer, Target, body_of, post
from smshooks.metrics import FEEDBACK_WEBHOOKS_DISABLED, count_on_commit
from smshooks.outbox import jobs
from smshooks.outbox.retry import PermanentFailure, RetryPolicy, TryAgain
from smshooks.store.tables import DeliveryAttempt, FeedbackDelivery, FeedbackWebhook, Job, utcnow
from smshooks.targets import guarded_pool

if TYPE_CHECKING:
    from smshooks.contract.keepalive import KeepAlivePool
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


@dataclass(frozen=True)
class _ThreadTools:
    """What one worker thread keeps across its feedback jobs."""

    #: guarded keep-alive connection pools for the POSTs
    pools: KeepAlivePool
    #: what reads a delivery (one SELECT on a driver connection, no transaction)
    reader: DeliveryReader


_tools: weakref.WeakKeyDictionary[Any, _ThreadTools] = weakref.WeakKeyDictionary()


def _tools_for(worker: JobContext) -> _ThreadTools:
    tools = _tools.get(worker)
    if tools is None:
        gw = worker.gateway
        tools = _tools[worker] = _ThreadTools(
            pools=guarded_pool(allow_private=gw.settings.allow_private_targets),
            reader=DeliveryReader(gw.db.engine),
        )
    return tools


_deliveries = FeedbackDelivery.__table__
_attempts = DeliveryAttempt.__table__


@dataclass(frozen=True)
class Endpoint:
    """A feedback webhook as its deliveries need it, secrets opened (kept in the config cache)."""

    id: str
    url: str
    enabled: bool
    disabled_reason: str | None
    auth: dict[str, Any]
    secrets: WebhookSecrets
    previous_secret_expires_at: datetime | None

    def target(self, now: datetime) -> Target:
        """The target signing now: one of two kept with the endpoint (each works out its
        headers and URL once), with the previous secret during its grace period or without."""
        rotating = len(self.secrets.signing_secrets(self, now)) > 1  # type: ignore[arg-type]
        return self._targets[rotating]

    @functools.cached_property
    def _targets(self) -> tuple[Target, Target]:
        secrets = [self.secrets.signing_secret]
        return self._target(secrets), self._target([*secrets, self.secrets.previous_signing_secret or ""])

    def _target(self, signing_secrets: list[str]) -> Target:
        return Target(
            webhook_id=self.id,
            url=self.url,
            auth=self.auth,
            jwt_key=self.secrets.jwt_key,
            headers=self.secrets.headers,
            signing_secrets=signing_secrets,
        )


def endpoint(gw: Gateway, webhook_id: str) -> Endpoint | None:
    """The feedback webhook ``webhook_id``, None when deleted: from the config cache (at most a
    second old; a change this process commits clears it), so an attempt does not read the
    webhook and open its secrets again."""

    def load() -> Endpoint | None:
        with gw.db.session() as session:
            webhook = session.get(FeedbackWebhook, webhook_id)
            if webhook is None:
                return None
            return Endpoint(
                id=webhook.id,
                url=webhook.url,
                enabled=webhook.enabled,
                disabled_reason=webhook.disabled_reason,
                auth=dict(webhook.auth or {}),
                secrets=open_secrets(gw.secrets, webhook),
                previous_secret_expires_at=webhook.previous_secret_expires_at,
            )

    return gw.config.get(("feedback-endpoint", webhook_id), load)


@dataclass(frozen=True)
class Delivered:
    """A 2xx attempt, recorded with the others of its batch by :func:`record_delivered`."""

    delivery_id: str
    answer: Answer
    at: datetime


def deliver(worker: JobContext, job: jobs.ClaimedJob) -> Delivered | None:
    """Run one attempt of a feedback delivery (the worker's ``feedback`` handler); a success
    comes back as :class:`Delivered` for the worker to record (:func:`record_delivered`)."""
    gw = worker.gateway
    delivery_id = str(job.payload.get("delivery_id"))
    tools = _tools_for(worker)
    delivery = tools.reader.read(delivery_id)
    if delivery is None:
        raise PermanentFailure(f"feedback delivery {delivery_id} does not exist")
    if delivery.state == DELIVERED:
        return None  # an earlier attempt succeeded; only its job's completion was lost
    if delivery.state == DISABLED:  # stopped while this job waited (the endpoint answered 410)
        raise PermanentFailure(delivery.last_error or "the feedback webhook is disabled")
    webhook = endpoint(gw, delivery.feedback_webhook_id)
    if webhook is None or not webhook.enabled:
        reason = (
            "the feedback webhook was deleted"
            if webhook is None
            else f"the feedback webhook is disabled ({webhook.disabled_reason or 'turned off'})"
        )
        _finish(gw, delivery_id, DISABLED, reason)
        raise PermanentFailure(reason)
    target = webhook.target(utcnow())
    payload = _with_plugin_fields(gw, delivery, webhook.url, job.attempts)
    body = body_of(payload)
    event_id = delivery.id  # the webhook-id
    started = time.monotonic()
    answer = post(tools.pools, gw.settings.allow_private_targets, target, event_id, body)
    worker.http_seconds += time.monotonic() - started  # the worker sizes each lane's threads by it
    if answer.status_code is not None and 200 <= answer.status_code < 300:
        observe.feedback_attempt(DELIVERED, answer, delivery_id=event_id)  # the attempt's log line and metrics
        return Delivered(event_id, answer, utcnow())
    if answer.status_code == 410:
        reason = f"the endpoint answered 410 Gone on {utcnow().isoformat(timespec='seconds')} (delivery {event_id})"
        _record(gw, event_id, answer, DISABLED, disable=(target.webhook_id, reason))
        log.warning("feedback webhook %s disabled: %s", target.webhook_id, reason)
        raise PermanentFailure(reason)
    error = answer.error or f"HTTP {answer.status_code}"
    if retry_policy(gw.settings).is_last(job.attempts):
        _record(gw, event_id, answer, DEAD)
        raise PermanentFailure(f"gave up after {job.attempts} attempts: {error}")
    _record(gw, event_id, answer, PENDING)
    raise TryAgain(error, answer.retry_after)


def record_delivered(gw: Gateway, conn: Connection, delivered: list[Delivered]) -> None:
    """Log the 2xx attempts and mark their deliveries delivered: two statements for the lot,
    in the transaction that marks their jobs done (the worker's ``feedback`` record)."""
    conn.execute(
        insert(_attempts),
        [
            {
                "delivery_id": one.delivery_id,
                "at": one.at,
                "status_code": one.answer.status_code,
                "duration_ms": one.answer.duration_ms,
                "error": one.answer.error,
                "response_excerpt": one.answer.response_excerpt,
            }
            for one in delivered
        ],
    )
    conn.execute(
        update(_deliveries)
        .where(_deliveries.c.id == bindparam("b_id"))
        .values(
            state=DELIVERED,
            attempts=_deliveries.c.attempts + 1,
            last_status_code=bindparam("b_status"),
            last_error=None,
            delivered_at=bindparam("b_at"),
        ),
        [{"b_id": one.delivery_id, "b_status": one.answer.status_code, "b_at": one.at} for one in delivered],
    )


def _with_plugin_fields(gw: Gateway, delivery: StoredDelivery, url: str, attempt: int) -> dict[str, Any]:
    """The delivery's payload after the ``smshooks_feedback_payload`` hooks; a failing hook
    is logged and the payload goes out as built (a plugin bug must not stop feedback)."""
    payload: dict[str, Any] = delivery.payload
    hook = gw.plugins.hook.smshooks_feedback_payload
    if not hook.get_hookimpls():
        return payload  # nothing to add (the payload is this attempt's own copy)
    event = FeedbackEvent(
        id=delivery.id,
        org=delivery.org,
        sandbox=delivery.sandbox,
        event_type=delivery.event_type,
        message_id=delivery.message_id,
        url=url,
        attempt=attempt,
    )
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
    if disable is not None:
        gw.config.clear()  # the cached endpoint is stale now (whichever sessions the cache watches)


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
