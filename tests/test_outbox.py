"""The outbox: per-kind retry policies, batch claims, lanes, leases, NOTIFY (on SQLite and PostgreSQL).

The claim tests share one database per backend and each uses a job kind of
its own, so it sees only its jobs; the worker tests build an app of their own.
"""

from __future__ import annotations

import random
import secrets
import subprocess
import sys
import threading
import time
from collections import deque
from dataclasses import replace
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select, text, update
from support import loopback
from support.api import Api, make_webhook
from support.feedback import deliveries, make_feedback_webhook, report

from smshooks.apikeys import create_api_key
from smshooks.gateway import Gateway
from smshooks.outbox import jobs
from smshooks.outbox.kinds import policies
from smshooks.outbox.lanes import Lanes
from smshooks.outbox.retry import RetryPolicy
from smshooks.outbox.worker import Worker
from smshooks.settings import Settings
from smshooks.store.db import Database
from smshooks.store.tables import Job, utcnow
from smshooks.web.app import create_app

# -- the retry policy: a pure table ---------------------------------------------------------

POLICY = RetryPolicy((5, 60, 600), max_attempts=4)


@pytest.mark.parametrize(
    ("attempts", "retry_after", "low", "high"),
    [
        (1, None, 4.0, 6.0),  # the first delay, ±20 %
        (2, None, 48.0, 72.0),
        (3, None, 480.0, 720.0),
        (9, None, 480.0, 720.0),  # the last delay repeats
        (1, 30.0, 30.0, 30.0),  # Retry-After within the bounds: as asked, no jitter
        (1, 1.0, 5.0, 5.0),  # sooner than the shortest delay: the shortest
        (1, 86400.0, 600.0, 600.0),  # later than the longest: the longest
        (2, 0.0, 5.0, 5.0),
    ],
)
def test_the_next_delay(attempts, retry_after, low, high):
    rng = random.Random(attempts)
    delays = [POLICY.next_delay(attempts, retry_after, rng=rng) for _ in range(200)]
    assert low <= min(delays) and max(delays) <= high


@pytest.mark.parametrize(("attempts", "last"), [(1, False), (3, False), (4, True), (5, True)])
def test_the_last_attempt(attempts, last):
    assert POLICY.is_last(attempts) is last


def test_each_kind_declares_its_own_policy():
    settings = Settings(retry_delays=(1, 2), feedback_retry_delays=(7, 8, 9))
    assert policies(settings) == {
        "send_sms": RetryPolicy((1, 2), max_attempts=8),
        # the feedback schedule: at once, then one retry per delay
        "feedback": RetryPolicy((7, 8, 9), max_attempts=4),
    }


# -- lanes: a pure table ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("http_share", "threads"),
    [
        (None, 8),  # not measured yet: one thread per request in flight
        (1.0, 8),  # a slow endpoint: its attempts are all request
        (0.8, 10),  # 8 requests in flight take 10 threads when a fifth of the time is our database
        (0.5, 16),
        (0.05, 16),  # at most twice per_lane, whatever the share
    ],
)
def test_a_lane_gets_the_threads_that_keep_per_lane_requests_in_flight(http_share, threads):
    lanes = Lanes(threads=64, per_lane=8)
    job = jobs.ClaimedJob(1, "feedback", "acme", "prod", {}, 1, 8, "w")
    lanes.add([job, job])
    _busy, current = lanes.startable()  # ``_busy`` keeps the lane busy throughout
    for _ in range(60):  # the share is smoothed over the recent attempts
        lanes.add([job])
        current = lanes.after(current, http_share)  # the thread goes on with the lane's next job
        assert current is not None
    assert lanes.threads_for(job.lane) == threads
    lanes.add([job] * 40)
    assert len(lanes.startable()) == threads - 2  # two run already


def _run_backlogged(lanes: Lanes, took, attempts: int) -> jobs.ClaimedJob:
    """A lane kept backlogged through ``attempts`` attempts, each reported as taking ``took(running)``
    seconds (``running``: its attempts in flight then), its threads all busy."""
    job = jobs.ClaimedJob(1, "send_sms", "acme", "prod", {}, 1, 8, "w")
    lanes.add([job] * 64)
    running = deque(lanes.startable())
    for _ in range(attempts):
        finished = running.popleft()
        lanes.add([job])
        following = lanes.after(finished, 0.9, took(len(running) + 1))
        running.extend([following] if following is not None else [])
        running.extend(lanes.startable())
    return job


