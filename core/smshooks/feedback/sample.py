"""A signed sample event sent to a scope's feedback webhook now, to check the receiver end to end.

The sample is a ``message.feedback`` payload of a made-up transactional
message (recipient +15555550100, a fictional number; campaign ``smshooks-test``)
reaching ``delivered``, signed and authenticated exactly as real deliveries
are, with a fresh ``webhook-id``. It is not stored, retried or listed among
the deliveries, and it is sent whether or not the webhook is enabled (to
check it before enabling it again).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from smshooks.events import Status
from smshooks.feedback.emit import new_delivery_id
from smshooks.feedback.payload import feedback_payload
from smshooks.feedback.sealed import open_secrets
from smshooks.feedback.settings import current_webhook
from smshooks.feedback.transport import Answer, Target, body_of, post
from smshooks.gateway import Gateway
from smshooks.scope import Scope
from smshooks.store.tables import OutboundMessageRow, utcnow
from smshooks.targets import guarded_pool

log = logging.getLogger(__name__)

SAMPLE_RECIPIENT = "+15555550100"
SAMPLE_CAMPAIGN = "smshooks-test"


@dataclass(frozen=True)
class SampleResult:
    """The sample sent and the receiver's answer to it."""

    #: the ``webhook-id`` the sample carried
    id: str
    url: str
    #: the receiver answered 2xx
    delivered: bool
    #: None when nothing answered (refused target, timeout, connection error)
    status_code: int | None
    duration_ms: int
    error: str | None
    response_excerpt: str | None
    payload: dict[str, Any]


def sample_payload(scope: Scope) -> dict[str, Any]:
    """The ``message.feedback`` body of the sample: a made-up message of ``scope``, delivered now."""
    now = utcnow()
    message = OutboundMessageRow(
        id="msg_" + "0" * 24,
        org=scope.org,
        sandbox=scope.sandbox,
        vendor="smshooks-test",
        vendor_message_id="smshooks-test",
        recipient=SAMPLE_RECIPIENT,
        status=Status.DELIVERED.value,
        status_rank=Status.DELIVERED.rank,
        status_at=now,
        created_at=now,
        kind="transactional",
        request_id="00000000-0000-0000-0000-000000000000",
        campaign_id=SAMPLE_CAMPAIGN,
        message_type="transactional",
        retry_count=0,
        encoding="GSM",
        segments=1,
    )
    return feedback_payload(message, Status.DELIVERED, occurred_at=now)


def send_sample(gw: Gateway, scope: Scope) -> SampleResult:
    """POST a signed sample event to the feedback webhook of ``scope`` now and wait for the answer
    (at most 20 s). :class:`NotFound` without a webhook; a receiver's failure is in the result."""
    with gw.db.session() as session:
        webhook = current_webhook(session, scope)
        target = Target.of(webhook, open_secrets(gw.secrets, webhook), utcnow())
    payload = sample_payload(scope)
    event_id = new_delivery_id()
    body = body_of(payload)
    allow_private = gw.settings.allow_private_targets
    pool = guarded_pool(allow_private=allow_private, pool_size=1)
    try:
        answer: Answer = post(pool, allow_private, target, event_id, body)
    finally:
        pool.close()  # one request: its connection is not kept
    log.info(
        "feedback webhook %s: sample event %s answered %s in %d ms",
        target.webhook_id,
        event_id,
        answer.status_code if answer.status_code is not None else answer.error,
        answer.duration_ms,
    )
    return SampleResult(
        id=event_id,
        url=target.url,
        delivered=answer.delivered,
        status_code=answer.status_code,
        duration_ms=answer.duration_ms,
        error=answer.error,
        response_excerpt=answer.response_excerpt,
        payload=payload,
    )
