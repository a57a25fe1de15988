"""The feedback payload: the seed's keys and nesting exactly, and which outcomes produce one.

Outcomes come from the loopback vendor's delivery reports posted to /hooks/<id>
(messages smshooks did not send: "reported", their execution fields null) and
the payloads are read as the receiver gets them, from a real loopback server.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from support.api import make_webhook
from support.feedback import SUBSCRIBER, deliveries, inbound, make_feedback_webhook, report, work
from support.receiver import Receiver

#: the SMS sample of the seed (vendors.md 4.5, feedback-webhooks.md @1903b8a0); identity entries
#: carry ``primary`` as in the seed's email sample and the issue ("identityMap {Phone: [{id, primary}]}")
SEED_SMS = {
    "requestId": "4f1c2d9e-...",
    "imsOrg": "XXXX@AdobeOrg",
    "sandbox": {"id": "...", "name": "prod"},
    "channel": "sms",
    "eventType": "message.feedback",
    "channelContext": {"profileAddress": None, "profileNumber": "+15555550123"},
    "messageExecution": {
        "messageExecutionID": "UMA-...",
        "messageType": "marketing",
        "campaignID": "...",
        "campaignVersionID": "...",
        "messageID": "...",
        "messageProfileID": "...",
        "campaignType": "ApiTriggered",
    },
    "messageDeliveryFeedback": {
        "feedbackStatus": {"value": "delivered"},
        "offers": None,
        "messageExclusion": None,
        "messageFailure": None,
        "retryCount": None,
        "responseCode": None,
        "responseDurationMillis": None,
        "encoding": "GSM",
        "numberOfMessageParts": "2",
        "deliveryTimestamp": "2026-10-06T18:22:41.512Z",
    },
    "identityMap": {"Phone": [{"id": "+15555550123", "primary": True}]},
}
#: the seed's email/bounce sample: messageFailure {category, type, code, reason}
SEED_FAILURE_KEYS = ["category", "type", "code", "reason"]


def shape(value):
    """Keys (in order) and nesting, without the values."""
    if isinstance(value, dict):
        return [(key, shape(item)) for key, item in value.items()]
    if isinstance(value, list):
        return [shape(item) for item in value[:1]]
    return None


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


@pytest.fixture
def hook(api, receiver):
    make_feedback_webhook(api, receiver.url)
    return make_webhook(api)


def test_the_payload_has_the_seeds_keys_and_nesting_exactly(app, api, client, hook, receiver):
    report(client, hook, "v-1", "ok", at="2026-10-06T18:22:41.512345+00:00")
    work(app)
    [request] = receiver.wait_for(1)
    payload = request.json()
    assert shape(payload) == shape(SEED_SMS)
    assert request.header("Content-Type") == "application/json"


def test_a_reported_message_is_emitted_with_null_execution_fields(app, api, client, hook, receiver):
    report(client, hook, "v-1", "ok", at="2026-10-06T18:22:41.512345+00:00")
    work(app)
    payload = receiver.wait_for(1)[0].json()
    assert payload["requestId"] is None
    assert payload["imsOrg"] == "acme"
    assert payload["sandbox"]["name"] == "prod"
    assert uuid.UUID(payload["sandbox"]["id"])  # stable per organisation + sandbox
    assert (payload["channel"], payload["eventType"]) == ("sms", "message.feedback")
    assert payload["channelContext"] == {"profileAddress": None, "profileNumber": SUBSCRIBER}
    assert set(payload["messageExecution"].values()) == {None}
    feedback = payload["messageDeliveryFeedback"]
    assert feedback == {
        "feedbackStatus": {"value": "delivered"},
        "offers": None,
        "messageExclusion": None,
        "messageFailure": None,
        "retryCount": None,
        "responseCode": None,
        "responseDurationMillis": None,
        "encoding": None,
        "numberOfMessageParts": None,
        "deliveryTimestamp": "2026-10-06T18:22:41.512Z",
    }
    assert payload["identityMap"] == {"Phone": [{"id": SUBSCRIBER, "primary": True}]}


def test_the_sandbox_id_is_stable_and_differs_per_sandbox(app, api, client, receiver):
    make_feedback_webhook(api, receiver.url)
    make_feedback_webhook(api.in_sandbox("staging"), receiver.url)
    report(client, make_webhook(api), "v-1", "ok")
    report(client, make_webhook(api.in_sandbox("staging"), name="staging-hook"), "v-2", "ok")
    report(client, make_webhook(api, name="second"), "v-3", "sent")
    work(app)
    sandboxes = {(r.json()["sandbox"]["name"], r.json()["sandbox"]["id"]) for r in receiver.wait_for(3)}
    assert len(sandboxes) == 2
    assert api.get("/feedback-webhook").json["sandbox"] in [{"name": n, "id": i} for n, i in sandboxes]


def test_each_status_is_reported_once_per_message(app, api, client, hook, receiver):
    report(client, hook, "v-1", "sent")
    report(client, hook, "v-1", "sent")  # the vendor's retry
    report(client, hook, "v-1", "ok")
    report(client, hook, "v-1", "read")
    report(client, hook, "v-1", "sent")  # late: the message is read already
    report(client, hook, "v-1", "fail")  # a bounce after delivery does not undo it
    report(client, hook, "v-2", "weird")  # an undocumented vendor status: unknown
    work(app)
    statuses = [r.json()["messageDeliveryFeedback"]["feedbackStatus"]["value"] for r in receiver.wait_for(3)]
    assert statuses == ["sent", "delivered", "read"]
    assert sorted(d["feedback_status"] for d in deliveries(api)) == ["delivered", "read", "sent"]


def test_a_bounce_carries_the_message_failure(app, api, client, hook, receiver):
    report(client, hook, "v-1", "fail")
    work(app)
    failure = receiver.wait_for(1)[0].json()["messageDeliveryFeedback"]["messageFailure"]
    assert list(failure) == SEED_FAILURE_KEYS
    assert failure == {"category": None, "type": None, "code": None, "reason": None}


def test_nothing_is_emitted_without_an_enabled_sms_feedback_webhook(app, api, client, receiver):
    hook = make_webhook(api)
    report(client, hook, "v-1", "ok")  # no feedback webhook yet
    make_feedback_webhook(api, receiver.url, channels=["email"])
    report(client, hook, "v-2", "ok")  # email only
    assert api.patch("/feedback-webhook", {"channels": ["sms", "email"], "enabled": False}).status_code == 200
    report(client, hook, "v-3", "ok")  # disabled
    make_feedback_webhook(api.in_sandbox("staging"), receiver.url)
    report(client, hook, "v-4", "ok")  # another sandbox's webhook is not this one's
    assert deliveries(api) == []
    assert api.patch("/feedback-webhook", {"enabled": True}).status_code == 200
    report(client, hook, "v-5", "ok")
    work(app)
    assert [r.json()["channelContext"]["profileNumber"] for r in receiver.wait_for(1)] == [SUBSCRIBER]
    assert len(deliveries(api)) == 1


def test_the_delivery_is_written_with_the_report(app, api, client, hook):
    """The delivery exists as soon as the vendor got its 200, before any worker ran."""
    report(client, hook, "v-1", "ok")
    [delivery] = deliveries(api)
    assert delivery["state"] == "pending" and delivery["attempts"] == []
    assert delivery["payload"]["messageDeliveryFeedback"]["feedbackStatus"] == {"value": "delivered"}
    assert delivery["message_id"] == api.get("/delivery-reports").json["items"][0]["message_id"]
    # due at once: the first attempt does not wait
    assert datetime.fromisoformat(delivery["next_attempt_at"]) <= datetime.now(UTC)


# --- relay of inbound messages --------------------------------------------------------


def test_inbound_messages_are_relayed_with_their_keyword_classification(app, api, client, receiver):
    make_feedback_webhook(api, receiver.url, relay_inbound=True)
    hook = make_webhook(api)
    inbound(client, hook, "in-1", "stop")
    inbound(client, hook, "in-1", "stop")  # the vendor's retry: relayed once
    inbound(client, hook, "in-2", "Where is my order?")
    work(app)
    first, second = (r.json() for r in receiver.wait_for(2))
    assert first["eventType"] == "message.inbound"
    assert first["requestId"] == "in-1"
    assert first["channelContext"] == {"profileAddress": None, "profileNumber": SUBSCRIBER}
    assert first["inboundMessage"]["inboundMessage"] == "stop"
    assert first["inboundMessage"]["inboundNumber"] == "+14155550100"
    assert first["keyword"] == {
        "category": "opt_out",
        "match": "exact",
        "keyword": "STOP",
        "rule": None,
        "action": "opt_out",
    }
    assert second["keyword"]["category"] == "none"
    assert first["identityMap"] == {"Phone": [{"id": SUBSCRIBER, "primary": True}]}
    assert [d["event_type"] for d in deliveries(api)] == ["message.inbound", "message.inbound"]


def test_inbound_messages_are_not_relayed_unless_asked(app, api, client, receiver):
    make_feedback_webhook(api, receiver.url)
    inbound(client, make_webhook(api), "in-1", "stop")
    assert deliveries(api) == []
