"""The feedback emitter end to end: real ``smshooks serve`` processes, Twilio's signed
status callbacks, and a feedback receiver on loopback that verifies what it gets
with PyJWT and the ``standardwebhooks`` package."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import time

import jwt
import pytest
import requests
from sqlalchemy import create_engine, text
from standardwebhooks import Webhook
from support.receiver import Receiver
from support.server import Server, start_server, stop_server

from smshooks.testing import FakeVendorAPI, Reply

twilio_validator = pytest.importorskip("twilio.request_validator")

AUTH_TOKEN = "0123456789abcdef0123456789abcdef"
ACCOUNT_SID = "AC0123456789abcdef0123456789abcdef"
SUBSCRIBER = "+14155550123"
OUR_NUMBER = "+14155550100"
JWT_KEY = "feedback-jwt-key-" + "x" * 32


@pytest.fixture
def feedback_env(server_env):
    # retries every 0.3 s (the schedule scaled down), 40 of them
    delays = ",".join(["0.3"] * 40)
    return {**server_env, "SMSHOOKS_ALLOW_PRIVATE_TARGETS": "1", "SMSHOOKS_FEEDBACK_RETRY_DELAYS": delays}


class Gateway:
    """The admin API and a Twilio webhook of one running server."""

    def __init__(self, server: Server, *, api_base_url: str | None = None):
        self.server = server
        self.api = server.api(server.cli("apikey", "create", "--org", "acme"))
        fields = {"name": "twilio", "vendor": "twilio", "account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN}
        if api_base_url:
            fields["api_base_url"] = api_base_url
        self.credential = self.admin("POST", "/credentials", json=fields).json()
        hook = {"name": "status", "vendor": "twilio", "type": "feedback", "credentials_id": self.credential["id"]}
        self.webhook = self.admin("POST", "/webhooks", json=hook).json()

    def admin(self, method: str, path: str, **kwargs) -> requests.Response:
        answer = self.api.request(method, self.server.url + "/api/v1" + path, timeout=10, **kwargs)
        assert answer.status_code < 300, answer.text
        return answer

    def status_callback(self, sid: str, status: str, **extra: str) -> None:
        params = {
            "MessageSid": sid,
            "SmsSid": sid,
            "MessageStatus": status,
            "SmsStatus": status,
            "AccountSid": ACCOUNT_SID,
            "From": OUR_NUMBER,
            "To": SUBSCRIBER,
            "ApiVersion": "2010-04-01",
            **extra,
        }
        url = self.webhook["url"]
        signature = twilio_validator.RequestValidator(AUTH_TOKEN).compute_signature(url, params)
        answer = requests.post(url, data=params, headers={"X-Twilio-Signature": signature}, timeout=10)
        assert answer.status_code == 200, answer.text


def wait_until(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_killed_server_loses_nothing_and_duplicates_are_droppable(feedback_env, tmp_path):
    receiver = Receiver().start()
    receiver.script([500] * 10_000)  # the receiver is broken until further notice
    first = start_server(feedback_env, tmp_path / "first.log")
    engine = create_engine(feedback_env["SMSHOOKS_DATABASE_URL"])
    try:
        gateway = Gateway(first)
        secret = gateway.admin(
            "POST", "/feedback-webhook", json={"name": "fb", "channels": ["sms"], "url": receiver.url}
        ).json()["signing_secret"]
        gateway.status_callback("SM" + "1" * 32, "sent")
        gateway.status_callback("SM" + "1" * 32, "delivered")
        gateway.status_callback("SM" + "2" * 32, "undelivered", ErrorCode="30003")

        # every event has been tried (and failed) at least once: the server is retrying
        wait_until(lambda: len({r.webhook_id for r in receiver.received}) == 3)
        # kill it between two attempts (each is due 0.3 s ± 20 % after the last)
        count = len(receiver.received)
        wait_until(lambda: len(receiver.received) > count)
        time.sleep(0.1)
        os.kill(first.process.pid, signal.SIGKILL)
        first.process.wait(timeout=10)

        with engine.connect() as conn:
            states = conn.execute(text("SELECT state FROM feedback_deliveries")).scalars().all()
            assert sorted(states) == ["pending", "pending", "pending"]
            # each job waits for its next attempt, or is claimed by the dead worker under a lease
            # (the worker claims ahead of its threads): the next worker takes it when the lease lapses
            jobs = conn.execute(text("SELECT state, lease_expires_at FROM jobs WHERE kind = 'feedback'")).all()
            assert len(jobs) == 3
            assert all(state == "pending" or (state == "running" and lease) for state, lease in jobs), jobs

        receiver.script([])  # recovered: 200 from now on
        second = start_server(feedback_env, tmp_path / "second.log")
        try:
            wait_until(lambda: len(receiver.accepted()) == 3)
            gateway.server = second  # the same database, on the new process's port

            def delivered_ones() -> list[dict]:
                return gateway.admin("GET", "/deliveries", params={"state": "delivered"}).json()["items"]

            # the worker records successes in batches, a few ms after the receiver answered
            wait_until(lambda: len(delivered_ones()) == 3)
            delivered = delivered_ones()
            assert all(d["attempt_count"] >= 2 and d["attempts"][0]["status_code"] == 500 for d in delivered)
        finally:
            stop_server(second)
    finally:
        engine.dispose()
        receiver.stop()

    accepted = receiver.accepted()
    payloads = [Webhook(secret).verify(r.body, r.headers) for r in accepted]
    statuses = sorted(p["messageDeliveryFeedback"]["feedbackStatus"]["value"] for p in payloads)
    assert statuses == ["bounce", "delivered", "sent"]
    bounce = next(p for p in payloads if p["messageDeliveryFeedback"]["feedbackStatus"]["value"] == "bounce")
    assert bounce["messageDeliveryFeedback"]["messageFailure"]["code"] == "30003"
    # every request of one event carried the same webhook-id: a receiver keeps the first and drops the rest
    by_id: dict[str, set[bytes]] = {}
    for request in receiver.received:
        by_id.setdefault(request.webhook_id, set()).add(request.body)
    assert len(by_id) == 3 and all(len(bodies) == 1 for bodies in by_id.values())


def test_a_transactional_sms_through_twilio_gives_exactly_two_payloads(feedback_env, tmp_path):
    """The acceptance flow: POST /api/v1/messages through Twilio, then Twilio's sent
    and delivered callbacks: two payloads, requestId the send API's request_id."""
    sid = "SM" + "7" * 32
    with FakeVendorAPI() as twilio_api, Receiver() as receiver:
        twilio_api.reply_with(
            Reply(201, json.dumps({"sid": sid, "status": "queued"}).encode(), {"Content-Type": "application/json"})
        )
        server = start_server(feedback_env, tmp_path / "server.log")
        try:
            gateway = Gateway(server, api_base_url=twilio_api.url)
            auth = {
                "type": "jwt",
                "algorithm": "HS256",
                "key": JWT_KEY,
                "issuer": "smshooks",
                "audience": "acme-receiver",
            }
            fields = {"name": "fb", "channels": ["sms"], "url": receiver.url, "auth": auth}
            secret = gateway.admin("POST", "/feedback-webhook", json=fields).json()["signing_secret"]
            channel = {
                "name": "main",
                "credentials_id": gateway.credential["id"],
                "sender_number": OUR_NUMBER,
                "feedback_webhook_id": gateway.webhook["id"],
            }
            channel_id = gateway.admin("POST", "/channels", json=channel).json()["id"]
            send = {
                "channel_id": channel_id,
                "campaign_id": "welcome",
                "text": "Welcome aboard",
                "recipients": [{"phone": SUBSCRIBER}],
            }
            answer = gateway.admin("POST", "/messages", json=send).json()
            request_id = answer["request_id"]
            wait_until(lambda: len(twilio_api.requests) == 1)  # the worker sent it through "Twilio"
            # and recorded Twilio's id for it (a callback in the few ms before makes a message of its
            # own, folded into ours when the id is recorded; its feedback would lack the requestId)
            message_url = f"/messages/{answer['messages'][0]['message_execution_id']}"
            wait_until(lambda: gateway.admin("GET", message_url).json().get("vendor_message_id") == sid)
            gateway.status_callback(sid, "sent")
            gateway.status_callback(sid, "delivered")
            gateway.status_callback(sid, "delivered")  # Twilio retries a callback
            received = receiver.wait_for(2, timeout=30)
            deliveries = gateway.admin("GET", "/deliveries").json()["items"]
            assert len(deliveries) == 2
            wait_until(
                lambda: {d["state"] for d in gateway.admin("GET", "/deliveries").json()["items"]} == {"delivered"}
            )
        finally:
            stop_server(server)

    assert len(receiver.received) == 2
    payloads = []
    for request in received:
        payloads.append(Webhook(secret).verify(request.body, request.headers))
        token = request.header("Authorization").removeprefix("Bearer ")
        claims = jwt.decode(token, JWT_KEY, algorithms=["HS256"], audience="acme-receiver", issuer="smshooks")
        assert claims["body_sha256"] == hashlib.sha256(request.body).hexdigest()
    # two deliveries of one message may be in flight at once: their order is not guaranteed
    statuses = sorted(p["messageDeliveryFeedback"]["feedbackStatus"]["value"] for p in payloads)
    assert statuses == ["delivered", "sent"]
    assert {p["requestId"] for p in payloads} == {request_id}
    [accepted] = answer["messages"]
    for payload in payloads:
        execution = payload["messageExecution"]
        assert execution["messageExecutionID"] == accepted["message_execution_id"]
        assert (execution["campaignID"], execution["campaignType"], execution["messageID"]) == (
            "welcome",
            "ApiTriggered",
            sid,
        )
        assert payload["identityMap"] == {"Phone": [{"id": SUBSCRIBER, "primary": True}]}
