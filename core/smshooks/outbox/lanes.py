"""How a worker shares its threads between lanes, and keeps the next jobs ready.

A lane is a job kind in one org and sandbox (:data:`smshooks.outbox.jobs.Lane`):
one feedback endpoint, one tenant's vendor accounts. ``per_lane`` is how many
requests one lane may have in flight at once. An attempt is not all request:
it also reads and writes our database, so a lane gets as many threads as keep
about ``per_lane`` of them in its requests (Little's law: ``per_lane`` divided
by the share of an attempt's time spent in HTTP, as measured on its recent
attempts), between ``per_lane`` and twice that. A slow endpoint's attempts are
nearly all request, so it holds about ``per_lane`` threads and the other lanes
keep the rest; a fast one gets more threads to overlap our database work.

The worker claims ahead: up to twice its threads, per lane its threads plus
what the lane finishes in :data:`READY_AHEAD` seconds ready (at least
``per_lane``, at most the worker's threads), so a fast lane is claimed for in
batches of tens, not of a few. The ready-ahead must outlast a claim: a claim's
round trips wait for the GIL behind the lane's busy threads, 20-35 ms when a
lane runs ~700 jobs/s against a 0 ms endpoint; capped at four times
``per_lane`` (54 ms of such a lane), half of the claims came back to a lane with
nothing ready and its threads idle. A thread that finishes an attempt takes the
next ready job of its lane at once, unless another lane is waiting for a
thread, so the claiming round trip is not in the way of each delivery.

Fewer threads than that when the worker is busy on its own CPU: a worker's
Python runs one thread at a time (the GIL), so against a fast endpoint its
threads mostly wait for one another, and each hand-over of the GIL costs. A
backlogged lane's limit is then steered as TCP Vegas steers a window
(:class:`_Pace`): the attempts queued rather than working are estimated from
its attempts' times (in flight x (1 - fastest / average)); while more than
:data:`_QUEUED_HIGH` queue the limit comes down to what leaves the middle of
the band queued (at least by one), while fewer than :data:`_QUEUED_LOW` do it
goes up by one, never under :data:`_MIN_LIMIT`, never over the threads
above. It moves down only while the process uses most of a core
(:data:`_BUSY_CPU`): against a slow endpoint, a spread in its answer times is
not our queue, and the limit stays where Little's law put it. 0 ms endpoint,
one worker, SMS sends: 3.5 attempts in flight rather than 8 gave 1,322 jobs/s
on PostgreSQL rather than 1,014-1,083 (benchmarks/profile_outbox.py).
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter, deque

from smshooks.outbox.jobs import ClaimedJob, Lane

#: weight of the latest attempt in a lane's HTTP share and pace (the rest: the attempts before)
_SMOOTHING = 0.2
#: seconds of a lane's work kept claimed and ready ahead of its threads (a claim tops a lane up
#: once half of it was taken: a fast lane is claimed for every ~50 ms, in batches of ~8 or more)
READY_AHEAD = 0.1
#: attempts of a backlogged lane between two moves of its limit
_WINDOW = 32
#: the attempts queued (waiting for the GIL, not working) a CPU-bound lane's limit keeps between
_QUEUED_LOW, _QUEUED_HIGH = 1.5, 3.0
#: the fewest attempts a backlogged lane keeps in flight
_MIN_LIMIT = 2
#: the process's CPU seconds per second above which it counts as busy on its own CPU
_BUSY_CPU = 0.7
#: seconds a lane's limit outlives its last attempt (a fast lane runs dry between two claims),
#: and the lanes whose limits are kept before the quiet ones are forgotten
_PACE_KEPT = 2.0
_PACES = 256


class _Pace:
    """One busy lane's limit and what its attempts took over the current window."""

    __slots__ = (
        "attempts",
        "backlogged",
        "cpu_at",
        "fastest",
        "fastest_before",
        "in_flight",
        "limit",
        "took",
        "used_at",
        "wall_at",
    )

    def __init__(self, limit: int):
        self.limit = limit
        self.fastest_before = math.inf
        self.used_at = time.monotonic()
        self._start()

    def _start(self) -> None:
        self.attempts = 0
        self.backlogged = 0
        self.in_flight = 0
        self.took = 0.0
        self.fastest = math.inf
        self.wall_at = time.monotonic()
        self.cpu_at = time.process_time()

    def note(self, elapsed: float, in_flight: int, backlogged: bool) -> None:
        self.attempts += 1
        self.took += elapsed
        self.fastest = min(self.fastest, elapsed)
        self.in_flight += in_flight
        self.backlogged += backlogged

    def steer(self, cap: int, busy_cpu: float) -> None:
        """At the end of a window: the limit one down, one up or kept (see the module's doc)."""
        if self.attempts < _WINDOW:
            return
        fastest = min(self.fastest, self.fastest_before)
        average = self.took / self.attempts
        in_flight = self.in_flight / self.attempts
        wall = time.monotonic() - self.wall_at
        busy = wall > 0 and (time.process_time() - self.cpu_at) >= busy_cpu * wall
        if 2 * self.backlogged >= self.attempts and average > 0:  # it had work waiting: its pace is its own
            queued = in_flight * (1 - fastest / average)
            if queued > _QUEUED_HIGH and busy:
                # straight to what leaves the queue in the middle of its band, then by ones
                wanted = math.ceil(in_flight - queued + (_QUEUED_LOW + _QUEUED_HIGH) / 2)
                self.limit = max(_MIN_LIMIT, min(self.limit - 1, cap - 1, wanted))
            elif queued < _QUEUED_LOW:
                self.limit = min(cap, self.limit + 1)
        self.fastest_before = self.fastest
        self._start()


