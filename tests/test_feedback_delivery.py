"""Delivering feedback to a real receiver on loopback: proof (JWT, Standard Webhooks),
custom headers, the retry schedule, 410, dead deliveries and replay.

JWTs are checked with PyJWT and signatures with the ``standardwebhooks``
package, independently of smshooks' own code.
"""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from standardwebhooks import Webhook, WebhookVerificationError
from support import loopback
from support.api import Api, make_webhook
from support.feedback import deliveries, make_feedback_webhook, report, work
from support.receiver import Answer, Receiver

from smshooks.hookspecs import hookimpl
from smshooks.web.app import create_app

HS_KEY = "k" * 40


def pem(private) -> str:
    return private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def public_pem(private) -> str:
    return (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


def fast_app(settings, delays=(0.05, 0.05, 0.05, 0.05), **more):
    """An app whose feedback retries come quickly (the schedule scaled down)."""
    return create_app(replace(settings, feedback_retry_delays=delays, **more), plugins=[loopback])


@pytest.fixture
def fast(settings, api_key_for):
    apps = []

    def make(delays=(0.05, 0.05, 0.05, 0.05)):
        app = fast_app(settings, delays)
        apps.append(app)
        client = app.test_client()
        return app, client, Api(client, api_key_for(app))

    yield make
    for app in apps:
        app.extensions["smshooks"].db.engine.dispose()


# --- proof -------------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", ["HS256", "RS256", "ES256"])
def test_each_request_carries_a_jwt_the_receiver_verifies_with_pyjwt(app, api, client, receiver, algorithm):
    if algorithm == "HS256":
        key = verify_key = HS_KEY
    else:
        private = (
            rsa.generate_private_key(65537, 2048) if algorithm == "RS256" else ec.generate_private_key(ec.SECP256R1())
        )
        key, verify_key = pem(private), public_pem(private)
    auth = {
        "type": "jwt",
        "algorithm": algorithm,
        "key": key,
        "issuer": "smshooks-acme",
        "audience": "https://receiver.example",
        "key_id": "key-1",
        "claims": {"tenant": "acme", "scopes": ["feedback"]},
    }
    created = make_feedback_webhook(api, receiver.url, auth=auth)
    assert "key" not in created["auth"]
    assert created["auth"]["public_key"] == (None if algorithm == "HS256" else verify_key)
    hook = make_webhook(api)
    report(client, hook, "v-1", "sent")
    report(client, hook, "v-1", "ok")
    work(app)

    tokens = []
    for request in receiver.wait_for(2):
        scheme, _, token = request.header("Authorization").partition(" ")
        assert scheme == "Bearer"
        claims = jwt.decode(
            token,
            verify_key,
            algorithms=[algorithm],
            audience="https://receiver.example",
            issuer="smshooks-acme",
            options={"require": ["iat", "exp", "jti", "iss", "aud"]},
        )
        assert claims["exp"] - claims["iat"] == 300  # a few minutes
        assert abs(claims["iat"] - datetime.now(UTC).timestamp()) < 60
        assert claims["body_sha256"] == hashlib.sha256(request.body).hexdigest()
        assert (claims["tenant"], claims["scopes"]) == ("acme", ["feedback"])
        assert jwt.get_unverified_header(token)["kid"] == "key-1"
        tokens.append(claims)
    assert tokens[0]["jti"] != tokens[1]["jti"]


def test_a_jwt_with_a_tampered_body_or_a_wrong_key_is_refused_by_pyjwt(app, api, client, receiver):
    make_feedback_webhook(api, receiver.url, auth={"type": "jwt", "algorithm": "HS256", "key": HS_KEY})
    report(client, make_webhook(api), "v-1", "ok")
    work(app)
    [request] = receiver.wait_for(1)
    token = request.header("Authorization").split(" ", 1)[1]
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, "x" * 40, algorithms=["HS256"])
    claims = jwt.decode(token, HS_KEY, algorithms=["HS256"])
    assert claims["body_sha256"] != hashlib.sha256(request.body + b" ").hexdigest()
    assert "iss" not in claims and "aud" not in claims  # not configured, not sent


