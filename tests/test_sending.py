"""Channels and the transactional send API (loopback vendor, a real fake vendor API)."""

from __future__ import annotations

import itertools
import json
from dataclasses import replace

import pytest
from support import loopback
from support.api import Api

from smshooks.messages.send_job import SEND_SMS
from smshooks.outbox.retry import at_once
from smshooks.outbox.worker import Worker
from smshooks.testing import FakeVendorAPI, Reply
from smshooks.web.app import create_app

OUR_NUMBER = "+14155550100"


def _json(status: int, payload: dict) -> Reply:
    return Reply(status, json.dumps(payload).encode(), {"Content-Type": "application/json"})


@pytest.fixture
def vendor_api():
    with FakeVendorAPI() as api:
        counter = itertools.count(1)
        api.reply_with(lambda req: _json(200, {"id": f"vend-{next(counter)}"}))
        yield api


@pytest.fixture
def env(settings, api_key_for, vendor_api):
    yield from _env(settings, api_key_for, vendor_api)


@pytest.fixture
def env_without_public_url(settings, api_key_for, vendor_api):
    yield from _env(replace(settings, public_url=None), api_key_for, vendor_api)


def _env(settings, api_key_for, vendor_api):
    app = create_app(settings, plugins=[loopback])
    api = Api(app.test_client(), api_key_for(app))
    cred = api.post("/credentials", {"name": "lb", "vendor": "loopback", "account": "A", "api_url": vendor_api.url})
    hook = api.post(
        "/webhooks", {"name": "fb", "vendor": "loopback", "type": "feedback", "credentials_id": cred.json["id"]}
    )
    channel = api.post(
        "/channels",
        {
            "name": "main",
            "credentials_id": cred.json["id"],
            "sender_number": OUR_NUMBER,
            "feedback_webhook_id": hook.json["id"],
        },
    )
    assert channel.status_code == 201, channel.json
    worker = Worker(app.extensions["smshooks"], policies={SEND_SMS: at_once()})
    yield {"app": app, "api": api, "channel": channel.json, "worker": worker, "vendor_api": vendor_api}
    app.extensions["smshooks"].db.engine.dispose()


def run_worker(env) -> list[dict]:
    before = len(env["vendor_api"].requests)
    while env["worker"].run_once():
        pass
    return [request.json() for request in env["vendor_api"].requests[before:]]


def send(env, **fields):
    body = {"channel_id": env["channel"]["id"], "campaign_id": "cmp-1", "text": "Your code is 1234", **fields}
    return env["api"].post("/messages", body)


def test_a_send_is_accepted_queued_and_delivered_through_the_vendor(env):
    answer = send(env, recipients=[{"phone": "+14155550123"}, {"phone": "+1 (415) 555-0124"}])
    assert answer.status_code == 202, answer.json
    request_id = answer.json["request_id"]
    assert len(request_id) == 36
    assert [(m["phone"], m["state"]) for m in answer.json["messages"]] == [
        ("+14155550123", "queued"),
        ("+14155550124", "queued"),
    ]
    sent = run_worker(env)
    assert sorted(s["to"] for s in sent) == ["+14155550123", "+14155550124"]
    assert {s["from"] for s in sent} == {OUR_NUMBER} and {s["text"] for s in sent} == {"Your code is 1234"}
    message = env["api"].get(f"/messages/{answer.json['messages'][0]['message_execution_id']}").json
    assert (message["request_id"], message["campaign_id"], message["kind"]) == (request_id, "cmp-1", "transactional")
    assert message["vendor_message_id"].startswith("vend-")
    assert [h["status"] for h in message["history"]] == ["queued"]
    assert (message["encoding"], message["segments"]) == ("GSM", 1)


def test_every_request_gets_its_own_request_id(env):
    first = send(env, recipients=[{"phone": "+14155550123"}]).json["request_id"]
    second = send(env, recipients=[{"phone": "+14155550123"}]).json["request_id"]
    assert first != second


