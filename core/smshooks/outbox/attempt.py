"""One attempt at a job: its kind's handler run, and a failure recorded (a retry on the kind's
schedule, or dead); a success is left to the worker, which records successes in batches."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from smshooks import logs
from smshooks.outbox import jobs
from smshooks.outbox.context import JobContext
from smshooks.outbox.kinds import KINDS
from smshooks.outbox.retry import PermanentFailure, RetryPolicy, TryAgain

if TYPE_CHECKING:
    from smshooks.gateway import Gateway

log = logging.getLogger(__name__)


def run(
    gateway: Gateway, policies: Mapping[str, RetryPolicy], context: JobContext, job: jobs.ClaimedJob
) -> tuple[bool, Any]:
    """Run the job's handler and record a failure; (True, what the handler returned for its
    kind's record) when it succeeded (not yet recorded nor marked done).

    Every line logged meanwhile carries the job's request id, and so does every job it
    enqueues (a send's error feedback); reset after, as the thread goes on to other jobs."""
    token = logs.set_request_id(job.request_id)
    try:
        return _run_handler(gateway, policies, context, job)
    finally:
        logs.reset_request_id(token)


def _run_handler(
    gateway: Gateway, policies: Mapping[str, RetryPolicy], context: JobContext, job: jobs.ClaimedJob
) -> tuple[bool, Any]:
    try:
        return True, KINDS[job.kind].run(context, job)
    except TryAgain as exc:
        _retry(gateway, policies[job.kind], job, str(exc), exc.retry_after)
    except PermanentFailure as exc:
        log.warning("job %s (%s) failed for good: %s", job.id, job.kind, exc)
        try:
            jobs.kill(gateway.db, job, str(exc))
        except Exception:  # not recorded: the lease runs out, the job runs again and fails again
            log.exception("job %s (%s): could not record its failure", job.id, job.kind)
    except Exception as exc:  # a bug or an outage: retry on the kind's schedule, never lose the job
        log.exception("job %s (%s) crashed", job.id, job.kind)
        _retry(gateway, policies[job.kind], job, f"{type(exc).__name__}: {exc}", None)
    return False, None


def _retry(gateway: Gateway, policy: RetryPolicy, job: jobs.ClaimedJob, error: str, retry_after: float | None) -> None:
    try:
        state = jobs.retry_later(gateway.db, job, error, policy, retry_after=retry_after)
        log.warning("job %s (%s) attempt %s failed: %s; now %s", job.id, job.kind, job.attempts, error, state)
        gave_up = KINDS[job.kind].gave_up
        if state == jobs.DEAD and gave_up is not None:
            gave_up(gateway, job, error)
    except Exception:
        # Nothing recorded: the lease runs out and the job is claimed again.
        log.exception("job %s (%s): could not schedule its retry", job.id, job.kind)
