"""Every delivery attempt's log line carries the request id of the request that caused it: the
API send, the vendor request whose report made a feedback delivery, a replay; its retries keep it,
a job the worker enqueues for it inherits it, and a pooled thread never lends one job's id to the
next. Text and JSON lines, on each backend; a ``smshooks worker`` process of its own too."""

from __future__ import annotations

import io
import itertools
import json
import logging
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import replace

import pytest
from support import loopback
from support.api import Api, make_webhook, new_org
from support.feedback import make_feedback_webhook
from support.one_app import shared_api, shared_app, shared_client, shared_settings  # noqa: F401
from support.receiver import Receiver

from smshooks.apikeys import create_api_key
from smshooks.feedback import JOB_KIND as FEEDBACK
from smshooks.messages.send_job import SEND_SMS
from smshooks.outbox.retry import RetryPolicy
from smshooks.outbox.worker import Worker
from smshooks.testing import FakeVendorAPI, Reply
from smshooks.web.app import create_app

OUR_NUMBER = "+14155550100"
_numbers = itertools.count(2000)
_vendor_ids = itertools.count(1)


def subscriber() -> str:
    return f"+1415555{next(_numbers):04d}"


@pytest.fixture(scope="module")
def vendor_api():
    """Accepts every send but "refuse me" (400, for good) and "busy once" (503 the first time)."""
    with FakeVendorAPI() as api:
        busy_seen: set[str] = set()

        def answer(request) -> Reply:
            body = request.json()
            if body.get("text") == "refuse me":
                return Reply(400, b'{"error": "no"}', {"Content-Type": "application/json"})
            if body.get("text") == "busy once" and body["to"] not in busy_seen:
                busy_seen.add(body["to"])
                return Reply(503, b"{}", {"Content-Type": "application/json"})
            vendor_id = f"rq-{next(_vendor_ids)}"
            return Reply(200, json.dumps({"id": vendor_id}).encode(), {"Content-Type": "application/json"})

        api.reply_with(answer)
        yield api


@pytest.fixture(scope="module")
def receiver():
    with Receiver() as receiver:
        yield receiver


class Tenant:
    """An organisation with a loopback channel, a signed inbound + report webhook and a feedback webhook."""

    def __init__(self, api: Api, vendor_api: FakeVendorAPI | None, receiver: Receiver):
        self.api, self.client = api, api.client
        if vendor_api is not None:
            credential = api.post(
                "/credentials", {"name": "lb", "vendor": "loopback", "account": "A", "api_url": vendor_api.url}
            )
            self.channel = api.post(
                "/channels", {"name": "ch", "credentials_id": credential.json["id"], "sender_number": OUR_NUMBER}
            ).json
        self.hook = make_webhook(api, type_="feedback", name="reports")
        make_feedback_webhook(api, receiver.url)

    def send(self, text: str, *recipients: str, request_id: str | None = None) -> str:
        """POST /api/v1/messages; the request id it was answered with."""
        body = {
            "channel_id": self.channel["id"],
            "campaign_id": "c",
            "text": text,
            "recipients": [{"phone": to} for to in recipients],
        }
        headers = {"X-Request-Id": request_id} if request_id else {}
        answer = self.api.post("/messages", body, headers=headers)
        assert answer.status_code == 202, answer.json
        return answer.headers["X-Request-Id"]

    def report(self, vendor_id: str, status: str, *, request_id: str) -> None:
        body = json.dumps({"reports": [{"id": vendor_id, "to": subscriber(), "status": status}]}).encode()
        headers = {loopback.SIGNATURE_HEADER: loopback.sign("s3cret", body), "X-Request-Id": request_id}
        answer = self.client.post(
            f"/hooks/{self.hook['id']}", data=body, headers=headers, content_type="application/json"
        )
        assert answer.status_code == 200, answer.data

    def deliveries(self) -> list[dict]:
        answer = self.api.get("/deliveries")
        assert answer.status_code == 200
        return answer.json["items"]


@pytest.fixture
def tenant(api, vendor_api, receiver) -> Tenant:
    return Tenant(api, vendor_api, receiver)


