"""Outbox throughput: feedback deliveries and SMS sends per worker process, against plain ``requests``.

    python benchmarks/bench_outbox.py [--jobs 1000] [--warmup 200] [--latencies 0,50] [--workers 1,2,4]
                                      [--kinds feedback,sms] [--postgres URL] [--no-sqlite]

A local receiver (a separate process) answers every POST after ``latency`` ms: 200 for a feedback
POST, 201 with a fresh Twilio message sid for a send. For each latency the run times, in the same run:

- a sequential ``requests`` loop and an 8-thread ``requests`` pool posting the same bodies (the
  baselines, each timed before and after the smshooks rounds; the better of the two counts);
- ``--jobs`` outbox jobs of one kind run by 1, 2 and 4 ``smshooks worker`` processes on PostgreSQL
  (``--postgres``, else SMSHOOKS_TEST_POSTGRES_URL: a throw-away database is created), and by one
  worker on SQLite (WAL). The jobs are written first (feedback: delivery rows; SMS: through
  ``POST /api/v1/messages`` with a Twilio channel), parked, the workers started, then the jobs made
  due at once; the time runs from then to the last job marked done. Before it, ``--warmup`` jobs per
  worker process run untimed in the same processes (their start: connections, prepared statements,
  caches), so the round measures the steady rate a long-running worker has.

It prints jobs/s, jobs/s per worker process and the ratios to the baselines, checks that the receiver
saw each job exactly once, then issue 10's acceptance bars. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "core"))  # runnable from a checkout without install

import requests
from sqlalchemy import func, select, text, update

SECRET_KEY = "bench-outbox-secret-key"
ACCOUNT_SID = "AC" + "0" * 32
FEEDBACK_BODY = {
    "requestId": "00000000-0000-4000-8000-000000000000",
    "imsOrg": "bench",
    "sandbox": {"name": "prod"},
    "channel": "sms",
    "eventType": "message.feedback",
    "channelContext": {"sms": {"from": "+14155550100", "to": "+14155550123", "vendor": "twilio"}},
    "messageExecution": {"messageExecutionID": "msg_bench", "campaignID": "bench", "messageType": "transactional"},
    "messageDeliveryFeedback": {"feedbackStatus": {"value": "delivered"}, "retryCount": 0},
    "identityMap": {"phone": [{"id": "+14155550123"}]},
}


# -- the receiver (its own process) ----------------------------------------------------------


def run_receiver(latency_ms: float) -> None:
    """Answer POSTs after ``latency_ms``; GET /stats counts requests and distinct ids."""
    lock = threading.Lock()
    seen: dict[str, int] = {}
    counter = iter(range(10**12))

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # one write per answer, sent at once: headers and body in separate segments
        # would meet the client's delayed ACK (40 ms a request)
        wbufsize = 64 * 1024
        disable_nagle_algorithm = True

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            with lock:
                stats = {"requests": sum(seen.values()), "distinct": len(seen)}
                if self.path == "/reset":
                    seen.clear()
            self._answer(200, json.dumps(stats).encode())

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if latency_ms:
                time.sleep(latency_ms / 1000)
            if "/Messages.json" in self.path:
                key = _form_value(body, "To") + ":" + _form_value(body, "Body")
                answer = json.dumps({"sid": f"SM{next(counter):032x}", "status": "queued"}).encode()
                status = 201
            else:
                key = self.headers.get("webhook-id") or f"plain-{next(counter)}"
                answer, status = b"ok", 200
            with lock:
                seen[key] = seen.get(key, 0) + 1
            self._answer(status, answer)

        def _answer(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.request_queue_size = 256
    print(server.server_address[1], flush=True)
    server.serve_forever()


def _form_value(body: bytes, name: str) -> str:
    from urllib.parse import parse_qs

    values = parse_qs(body.decode("utf-8", "replace")).get(name)
    return values[0] if values else ""


class ReceiverProcess:
    def __init__(self, latency_ms: float):
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--receiver", str(latency_ms)], stdout=subprocess.PIPE, text=True
        )
        self.url = f"http://127.0.0.1:{int(self.process.stdout.readline())}"

    def stats(self, reset: bool = False) -> dict[str, int]:
        return requests.get(self.url + ("/reset" if reset else "/stats"), timeout=10).json()

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


# -- the baselines -----------------------------------------------------------------------------


def _baseline_request(receiver: ReceiverProcess, kind: str) -> tuple[str, dict]:
    if kind == "sms":
        form = {"To": "+14155550123", "From": "+14155550100", "Body": "Your code is 1234"}
        url = f"{receiver.url}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
        return url, {"data": form, "auth": (ACCOUNT_SID, "x" * 32)}
    body = json.dumps(FEEDBACK_BODY).encode()
    return receiver.url + "/feedback", {"data": body, "headers": {"Content-Type": "application/json"}}


def sequential(receiver: ReceiverProcess, kind: str, count: int) -> float:
    url, kwargs = _baseline_request(receiver, kind)
    session = requests.Session()
    started = time.perf_counter()
    for _ in range(count):
        session.post(url, timeout=30, **kwargs).raise_for_status()
    return count / (time.perf_counter() - started)


def pool(receiver: ReceiverProcess, kind: str, count: int, threads: int = 8) -> float:
    url, kwargs = _baseline_request(receiver, kind)
    local = threading.local()

    def post(_: int) -> None:
        session = getattr(local, "session", None) or setattr(local, "session", requests.Session()) or local.session
        session.post(url, timeout=30, **kwargs).raise_for_status()

    with ThreadPoolExecutor(threads) as executor:
        started = time.perf_counter()
        list(executor.map(post, range(count)))
        return count / (time.perf_counter() - started)


# -- smshooks rounds ---------------------------------------------------------------------------


@dataclass
class Backend:
    name: str
    url: str
    data_dir: Path

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "SMSHOOKS_DATABASE_URL": self.url,
            "SMSHOOKS_SECRET_KEY": SECRET_KEY,
            "SMSHOOKS_DATA_DIR": str(self.data_dir),
            "SMSHOOKS_ALLOW_PRIVATE_TARGETS": "1",
            "SMSHOOKS_PUBLIC_URL": "https://sms.example.test",
            "SMSHOOKS_LOG_LEVEL": "INFO",
        }


def make_app(backend: Backend):
    from smshooks.settings import Settings
    from smshooks.web.app import create_app

    settings = Settings(
        data_dir=backend.data_dir,
        database_url=backend.url,
        secret_key=SECRET_KEY,
        public_url="https://sms.example.test",
        allow_private_targets=True,
    ).resolved()
    return create_app(settings)


def write_feedback_jobs(app, receiver: ReceiverProcess, count: int) -> None:
    """``count`` feedback deliveries (and their jobs) for one organisation's webhook, as emit writes them."""
    from smshooks.apikeys import create_api_key
    from smshooks.feedback.emit import JOB_KIND, JOB_MAX_ATTEMPTS, new_delivery_id
    from smshooks.outbox import jobs
    from smshooks.store.tables import FeedbackDelivery, FeedbackWebhook, utcnow

    gw = app.extensions["smshooks"]
    org = "bench-" + secrets.token_hex(4)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {create_api_key(gw.db, org)}"}
    body = {"name": "bench", "channels": ["sms"], "url": receiver.url + "/feedback"}
    answer = client.post("/api/v1/feedback-webhook", json=body, headers=headers)
    assert answer.status_code == 201, answer.json
    with gw.db.transaction() as session:
        webhook = session.execute(select(FeedbackWebhook).where(FeedbackWebhook.org == org)).scalar_one()
        for number in range(count):
            delivery = FeedbackDelivery(
                id=new_delivery_id(),
                org=org,
                sandbox="prod",
                feedback_webhook_id=webhook.id,
                event_type="feedback",
                event_key=f"bench:{number}",
                payload={**FEEDBACK_BODY, "imsOrg": org},
                state="pending",
                attempts=0,
                created_at=utcnow(),
            )
            session.add(delivery)
            session.flush()
            job = jobs.enqueue(
                session, JOB_KIND, {"delivery_id": delivery.id}, org=org, sandbox="prod", max_attempts=JOB_MAX_ATTEMPTS
            )
            delivery.job_id = job.id


