"""The job kinds a worker runs: each one's handler and its declared retry policy.

A kind is declared where its work is (the handler and the policy beside it);
this table only names them for the worker.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from smshooks.feedback import JOB_KIND as FEEDBACK
from smshooks.feedback import delivery
from smshooks.messages import send_job
from smshooks.messages.send_job import SEND_SMS
from smshooks.outbox.context import JobContext
from smshooks.outbox.jobs import ClaimedJob
from smshooks.outbox.retry import RetryPolicy

if TYPE_CHECKING:
    from smshooks.gateway import Gateway
    from smshooks.settings import Settings


@dataclass(frozen=True)
class JobKind:
    name: str
    #: runs one attempt: returns when done (what it returns goes to ``record``), raises
    #: TryAgain or PermanentFailure
    run: Callable[[JobContext, ClaimedJob], Any]
    #: the kind's retry schedule, from the server settings
    policy: Callable[[Settings], RetryPolicy]
    #: called when the worker gives the job up (its last attempt failed, or crashed),
    #: so the kind's own records say so too
    gave_up: Callable[[Gateway, ClaimedJob, str], None] | None = None
    #: writes what successful attempts returned (not None), many at once, in the transaction
    #: that marks their jobs done: a success costs no transaction of its own
    record: Callable[[Gateway, Connection, list[Any]], None] | None = None
    #: record a success at once (with the others waiting then) rather than up to RECORD_WITHIN later
    record_at_once: bool = False


def _send_sms(context: JobContext, job: ClaimedJob) -> Any:
    # the payload enqueue_send writes
    return send_job.send_message(
        context.gateway,
        context.http,
        job.payload["message_id"],
        exempt=bool(job.payload.get("exempt")),
        callback_base_url=job.payload.get("callback_base_url"),
    )


KINDS: dict[str, JobKind] = {
    # A vendor may call back about a message within milliseconds of accepting it: its id is
    # recorded at once, or the callback finds no message of ours and makes one of its own (folded
    # in later, but the feedback for it would already have left without the send's requestId).
    SEND_SMS: JobKind(SEND_SMS, _send_sms, send_job.retry_policy, record=send_job.record_sent, record_at_once=True),
    FEEDBACK: JobKind(FEEDBACK, delivery.deliver, delivery.retry_policy, delivery.gave_up, delivery.record_delivered),
}


def policies(settings: Settings) -> dict[str, RetryPolicy]:
    """Every kind's retry policy under ``settings``."""
    return {name: kind.policy(settings) for name, kind in KINDS.items()}