def test_a_lane_bound_by_the_workers_own_cpu_runs_few_attempts_at_once():
    """Against a 0 ms endpoint an attempt takes as long as the attempts in flight make it wait for the
    GIL (1 ms of work each; one in ten finds it free): the limit comes down to a few, and more start
    only up to it."""
    lanes = Lanes(threads=64, per_lane=8, busy_cpu=0)  # the process counts as busy on its CPU
    job = _run_backlogged(lanes, lambda running: 0.001 * (1 if random.random() < 0.1 else running), 2000)
    assert 2 <= lanes.limit(job.lane) <= 4
    assert lanes.running() == lanes.limit(job.lane)


@pytest.mark.parametrize(
    ("took", "busy_cpu"),
    [
        (lambda running: 0.050 + 0.0001 * running, 0),  # a 50 ms endpoint, CPU busy: waiting is not queueing
        (lambda running: random.choice([0.05, 0.1, 0.3]), 100),  # a spread of answer times, the CPU idle
    ],
    ids=["50ms", "spread-idle"],
)
def test_a_lane_bound_by_its_endpoint_keeps_per_lane_in_flight(took, busy_cpu):
    lanes = Lanes(threads=64, per_lane=8, busy_cpu=busy_cpu)
    job = _run_backlogged(lanes, took, 400)
    assert lanes.limit(job.lane) >= 8
    assert lanes.running() >= 8


def test_a_finishing_thread_leaves_its_lane_for_a_lane_that_waits():
    lanes = Lanes(threads=1, per_lane=1)
    a = jobs.ClaimedJob(1, "feedback", "a", "prod", {}, 1, 8, "w")
    b = jobs.ClaimedJob(2, "feedback", "b", "prod", {}, 1, 8, "w")
    lanes.add([a, a, b])
    [running] = lanes.startable()
    assert running.org == "a"
    assert lanes.after(running, 1.0) is None  # b waits: the thread goes back to the pool
    assert [job.org for job in lanes.startable()] == ["b"]


# -- claiming: one database per backend, one job kind per test ------------------------------


@pytest.fixture(scope="module")
def db(module_settings):
    database = Database.from_url(module_settings.database_url)
    yield database
    database.engine.dispose()


def enqueue(db, kind, count, org="acme"):
    ids = []
    with db.transaction() as session:
        for number in range(count):
            ids.append(jobs.enqueue(session, kind, {"n": number}, org=org, sandbox="prod").id)
    return ids


def new_kind():
    return "t-" + secrets.token_hex(4)


def test_a_batch_takes_the_oldest_due_jobs_and_the_next_claim_the_next(db):
    kind = new_kind()
    ids = enqueue(db, kind, 10)
    first = jobs.claim_batch(db, "w1", [kind], limit=4)
    second = jobs.claim_batch(db, "w2", [kind], limit=4)
    third = jobs.claim_batch(db, "w3", [kind], limit=4)
    assert [j.id for j in first] == ids[:4] and [j.id for j in second] == ids[4:8] and [j.id for j in third] == ids[8:]
    assert jobs.claim_batch(db, "w4", [kind], limit=4) == []
    assert {(j.worker, j.attempts) for j in first} == {("w1", 1)}
    assert [j.payload for j in first] == [{"n": 0}, {"n": 1}, {"n": 2}, {"n": 3}]


@pytest.mark.parametrize(
    ("limit", "new_lane_room", "lane_room", "taken"),
    [
        (8, None, {}, {"slow": 6, "fast": 2}),  # no lanes: oldest first
        (8, 3, {}, {"slow": 3, "fast": 2}),  # the slow lane's backlog does not hide the fast lane
        (8, 3, {"slow": 0}, {"fast": 2}),  # a lane without room takes nothing more
        (8, 3, {"slow": 1}, {"slow": 1, "fast": 2}),
        (8, 3, {"slow": 5, "fast": 1}, {"slow": 5, "fast": 1}),  # a lane's own room, whatever the default
        (2, 3, {}, {"slow": 2}),
    ],
)
def test_a_lane_takes_at_most_its_share(db, limit, new_lane_room, lane_room, taken):
    kind = new_kind()
    enqueue(db, kind, 6, org="slow")
    enqueue(db, kind, 2, org="fast")
    rooms = {(kind, org, "prod"): room for org, room in lane_room.items()}
    claimed = jobs.claim_batch(db, "w", [kind], limit=limit, new_lane_room=new_lane_room, lane_room=rooms)
    counts: dict[str, int] = {}
    for job in claimed:
        counts[job.org] = counts.get(job.org, 0) + 1
    assert counts == taken