def write_sms_jobs(app, receiver: ReceiverProcess, count: int) -> None:
    """``count`` transactional sends through a Twilio channel, 20 recipients per API call."""
    from smshooks.apikeys import create_api_key

    gw = app.extensions["smshooks"]
    client = app.test_client()
    headers = {"Authorization": f"Bearer {create_api_key(gw.db, 'bench-' + secrets.token_hex(4))}"}

    def post(path: str, body: dict) -> dict:
        answer = client.post("/api/v1" + path, json=body, headers=headers)
        assert answer.status_code < 300, answer.json
        return answer.json

    credential = post(
        "/credentials",
        {
            "name": "twilio",
            "vendor": "twilio",
            "account_sid": ACCOUNT_SID,
            "auth_token": "x" * 32,
            "api_base_url": receiver.url,
        },
    )
    channel = post("/channels", {"name": "bench", "credentials_id": credential["id"], "sender_number": "+14155550100"})
    for start in range(0, count, 20):
        recipients = [{"phone": f"+1415555{n % 10000:04d}"} for n in range(start, min(start + 20, count))]
        body = {"channel_id": channel["id"], "campaign_id": "bench", "text": "Your code is 1234"}
        post("/messages", {**body, "recipients": recipients})


def cpu_of(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class ServerCPU:
    """The CPU of the PostgreSQL backends serving a database, but for the one this watcher uses."""

    def __init__(self, url: str):
        from sqlalchemy import create_engine
        from sqlalchemy.pool import StaticPool

        self.engine = create_engine(url, poolclass=StaticPool)
        self.seen: dict[int, float] = {}  # each backend's CPU when first seen (0 if it started in the round)
        self.own = 0  # the transactions of this watcher

    def backends(self) -> list[int]:
        self.own += 1
        with self.engine.connect() as conn:
            query = "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            return list(conn.execute(text(query)).scalars())

    def transactions(self) -> int:
        """Transactions committed and rolled back in the database so far, but this watcher's own
        (each of its reads is one); the statistics lag up to a second."""
        self.own += 1
        with self.engine.connect() as conn:
            query = "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()"
            return conn.execute(text(query)).scalar() - self.own

    def start(self) -> None:
        self.seen = {pid: cpu_of(pid) for pid in self.backends()}

    def watch(self) -> None:
        for pid in self.backends():
            self.seen.setdefault(pid, 0.0)

    def spent(self) -> float:
        self.watch()
        return sum(max(0.0, cpu_of(pid) - before) for pid, before in self.seen.items())


def run_round(
    backend: Backend, receiver: ReceiverProcess, kind: str, workers: int, count: int, warmup: int = 0
) -> tuple[float, dict[str, float], float | None]:
    """Jobs per second of ``workers`` worker processes over ``count`` jobs of ``kind``, the CPU
    seconds per job the workers, the PostgreSQL backends and the receiver spent meanwhile, and
    the database transactions per job (PostgreSQL).

    ``warmup`` more jobs are run first by the same processes, untimed: a worker's first jobs pay
    for its start (connections, statements compiled and prepared, caches filled), which a
    long-running worker pays once; the timed jobs measure the steady rate."""
    from smshooks.store.tables import Job, utcnow

    app = make_app(backend)
    db = app.extensions["smshooks"].db
    server = ServerCPU(backend.url) if backend.url.startswith("postgresql") else None
    _empty(db)
    (write_sms_jobs if kind == "sms" else write_feedback_jobs)(app, receiver, count + warmup)
    with db.transaction() as session:  # parked until every worker is up
        session.execute(update(Job).values(due_at=utcnow() + timedelta(days=1)))
        warm = list(session.execute(select(Job.id).order_by(Job.id).limit(warmup)).scalars()) if warmup else []
    logs = [tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False) for _ in range(workers)]  # noqa: SIM115
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "smshooks", "worker", "--poll-interval", "0.2"],
            env=backend.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        for log in logs
    ]
    try:
        _wait_for(lambda: all(" started (" in Path(log.name).read_text() for log in logs), 60)
        if warm:
            with db.transaction() as session:
                session.execute(update(Job).where(Job.id.in_(warm)).values(due_at=utcnow()))
                if session.get_bind().dialect.name == "postgresql":
                    session.execute(text("NOTIFY smshooks_jobs"))

            def warmed() -> bool:
                with db.engine.connect() as conn:
                    busy = select(func.count()).select_from(Job).where(Job.id.in_(warm), Job.state != "done")
                    return conn.execute(busy).scalar() == 0

            _wait_for(warmed, 600, every=0.05)
        receiver.stats(reset=True)
        if server is not None:
            time.sleep(1.0)  # the statistics of what came before
            transactions_before = server.transactions()
        start = utcnow() + timedelta(seconds=0.3)
        with db.transaction() as session:
            session.execute(update(Job).where(Job.state == "pending").values(due_at=start))
            if session.get_bind().dialect.name == "postgresql":
                session.execute(text("NOTIFY smshooks_jobs"))
        cpu_before = {"workers": sum(cpu_of(p.pid) for p in processes), "receiver": cpu_of(receiver.process.pid)}
        if server is not None:
            server.start()

        def finished() -> bool:
            if server is not None:
                server.watch()  # a backend the workers connect meanwhile
                server.own += 1
            with (db.engine if server is None else server.engine).connect() as conn:
                return conn.execute(select(func.count()).select_from(Job).where(Job.state != "done")).scalar() == 0

        _wait_for(finished, 600, every=0.05)
        cpu = {
            "workers": sum(cpu_of(p.pid) for p in processes) - cpu_before["workers"],
            "receiver": cpu_of(receiver.process.pid) - cpu_before["receiver"],
        }
        if server is not None:
            cpu["postgresql"] = server.spent()
            time.sleep(1.0)  # the statistics of the last transactions
            transactions = server.transactions() - transactions_before
        with db.session() as session:
            last = session.execute(select(func.max(Job.updated_at))).scalar()
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
        for log in logs:
            os.unlink(log.name)
        db.engine.dispose()
        if server is not None:
            server.engine.dispose()
    stats = receiver.stats()
    if stats["requests"] != count or stats["distinct"] != count:
        print(f"    ! the receiver got {stats['requests']} requests for {stats['distinct']} of {count} jobs")
    cpu = {key: seconds / count for key, seconds in cpu.items()}
    return count / (last - start).total_seconds(), cpu, (transactions / count if server is not None else None)