def work(app, until: Callable[[], bool], what: str) -> None:
    """Run a pooled worker of ONE thread (every job on the same thread) until ``until()`` holds;
    a failed attempt is retried at once."""
    now = RetryPolicy((0,))
    worker = Worker(app.extensions["smshooks"], concurrency=1, per_lane=1, poll_interval=0.05)
    worker.policies.update({SEND_SMS: now, FEEDBACK: now})
    thread = worker.start_thread()
    try:
        deadline = time.monotonic() + 30
        while not until():
            assert time.monotonic() < deadline, what
            time.sleep(0.02)
    finally:
        worker.stop()
        thread.join(timeout=30)


def attempts(buffer: io.StringIO, kind: str) -> list[tuple[str, str]]:
    """(request id, the rest) of each text ``delivery attempt <kind>`` line."""
    pattern = re.compile(rf" smshooks\.delivery \[([^\]]+)\]: delivery attempt {kind} (.*)")
    return [(m.group(1), m.group(2)) for m in map(pattern.search, buffer.getvalue().splitlines()) if m]


def of(buffer: io.StringIO, kind: str, request_id: str) -> list[str]:
    return [rest for rid, rest in attempts(buffer, kind) if rid == request_id]


def test_a_sends_attempts_and_retries_carry_its_api_request_id(app, tenant, log_lines):
    buffer = log_lines()
    first, second, busy = subscriber(), subscriber(), subscriber()
    assert tenant.send("hello", first, second, request_id="api-send-1") == "api-send-1"
    tenant.send("busy once", busy, request_id="api-send-2")
    work(
        app,
        lambda: len(of(buffer, "send_sms", "api-send-1")) == 2 and len(of(buffer, "send_sms", "api-send-2")) == 2,
        "the sends' attempts were not logged with their request ids",
    )
    assert all(rest.startswith("success") for rest in of(buffer, "send_sms", "api-send-1"))
    # the retry keeps the id of the request that caused the job
    assert [rest.split()[0] for rest in of(buffer, "send_sms", "api-send-2")] == ["retry", "success"]
    assert "request_id" not in buffer.getvalue()  # the id is in brackets, not a field of the text line


def test_the_feedback_a_refused_send_causes_inherits_the_sends_request_id(app, tenant, receiver, log_lines):
    buffer = log_lines()
    tenant.send("refuse me", subscriber(), request_id="api-send-refused")
    work(
        app,
        lambda: of(buffer, "feedback", "api-send-refused"),
        "the error feedback the worker enqueued was not logged with the send's request id",
    )
    assert [rest.split()[0] for rest in of(buffer, "send_sms", "api-send-refused")] == ["failed"]
    [delivery] = tenant.deliveries()
    assert delivery["payload"]["messageDeliveryFeedback"]["feedbackStatus"]["value"] == "error"
    assert of(buffer, "feedback", "api-send-refused")[0].startswith("success")


def test_a_feedback_attempt_carries_the_request_id_of_the_report_and_of_its_replay(app, tenant, log_lines):
    buffer = log_lines(SMSHOOKS_LOG_FORMAT="json")
    tenant.report("v-report-1", "ok", request_id="report-1")

    def lines() -> list[dict]:
        return [json.loads(line) for line in buffer.getvalue().splitlines()]

    def feedback_lines(request_id: str) -> list[dict]:
        return [
            line
            for line in lines()
            if line["request_id"] == request_id and line["message"].startswith("delivery attempt feedback")
        ]

    work(app, lambda: feedback_lines("report-1"), "the report's feedback attempt was not logged with its id")
    [line] = feedback_lines("report-1")
    [delivery] = tenant.deliveries()
    assert (line["logger"], line["kind"], line["outcome"], line["status"]) == (
        "smshooks.delivery",
        "feedback",
        "success",
        200,
    )
    assert line["delivery_id"] == delivery["id"]

    replay = tenant.api.post(f"/deliveries/{delivery['id']}/replay", headers={"X-Request-Id": "replay-1"})
    assert replay.status_code == 202, replay.json
    work(app, lambda: feedback_lines("replay-1"), "the replayed attempt was not logged with the replay's id")
    assert [line["delivery_id"] for line in feedback_lines("replay-1")] == [delivery["id"]]
    assert len(feedback_lines("report-1")) == 1


