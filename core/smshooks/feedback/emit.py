"""Turning delivery outcomes into feedback deliveries, inside the caller's transaction.

Each function writes a :class:`FeedbackDelivery` (the payload, built now)
and its ``feedback`` job in the session that records the outcome itself, so
the event and its delivery commit together or not at all (the outbox).
Nothing is written when the organisation + sandbox has no enabled feedback
webhook for SMS. A message reports each status once: the unique
``(message_id, event_key)`` constraint absorbs repeated and concurrent reports.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from smshooks.events import DeliveryReport, InboundMessage, Status
from smshooks.feedback.payload import (
    FEEDBACK,
    FEEDBACK_STATUSES,
    INBOUND,
    failure_from_report,
    feedback_payload,
    inbound_payload,
)
from smshooks.inbound.event_store import Stored
from smshooks.outbox import jobs
from smshooks.store.tables import (
    DeliveryReportRow,
    FeedbackDelivery,
    FeedbackWebhook,
    OutboundMessageRow,
    utcnow,
)
from smshooks.store.upsert import insert_once

#: the outbox job kind the worker delivers with smshooks.feedback.delivery.deliver
JOB_KIND = "feedback"
#: the job's own attempt limit stays out of the way: the retry schedule in the
#: settings (at most 50 retries) decides when a delivery is dead
JOB_MAX_ATTEMPTS = 100
PENDING, DELIVERED, DEAD, DISABLED = "pending", "delivered", "dead", "disabled"
STATES = (PENDING, DELIVERED, DEAD, DISABLED)


def new_delivery_id() -> str:
    return "evt_" + secrets.token_hex(12)


def active_webhook(session: Session, org: str, sandbox: str, channel: str = "sms") -> FeedbackWebhook | None:
    """The enabled feedback webhook of (org, sandbox) for ``channel``, if any."""
    webhook = session.execute(
        select(FeedbackWebhook).where(FeedbackWebhook.org == org, FeedbackWebhook.sandbox == sandbox)
    ).scalar()
    if webhook is None or not webhook.enabled or channel not in (webhook.channels or []):
        return None
    return webhook


#: (session, org, sandbox) -> the enabled feedback webhook, as :func:`active_webhook`
FindEndpoint = Callable[[Session, str, str], FeedbackWebhook | None]


def emit_for_report(session: Session, outcome: Stored, find_endpoint: FindEndpoint | None = None) -> None:
    """Feedback for one stored delivery report, when it moved its message to a reportable status.

    A vendor's retry (duplicate), a status the message already passed (a late
    ``sent`` after ``delivered``) and queued/unknown produce nothing.
    ``find_endpoint`` (default :func:`active_webhook`) finds the feedback webhook: the vendor
    path passes a cached one (the delivery job checks the webhook is still enabled when it runs).
    """
    report = outcome.event
    if outcome.duplicate or not isinstance(report, DeliveryReport):
        return
    if report.status not in FEEDBACK_STATUSES or outcome.message_status != report.status:
        return
    webhook = (find_endpoint or active_webhook)(session, report.org or "", report.sandbox or "")
    if webhook is None:
        return
    row = session.get(DeliveryReportRow, outcome.row_id)
    message = session.get(OutboundMessageRow, row.message_id) if row is not None and row.message_id else None
    if message is None:
        return
    failure = failure_from_report(row) if report.status in (Status.BOUNCE, Status.ERROR) else None
    payload = feedback_payload(message, report.status, occurred_at=row.occurred_at, failure=failure)
    _enqueue(session, webhook, FEEDBACK, message.id, report.status.value, payload)


def emit_message_status(
    session: Session, message: OutboundMessageRow, status: Status, *, failure: Mapping[str, Any] | None = None
) -> None:
    """Feedback for a status smshooks decided itself: a send excluded (the
    recipient opted out: messageExclusion from ``message.exclusion``) or
    refused for good by the vendor (messageFailure from ``failure``:
    category, type, code, reason). Call it in the transaction that set the status."""
    status = Status(status)
    if status not in FEEDBACK_STATUSES:
        return
    webhook = active_webhook(session, message.org, message.sandbox)
    if webhook is None:
        return
    payload = feedback_payload(message, status, occurred_at=message.status_at or utcnow(), failure=failure)
    _enqueue(session, webhook, FEEDBACK, message.id, status.value, payload)


def relay_inbound(
    session: Session,
    message: InboundMessage,
    row_id: int,
    classification: Any,
    find_endpoint: FindEndpoint | None = None,
    action: str | None = None,
) -> None:
    """Relay a newly stored inbound SMS (``message.inbound``) when the feedback webhook asks for it.

    ``classification`` is the keyword pipeline's
    :class:`~smshooks.keywords.Classification` and ``action`` the action it led to,
    both None where the pipeline did not run.
    """
    webhook = (find_endpoint or active_webhook)(session, message.org or "", message.sandbox or "")
    if webhook is None or not webhook.relay_inbound:
        return
    keyword = None
    if classification is not None:
        keyword = {
            "category": classification.category.value,
            "match": classification.match.value,
            "keyword": classification.keyword,
            "rule": classification.rule,
            "action": action,
        }
    payload = inbound_payload(message, keyword=keyword, org=message.org or "", sandbox=message.sandbox or "")
    _enqueue(session, webhook, INBOUND, None, f"inbound:{row_id}", payload)


def _enqueue(
    session: Session,
    webhook: FeedbackWebhook,
    event_type: str,
    message_id: str | None,
    event_key: str,
    payload: dict[str, Any],
) -> None:
    delivery_id = new_delivery_id()
    inserted = insert_once(
        session,
        FeedbackDelivery,
        {
            "id": delivery_id,
            "org": webhook.org,
            "sandbox": webhook.sandbox,
            "feedback_webhook_id": webhook.id,
            "event_type": event_type,
            "message_id": message_id,
            "event_key": event_key,
            "payload": payload,
            "state": PENDING,
            "attempts": 0,
            "created_at": utcnow(),
        },
        key=["message_id", "event_key"],
    )
    if inserted is None:
        return  # this message already reported this status
    job = jobs.enqueue(
        session,
        JOB_KIND,
        {"delivery_id": delivery_id},
        org=webhook.org,
        sandbox=webhook.sandbox,
        max_attempts=JOB_MAX_ATTEMPTS,
    )
    session.execute(update(FeedbackDelivery).where(FeedbackDelivery.id == delivery_id).values(job_id=job.id))