@pytest.mark.parametrize(
    ("limit", "lane_room", "discover", "taken", "drained"),
    [
        (8, {"slow": 3}, True, 5, False),  # the slow lane's other jobs wait for its room: not drained
        (8, {"slow": 3}, False, 3, False),  # only its own lanes, and one of them is full
        (8, {"slow": 0}, True, 2, False),  # a lane without room was passed over
        (8, {}, True, 5, False),  # a new lane's room (3) left some behind
        (8, {"slow": 7, "fast": 3}, False, 8, False),  # as many as it could take: there may be more
        (10, {"slow": 7, "fast": 3}, False, 8, True),  # every due job, and room for more
        (10, {}, True, 5, False),
        (10, {"slow": 9}, True, 8, True),
    ],
)
def test_a_claim_has_drained_only_when_it_took_every_due_job_it_could(db, limit, lane_room, discover, taken, drained):
    """A worker whose claim drained waits for news or its poll: one that left jobs behind for want of a
    lane's room must not, or that lane is claimed for only when polled."""
    kind = new_kind()
    enqueue(db, kind, 6, org="slow")
    enqueue(db, kind, 2, org="fast")
    rooms = {(kind, org, "prod"): room for org, room in lane_room.items()}
    batch = jobs.claim_batch(db, "w", [kind], limit=limit, new_lane_room=3, lane_room=rooms, discover=discover)
    assert (len(batch), batch.drained) == (taken, drained)