def test_an_opted_out_recipient_is_never_sent_to(env):
    env["api"].request("PUT", "/consent/+14155550123", {"sender_number": OUR_NUMBER, "state": "opted_out"})
    answer = send(env, recipients=[{"phone": "+14155550123"}, {"phone": "+14155550124"}])
    assert [(m["state"], m["exclusion"]) for m in answer.json["messages"]] == [
        ("excluded", "opted_out"),
        ("queued", None),
    ]
    assert [s["to"] for s in run_worker(env)] == ["+14155550124"]
    excluded = env["api"].get(f"/messages/{answer.json['messages'][0]['message_execution_id']}").json
    assert (excluded["status"], excluded["exclusion"], excluded["vendor_message_id"]) == ("error", "opted_out", None)


def test_opting_out_after_the_send_was_queued_still_stops_it(env):
    answer = send(env, recipients=[{"phone": "+14155550123"}])
    env["api"].request("PUT", "/consent/+14155550123", {"sender_number": OUR_NUMBER, "state": "opted_out"})
    assert run_worker(env) == []
    message = env["api"].get(f"/messages/{answer.json['messages'][0]['message_execution_id']}").json
    assert (message["status"], message["error_code"]) == ("error", "opted_out")


def test_a_reply_template_is_rendered_per_recipient_with_created_profiles(env):
    reply = env["api"].post("/replies", {"name": "hi", "template": "Hi {{ profile.first_name }}!"}).json
    answer = env["api"].post(
        "/messages",
        {
            "channel_id": env["channel"]["id"],
            "campaign_id": "cmp-2",
            "reply_id": reply["id"],
            "create_profiles": True,
            "recipients": [{"phone": "+14155550123", "profile": {"first_name": "Ada"}}, {"phone": "+14155550124"}],
        },
    )
    assert answer.status_code == 202, answer.json
    assert sorted(s["text"] for s in run_worker(env)) == ["Hi !", "Hi Ada!"]
    assert env["api"].get("/profiles/+14155550123").json["attributes"] == {"first_name": "Ada"}


def test_retried_sends_are_counted(env):
    calls = itertools.count()
    env["vendor_api"].reply_with(lambda req: _json(503, {}) if next(calls) < 2 else _json(200, {"id": "vend-late"}))
    answer = send(env, recipients=[{"phone": "+14155550123"}])
    assert len(run_worker(env)) == 3
    message = env["api"].get(f"/messages/{answer.json['messages'][0]['message_execution_id']}").json
    assert (message["retry_count"], message["vendor_message_id"]) == (2, "vend-late")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"recipients": [{"phone": "not a phone"}]}, "recipients"),
        ({"recipients": [{"phone": f"+1415555{i:04d}"} for i in range(21)]}, "recipients"),
        ({"recipients": [{"phone": "+14155550123"}, {"phone": "+1 415 555 0123"}]}, "recipients"),
        ({"recipients": [{"phone": "+14155550123"}], "channel_id": "ch_nope"}, "channel_id"),
        ({"recipients": [{"phone": "+14155550123"}], "campaign_id": None}, "campaign_id"),
        ({"recipients": []}, "recipients"),
        ({"recipients": [{"phone": "+14155550123"}], "reply_id": "rep_x"}, "text"),
    ],
    ids=[
        "bad phone",
        "21 recipients",
        "duplicates",
        "unknown channel",
        "missing campaign id",
        "no recipients",
        "text and reply",
    ],
)
def test_malformed_sends_are_422_and_send_nothing(env, body, field):
    payload = {"channel_id": env["channel"]["id"], "campaign_id": "cmp-1", "text": "hi", **body}
    if payload.get("campaign_id") is None:
        payload.pop("campaign_id")
    answer = env["api"].post("/messages", payload)
    assert answer.status_code == 422, answer.json
    assert field in answer.json["error"]["details"]
    assert run_worker(env) == []


def test_a_send_to_35000_recipients_is_refused_by_its_count(env):
    """The count is checked before any recipient is: the 422 names the limit, not
    the malformed or repeated numbers hidden among the 35,000."""
    recipients = [{"phone": f"+1415{i:07d}"} for i in range(35_000)]
    recipients[100] = {"phone": "not a phone"}
    recipients[200] = recipients[300]
    answer = send(env, recipients=recipients)
    assert answer.status_code == 422, answer.json
    assert answer.json["error"]["details"] == {"recipients": ["at most 20 recipients per request, not 35000"]}
    assert run_worker(env) == []


