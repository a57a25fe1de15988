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
    #: seconds a success may wait to be recorded with others (one transaction for many);
    #: None: the worker's :data:`~smshooks.outbox.worker.RECORD_WITHIN`
    record_within: float | None = None


def _send_sms(context: JobContext, job: ClaimedJob) -> Any:
    # the payload enqueue_send writes
    return send_job.send_message(
        context.gateway,
        context.http,
        job.payload["message_id"],
        exempt=bool(job.payload.get("exempt")),
        exempt_while_awaiting=bool(job.payload.get("exempt_while_awaiting")),
        callback_base_url=job.payload.get("callback_base_url"),
    )


#: how soon a send's vendor id is recorded. A vendor's first status callback comes when the
#: carrier took the message (hundreds of ms or more after its API answered); one that came before
#: the id is recorded finds no message of ours and makes one of its own (folded into ours when the
#: id is recorded, but its feedback would already have left without the send's requestId). 15 ms
#: stays far inside that, and lets the sends that finish meanwhile share one transaction: recorded
#: at once, each send was a transaction of its own (0.33 commits per job at 50 ms, 0.15-0.18 now;
#: PostgreSQL CPU per job 1.04-1.39 -> 0.76-1.03 ms, profile_outbox.py --kind sms --latency 50).
SEND_RECORD_WITHIN = 0.015

KINDS: dict[str, JobKind] = {
    SEND_SMS: JobKind(
        SEND_SMS,
        _send_sms,
        send_job.retry_policy,
        send_job.gave_up,
        record=send_job.record_sent,
        record_within=SEND_RECORD_WITHIN,
    ),
    FEEDBACK: JobKind(FEEDBACK, delivery.deliver, delivery.retry_policy, delivery.gave_up, delivery.record_delivered),
}


def policies(settings: Settings) -> dict[str, RetryPolicy]:
    """Every kind's retry policy under ``settings``."""
    return {name: kind.policy(settings) for name, kind in KINDS.items()}