def test_concurrent_claimers_take_each_job_exactly_once(db):
    kind = new_kind()
    ids = enqueue(db, kind, 60)
    taken: list[int] = []
    lock = threading.Lock()

    def claimer(name):
        while batch := jobs.claim_batch(db, name, [kind], limit=3):
            with lock:
                taken.extend(job.id for job in batch)

    threads = [threading.Thread(target=claimer, args=(f"w{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(taken) == ids


def test_an_attempt_whose_lease_was_taken_over_cannot_overwrite_the_new_one(db):
    kind = new_kind()
    enqueue(db, kind, 1)
    [stale] = jobs.claim_batch(db, "died", [kind], limit=1, lease=timedelta(0))
    [current] = jobs.claim_batch(db, "alive", [kind], limit=1)  # the lease ran out: due again
    assert (current.id, current.attempts) == (stale.id, 2)
    assert jobs.complete(db, stale) is False
    assert jobs.retry_later(db, stale, "late", POLICY) == jobs.PENDING  # scheduled, but not applied
    assert jobs.kill(db, stale, "late") is False
    assert jobs.renew(db, "died", [stale]) == set()
    assert jobs.renew(db, "alive", [current]) == {current.id}
    assert jobs.complete(db, current) is True
    with db.session() as session:
        assert session.execute(select(Job.state, Job.worker).where(Job.id == current.id)).one() == ("done", "alive")


# -- the worker --------------------------------------------------------------------------------


class Endpoint:
    """A feedback endpoint on loopback: 200 at once, or (``hold``) once released."""

    def __init__(self, hold: bool = False):
        self.released = threading.Event()
        if not hold:
            self.released.set()
        self.ids: list[str] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # an answer's head and body in one segment, sent at once: in two, the body waited for the
            # client's delayed ACK of the head (Nagle), 40 ms a request
            wbufsize = 64 * 1024
            disable_nagle_algorithm = True

            def log_message(self, *args):
                pass

            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                endpoint.ids.append(self.headers.get("webhook-id"))
                endpoint.released.wait(30)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/feedback"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def endpoints():
    made: list[Endpoint] = []

    def make(hold: bool = False) -> Endpoint:
        made.append(Endpoint(hold))
        return made[-1]

    yield make
    for endpoint in made:
        endpoint.close()


@pytest.fixture
def gateway(app):
    return app.extensions["smshooks"]


def wait_until(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


class Running:
    """``Worker.run`` in a thread for the length of a ``with`` block."""

    def __init__(self, worker: Worker):
        self.worker = worker

    def __enter__(self) -> Worker:
        self.thread = self.worker.start_thread()
        return self.worker

    def __exit__(self, *exc):
        self.worker.stop()
        self.thread.join(30)


def states(api: Api) -> list[str]:
    return sorted(d["state"] for d in deliveries(api))


def test_a_slow_endpoint_holds_its_lanes_share_and_the_others_are_delivered(
    gateway, api, other_org_api, client, endpoints
):
    slow, fast = endpoints(hold=True), endpoints()
    make_feedback_webhook(api, slow.url)
    make_feedback_webhook(other_org_api, fast.url)
    slow_hook, fast_hook = make_webhook(api), make_webhook(other_org_api)
    for number in range(6):  # older: first in line
        report(client, slow_hook, f"s-{number}", "ok")
    for number in range(3):
        report(client, fast_hook, f"f-{number}", "ok")

    with Running(Worker(gateway, kinds=["feedback"], concurrency=4, per_lane=2, poll_interval=0.1)):
        wait_until(lambda: states(other_org_api) == ["delivered"] * 3)
        assert len(fast.ids) == 3
        wait_until(lambda: len(slow.ids) == 2)
        assert len(slow.ids) == 2 and states(api) == ["pending"] * 6  # two threads held, no more
        slow.released.set()
        wait_until(lambda: states(api) == ["delivered"] * 6)
    assert sorted(slow.ids) == sorted({d["id"] for d in deliveries(api)})  # each once


def test_a_crashing_feedback_job_retries_on_the_feedback_schedule_then_dies(settings, endpoints):
    # the SMS schedule is 1000 s, the feedback one 7 s: the crash must use the latter
    settings = replace(settings, retry_delays=(1000,), feedback_retry_delays=(7,))
    app = create_app(settings, plugins=[loopback])
    client = app.test_client()
    api = Api(client, create_api_key(app.extensions["smshooks"].db, "acme"))
    make_feedback_webhook(api, endpoints().url)
    report(client, make_webhook(api), "v-1", "ok")
    # the server's secret key changed: the webhook's sealed secrets no longer open
    other = Gateway.build(replace(settings, secret_key="another-secret-key"), plugins=[loopback])
    db = other.db
    try:
        assert Worker(other, kinds=["feedback"]).run_once()
        with db.session() as session:
            job = session.execute(select(Job)).scalar_one()
        assert (job.state, job.attempts) == ("pending", 1) and job.last_error
        assert 7 * 0.8 - 0.1 <= (job.due_at - job.updated_at).total_seconds() <= 7 * 1.2 + 0.1
        assert states(api) == ["pending"]

        with db.transaction() as session:
            session.execute(update(Job).values(due_at=utcnow()))
        assert Worker(other, kinds=["feedback"]).run_once()
        with db.session() as session:
            job = session.execute(select(Job)).scalar_one()
        assert (job.state, job.attempts) == ("dead", 2) and job.last_error.startswith("gave up after 2 attempts")
        assert states(api) == ["dead"]  # the delivery says so too
    finally:
        db.engine.dispose()
        app.extensions["smshooks"].db.engine.dispose()


def test_a_dead_workers_job_runs_again_when_its_short_lease_ends(gateway, api, client, endpoints):
    endpoint = endpoints()
    make_feedback_webhook(api, endpoint.url)
    report(client, make_webhook(api), "v-1", "ok")
    # what a worker killed mid-attempt leaves behind: a running job under its lease
    [abandoned] = jobs.claim_batch(gateway.db, "host:1:dead", ["feedback"], limit=1, lease=timedelta(seconds=2))
    worker = Worker(gateway, kinds=["feedback"])
    assert worker.run_once() is False  # not while the lease holds
    wait_until(worker.run_once, timeout=20)
    assert states(api) == ["delivered"] and len(endpoint.ids) == 1
    with gateway.db.session() as session:
        job = session.get(Job, abandoned.id)
        assert (job.state, job.attempts, job.worker) == ("done", 2, worker.name)
    assert timedelta(seconds=15) >= jobs.DEFAULT_LEASE  # seconds, not minutes


def test_a_long_delivery_keeps_its_lease_and_is_not_run_twice(gateway, api, client, endpoints):
    endpoint = endpoints(hold=True)
    make_feedback_webhook(api, endpoint.url)
    report(client, make_webhook(api), "v-1", "ok")
    other = Worker(gateway, kinds=["feedback"], lease=timedelta(seconds=1))
    with Running(Worker(gateway, kinds=["feedback"], lease=timedelta(seconds=1), poll_interval=0.1)):
        wait_until(lambda: len(endpoint.ids) == 1)
        deadline = time.monotonic() + 2.5  # more than two leases
        while time.monotonic() < deadline:
            assert other.run_once() is False  # renewed: never due for another worker
            time.sleep(0.1)
        endpoint.released.set()
        wait_until(lambda: states(api) == ["delivered"])
    assert len(endpoint.ids) == 1


def test_a_job_enqueued_by_another_process_wakes_the_worker(gateway, settings):
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("SQLite has no NOTIFY: its workers poll")
    worker = Worker(gateway, kinds=["feedback"], poll_interval=600)  # polling cannot explain a wake-up
    with Running(worker):
        wait_until(lambda: worker.listener is not None and worker.listener.listening.is_set())
        time.sleep(0.2)  # the worker is asleep for its poll interval
        script = (
            "import sys\n"
            "from smshooks.outbox import jobs\n"
            "from smshooks.store.db import Database\n"
            "db = Database.from_url(sys.argv[1])\n"
            "with db.transaction() as session:\n"
            "    jobs.enqueue(session, 'feedback', {'delivery_id': 'evt_missing'}, org='acme', sandbox='prod')\n"
        )
        subprocess.run([sys.executable, "-c", script, settings.database_url], check=True, timeout=60)
        with gateway.db.session() as session:
            job_id = session.execute(select(Job.id)).scalar_one()

        def handled() -> bool:
            with gateway.db.session() as session:
                return session.get(Job, job_id).state == jobs.DEAD  # its delivery does not exist

        wait_until(handled, timeout=20)


def test_a_stopping_worker_finishes_its_attempt_and_gives_back_the_jobs_it_had_not_started(
    gateway, api, client, endpoints
):
    endpoint = endpoints(hold=True)
    make_feedback_webhook(api, endpoint.url)
    hook = make_webhook(api)
    for number in range(4):
        report(client, hook, f"v-{number}", "ok")
    worker = Worker(gateway, kinds=["feedback"], concurrency=1, per_lane=1, poll_interval=0.1)
    running = Running(worker)
    with running:
        wait_until(lambda: len(endpoint.ids) == 1)  # one attempt runs, the next one is claimed, ready

        def claimed() -> list[str]:
            with gateway.db.session() as session:
                return list(session.execute(select(Job.state).order_by(Job.id)).scalars())

        wait_until(lambda: claimed() == ["running", "running", "pending", "pending"])
        worker.stop()
        endpoint.released.set()
    assert not running.thread.is_alive()
    assert states(api) == ["delivered", "pending", "pending", "pending"]
    with gateway.db.session() as session:
        rows = session.execute(select(Job.state, Job.attempts, Job.worker).order_by(Job.id)).all()
    assert rows[0] == ("done", 1, worker.name)
    assert rows[1:] == [("pending", 0, None)] * 3  # not even counted as an attempt


def test_a_worker_whose_connections_the_server_dropped_delivers_the_next_jobs(
    gateway, api, client, endpoints, settings
):
    """A server restart drops every connection, the claiming loop's own one too: the worker connects anew."""
    if not settings.database_url.startswith("postgresql"):
        pytest.skip("a PostgreSQL server's connections")
    endpoint = endpoints()
    make_feedback_webhook(api, endpoint.url)
    hook = make_webhook(api)
    report(client, hook, "v-1", "ok")
    with Running(Worker(gateway, kinds=["feedback"], poll_interval=0.1)):
        wait_until(lambda: states(api) == ["delivered"])
        with gateway.db.engine.connect() as conn:
            dropped = conn.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).scalar()
        assert dropped >= 2  # the claiming loop's connection and the listener's at least
        gateway.db.engine.dispose()  # the web side's pooled ones too (not this test's subject)
        report(client, hook, "v-2", "ok")
        wait_until(lambda: states(api) == ["delivered", "delivered"])
    assert len(endpoint.ids) == 2


def test_a_busy_worker_that_took_every_due_job_takes_one_enqueued_meanwhile(
    gateway, api, other_org_api, client, endpoints
):
    """Its last claim found nothing more due, so it claims again only when told of new jobs (or
    polls): an enqueue here tells it, while its threads are still busy."""
    slow, fast = endpoints(hold=True), endpoints()
    make_feedback_webhook(api, slow.url)
    make_feedback_webhook(other_org_api, fast.url)
    report(client, make_webhook(api), "s-1", "ok")
    with Running(Worker(gateway, kinds=["feedback"], poll_interval=600)):  # polling cannot explain it
        wait_until(lambda: len(slow.ids) == 1)  # busy, nothing else due
        fast_hook = make_webhook(other_org_api)
        for number in range(3):
            report(client, fast_hook, f"f-{number}", "ok")
            wait_until(lambda number=number: states(other_org_api) == ["delivered"] * (number + 1))
        assert states(api) == ["pending"]  # the slow one still runs
        slow.released.set()
        wait_until(lambda: states(api) == ["delivered"])
    assert len(fast.ids) == 3 and len(slow.ids) == 1