def test_each_request_carries_a_standard_webhooks_signature(app, api, client, receiver):
    created = make_feedback_webhook(api, receiver.url)
    secret = created["signing_secret"]
    assert secret.startswith("whsec_")
    assert "signing_secret" not in api.get("/feedback-webhook").json  # shown once
    report(client, make_webhook(api), "v-1", "ok")
    work(app)
    [request] = receiver.wait_for(1)
    payload = Webhook(secret).verify(request.body, request.headers)
    assert payload["messageDeliveryFeedback"]["feedbackStatus"]["value"] == "delivered"
    assert request.webhook_id == deliveries(api)[0]["id"]
    assert request.header("Authorization") is None  # auth none
    assert (request.header("User-Agent"), request.header("Content-Type")) == ("smshooks-feedback/1", "application/json")
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(request.body.replace(b"delivered", b"bounce"), request.headers)


def test_a_given_signing_secret_is_used(app, api, client, receiver):
    secret = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    created = make_feedback_webhook(api, receiver.url, signing_secret=secret)
    assert created["signing_secret"] == secret
    report(client, make_webhook(api), "v-1", "ok")
    work(app)
    Webhook(secret).verify(receiver.wait_for(1)[0].body, receiver.received[0].headers)


def test_header_parameters_are_sent_and_their_values_never_returned(app, api, client, receiver):
    created = make_feedback_webhook(api, receiver.url, headers={"X-Api-Key": "rk_live_123", "X-Tenant": "acme"})
    assert created["headers"] == {"X-Api-Key": "********", "X-Tenant": "********"}
    # a masked value sent back keeps its value; a new one replaces it
    patched = api.patch("/feedback-webhook", {"headers": {"X-Api-Key": "********", "X-Tenant": "globex"}})
    assert patched.status_code == 200, patched.json
    report(client, make_webhook(api), "v-1", "ok")
    work(app)
    [request] = receiver.wait_for(1)
    assert (request.header("X-Api-Key"), request.header("X-Tenant")) == ("rk_live_123", "globex")


def test_header_parameters_named_as_ours_in_any_case_replace_them_and_go_once(app, api, client, receiver):
    parameters = {"user-agent": "acme-probe/2", "ACCEPT": "application/json", "Authorization": "Basic YWNtZTpz"}
    make_feedback_webhook(api, receiver.url, headers=parameters)
    report(client, make_webhook(api), "v-1", "ok")
    work(app)
    [request] = receiver.wait_for(1)
    names = [name.lower() for name, _ in request.header_lines]
    assert len(names) == len(set(names)), request.header_lines
    assert (request.header("User-Agent"), request.header("Accept"), request.header("Authorization")) == (
        "acme-probe/2",
        "application/json",
        "Basic YWNtZTpz",
    )
    assert request.header("Content-Type") == "application/json"
    assert {"webhook-id", "webhook-timestamp", "webhook-signature", "content-length", "host"} <= set(names)