def test_twenty_unique_recipients_are_fine(env):
    answer = send(env, recipients=[{"phone": f"+1415555{i:04d}"} for i in range(20)])
    assert answer.status_code == 202
    assert len(run_worker(env)) == 20


def test_channels_refuse_references_outside_the_sandbox_or_vendor(env):
    api = env["api"]
    other = api.in_sandbox("dev")
    answer = other.post(
        "/channels",
        {"name": "x", "credentials_id": env["channel"]["credentials_id"], "sender_number": OUR_NUMBER},
    )
    assert answer.status_code == 422 and "credentials_id" in answer.json["error"]["details"]
    answer = api.post(
        "/channels",
        {"name": "y", "credentials_id": env["channel"]["credentials_id"], "sender_number": "banana"},
    )
    assert answer.status_code == 422 and "sender_number" in answer.json["error"]["details"]
    assert api.get(f"/channels/{env['channel']['id']}").json["vendor"] == "loopback"
    assert other.get(f"/channels/{env['channel']['id']}").status_code == 404


def test_a_report_that_beats_the_send_answer_is_merged_into_the_message(env):
    """A fast vendor may report before smshooks stored the vendor's id: the report's
    message, its status and its feedback event are folded into ours."""
    from support.feedback import make_feedback_webhook

    api, app = env["api"], env["app"]
    make_feedback_webhook(api, "http://127.0.0.1:9/feedback")
    answer = send(env, recipients=[{"phone": "+14155550123"}])
    execution_id = answer.json["messages"][0]["message_execution_id"]
    hook_id = env["channel"]["feedback_webhook_id"]
    early = {"reports": [{"id": "vend-1", "to": "+14155550123", "status": "ok"}]}
    assert app.test_client().post(f"/hooks/{hook_id}", json=early).status_code == 200
    sender = Worker(app.extensions["smshooks"], kinds=["send_sms"], policies={SEND_SMS: at_once()})
    while sender.run_once():
        pass
    message = api.get(f"/messages/{execution_id}").json
    assert (message["vendor_message_id"], message["status"]) == ("vend-1", "delivered")
    assert [r["vendor_status"] for r in message["reports"]] == ["ok"]
    delivered = [d for d in api.get("/deliveries").json["items"] if d["feedback_status"] == "delivered"]
    assert [d["message_id"] for d in delivered] == [execution_id]


def test_a_report_of_the_same_vendor_id_for_another_recipient_is_not_merged(env):
    """Only a report on this message (same vendor id *and* recipient, in its organisation and sandbox)
    is folded into it; the vendor's id alone may repeat (another account, another number)."""
    api, app = env["api"], env["app"]
    hook_id = env["channel"]["feedback_webhook_id"]
    other = {"reports": [{"id": "vend-1", "to": "+14155550999", "status": "ok"}]}
    assert app.test_client().post(f"/hooks/{hook_id}", json=other).status_code == 200
    answer = send(env, recipients=[{"phone": "+14155550123"}])
    run_worker(env)
    message = api.get(f"/messages/{answer.json['messages'][0]['message_execution_id']}").json
    assert (message["vendor_message_id"], message["reports"]) == ("vend-1", [])
    assert [h["status"] for h in message["history"]] == ["queued"]
    listed = {(m["recipient"], m["vendor_message_id"]) for m in api.get("/messages").json["items"]}
    assert listed == {("+14155550123", "vend-1"), ("+14155550999", "vend-1")}


@pytest.mark.parametrize(
    ("text", "profile", "sent"),
    [
        ("Hi {{ profile.first_name }}, your code is 1234", {"first_name": "Ada"}, "Hi Ada, your code is 1234"),
        ("Hi {{ profile.first_name | default('there') }}!", None, "Hi there!"),
        ("Reply {{ opt_out_keyword }} to stop, {{ help_keyword }} for help", None, "Reply STOP to stop, HELP for help"),
        ("Your code is {1234}", None, "Your code is {1234}"),
        ("{{ subscriber }} via {{ number }}", None, f"+14155550123 via {OUR_NUMBER}"),
    ],
    ids=["profile attribute", "missing attribute, default", "keywords", "single braces are text", "numbers"],
)
def test_the_text_of_a_send_is_rendered_like_a_reply_template(env, text, profile, sent):
    recipient = {"phone": "+14155550123", **({"profile": profile} if profile else {})}
    answer = send(env, text=text, create_profiles=True, recipients=[recipient])
    assert answer.status_code == 202, answer.json
    assert [s["text"] for s in run_worker(env)] == [sent]
    stored = env["api"].get(f"/messages/{answer.json['messages'][0]['message_execution_id']}").json
    assert stored["text"] == sent


