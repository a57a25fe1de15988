"""Scale-out end to end (docs/deployment.md): 2 web processes (``smshooks serve --no-worker``)
and 2 ``smshooks worker`` processes on ONE PostgreSQL database, as behind a load balancer.

Several threads send to both web processes at once: Twilio-signed inbound messages (STOP,
START, HELP, free text), each also delivered to the other web process at the same moment (a
vendor retry landing on another host), transactional sends through ``POST /api/v1/messages``
and the delivery reports Twilio would send for them, each also twice. The checks: every
inbound message stored once, one consent change per opt-out and per opt-in, every reply and
every transactional SMS sent to "Twilio" once, every feedback event delivered once.
"""

from __future__ import annotations

import itertools
import json
import os
import secrets
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, make_url, text
from support.receiver import Receiver
from support.server import Server, start_server, stop_server

from smshooks.testing import FakeVendorAPI, Reply

twilio_validator = pytest.importorskip("twilio.request_validator")

POSTGRES = os.environ.get("SMSHOOKS_TEST_POSTGRES_URL")
pytestmark = pytest.mark.skipif(not POSTGRES, reason="scale-out needs PostgreSQL (SMSHOOKS_TEST_POSTGRES_URL)")

AUTH_TOKEN = "0123456789abcdef0123456789abcdef"
ACCOUNT_SID = "AC0123456789abcdef0123456789abcdef"
OUR_NUMBER = "+14155550100"
#: what the vendor calls: the load balancer's address, the same for every web process
PUBLIC_URL = "https://sms.example.test"
SUBSCRIBERS = [f"+1415555{1000 + n}" for n in range(8)]
RECIPIENTS = [f"+1415556{1000 + n}" for n in range(12)]
CONVERSATION = ("STOP", "START", "HELP", "hello there, any news?")
#: STOP, START and HELP are answered; free text only when the webhook configures a default reply
REPLIES = 3


@contextmanager
def scratch_database() -> Iterator[str]:
    """An empty database of this test's own on the test server, dropped afterwards."""
    server = make_url(POSTGRES)
    if server.drivername == "postgresql":
        server = server.set(drivername="postgresql+psycopg")
    name = "test_scaleout_" + secrets.token_hex(4)
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def wait_until(condition: Callable[[], bool], what: Callable[[], str], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"after {timeout:.0f} s: {what()}")
        time.sleep(0.1)


class Worker:
    """A ``smshooks worker`` process, its output in a log file."""

    def __init__(self, env: dict[str, str], log: Path):
        self.log = log
        with log.open("a") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "smshooks", "worker", "--poll-interval", "0.5"],
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def wait_running(self) -> None:
        wait_until(
            lambda: "smshooks worker" in self.log.read_text() or self.process.poll() is not None,
            lambda: "the worker did not start:\n" + self.log.read_text(),
        )
        assert self.process.poll() is None, "the worker exited:\n" + self.log.read_text()

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class FakeTwilio(FakeVendorAPI):
    """Twilio's Messages API: every send accepted with a new sid, remembered by recipient."""

    def __init__(self) -> None:
        super().__init__()
        self.sids = itertools.count(1)
        self.sid_of: dict[str, str] = {}
        self.lock = threading.Lock()
        self.reply_with(self.accept)

    def accept(self, request) -> Reply:
        with self.lock:
            sid = f"SM{next(self.sids):032x}"
            self.sid_of[request.form["To"][0]] = sid
        return Reply(201, json.dumps({"sid": sid, "status": "queued"}).encode(), {"Content-Type": "application/json"})

    def sent(self) -> list[tuple[str, str]]:
        with self._lock:
            return [(r.form["To"][0], r.form["Body"][0]) for r in self.requests]


def signed(url: str, params: dict[str, str]) -> dict[str, str]:
    return {"X-Twilio-Signature": twilio_validator.RequestValidator(AUTH_TOKEN).compute_signature(url, params)}


def to_both(webs: list[Server], public_url: str, params: dict[str, str]) -> None:
    """The same signed vendor request to every web process at once (a retry on another host)."""
    path = public_url.removeprefix(PUBLIC_URL)
    headers = signed(public_url, params)
    barrier = threading.Barrier(len(webs))

    def post(web: Server) -> requests.Response:
        barrier.wait(timeout=10)
        return requests.post(web.url + path, data=params, headers=headers, timeout=20)

    with ThreadPoolExecutor(len(webs)) as pool:
        answers = list(pool.map(post, webs))
    assert [a.status_code for a in answers] == [200] * len(webs), [a.text for a in answers]


def metric_samples(web: Server) -> Counter:
    answer = requests.get(web.url + "/metrics", timeout=10)
    assert answer.status_code == 200
    samples: Counter = Counter()
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] += sample.value
    return samples


def total(scraped: list[Counter], name: str, **labels: str) -> float:
    return sum(samples[(name, tuple(sorted(labels.items())))] for samples in scraped)