def test_two_jobs_on_one_thread_each_log_their_own_request_id(app, tenant, log_lines):
    buffer = log_lines()
    tenant.send("one", subscriber(), request_id="thread-a")
    generated = tenant.send("two", subscriber())  # no X-Request-Id: the gateway made one up
    assert re.fullmatch(r"[0-9a-f]{32}", generated)
    work(
        app,
        lambda: of(buffer, "send_sms", "thread-a") and of(buffer, "send_sms", generated),
        "the two sends were not logged with their own ids",
    )
    assert len(of(buffer, "send_sms", "thread-a")) == 1 and len(of(buffer, "send_sms", generated)) == 1

    # A worker run in the caller's thread (tests, tools): the id is gone once the attempt is over.
    tenant.send("three", subscriber(), request_id="thread-c")
    worker = Worker(app.extensions["smshooks"], kinds=[SEND_SMS])
    while worker.run_once():
        pass
    logging.getLogger("smshooks.test").info("after the jobs")
    assert len(of(buffer, "send_sms", "thread-c")) == 1
    assert re.search(r" smshooks\.test \[-\]: after the jobs$", buffer.getvalue(), re.MULTILINE)


def test_the_feedback_test_event_logs_the_request_id(tenant, log_lines):
    buffer = log_lines()
    answer = tenant.api.post("/feedback-webhook/test", headers={"X-Request-Id": "sample-1"})
    assert answer.status_code == 200 and answer.json["status_code"] == 200
    assert re.search(r"\[sample-1\]: feedback webhook \S+: sample event \S+ answered 200", buffer.getvalue())


def test_a_worker_process_logs_the_report_request_ids_and_sees_its_own_disabling_at_once(smshooks_settings, tmp_path):
    """``smshooks worker``: the ids cross processes with the jobs; and an endpoint it disables (every
    attempt failing for longer than SMSHOOKS_FEEDBACK_DISABLE_AFTER, here 0 s) is not POSTed to again
    by its next job: its own commit cleared its config cache (not the cache's one-second expiry)."""
    settings = replace(smshooks_settings, allow_private_targets=True)
    app = create_app(settings, plugins=[loopback])
    gateway = app.extensions["smshooks"]
    api = Api(app.test_client(), create_api_key(gateway.db, new_org()))
    env = {
        **os.environ,
        "SMSHOOKS_DATABASE_URL": settings.database_url,
        "SMSHOOKS_DATA_DIR": str(tmp_path),
        "SMSHOOKS_SECRET_KEY": settings.secret_key,
        "SMSHOOKS_ALLOW_PRIVATE_TARGETS": "1",
        "SMSHOOKS_FEEDBACK_DISABLE_AFTER": "0",
        "SMSHOOKS_FEEDBACK_RETRY_DELAYS": "3600",  # the first delivery's retry waits: out of this test
    }
    log = tmp_path / "worker.log"
    command = [sys.executable, "-m", "smshooks", "worker", "--poll-interval", "0.1", "--concurrency", "1"]
    try:
        with Receiver() as failing:
            failing.script([500, 500])
            tenant = Tenant(api, None, failing)
            tenant.report("v-worker-1", "ok", request_id="worker-report-1")
            tenant.report("v-worker-2", "ok", request_id="worker-report-2")
            with log.open("w") as out:
                worker = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
            try:
                deadline = time.monotonic() + 30
                while any(d["state"] == "pending" and not d["attempts"] for d in tenant.deliveries()):
                    assert worker.poll() is None and time.monotonic() < deadline, log.read_text()
                    time.sleep(0.1)
            finally:
                worker.terminate()
                worker.wait(timeout=20)
        text = log.read_text()
        assert len(failing.received) == 1, text  # the second job saw the endpoint disabled
        assert sorted((d["state"], len(d["attempts"])) for d in tenant.deliveries()) == [
            ("disabled", 0),
            ("pending", 1),
        ]
        [(request_id, rest)] = attempts(io.StringIO(text), "feedback")
        assert request_id == "worker-report-1" and rest.startswith("retry status=500"), text
        assert re.search(
            r"\[worker-report-2\]: job \d+ \(feedback\) failed for good: the feedback webhook is disabled", text
        )
    finally:
        gateway.db.engine.dispose()