def test_the_text_uses_the_stored_profile_and_the_inbound_webhooks_keywords(env):
    api = env["api"]
    api.request("PUT", "/profiles/+14155550123", {"attributes": {"first_name": "Grace"}})
    inbound = api.post(
        "/webhooks",
        {"name": "in", "vendor": "loopback", "type": "inbound", "credentials_id": env["channel"]["credentials_id"]},
    ).json
    settings = {"categories": [{"category": "opt_out", "keywords": ["HALT"]}]}
    assert api.request("PUT", f"/webhooks/{inbound['id']}/keywords", settings).status_code == 200
    assert api.patch(f"/channels/{env['channel']['id']}", {"inbound_webhook_id": inbound["id"]}).status_code == 200
    answer = send(
        env,
        text="{{ profile.first_name }}: reply {{ opt_out_keyword }} to opt out",
        recipients=[{"phone": "+14155550123"}],
    )
    assert answer.status_code == 202, answer.json
    assert [s["text"] for s in run_worker(env)] == ["Grace: reply HALT to opt out"]


@pytest.mark.parametrize(
    "text",
    ["Hi {{ profile.first_name", "{{ nosuchname }}", "{{ profile.first_name }}", "{{ 'x' * 2000 }}"],
    ids=["does not parse", "unknown name", "renders empty", "more than 10 segments"],
)
def test_a_text_that_does_not_render_is_422_and_sends_nothing(env, text):
    answer = send(env, text=text, recipients=[{"phone": "+14155550123"}, {"phone": "+14155550124"}])
    assert answer.status_code == 422, answer.json
    assert "text" in answer.json["error"]["details"]
    assert run_worker(env) == []


def test_without_a_public_url_the_status_callback_is_the_creating_requests_host(env_without_public_url):
    """SMSHOOKS_PUBLIC_URL unset: vendors are still told where to report, the host the send was made at."""
    env = env_without_public_url
    hook_id = env["channel"]["feedback_webhook_id"]
    answer = env["api"].post(
        "/messages",
        {
            "channel_id": env["channel"]["id"],
            "campaign_id": "c",
            "text": "hi",
            "recipients": [{"phone": "+14155550123"}],
        },
        base_url="https://sms.example.org",
    )
    assert answer.status_code == 202, answer.json
    expected = f"https://sms.example.org/hooks/{hook_id}"
    assert answer.json["messages"][0]["status_callback_url"] == expected
    [sent] = run_worker(env)
    assert sent["callback"] == expected


def test_the_public_url_wins_over_the_request_host(settings, api_key_for, vendor_api):
    app = create_app(replace(settings, public_url="https://public.example.com"), plugins=[loopback])
    try:
        api = Api(app.test_client(), api_key_for(app))
        cred = api.post("/credentials", {"name": "lb", "vendor": "loopback", "account": "A", "api_url": vendor_api.url})
        hook = api.post(
            "/webhooks", {"name": "fb", "vendor": "loopback", "type": "feedback", "credentials_id": cred.json["id"]}
        ).json
        channel = api.post(
            "/channels",
            {
                "name": "m",
                "credentials_id": cred.json["id"],
                "sender_number": OUR_NUMBER,
                "feedback_webhook_id": hook["id"],
            },
        ).json
        answer = api.post(
            "/messages",
            {"channel_id": channel["id"], "campaign_id": "c", "text": "hi", "recipients": [{"phone": "+14155550123"}]},
        )
        assert answer.json["messages"][0]["status_callback_url"] == f"https://public.example.com/hooks/{hook['id']}"
        worker = Worker(app.extensions["smshooks"], policies={SEND_SMS: at_once()})
        while worker.run_once():
            pass
        assert [r.json()["callback"] for r in vendor_api.requests] == [f"https://public.example.com/hooks/{hook['id']}"]
    finally:
        app.extensions["smshooks"].db.engine.dispose()