class Lanes:
    def __init__(self, threads: int, per_lane: int, *, busy_cpu: float | None = None):
        """``busy_cpu``: the process's CPU seconds per second from which it counts as busy on its
        own CPU (default :data:`_BUSY_CPU`; 0: always, as under a benchmark's load)."""
        self.threads = threads
        self.per_lane = per_lane
        self.busy_cpu = _BUSY_CPU if busy_cpu is None else busy_cpu
        self.max_lane_threads = min(threads, 2 * per_lane)
        self.stopping = False
        self._lock = threading.Lock()
        self._active: Counter[Lane] = Counter()
        self._ready: dict[Lane, deque[ClaimedJob]] = {}
        #: the share of recent attempts' time spent in HTTP, per busy lane (1.0 until measured)
        self._http_share: dict[Lane, float] = {}
        #: when each busy lane last started a job (a count): the one that waited longest goes first
        self._started: dict[Lane, int] = {}
        self._starts = 0
        #: per busy lane: when an attempt last finished, and the smoothed seconds between two
        self._finished_at: dict[Lane, float] = {}
        self._gap: dict[Lane, float] = {}
        #: per lane busy lately: its limit while the worker is busy on its CPU (:class:`_Pace`)
        self._pace: dict[Lane, _Pace] = {}

    # -- what to claim -------------------------------------------------------------------------

    def room(self) -> int:
        """How many more jobs to claim: up to twice the threads, running and ready together."""
        with self._lock:
            return 2 * self.threads - sum(self._active.values()) - sum(len(r) for r in self._ready.values())

    def new_lane_room(self) -> int:
        """What a claim may take of a lane this worker holds nothing of."""
        return 2 * self.per_lane

    def lane_room(self) -> dict[Lane, int]:
        """What a claim may take of each lane this worker holds jobs of: its threads and
        ``per_lane`` ready, less what it holds."""
        with self._lock:
            lanes = set(self._active) | set(self._ready)
            return {
                lane: self._limit(lane) + self._ahead(lane) - self._active[lane] - len(self._ready.get(lane, ()))
                for lane in lanes
            }

    def short(self, lane: Lane | None = None) -> bool:
        """Whether a claim should top up ``lane`` (else any lane this worker holds jobs of): it has
        room for half its ready-ahead, or room and nothing ready."""
        with self._lock:
            lanes = [lane] if lane is not None else set(self._active) | set(self._ready)
            return any(self._short(one) for one in lanes)

    def _short(self, lane: Lane) -> bool:
        ready = len(self._ready.get(lane, ()))
        room = self._limit(lane) + self._ahead(lane) - self._active[lane] - ready
        return room >= max(1, self._ahead(lane) // 2) or (room > 0 and not ready)

    def _ahead(self, lane: Lane) -> int:
        gap = self._gap.get(lane)
        wanted = math.ceil(READY_AHEAD / gap) if gap else 0
        return max(self.per_lane, min(self.threads, wanted))

    def running(self) -> int:
        with self._lock:
            return sum(self._active.values())

    # -- what to run ---------------------------------------------------------------------------

    def add(self, batch: list[ClaimedJob]) -> None:
        with self._lock:
            for job in batch:
                self._ready.setdefault(job.lane, deque()).append(job)

    def startable(self) -> list[ClaimedJob]:
        """The ready jobs to start now, counted as running: the least busy lanes first, each to its threads."""
        started: list[ClaimedJob] = []
        with self._lock:
            if self.stopping:
                return started
            free = self.threads - sum(self._active.values())
            while free > 0:
                waiting = [lane for lane, ready in self._ready.items() if ready and self._has_room(lane)]
                if not waiting:
                    break
                lane = min(waiting, key=lambda lane: (self._active[lane], self._started.get(lane, -1)))
                started.append(self._take(lane))
                free -= 1
        return started

    def after(
        self, job: ClaimedJob, http_share: float | None = None, elapsed: float | None = None
    ) -> ClaimedJob | None:
        """The next job for the thread that finished ``job`` (``http_share``: the share of
        its time spent in HTTP; ``elapsed``: its seconds): its lane's next ready one, unless another
        lane waits for a thread, the lane has its threads, or the worker is stopping; else the thread is free."""
        lane = job.lane
        now = time.monotonic()
        with self._lock:
            if elapsed is not None:
                pace = self._pace.get(lane)
                if pace is None or now - pace.used_at > _PACE_KEPT:
                    if len(self._pace) >= _PACES:  # lanes gone quiet are forgotten
                        self._pace = {key: kept for key, kept in self._pace.items() if now - kept.used_at <= _PACE_KEPT}
                    pace = self._pace[lane] = _Pace(self.max_lane_threads)
                pace.used_at = now
                running = self._active[lane]
                pace.note(elapsed, running, bool(self._ready.get(lane)) or running >= self._limit(lane))
                pace.steer(self._threads_for(lane), self.busy_cpu)
            self._active[lane] -= 1
            last = self._finished_at.get(lane)
            self._finished_at[lane] = now
            if last is not None:
                before = self._gap.get(lane, now - last)
                self._gap[lane] = before + _SMOOTHING * ((now - last) - before)
            if http_share is not None:
                before = self._http_share.get(lane, 1.0)
                self._http_share[lane] = before + _SMOOTHING * (min(max(http_share, 0.0), 1.0) - before)
            ready = self._ready.get(lane)
            others_wait = any(queue and self._has_room(other) for other, queue in self._ready.items() if other != lane)
            if ready and self._has_room(lane) and not others_wait and not self.stopping:
                return self._take(lane)
            if not self._active[lane]:
                del self._active[lane]
                if lane not in self._ready:  # idle: measured afresh when it is busy again
                    self._http_share.pop(lane, None)
                    self._started.pop(lane, None)
                    self._finished_at.pop(lane, None)
                    self._gap.pop(lane, None)
            return None

    def stop(self) -> None:
        """Start no more jobs: a thread that finishes one takes no next (the worker is stopping)."""
        with self._lock:
            self.stopping = True

    def unstarted(self) -> list[ClaimedJob]:
        """Stop starting jobs; the ready ones, taken out (to be given back)."""
        with self._lock:
            self.stopping = True
            jobs = [job for ready in self._ready.values() for job in ready]
            self._ready.clear()
            return jobs

    def threads_for(self, lane: Lane) -> int:
        with self._lock:
            return self._threads_for(lane)

    def _threads_for(self, lane: Lane) -> int:
        share = self._http_share.get(lane, 1.0)
        wanted = math.ceil(self.per_lane / max(share, 1e-3))
        return max(self.per_lane, min(self.max_lane_threads, wanted))

    def limit(self, lane: Lane) -> int:
        """How many attempts of ``lane`` may run at once now."""
        with self._lock:
            return self._limit(lane)

    def _limit(self, lane: Lane) -> int:
        pace = self._pace.get(lane)
        threads = self._threads_for(lane)
        return threads if pace is None else min(threads, pace.limit)

    def _has_room(self, lane: Lane) -> bool:
        return self._active[lane] < self._limit(lane)

    def _take(self, lane: Lane) -> ClaimedJob:
        ready = self._ready[lane]
        job = ready.popleft()
        if not ready:
            del self._ready[lane]
        self._active[lane] += 1
        self._starts += 1
        self._started[lane] = self._starts
        return job
