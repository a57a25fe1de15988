"""The outbox worker: claims due jobs and runs their handler, retrying with backoff.

``smshooks serve`` runs one in a thread (embedded mode); ``smshooks worker``
runs one alone, and any number of them may share a PostgreSQL database.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from smshooks.feedback import JOB_KIND as FEEDBACK_JOB
from smshooks.feedback.delivery import deliver as _deliver_feedback
from smshooks.messages.send_job import SEND_SMS, PermanentFailure, TryAgain, send_stored_message
from smshooks.outbox import jobs
from smshooks.targets import http_session
from smshooks.vendor import HttpSession

if TYPE_CHECKING:
    from smshooks.gateway import Gateway

log = logging.getLogger(__name__)

Handler = Callable[["Worker", jobs.ClaimedJob], None]


def _send_sms(worker: Worker, job: jobs.ClaimedJob) -> None:
    # the payload enqueue_send writes
    send_stored_message(
        worker.gateway,
        worker.http,
        job.payload["message_id"],
        exempt=bool(job.payload.get("exempt")),
        callback_base_url=job.payload.get("callback_base_url"),
    )


#: job kind → handler; a handler raises TryAgain to retry, PermanentFailure to give up
HANDLERS: dict[str, Handler] = {SEND_SMS: _send_sms, FEEDBACK_JOB: _deliver_feedback}


class Worker:
    def __init__(
        self,
        gateway: Gateway,
        *,
        name: str | None = None,
        kinds: Sequence[str] | None = None,
        poll_interval: float = 1.0,
        retry_delays: Sequence[float] = jobs.DEFAULT_RETRY_DELAYS,
    ):
        self.gateway = gateway
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"
        self.kinds = list(kinds or HANDLERS)
        self.poll_interval = poll_interval
        self.retry_delays = retry_delays
        # What Vendor.send gets: a tenant aims it (credential URLs), so it is guarded like feedback.
        self.http = http_session(HttpSession, allow_private=gateway.settings.allow_private_targets)
        self.stopping = threading.Event()

    def run_once(self) -> bool:
        """Claim and run one due job; False when none was due."""
        job = jobs.claim(self.gateway.db, self.name, self.kinds)
        if job is None:
            return False
        handler = HANDLERS[job.kind]
        try:
            handler(self, job)
        except TryAgain as exc:
            # a handler may bring its own schedule (feedback: SMSHOOKS_FEEDBACK_RETRY_DELAYS)
            delays = getattr(exc, "delays", None) or self.retry_delays
            state = jobs.retry_later(self.gateway.db, job, str(exc), delays=delays, retry_after=exc.retry_after)
            log.warning("job %s (%s) attempt %s failed: %s; now %s", job.id, job.kind, job.attempts, exc, state)
        except PermanentFailure as exc:
            jobs.kill(self.gateway.db, job.id, str(exc))
            log.warning("job %s (%s) failed for good: %s", job.id, job.kind, exc)
        except Exception as exc:  # a bug or an outage: retry on schedule, never lose the job
            log.exception("job %s (%s) crashed", job.id, job.kind)
            jobs.retry_later(self.gateway.db, job, f"{type(exc).__name__}: {exc}", delays=self.retry_delays)
        else:
            jobs.complete(self.gateway.db, job.id)
        return True

    def run(self) -> None:
        """Work until ``stop()``; sleeps when idle, wakes at once on a local enqueue."""
        log.info("worker %s started (%s)", self.name, ", ".join(self.kinds))
        while not self.stopping.is_set():
            try:
                busy = self.run_once()
            except Exception:  # the database is down: wait and try again
                log.exception("worker %s could not claim a job", self.name)
                busy = False
            if not busy:
                jobs.wakeup.wait(self.poll_interval)
                jobs.wakeup.clear()

    def start_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, name="smshooks-worker", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self.stopping.set()
        jobs.wakeup.set()