def test_two_web_processes_and_two_workers_store_and_deliver_everything_once(tmp_path):
    with scratch_database() as database_url, FakeTwilio() as twilio, Receiver() as receiver:
        env = {
            **os.environ,
            "SMSHOOKS_DATA_DIR": str(tmp_path / "data"),
            "SMSHOOKS_DATABASE_URL": database_url,
            "SMSHOOKS_SECRET_KEY": "e2e-secret",  # one key for every process: each opens what another sealed
            "SMSHOOKS_PUBLIC_URL": PUBLIC_URL,  # the same for every web process
            "SMSHOOKS_RETRY_DELAYS": "0.2,0.5,1",
            "SMSHOOKS_FEEDBACK_RETRY_DELAYS": "0.3,0.5,1",
            "SMSHOOKS_ALLOW_PRIVATE_TARGETS": "1",  # the fake Twilio and the receiver are on loopback
        }
        env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        # the deploy step: migrate once, before any process starts
        upgraded = subprocess.run(
            [sys.executable, "-m", "smshooks", "db", "upgrade"], env=env, capture_output=True, text=True, timeout=60
        )
        assert upgraded.returncode == 0, upgraded.stderr
        assert upgraded.stdout.startswith("database at head: postgresql+psycopg://")

        workers = [Worker(env, tmp_path / f"worker-{n}.log") for n in range(2)]
        webs: list[Server] = []
        engine = create_engine(database_url)
        try:
            for n in range(2):
                webs.append(start_server(env, tmp_path / f"web-{n}.log", "--no-worker", "--threads", "8"))
            for worker in workers:
                worker.wait_running()
            for web in webs:
                ready = requests.get(web.url + "/readyz", timeout=10)
                assert ready.status_code == 200, ready.text

            key = webs[0].cli("apikey", "create", "--org", "acme")
            api = [web.api(key) for web in webs]

            def admin(web: int, method: str, path: str, **kwargs) -> dict:
                answer = api[web].request(method, webs[web].url + "/api/v1" + path, timeout=20, **kwargs)
                assert answer.status_code < 300, answer.text
                return answer.json()

            credential = admin(
                0,
                "POST",
                "/credentials",
                json={
                    "name": "twilio",
                    "vendor": "twilio",
                    "account_sid": ACCOUNT_SID,
                    "auth_token": AUTH_TOKEN,
                    "api_base_url": twilio.url,
                    "inline_replies": False,  # replies through the Messages API: through the outbox
                },
            )
            inbound = admin(
                1,
                "POST",
                "/webhooks",
                json={
                    "name": "inbound",
                    "vendor": "twilio",
                    "type": "inbound",
                    "credentials_id": credential["id"],
                    "sender_number": OUR_NUMBER,
                },
            )
            status = admin(
                0,
                "POST",
                "/webhooks",
                json={"name": "status", "vendor": "twilio", "type": "feedback", "credentials_id": credential["id"]},
            )
            assert inbound["url"].startswith(PUBLIC_URL + "/hooks/") and status["url"].startswith(PUBLIC_URL)
            channel = admin(
                1,
                "POST",
                "/channels",
                json={
                    "name": "main",
                    "credentials_id": credential["id"],
                    "sender_number": OUR_NUMBER,
                    "feedback_webhook_id": status["id"],
                },
            )
            admin(0, "POST", "/feedback-webhook", json={"name": "fb", "channels": ["sms"], "url": receiver.url})

            def conversation(n: int) -> None:
                subscriber = SUBSCRIBERS[n]
                for turn, body in enumerate(CONVERSATION):  # in order: each waits for the answers to the last
                    sid = f"SM{n:016d}{turn:016d}"
                    params = {
                        "MessageSid": sid,
                        "SmsSid": sid,
                        "AccountSid": ACCOUNT_SID,
                        "From": subscriber,
                        "To": OUR_NUMBER,
                        "Body": body,
                        "NumSegments": "1",
                        "NumMedia": "0",
                        "ApiVersion": "2010-04-01",
                    }
                    to_both(webs, inbound["url"], params)

            def send(n: int) -> None:
                recipients = [{"phone": phone} for phone in RECIPIENTS[2 * n : 2 * n + 2]]
                body = {"channel_id": channel["id"], "campaign_id": f"c{n}", "text": "Your code is 1234"}
                admin(n % 2, "POST", "/messages", json={**body, "recipients": recipients})

            with ThreadPoolExecutor(8) as pool:
                jobs = [pool.submit(conversation, n) for n in range(len(SUBSCRIBERS))]
                jobs += [pool.submit(send, n) for n in range(len(RECIPIENTS) // 2)]
                for job in jobs:
                    job.result()

            # the transactional SMS reached "Twilio" and the workers stored each sid
            def sids_stored() -> int:
                with engine.connect() as conn:
                    return conn.execute(
                        text(
                            "SELECT count(*) FROM messages"
                            " WHERE kind = 'transactional' AND vendor_message_id IS NOT NULL"
                        )
                    ).scalar()

            wait_until(
                lambda: sids_stored() == len(RECIPIENTS),
                lambda: f"{sids_stored()} of {len(RECIPIENTS)} transactional sends accepted by Twilio",
            )

            def callbacks(phone: str) -> None:
                sid = twilio.sid_of[phone]
                for state in ("sent", "delivered"):
                    params = {
                        "MessageSid": sid,
                        "SmsSid": sid,
                        "MessageStatus": state,
                        "SmsStatus": state,
                        "AccountSid": ACCOUNT_SID,
                        "From": OUR_NUMBER,
                        "To": phone,
                        "ApiVersion": "2010-04-01",
                    }
                    to_both(webs, status["url"], params)

            with ThreadPoolExecutor(6) as pool:
                list(pool.map(callbacks, RECIPIENTS))

            expected_feedback = 2 * len(RECIPIENTS)
            wait_until(
                lambda: len({r.webhook_id for r in receiver.received}) >= expected_feedback,
                lambda: f"{len({r.webhook_id for r in receiver.received})} of {expected_feedback} feedback events",
            )
            # every reply and every send, and nothing left to do
            expected_sms = len(SUBSCRIBERS) * REPLIES + len(RECIPIENTS)

            def unfinished() -> list:
                with engine.connect() as conn:
                    return conn.execute(
                        text("SELECT kind, state, count(*) FROM jobs WHERE state <> 'done' GROUP BY kind, state")
                    ).all()

            wait_until(
                lambda: len(twilio.requests) >= expected_sms and not unfinished(),
                lambda: f"{len(twilio.requests)} of {expected_sms} SMS sent; jobs not done: {unfinished()}",
            )
            # without a shared PROMETHEUS_MULTIPROC_DIR (separate hosts), each process counts its own
            scraped = [metric_samples(web) for web in webs]
            with engine.connect() as conn:
                stored = conn.execute(
                    text("SELECT vendor_message_id, count(*) FROM inbound_messages GROUP BY vendor_message_id")
                ).all()
                ledger = conn.execute(text("SELECT subscriber, new_state FROM consent_ledger ORDER BY id")).all()
                reports = conn.execute(text("SELECT count(*) FROM delivery_reports")).scalar()
                done_by = Counter(conn.execute(text("SELECT worker FROM jobs WHERE state = 'done'")).scalars())
        finally:
            for server in webs:
                stop_server(server)
            for worker in workers:
                worker.stop()
            engine.dispose()

    # every distinct inbound message stored exactly once
    assert len(stored) == len(SUBSCRIBERS) * len(CONVERSATION)
    assert {count for _, count in stored} == {1}
    # one consent change per opt-out and per opt-in, in the order the subscriber sent them
    for subscriber in SUBSCRIBERS:
        assert [state for who, state in ledger if who == subscriber] == ["opted_out", "opted_in"], ledger
    assert len(ledger) == 2 * len(SUBSCRIBERS)
    # each reply and each transactional SMS reached "Twilio" exactly once
    sent = twilio.sent()
    assert len(sent) == expected_sms, Counter(sent).most_common(3)
    for subscriber in SUBSCRIBERS:
        replies = [body for to, body in sent if to == subscriber]
        assert len(replies) == len(set(replies)) == REPLIES, replies
    assert sorted(to for to, body in sent if body == "Your code is 1234") == sorted(RECIPIENTS)
    # each delivery report stored once, each feedback event delivered once (by webhook-id)
    assert reports == 2 * len(RECIPIENTS)
    by_id = Counter(r.webhook_id for r in receiver.received)
    assert len(by_id) == expected_feedback and set(by_id.values()) == {1}, by_id.most_common(3)
    assert all(r.status == 200 for r in receiver.received)
    outcomes = Counter(
        (r.json()["messageExecution"]["messageID"], r.json()["messageDeliveryFeedback"]["feedbackStatus"]["value"])
        for r in receiver.received
    )
    assert set(outcomes) == {(twilio.sid_of[p], s) for p in RECIPIENTS for s in ("sent", "delivered")}
    # each vendor request counted by the process that answered it: every event once stored, once a duplicate
    inbound_count, reports_count = len(SUBSCRIBERS) * len(CONVERSATION), 2 * len(RECIPIENTS)
    for kind, count in (("inbound", inbound_count), ("delivery_report", reports_count)):
        assert total(scraped, "smshooks_events_stored_total", vendor="twilio", kind=kind) == count
        assert total(scraped, "smshooks_events_duplicate_total", vendor="twilio", kind=kind) == count
    for webhook_type, count in (("inbound", inbound_count), ("feedback", reports_count)):
        requests_total = total(
            scraped, "smshooks_vendor_requests_total", vendor="twilio", webhook_type=webhook_type, status="200"
        )
        assert requests_total == 2 * count
    assert total(scraped, "smshooks_consent_changes_total", new_state="opted_out", action="opt_out") == len(SUBSCRIBERS)
    # the work went to our two workers; how it was shared is up to them (reported, not asserted)
    pids = {name.split(":")[1] for name in done_by}
    assert pids <= {str(worker.process.pid) for worker in workers}, done_by
    shares = {pid: sum(n for name, n in done_by.items() if name.split(":")[1] == pid) for pid in pids}
    print(f"jobs done per worker process: {shares}")