def _empty(db) -> None:
    """The round's tables emptied: on PostgreSQL truncated, so a round does not inherit the dead rows
    (and index entries) of the rounds before it, and every round starts as the first did."""
    from smshooks.store.tables import (
        DeliveryAttempt,
        DeliveryReportRow,
        FeedbackDelivery,
        Job,
        OutboundMessageRow,
        VendorCallRow,
    )

    tables = (DeliveryAttempt, FeedbackDelivery, DeliveryReportRow, VendorCallRow, OutboundMessageRow, Job)
    with db.transaction() as session:
        if db.engine.dialect.name == "postgresql":
            names = ", ".join(table.__table__.name for table in tables)
            session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            return
        for table in tables:
            session.execute(table.__table__.delete())


def _wait_for(condition, timeout: float, every: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the benchmark round did not finish in time")
        time.sleep(every)


# -- main --------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument(
        "--warmup", type=int, default=200, help="untimed jobs per worker process run first (its start-up)"
    )
    parser.add_argument("--latencies", default="0,50", help="receiver latencies in ms")
    parser.add_argument("--workers", default="1,2,4", help="worker process counts on PostgreSQL")
    parser.add_argument("--kinds", default="feedback,sms")
    parser.add_argument("--postgres", default=os.environ.get("SMSHOOKS_TEST_POSTGRES_URL"))
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--receiver", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.receiver is not None:
        run_receiver(args.receiver)
        return

    from contextlib import ExitStack

    from smshooks.store.db import make_engine, upgrade
    from smshooks.testing import databases

    with ExitStack() as stack:
        directory = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-outbox-")))
        backends: list[tuple[Backend, list[int]]] = []
        if args.postgres:
            os.environ[databases.POSTGRES_ENV] = args.postgres
            url = stack.enter_context(databases.postgres_database())
            counts = [int(w) for w in args.workers.split(",")]
            backends.append((Backend("postgresql", url, directory / "pg"), counts))
        if not args.no_sqlite:
            url = f"sqlite:///{directory / 'smshooks.db'}"
            engine = make_engine(url)
            upgrade(engine)
            engine.dispose()
            backends.append((Backend("sqlite", url, directory / "sqlite"), [1]))
        report(args, backends)


