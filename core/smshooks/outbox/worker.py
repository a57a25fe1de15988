"""The outbox worker: claims due jobs in batches and runs many at once, retrying with backoff.

``smshooks serve`` runs one in a thread (embedded mode) or in a process of its
own (``--workers N``); ``smshooks worker`` runs one alone, and any number of
them may share a PostgreSQL database.

One worker keeps up to ``concurrency`` attempts in flight on a thread pool: a
delivery mostly waits on the far end, so threads overlap the waits. Threads
are shared between lanes (:mod:`smshooks.outbox.lanes`): about ``per_lane``
requests of one feedback endpoint or one tenant's vendor accounts are in
flight at once, so a slow endpoint holds a few threads and the other lanes
keep the rest. The loop claims the next jobs ahead of the threads (one
transaction for a batch, which also marks the last successes done), a thread
that finishes takes its lane's next ready job at once, and the leases of
claimed jobs are renewed while they wait or run. The loop wakes at once on a
job enqueued in this process, on PostgreSQL on one enqueued anywhere
(``LISTEN``), and else polls; a stopping worker lets its running attempts
finish and gives back the jobs it had claimed but not started.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from smshooks.outbox import attempt, jobs
from smshooks.outbox.connection import KeptConnection
from smshooks.outbox.context import JobContext
from smshooks.outbox.kinds import KINDS, policies
from smshooks.outbox.lanes import Lanes
from smshooks.outbox.notify import Listener, News
from smshooks.outbox.retry import RetryPolicy
from smshooks.store.tables import utcnow
from smshooks.vendor import HttpSession

if TYPE_CHECKING:
    from smshooks.gateway import Gateway

log = logging.getLogger(__name__)

DEFAULT_CONCURRENCY = 64
DEFAULT_PER_LANE = 8
#: seconds a success waits at most to be recorded with others (one transaction for many: at
#: 50 ms a worker of ~150 jobs/s records 7-8 in each, half the transactions of 20 ms)
RECORD_WITHIN = 0.05
#: seconds news of jobs waits at most for a busy worker to claim them (with whatever else came)
NEWS_WITHIN = 0.02

#: a succeeded attempt and what its handler returned for its kind's batched record
Success = tuple[jobs.ClaimedJob, Any]


class Worker:
    def __init__(
        self,
        gateway: Gateway,
        *,
        name: str | None = None,
        kinds: Sequence[str] | None = None,
        poll_interval: float = 1.0,
        concurrency: int = DEFAULT_CONCURRENCY,
        per_lane: int = DEFAULT_PER_LANE,
        lease: timedelta = jobs.DEFAULT_LEASE,
        policies: Mapping[str, RetryPolicy] | None = None,
        listen: bool = True,
    ):
        """``policies`` replaces the retry policy of the kinds it names (tests retry at once)."""
        self.gateway = gateway
        self.name = name or _worker_name()
        self.kinds = list(kinds or KINDS)
        self.poll_interval = poll_interval
        self.concurrency = max(1, concurrency)
        self.per_lane = max(1, min(per_lane, self.concurrency))
        self.lease = lease
        self.policies = {**_policies(gateway), **(policies or {})}
        self.listen = listen
        #: the PostgreSQL LISTEN thread while ``run()`` runs
        self.listener: Listener | None = None
        self.stopping = threading.Event()
        self._inline = JobContext(gateway)
        self._local = threading.local()
        self._wake = threading.Event()
        #: set (with ``_wake``) when new jobs are announced: enqueued here, or NOTIFY
        self._news = News(self._wake)
        self._lock = threading.Lock()
        #: attempts claimed and not yet finished in the database (lease renewed)
        self._held: dict[int, jobs.ClaimedJob] = {}
        #: which attempts run, which wait for a thread
        self._lanes = Lanes(self.concurrency, self.per_lane)
        self._succeeded: list[Success] = []
        #: when the successes not yet recorded are to be (monotonic; inf while none wait)
        self._record_by = float("inf")
        self._record_failures = 0
        self._looked = 0.0
        #: when news came that the loop has not looked at yet
        self._news_at: float | None = None
        #: the last claim took every due job of the lanes it looked at
        self._drained = False
        #: the claiming loop's own connection (PostgreSQL): its claims, records and renewals
        self._conn = KeptConnection(gateway.db)

    @property
    def http(self) -> HttpSession:
        return self._inline.http

    # -- one job in the caller's thread (tests, tools) -----------------------------------

    def run_once(self) -> bool:
        """Claim one due job and run it in this thread; False when none was due."""
        job = jobs.claim(self.gateway.db, self.name, self.kinds, self.lease)
        if job is None:
            return False
        succeeded, outcome = self._attempt(self._inline, job)
        if succeeded:
            jobs.complete(self.gateway.db, job, self._recorder([(job, outcome)]))
        return True

    # -- the pool ---------------------------------------------------------------------------

    def run(self) -> None:
        """Work until ``stop()``, then let the running attempts finish and give the ready ones back."""
        log.info(
            "worker %s started (%s; %d threads, %d per lane)",
            self.name,
            ", ".join(self.kinds),
            self.concurrency,
            self.per_lane,
        )
        jobs.wakeup.subscribe(self._news)
        listener = self.listener = Listener.start(self.gateway.db, self._news, self.stopping) if self.listen else None
        pool = ThreadPoolExecutor(self.concurrency, thread_name_prefix="smshooks-outbox")
        renew_every = self.lease.total_seconds() / 3
        renewed = time.monotonic()
        look = True  # claim on the first round
        try:
            while not self.stopping.is_set():
                self._wake.clear()
                if time.monotonic() - renewed >= renew_every:
                    self._renew()
                    renewed = time.monotonic()
                news = self._news_due() <= 0
                if news:
                    self._news_at = None  # looked at now
                room, claimed = self._claim(look or news)
                for job in self._lanes.startable():
                    pool.submit(self._run_in_pool, job)
                if room and claimed == room:
                    look = True  # a full batch: there may be more due right now
                    continue
                idle = room > 0 and not claimed and not self._lanes.running()
                poll = self._idle_wait(idle)
                timeout = min(poll, renew_every - (time.monotonic() - renewed), self._record_due(), self._news_due())
                woken = self._wake.wait(max(0.0, timeout))
                # the poll (or, idle, the next job's due time): look for due jobs; a wait cut short
                # for a renewal or a record is not one (a claim for the lanes then, at most)
                look = not woken and timeout >= poll
        finally:
            jobs.wakeup.unsubscribe(self._news)
            unstarted = self._lanes.unstarted()
            pool.shutdown(wait=True)
            self._give_back(unstarted)
            self._flush()
            self._conn.drop()
            if listener is not None:
                listener.join(timeout=2)

    def start_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, name="smshooks-worker", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self._lanes.stop()  # at once: a thread finishing an attempt now must not start the next
        self.stopping.set()
        self._wake.set()

    def _claim(self, look: bool) -> tuple[int, int]:
        """Mark the attempts that succeeded done (once due: :meth:`_record_due`) and claim
        jobs to run next, in one transaction: (how many were wanted, how many were claimed).

        ``look``: new jobs were announced, or it is time to poll: the claim looks
        at every lane. Otherwise a busy worker claims for the lanes it serves
        (other lanes' jobs wait for the next look, at most the poll interval)
        once one has room for a few more, unless its last claim took every due
        job of them (drained: what comes next is announced, or found by the
        poll), or records once a few attempts succeeded: one transaction for
        several.
        """
        room = self._lanes.room()
        look = look or time.monotonic() - self._looked >= self.poll_interval  # however busy, poll
        lane_room = self._lanes.lane_room()
        look = look or not lane_room  # no lanes of its own to top up
        wanted = look or (not self._drained and self._lanes.short())
        record = self._record_due() <= 0
        if not (record or (room > 0 and wanted)):
            return 0, 0
        limit = max(0, room) if look or not self._drained else 0  # a record alone: nothing to claim
        if look:
            self._looked = time.monotonic()
        with self._lock:
            held = list(self._held)
            succeeded: list[Success] = []
            if record:  # else the claim goes alone, one statement and no transaction round trips
                succeeded, self._succeeded = self._succeeded, []
                self._record_by = float("inf")
        done = [job for job, _ in succeeded]
        try:
            batch = jobs.claim_batch(
                self.gateway.db,
                self.name,
                self.kinds,
                limit=limit,
                lease=self.lease,
                new_lane_room=self._lanes.new_lane_room(),
                lane_room=lane_room,
                exclude=held,
                done=done,
                record=self._recorder(succeeded),
                discover=look,
                conn=self._conn.get(),
            )
        except Exception:  # the database is down: wait and try again
            self._conn.drop()
            log.exception("worker %s could not claim jobs", self.name)
            self._record_failed(succeeded)
            self.stopping.wait(self.poll_interval)
            return room, 0
        self._record_failures = 0
        if limit:
            self._drained = batch.drained
        with self._lock:
            for job in done:
                self._held.pop(job.id, None)
            for job in batch:
                self._held[job.id] = job
        self._lanes.add(batch)
        return room, len(batch)

    def _run_in_pool(self, job: jobs.ClaimedJob | None) -> None:
        """Run ``job``, then the next ready jobs of its lane while no other lane waits for a thread."""
        context = getattr(self._local, "context", None)
        if context is None:
            context = self._local.context = JobContext(self.gateway)
        while job is not None:
            succeeded, outcome, sooner = False, None, False
            context.http_seconds = 0.0
            started = time.monotonic()
            try:
                succeeded, outcome = self._attempt(context, job)
            finally:
                with self._lock:
                    if succeeded:
                        # recorded and marked done with the others by the claiming loop
                        within = KINDS[job.kind].record_within
                        by = time.monotonic() + (RECORD_WITHIN if within is None else within)
                        sooner = by < self._record_by  # the loop, asleep, may not know yet
                        if sooner:
                            self._record_by = by
                        self._succeeded.append((job, outcome))
                    else:
                        self._held.pop(job.id, None)
                elapsed = time.monotonic() - started
                finished, job = job, None
                share = context.http_seconds / elapsed if elapsed > 0 else None
                job = self._lanes.after(finished, share, elapsed)
                if job is None or (succeeded and sooner) or self._loop_wanted(finished):
                    self._wake.set()

    def _loop_wanted(self, finished: jobs.ClaimedJob) -> bool:
        """Whether the claiming loop has work now that ``finished`` did, with its thread going on to
        the lane's next job: a full batch of successes to record, or a claim for the lane (else the
        loop's own timeout, set by the successes' record time, wakes it: one wake-up for many jobs)."""
        with self._lock:
            if len(self._succeeded) >= 4 * self.per_lane:
                return True
        return not self._drained and self._lanes.short(finished.lane)

    def _give_back(self, unstarted: list[jobs.ClaimedJob]) -> None:
        """Claimed jobs this worker will not start (it is stopping): due again for the others now."""
        try:
            jobs.release(self.gateway.db, unstarted, conn=self._conn.get())
        except Exception:  # their leases run out instead
            self._conn.drop()
            log.exception("worker %s could not give back %d jobs", self.name, len(unstarted))
        with self._lock:
            for job in unstarted:
                self._held.pop(job.id, None)

    def _flush(self) -> None:
        """Mark the attempts that succeeded done (when stopping: nothing more is claimed)."""
        with self._lock:
            succeeded, self._succeeded = self._succeeded, []
            self._record_by = float("inf")
        if not succeeded:
            return
        try:
            done = [job for job, _ in succeeded]
            jobs.complete_many(self.gateway.db, done, self._recorder(succeeded), conn=self._conn.get())
        except Exception:
            self._conn.drop()
            # Not recorded: each lease runs out and the job runs again (at least once).
            log.exception("worker %s could not mark %d jobs done", self.name, len(succeeded))
        with self._lock:
            for job, _ in succeeded:
                self._held.pop(job.id, None)

    def _news_due(self) -> float:
        """Seconds until the news (jobs enqueued here or announced by NOTIFY) should be looked at
        (inf: none came): at once while nothing runs, else once it is :data:`NEWS_WITHIN` old, so a
        stream of enqueues is claimed a few at a time, not one claim (by every worker) per job."""
        if self._news.take() and self._news_at is None:
            self._news_at = time.monotonic()
        if self._news_at is None:
            return float("inf")
        return 0.0 if not self._lanes.running() else NEWS_WITHIN - (time.monotonic() - self._news_at)

    def _record_due(self) -> float:
        """Seconds until the successes waiting to be recorded should be (inf: none wait)."""
        with self._lock:
            if not self._succeeded:
                return float("inf")
            if len(self._succeeded) >= 4 * self.per_lane:
                return 0.0
            return self._record_by - time.monotonic()

    def _recorder(self, succeeded: Sequence[Success]) -> Callable[[Connection], None] | None:
        """What writes the kinds' records of ``succeeded`` in the transaction that marks them done."""
        by_kind: dict[str, list[Any]] = {}
        for job, outcome in succeeded:
            if outcome is not None and KINDS[job.kind].record is not None:
                by_kind.setdefault(job.kind, []).append(outcome)
        if not by_kind:
            return None

        def record(conn: Connection) -> None:
            for kind, outcomes in by_kind.items():
                KINDS[kind].record(self.gateway, conn, outcomes)

        return record

    def _record_failed(self, succeeded: list[Success]) -> None:
        """The transaction recording ``succeeded`` failed: tried again with the next (the database
        was down), or, after a few failures in a row, one by one, so one success whose record
        fails cannot hold back the others: it is dropped and its lease runs out (it runs again)."""
        self._record_failures += 1
        if self._record_failures < 3:
            with self._lock:
                self._succeeded[:0] = succeeded
                self._record_by = 0.0  # due at the next round
            return
        for pair in succeeded:
            try:
                jobs.complete(self.gateway.db, pair[0], self._recorder([pair]))
            except Exception:
                log.exception("worker %s could not record job %s", self.name, pair[0].id)
            with self._lock:
                self._held.pop(pair[0].id, None)

    def _renew(self) -> None:
        with self._lock:
            held = list(self._held.values())
        if not held:
            return
        try:
            kept = jobs.renew(self.gateway.db, self.name, held, self.lease, conn=self._conn.get())
        except Exception:
            self._conn.drop()
            log.exception("worker %s could not renew its leases", self.name)
            return
        lost = [job.id for job in held if job.id not in kept]
        if lost:
            log.warning("worker %s lost the lease of jobs %s", self.name, lost)

    def _idle_wait(self, idle: bool) -> float:
        """Seconds to sleep: when idle, until the next job is due; at most the poll interval."""
        if not idle:
            return self.poll_interval  # jobs are running: the next to finish wakes the loop
        try:
            due = jobs.next_due(self.gateway.db, self.kinds)
        except Exception:
            return self.poll_interval
        if due is None:
            return self.poll_interval
        seconds = (due - utcnow()).total_seconds()
        # already due: those jobs wait for a lane's thread, and a finishing job wakes the loop
        return self.poll_interval if seconds <= 0 else min(self.poll_interval, seconds + 0.005)

    # -- one attempt ------------------------------------------------------------------------

    def _attempt(self, context: JobContext, job: jobs.ClaimedJob) -> tuple[bool, Any]:
        """:func:`smshooks.outbox.attempt.run`: (True, what the handler returned) on success."""
        return attempt.run(self.gateway, self.policies, context, job)


def _policies(gateway: Gateway) -> dict[str, RetryPolicy]:
    return policies(gateway.settings)


def _worker_name() -> str:
    """Unique per worker (it identifies its attempts): host, process, and a random tag."""
    return f"{socket.gethostname()[:50]}:{os.getpid()}:{secrets.token_hex(4)}"
