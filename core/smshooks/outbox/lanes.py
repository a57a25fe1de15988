"""How a worker shares its threads between lanes, and keeps the next jobs ready.

A lane is a job kind in one org and sandbox (:data:`smshooks.outbox.jobs.Lane`):
one feedback endpoint, one tenant's vendor accounts. At most ``per_lane`` of a
lane's attempts run at once, so one slow endpoint holds a few threads and the
other lanes keep the rest. The worker claims up to one job more than it has
threads (per lane: twice its share); a thread that finishes an attempt takes
the next ready job of its lane at once, unless another lane is waiting for a
thread, so the claiming round trip is not in the way of each delivery.
"""

from __future__ import annotations

import threading
from collections import Counter, deque

from smshooks.outbox.jobs import ClaimedJob, Lane


class Lanes:
    def __init__(self, threads: int, per_lane: int):
        self.threads = threads
        self.per_lane = per_lane
        #: what one lane may hold claimed: running, and as many again ready
        self.claim_cap = 2 * per_lane
        self.stopping = False
        self._lock = threading.Lock()
        self._active: Counter[Lane] = Counter()
        self._ready: dict[Lane, deque[ClaimedJob]] = {}

    def held(self) -> dict[Lane, int]:
        """Claimed attempts per lane, running or ready (what a claim counts against ``claim_cap``)."""
        with self._lock:
            held = Counter(self._active)
            for lane, ready in self._ready.items():
                held[lane] += len(ready)
            return dict(held)

    def room(self) -> int:
        """How many more jobs to claim: up to twice the threads, running and ready together."""
        with self._lock:
            return 2 * self.threads - sum(self._active.values()) - sum(len(r) for r in self._ready.values())

    def deficit(self) -> int:
        """How many more one of the lanes being served could hold: the most of any lane with claimed jobs."""
        held = self.held()
        return max((self.claim_cap - count for count in held.values()), default=0)

    def running(self) -> int:
        with self._lock:
            return sum(self._active.values())

    def ready_count(self) -> int:
        with self._lock:
            return sum(len(r) for r in self._ready.values())

    def add(self, batch: list[ClaimedJob]) -> None:
        with self._lock:
            for job in batch:
                self._ready.setdefault(job.lane, deque()).append(job)

    def startable(self) -> list[ClaimedJob]:
        """The ready jobs to start now, counted as running: the least busy lanes first, each to its share."""
        started: list[ClaimedJob] = []
        with self._lock:
            if self.stopping:
                return started
            free = self.threads - sum(self._active.values())
            while free > 0:
                waiting = [lane for lane, ready in self._ready.items() if ready and self._active[lane] < self.per_lane]
                if not waiting:
                    break
                lane = min(waiting, key=lambda lane: self._active[lane])
                started.append(self._take(lane))
                free -= 1
        return started

    def after(self, job: ClaimedJob) -> ClaimedJob | None:
        """The next job for the thread that finished ``job``: its lane's next ready one, unless
        another lane waits for a thread or the worker is stopping; else the thread is free."""
        lane = job.lane
        with self._lock:
            self._active[lane] -= 1
            ready = self._ready.get(lane)
            others_wait = any(
                queue and self._active[other] < self.per_lane for other, queue in self._ready.items() if other != lane
            )
            if ready and not others_wait and not self.stopping:
                return self._take(lane)
            if not self._active[lane]:
                del self._active[lane]
            return None

    def unstarted(self) -> list[ClaimedJob]:
        """Stop starting jobs; the ready ones, taken out (to be given back)."""
        with self._lock:
            self.stopping = True
            jobs = [job for ready in self._ready.values() for job in ready]
            self._ready.clear()
            return jobs

    def _take(self, lane: Lane) -> ClaimedJob:
        ready = self._ready[lane]
        job = ready.popleft()
        if not ready:
            del self._ready[lane]
        self._active[lane] += 1
        return job
