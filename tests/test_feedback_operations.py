"""Running a feedback webhook: a signed sample event on request (``POST /feedback-webhook/test``),
an endpoint failing for too long disabled (logged and counted), and enabled again with what it missed replayed
(``POST /feedback-webhook/enable``). Two apps for the module: one that never disables
for failures, one that disables at the first failure (SMSHOOKS_FEEDBACK_DISABLE_AFTER=0)."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from dataclasses import replace

import jwt
import pytest
from flask import Flask
from prometheus_client.parser import text_string_to_metric_families
from standardwebhooks import Webhook
from support import loopback
from support.api import Api, make_webhook, new_org
from support.feedback import deliveries, make_feedback_webhook, report, work
from support.receiver import Answer, Receiver

from smshooks.apikeys import create_api_key
from smshooks.settings import Settings
from smshooks.web.app import create_app

HS_KEY = "k" * 40
ENVIRON = {"SMSHOOKS_DATABASE_URL": "sqlite://", "SMSHOOKS_SECRET_KEY": "k"}


def _app(settings: Settings, **changes) -> Iterator[Flask]:
    app = create_app(replace(settings, feedback_retry_delays=(0.01,), **changes), plugins=[loopback])
    yield app
    app.extensions["smshooks"].db.engine.dispose()


@pytest.fixture(scope="module")
def patient_app(module_settings: Settings) -> Iterator[Flask]:
    """Never disables a failing endpoint; one retry, then dead."""
    yield from _app(module_settings, feedback_disable_after=None)


@pytest.fixture(scope="module")
def strict_app(module_settings: Settings) -> Iterator[Flask]:
    """Disables an endpoint at its first failure."""
    yield from _app(module_settings, feedback_disable_after=0)


def disabled_count(app: Flask, reason: str) -> float:
    text = app.test_client().get("/metrics").get_data(as_text=True)
    samples = [s for f in text_string_to_metric_families(text) for s in f.samples]
    name = "smshooks_feedback_webhooks_disabled_total"
    return sum(s.value for s in samples if s.name == name and s.labels == {"reason": reason})


def api_of(app: Flask) -> Api:
    return Api(app.test_client(), create_api_key(app.extensions["smshooks"].db, new_org()))


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as receiver:
        yield receiver


# --- the sample event --------------------------------------------------------------------


def test_the_sample_event_is_signed_authenticated_and_answers_with_the_receivers_status(patient_app, receiver):
    api = api_of(patient_app)
    assert api.post("/feedback-webhook/test").status_code == 404
    created = make_feedback_webhook(
        api, receiver.url, auth={"type": "jwt", "algorithm": "HS256", "key": HS_KEY}, headers={"X-Tenant": "acme"}
    )
    receiver.script([Answer(202, body=b"thanks")])
    answer = api.post("/feedback-webhook/test")
    assert answer.status_code == 200, answer.json
    result = answer.json
    assert (result["delivered"], result["status_code"], result["error"]) == (True, 202, None)
    assert (result["response_excerpt"], result["url"]) == ("thanks", receiver.url)

    [request] = receiver.received
    assert request.webhook_id == result["id"]
    payload = Webhook(created["signing_secret"]).verify(request.body, request.headers)
    assert payload == result["payload"]
    assert payload["eventType"] == "message.feedback"
    assert payload["messageDeliveryFeedback"]["feedbackStatus"] == {"value": "delivered"}
    assert payload["messageExecution"]["campaignID"] == "smshooks-test"
    token = request.header("Authorization").removeprefix("Bearer ")
    assert jwt.decode(token, HS_KEY, algorithms=["HS256"])["body_sha256"] == hashlib.sha256(request.body).hexdigest()
    assert request.header("X-Tenant") == "acme"
    assert deliveries(api) == []  # a sample is not a delivery


def test_a_failing_or_unreachable_receiver_is_reported_and_a_disabled_webhook_can_be_tested(patient_app, receiver):
    api = api_of(patient_app)
    make_feedback_webhook(api, receiver.url)
    receiver.script([500])
    failed = api.post("/feedback-webhook/test").json
    assert (failed["delivered"], failed["status_code"], failed["error"]) == (False, 500, "HTTP 500")
    assert api.patch("/feedback-webhook", {"enabled": False}).status_code == 200
    assert api.post("/feedback-webhook/test").json["delivered"] is True  # checked before enabling it again
    receiver.stop()
    down = api.post("/feedback-webhook/test").json
    assert (down["delivered"], down["status_code"], down["error"]) == (False, None, "connection refused")
    assert len(receiver.received) == 2


# --- disabled after failing for too long, enabled with a replay ----------------------------


def test_an_endpoint_failing_too_long_is_disabled_with_a_log_line(strict_app, receiver, caplog):
    api, client = api_of(strict_app), strict_app.test_client()
    webhook_id = make_feedback_webhook(api, receiver.url)["id"]
    hook = make_webhook(api)
    receiver.script([500])
    before = disabled_count(strict_app, "failing")
    with caplog.at_level(logging.WARNING, logger="smshooks.feedback.endpoint_health"):
        report(client, hook, "v-1", "sent")
        report(client, hook, "v-1", "ok")
        work(strict_app, lambda: "pending" not in {d["state"] for d in deliveries(api)})
    shown = api.get("/feedback-webhook").json
    assert shown["enabled"] is False
    assert shown["disabled_reason"].startswith("every attempt failed since ")
    [line] = [r.getMessage() for r in caplog.records if r.name == "smshooks.feedback.endpoint_health"]
    assert line.startswith(f"feedback webhook {webhook_id} disabled: every attempt failed since")
    assert disabled_count(strict_app, "failing") == before + 1
    assert len(receiver.received) == 1  # the second delivery was not sent to a disabled endpoint
    assert sorted(d["state"] for d in deliveries(api)) == ["disabled", "disabled"]
    report(client, hook, "v-2", "ok")  # while disabled: no new feedback
    assert len(deliveries(api)) == 2

    enabled = api.post("/feedback-webhook/enable")
    assert enabled.status_code == 200, enabled.json
    assert (enabled.json["replayed"], enabled.json["in_progress"], enabled.json["limit_reached"]) == (2, 0, False)
    assert (enabled.json["feedback_webhook"]["enabled"], enabled.json["feedback_webhook"]["disabled_reason"]) == (
        True,
        None,
    )
    work(strict_app)
    assert sorted(d["state"] for d in deliveries(api)) == ["delivered", "delivered"]
    assert len(receiver.accepted()) == 2


def test_enabling_replays_the_dead_deliveries_since_the_endpoint_failed_only_on_request(patient_app, receiver):
    api, client = api_of(patient_app), patient_app.test_client()
    make_feedback_webhook(api, receiver.url)
    hook = make_webhook(api)
    report(client, hook, "v-1", "ok")
    work(patient_app)  # delivered: the last success
    receiver.script([500, 500])
    report(client, hook, "v-2", "ok")
    work(patient_app, lambda: "dead" in {d["state"] for d in deliveries(api)})
    assert sorted(d["state"] for d in deliveries(api)) == ["dead", "delivered"]
    assert api.get("/feedback-webhook").json["enabled"] is True  # this app never disables for failures

    assert api.post("/feedback-webhook/enable", {"replay_missed": False}).json["replayed"] == 0
    assert api.post("/feedback-webhook/enable", {"replay_missed": "maybe"}).status_code == 422
    assert api.post("/feedback-webhook/enable", {}).json["replayed"] == 1  # the dead one, not the delivered one
    work(patient_app)
    assert sorted(d["state"] for d in deliveries(api)) == ["delivered", "delivered"]
    assert api_of(patient_app).post("/feedback-webhook/enable").status_code == 404


@pytest.mark.parametrize(
    ("value", "seconds"), [("never", None), ("off", None), ("0", 0.0), ("432000", 432000.0), (None, 432000.0)]
)
def test_the_disable_after_setting(value, seconds):
    environ = ENVIRON if value is None else {**ENVIRON, "SMSHOOKS_FEEDBACK_DISABLE_AFTER": value}
    assert Settings.from_env(environ).feedback_disable_after == seconds


def test_a_negative_disable_after_is_refused():
    environ = {
        "SMSHOOKS_DATABASE_URL": "sqlite://",
        "SMSHOOKS_SECRET_KEY": "k",
        "SMSHOOKS_FEEDBACK_DISABLE_AFTER": "-1",
    }
    with pytest.raises(ValueError, match="seconds >= 0"):
        Settings.from_env(environ)