def report(args: argparse.Namespace, backends: list[tuple[Backend, list[int]]]) -> None:
    print(
        f"load before: {os.getloadavg()[0]:.2f} (1-min average), {os.cpu_count()} cores; {args.jobs} jobs per round"
        f" after {args.warmup} untimed jobs per worker process"
    )
    results: dict[tuple[str, float, str, int], float] = {}
    baselines: dict[tuple[str, float], tuple[float, float]] = {}
    for latency in [float(x) for x in args.latencies.split(",")]:
        receiver = ReceiverProcess(latency)
        try:
            for kind in args.kinds.split(","):
                seq_count = args.jobs if latency == 0 else max(40, args.jobs // 20)
                before = (sequential(receiver, kind, seq_count), pool(receiver, kind, args.jobs))
                for backend, counts in backends:
                    for workers in counts:
                        rate, cpu, transactions = run_round(
                            backend, receiver, kind, workers, args.jobs, args.warmup * workers
                        )
                        results[(kind, latency, backend.name, workers)] = rate
                        spent = ", ".join(f"{key} {seconds * 1000:.2f}" for key, seconds in cpu.items())
                        print(
                            f"  {kind:8} {latency:4.0f} ms  {backend.name:10} {workers} worker(s): {rate:7.1f} jobs/s"
                            f" (CPU ms per job: {spent}, total {sum(cpu.values()) * 1000:.2f}"
                            + (f"; transactions per job {transactions:.2f}" if transactions is not None else "")
                            + f"; load {os.getloadavg()[0]:.1f})"
                        )
                after = (sequential(receiver, kind, seq_count), pool(receiver, kind, args.jobs))
                baselines[(kind, latency)] = (max(before[0], after[0]), max(before[1], after[1]))
        finally:
            receiver.stop()
    print(f"load after: {os.getloadavg()[0]:.2f}\n")
    print(
        f"{'kind':8} {'latency':>7} {'backend':10} {'workers':>7} {'jobs/s':>8} {'per proc':>8} "
        f"{'seq/s':>7} {'pool8/s':>7} {'proc/seq':>8} {'proc/pool':>9}"
    )
    for (kind, latency, backend, workers), rate in results.items():
        seq, pool8 = baselines[(kind, latency)]
        per = rate / workers
        print(
            f"{kind:8} {latency:5.0f}ms {backend:10} {workers:7d} {rate:8.1f} {per:8.1f} "
            f"{seq:7.1f} {pool8:7.1f} {per / seq:8.2f} {per / pool8:9.2f}"
        )
    print("\nissue 10's bars:")
    for (kind, latency, backend, workers), rate in results.items():
        seq, pool8 = baselines[(kind, latency)]
        if workers == 1 and latency == 50:
            print(f"  {kind} {backend} 50 ms: per process {rate / pool8:.2f}x the 8-thread pool (bar 0.8)")
        if workers == 1 and latency == 0:
            print(f"  {kind} {backend} 0 ms: per process {rate / seq:.2f}x the sequential loop (bar 0.8)")
        one = results.get((kind, latency, backend, 1))
        if workers == 4 and latency == 50 and one:
            print(f"  {kind} {backend} 50 ms: 4 workers {rate / one:.2f}x one worker (bar 3)")


if __name__ == "__main__":
    main()