def test_rotation_signs_with_both_secrets_during_the_grace_period(app, api, client, receiver):
    old = make_feedback_webhook(api, receiver.url)["signing_secret"]
    rotated = api.post("/feedback-webhook/rotate-secret", {"grace_period_seconds": 3600})
    assert rotated.status_code == 200, rotated.json
    new = rotated.json["signing_secret"]
    assert new != old and new.startswith("whsec_")
    expires = datetime.fromisoformat(rotated.json["previous_secret_expires_at"])
    assert timedelta(minutes=59) < expires - datetime.now(UTC) <= timedelta(hours=1)
    hook = make_webhook(api)
    report(client, hook, "v-1", "ok")
    work(app)
    [request] = receiver.wait_for(1)
    assert len(request.header("webhook-signature").split(" ")) == 2
    Webhook(new).verify(request.body, request.headers)
    Webhook(old).verify(request.body, request.headers)

    # without a grace period the old secret stops at once
    newest = api.post("/feedback-webhook/rotate-secret", {"grace_period_seconds": 0}).json["signing_secret"]
    report(client, hook, "v-2", "ok")
    work(app)
    request = receiver.wait_for(2)[1]
    Webhook(newest).verify(request.body, request.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(new).verify(request.body, request.headers)


class AddsFields:
    @hookimpl
    def smshooks_feedback_payload(self, payload, delivery):
        payload["x-tenant"] = {"delivery": delivery.id, "attempt": delivery.attempt}


def test_a_plugin_adds_fields_before_signing(settings, api_key_for, receiver):
    app = create_app(settings, plugins=[loopback, AddsFields()])
    client = app.test_client()
    api = Api(client, api_key_for(app))
    secret = make_feedback_webhook(api, receiver.url)["signing_secret"]
    report(client, make_webhook(api), "v-1", "ok")
    work(app)
    [request] = receiver.wait_for(1)
    payload = Webhook(secret).verify(request.body, request.headers)
    assert payload["x-tenant"] == {"delivery": request.webhook_id, "attempt": 1}
    assert "x-tenant" not in deliveries(api)[0]["payload"]  # added on the way out, not stored
    app.extensions["smshooks"].db.engine.dispose()


# --- retries ---------------------------------------------------------------------------


def test_refused_then_500s_then_429_then_200_arrives_once_recovered(fast):
    app, client, api = fast(delays=(0.05, 0.05, 0.05, 0.05, 0.05, 2.0))
    receiver = Receiver()  # down: connection refused
    make_feedback_webhook(api, receiver.url)
    report(client, make_webhook(api), "v-1", "ok")

    work(app, lambda: deliveries(api)[0]["attempt_count"] == 1)
    [delivery] = deliveries(api)
    assert delivery["state"] == "pending"
    assert delivery["attempts"][0]["status_code"] is None
    assert delivery["attempts"][0]["error"] == "connection refused"

    receiver.script([500, 500, Answer(429, {"Retry-After": "1"}), 200])
    with receiver:
        work(app, lambda: deliveries(api)[0]["attempt_count"] == 4)
        [delivery] = deliveries(api)
        # the 429's Retry-After (1 s, within the schedule's bounds) sets the next attempt
        after_429 = datetime.fromisoformat(delivery["next_attempt_at"]) - datetime.fromisoformat(
            delivery["attempts"][3]["at"]
        )
        assert timedelta(seconds=0.9) < after_429 < timedelta(seconds=1.5)
        work(app, lambda: deliveries(api)[0]["state"] == "delivered")

    [delivery] = deliveries(api)
    assert [a["status_code"] for a in delivery["attempts"]] == [None, 500, 500, 429, 200]
    assert [a["error"] for a in delivery["attempts"]] == [
        "connection refused",
        "HTTP 500",
        "HTTP 500",
        "HTTP 429",
        None,
    ]
    assert all(isinstance(a["duration_ms"], int) and a["duration_ms"] >= 0 for a in delivery["attempts"])
    assert delivery["delivered_at"] is not None and delivery["next_attempt_at"] is None
    assert delivery["last_status_code"] == 200
    # one event, one webhook-id on every attempt: the receiver keeps it once
    assert {r.webhook_id for r in receiver.received} == {delivery["id"]}
    assert len(receiver.accepted()) == 1


def test_the_schedule_spaces_the_attempts(fast):
    app, client, api = fast(delays=(0.2, 0.4, 0.8))
    with Receiver() as receiver:
        receiver.script([503] * 10)
        make_feedback_webhook(api, receiver.url)
        report(client, make_webhook(api), "v-1", "ok")
        work(app, lambda: deliveries(api)[0]["state"] == "dead")
    attempts = deliveries(api)[0]["attempts"]
    assert len(attempts) == 4  # at once, then one per delay
    at = [datetime.fromisoformat(a["at"]) for a in attempts]
    gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(at)]
    # each gap is at least its delay less the 20 % jitter
    assert [gap >= delay * 0.8 for gap, delay in zip(gaps, (0.2, 0.4, 0.8), strict=True)] == [True] * 3


