"""Feedback on transactional sends (``POST /api/v1/messages``): the execution fields
are the send's, ``requestId`` is the one the send API returned, and a recipient
excluded for opting out gets an ``error`` with its messageExclusion."""

from __future__ import annotations

import itertools
import json

import pytest
from standardwebhooks import Webhook
from support import loopback
from support.api import Api, post_signed
from support.feedback import deliveries, make_feedback_webhook, work
from support.receiver import Receiver

from smshooks.outbox.retry import at_once
from smshooks.outbox.worker import Worker
from smshooks.testing import FakeVendorAPI, Reply
from smshooks.web.app import create_app

OUR_NUMBER = "+14155550100"
ADA, BOB = "+14155550123", "+14155550124"


@pytest.fixture
def vendor_api():
    with FakeVendorAPI() as api:
        ids = itertools.count(1)
        api.reply_with(lambda _req: Reply(200, json.dumps({"id": f"vend-{next(ids)}"}).encode()))
        yield api


@pytest.fixture
def env(settings, api_key_for, vendor_api):
    with Receiver() as receiver:
        app = create_app(settings, plugins=[loopback])
        client = app.test_client()
        api = Api(client, api_key_for(app))
        secret = make_feedback_webhook(api, receiver.url)["signing_secret"]
        cred = api.post("/credentials", {"name": "lb", "vendor": "loopback", "account": "A", "api_url": vendor_api.url})
        hook = api.post(
            "/webhooks", {"name": "fb", "vendor": "loopback", "type": "feedback", "credentials_id": cred.json["id"]}
        ).json
        channel = api.post(
            "/channels",
            {
                "name": "main",
                "credentials_id": cred.json["id"],
                "sender_number": OUR_NUMBER,
                "feedback_webhook_id": hook["id"],
            },
        )
        assert channel.status_code == 201, channel.json
        yield {
            "app": app,
            "client": client,
            "api": api,
            "hook": hook,
            "channel": channel.json,
            "receiver": receiver,
            "secret": secret,
        }
        app.extensions["smshooks"].db.engine.dispose()


def send_sms_jobs(env) -> None:
    worker = Worker(env["app"].extensions["smshooks"], kinds=["send_sms"])
    while worker.run_once():
        pass


def vendor_reports(env, vendor_id: str, to: str, *statuses: str) -> None:
    for status in statuses:
        answer = post_signed(env["client"], env["hook"], {"reports": [{"id": vendor_id, "to": to, "status": status}]})
        assert answer.status_code == 200


def test_sent_and_delivered_give_two_payloads_with_the_send_requests_id(env):
    api = env["api"]
    body = {
        "channel_id": env["channel"]["id"],
        "campaign_id": "cmp-1",
        "campaign_version_id": "v7",
        "text": "Your code is 1234",
        "recipients": [{"phone": ADA}],
        "create_profiles": True,
    }
    answer = api.post("/messages", body)
    assert answer.status_code == 202, answer.json
    request_id = answer.json["request_id"]
    [accepted] = answer.json["messages"]
    send_sms_jobs(env)
    message = api.get(f"/messages/{accepted['message_execution_id']}").json

    vendor_reports(env, message["vendor_message_id"], ADA, "sent", "ok", "ok")
    work(env["app"])
    received = env["receiver"].wait_for(2)
    assert len(received) == 2
    payloads = [Webhook(env["secret"]).verify(r.body, r.headers) for r in received]
    assert [p["messageDeliveryFeedback"]["feedbackStatus"]["value"] for p in payloads] == ["sent", "delivered"]
    for payload in payloads:
        assert payload["requestId"] == request_id
        assert payload["messageExecution"] == {
            "messageExecutionID": accepted["message_execution_id"],
            "messageType": "transactional",
            "campaignID": "cmp-1",
            "campaignVersionID": "v7",
            "messageID": message["vendor_message_id"],
            "messageProfileID": payload["messageExecution"]["messageProfileID"],
            "campaignType": "ApiTriggered",
        }
        assert payload["messageExecution"]["messageProfileID"] is not None
        feedback = payload["messageDeliveryFeedback"]
        assert (feedback["encoding"], feedback["numberOfMessageParts"], feedback["retryCount"]) == ("GSM", "1", 0)
        assert payload["channelContext"]["profileNumber"] == ADA


def test_an_excluded_recipient_gets_an_error_with_its_exclusion(env):
    api = env["api"]
    api.request("PUT", f"/consent/{ADA}", {"sender_number": OUR_NUMBER, "state": "opted_out"})
    body = {"channel_id": env["channel"]["id"], "campaign_id": "cmp-1", "text": "hi", "recipients": [{"phone": ADA}]}
    answer = api.post("/messages", body)
    assert [m["state"] for m in answer.json["messages"]] == ["excluded"]
    [delivery] = deliveries(api)  # written with the send request, before any worker ran
    assert delivery["feedback_status"] == "error"
    work(env["app"])
    payload = env["receiver"].wait_for(1)[0].json()
    assert payload["requestId"] == answer.json["request_id"]
    feedback = payload["messageDeliveryFeedback"]
    assert feedback["feedbackStatus"] == {"value": "error"}
    assert feedback["messageFailure"] is None
    assert feedback["messageExclusion"] == {
        "category": "consent",
        "type": "Ignored",
        "code": "opted_out",
        "reason": "the recipient opted out; not sent",
    }
    assert payload["messageExecution"]["messageID"] is None  # never reached the vendor


def test_a_send_the_vendor_refuses_for_good_gets_an_error_with_its_failure(env, vendor_api):
    vendor_api.reply_with(Reply(400, b'{"error": "invalid number"}'))
    body = {"channel_id": env["channel"]["id"], "campaign_id": "cmp-1", "text": "hi", "recipients": [{"phone": BOB}]}
    answer = env["api"].post("/messages", body)
    send_sms_jobs(env)
    work(env["app"])
    payload = env["receiver"].wait_for(1)[0].json()
    assert payload["requestId"] == answer.json["request_id"]
    feedback = payload["messageDeliveryFeedback"]
    assert feedback["feedbackStatus"] == {"value": "error"}
    assert feedback["messageExclusion"] is None
    assert list(feedback["messageFailure"]) == ["category", "type", "code", "reason"]
    assert feedback["messageFailure"]["type"] == "Hard"
    assert feedback["messageFailure"]["code"] == "refused"


def test_a_send_whose_retries_run_out_gets_an_error_with_its_failure(env, vendor_api):
    """The vendor answers 503 to every attempt: when the worker gives the send up, the message is in
    error and the customer gets its error feedback (it stayed queued for good before)."""
    vendor_api.reply_with(Reply(503, b'{"error": "down"}'))
    body = {"channel_id": env["channel"]["id"], "campaign_id": "cmp-1", "text": "hi", "recipients": [{"phone": BOB}]}
    answer = env["api"].post("/messages", body)
    [message] = answer.json["messages"]
    worker = Worker(env["app"].extensions["smshooks"], kinds=["send_sms"], policies={"send_sms": at_once(3)})
    while worker.run_once():
        pass
    assert len(vendor_api.requests) == 3  # every attempt made
    stored = env["api"].get(f"/messages/{message['message_execution_id']}").json
    assert (stored["status"], stored["error_code"]) == ("error", "retries_exhausted")
    work(env["app"])
    payload = env["receiver"].wait_for(1)[0].json()
    assert payload["requestId"] == answer.json["request_id"]
    feedback = payload["messageDeliveryFeedback"]
    assert feedback["feedbackStatus"] == {"value": "error"}
    assert feedback["messageFailure"]["code"] == "retries_exhausted"