def test_dead_after_the_last_attempt_then_replayed(fast):
    app, client, api = fast(delays=(0.01, 0.01))
    with Receiver() as receiver:
        receiver.script([500, 502, 504])
        make_feedback_webhook(api, receiver.url)
        report(client, make_webhook(api), "v-1", "ok")
        work(app, lambda: deliveries(api)[0]["state"] == "dead")
        [delivery] = deliveries(api)
        assert delivery["attempt_count"] == 3 and delivery["next_attempt_at"] is None
        assert delivery["last_error"] == "HTTP 504"
        assert deliveries(api, state="dead") == [delivery]

        replayed = api.post(f"/deliveries/{delivery['id']}/replay")
        assert replayed.status_code == 202, replayed.json
        assert replayed.json["state"] == "pending" and replayed.json["next_attempt_at"] is not None
        work(app, lambda: deliveries(api)[0]["state"] == "delivered")
    [delivery] = deliveries(api)
    assert [a["status_code"] for a in delivery["attempts"]] == [500, 502, 504, 200]
    assert {r.webhook_id for r in receiver.received} == {delivery["id"]}


def test_a_replay_of_a_delivered_event_sends_it_again_with_the_same_webhook_id(app, api, client, receiver):
    make_feedback_webhook(api, receiver.url)
    report(client, make_webhook(api), "v-1", "ok")
    work(app)
    [delivery] = deliveries(api)
    assert api.post(f"/deliveries/{delivery['id']}/replay", {}).status_code == 202
    work(app)
    first, second = receiver.wait_for(2)
    assert first.webhook_id == second.webhook_id and first.body == second.body
    assert len(receiver.accepted()) == 1  # the receiver drops the duplicate by webhook-id


def test_410_disables_the_webhook_and_the_api_says_so(app, api, client, receiver):
    receiver.script([500, Answer(410, body=b"gone")])
    make_feedback_webhook(api, receiver.url)
    hook = make_webhook(api)
    report(client, hook, "v-1", "ok")
    work(app)  # 500: v-1 waits for its retry in 5 s
    report(client, hook, "v-2", "ok")
    work(app)  # 410
    assert len(receiver.received) == 2
    webhook = api.get("/feedback-webhook").json
    assert webhook["enabled"] is False
    assert "410" in webhook["disabled_reason"]
    second, first = deliveries(api)
    assert [a["status_code"] for a in second["attempts"]] == [410]
    assert second["attempts"][0]["response_excerpt"] == "gone"
    # the one waiting for its retry stops at once: nothing more goes to a gone endpoint
    assert (first["state"], first["next_attempt_at"], second["state"]) == ("disabled", None, "disabled")
    assert [a["status_code"] for a in first["attempts"]] == [500]

    report(client, hook, "v-3", "ok")  # while disabled: no new feedback
    assert len(deliveries(api)) == 2
    assert api.post("/deliveries/replay", {"since": "2020-01-01T00:00:00Z"}).status_code == 409

    enabled = api.patch("/feedback-webhook", {"enabled": True}).json
    assert enabled["enabled"] is True and enabled["disabled_reason"] is None
    replayed = api.post("/deliveries/replay", {"since": "2020-01-01T00:00:00Z", "status": "disabled"})
    assert replayed.status_code == 202
    assert replayed.json == {"replayed": 2, "in_progress": 0, "limit_reached": False}
    work(app)
    assert sorted(d["state"] for d in deliveries(api)) == ["delivered", "delivered"]


def test_a_redirect_is_not_followed(app, api, client, receiver):
    receiver.script([Answer(307, {"Location": "http://127.0.0.1:9/elsewhere"})])
    make_feedback_webhook(api, receiver.url)
    report(client, make_webhook(api), "v-1", "ok")
    work(app, lambda: deliveries(api)[0]["attempt_count"] == 1)
    attempt = deliveries(api)[0]["attempts"][0]
    assert attempt["status_code"] == 307 and "redirects are not followed" in attempt["error"]
    assert len(receiver.received) == 1


def test_a_restarted_process_delivers_what_was_written(settings, api_key_for, receiver):
    """The delivery is in the database with the report; a new process (a new app on
    the same database) delivers it."""
    first = create_app(settings, plugins=[loopback])
    client = first.test_client()
    api = Api(client, api_key_for(first))
    make_feedback_webhook(api, receiver.url)
    report(client, make_webhook(api), "v-1", "ok")
    first.extensions["smshooks"].db.engine.dispose()

    second = create_app(settings, plugins=[loopback])
    work(second)
    [request] = receiver.wait_for(1)
    assert request.json()["messageDeliveryFeedback"]["feedbackStatus"]["value"] == "delivered"
    second.extensions["smshooks"].db.engine.dispose()
