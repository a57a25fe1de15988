"""Twilio end to end: a real server process, requests signed by Twilio's own helper library."""

from __future__ import annotations

import pytest
from support.api import new_org

twilio_validator = pytest.importorskip("twilio.request_validator")

AUTH_TOKEN = "0123456789abcdef0123456789abcdef"
ACCOUNT_SID = "AC0123456789abcdef0123456789abcdef"

INBOUND = {
    "ToCountry": "US",
    "ToState": "CA",
    "SmsMessageSid": "SM1f0e8ae6ade43cb3c0ce4525424e404f",
    "NumMedia": "0",
    "ToCity": "SAUSALITO",
    "FromZip": "94103",
    "SmsSid": "SM1f0e8ae6ade43cb3c0ce4525424e404f",
    "FromState": "CA",
    "SmsStatus": "received",
    "FromCity": "SAN FRANCISCO",
    "Body": "STOP",
    "FromCountry": "US",
    "To": "+14155550100",
    "MessagingServiceSid": "MG9752274e9e519418a7406176694466fa",
    "ToZip": "94965",
    "NumSegments": "1",
    "MessageSid": "SM1f0e8ae6ade43cb3c0ce4525424e404f",
    "AccountSid": ACCOUNT_SID,
    "From": "+14155550123",
    "ApiVersion": "2010-04-01",
}

# vendors.md 1.2: every status and the common status it is stored as
STATUSES = {
    "accepted": "queued",
    "scheduled": "queued",
    "queued": "queued",
    "sending": "queued",
    "sent": "sent",
    "delivered": "delivered",
    "undelivered": "bounce",
    "failed": "error",
    "read": "read",
    "canceled": "error",
    "partially_delivered": "sent",
}


def callback(sid: str, status: str, **extra: str) -> dict[str, str]:
    return {
        "MessageSid": sid,
        "SmsSid": sid,
        "MessageStatus": status,
        "SmsStatus": status,
        "AccountSid": ACCOUNT_SID,
        "From": "+15558675310",
        "To": "+14155550123",
        "ApiVersion": "2010-04-01",
        **extra,
    }


@pytest.fixture(name="server")
def shared_server(module_server):
    """The module's one server: no test here stops it, each has an organisation of its own."""
    return module_server


@pytest.fixture
def twilio(server):
    key = server.cli("apikey", "create", "--org", new_org())
    api = server.api(key)
    credential = api.post(
        server.url + "/api/v1/credentials",
        json={"name": "twilio", "vendor": "twilio", "account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN},
    )
    assert credential.status_code == 201, credential.text
    assert credential.json()["auth_token"] != AUTH_TOKEN
    hook = api.post(
        server.url + "/api/v1/webhooks",
        json={
            "name": "inbound",
            "vendor": "twilio",
            "type": "inbound",
            "credentials_id": credential.json()["id"],
            "sender_number": "+14155550100",
        },
    )
    assert hook.status_code == 201, hook.text
    return api, hook.json()


def post_as_twilio(session, url: str, params: dict[str, str], *, tamper: bool = False, sign: bool = True):
    signature = twilio_validator.RequestValidator(AUTH_TOKEN).compute_signature(url, params)
    headers = {"X-Twilio-Signature": signature} if sign else {}
    if tamper:
        params = {**params, "Body": params["Body"] + "!"}
    return session.post(url, data=params, headers=headers)


def test_signed_inbound_is_accepted_and_listed(server, twilio):
    api, hook = twilio
    assert hook["url"] == f"{server.url}/hooks/{hook['id']}"
    answer = post_as_twilio(api, hook["url"], INBOUND)
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"].startswith("application/xml")
    assert "<Response" in answer.text
    [message] = api.get(server.url + "/api/v1/inbound-messages").json()["items"]
    assert message["vendor"] == "twilio"
    assert message["vendor_message_id"] == "SM1f0e8ae6ade43cb3c0ce4525424e404f"
    assert (message["sender"], message["recipient"], message["text"]) == ("+14155550123", "+14155550100", "STOP")


@pytest.mark.parametrize("variant", ["one changed byte", "no signature header"])
def test_unproven_inbound_is_refused_and_stores_nothing(server, twilio, variant):
    api, hook = twilio
    answer = post_as_twilio(
        api, hook["url"], INBOUND, tamper=variant == "one changed byte", sign=variant != "no signature header"
    )
    assert answer.status_code == 403
    assert answer.json()["error"]["code"] == "forbidden"
    assert api.get(server.url + "/api/v1/inbound-messages").json()["items"] == []


def test_the_same_webhook_twice_is_stored_once(server, twilio):
    api, hook = twilio
    for _ in range(2):
        assert post_as_twilio(api, hook["url"], INBOUND).status_code == 200
    assert len(api.get(server.url + "/api/v1/inbound-messages").json()["items"]) == 1


def test_every_status_callback_is_stored_with_its_common_status(server, twilio):
    api, hook = twilio
    for index, (status, _) in enumerate(STATUSES.items()):
        sid = f"SM{index:032d}"
        answer = post_as_twilio(api, hook["url"], callback(sid, status))
        assert answer.status_code == 200, (status, answer.text)
    stored = {
        r["vendor_status"]: r["status"]
        for r in api.get(server.url + "/api/v1/delivery-reports", params={"limit": 100}).json()["items"]
    }
    assert stored == STATUSES


def test_unknown_status_is_stored_as_unknown_and_answered_200(server, twilio):
    api, hook = twilio
    answer = post_as_twilio(api, hook["url"], callback("SM" + "9" * 32, "teleported"))
    assert answer.status_code == 200
    [report] = api.get(server.url + "/api/v1/delivery-reports").json()["items"]
    assert (report["status"], report["vendor_status"]) == ("unknown", "teleported")


def test_late_sent_after_delivered_leaves_delivered(server, twilio):
    api, hook = twilio
    sid = "SM1234567890abcdef1234567890abcd02"
    assert post_as_twilio(api, hook["url"], callback(sid, "delivered", RawDlrDoneDate="2511131245")).status_code == 200
    assert post_as_twilio(api, hook["url"], callback(sid, "sent")).status_code == 200
    reports = api.get(server.url + "/api/v1/delivery-reports").json()["items"]
    assert [r["vendor_status"] for r in reports] == ["sent", "delivered"]
    message = api.get(server.url + f"/api/v1/messages/{reports[0]['message_id']}").json()
    assert message["status"] == "delivered"


def test_failure_callback_keeps_the_error_code(server, twilio):
    api, hook = twilio
    answer = post_as_twilio(api, hook["url"], callback("SM" + "7" * 32, "undelivered", ErrorCode="30003"))
    assert answer.status_code == 200
    [report] = api.get(server.url + "/api/v1/delivery-reports").json()["items"]
    assert (report["status"], report["error_code"], report["failure_type"]) == ("bounce", "30003", "hard")


def test_concurrent_redeliveries_are_stored_once(server, twilio):
    """Vendors retry while the first attempt is still in flight; the database's
    unique constraint, not a read-then-write check, keeps one copy."""
    from concurrent.futures import ThreadPoolExecutor

    import requests

    api, hook = twilio
    callback_params = callback("SM" + "5" * 32, "delivered")

    def deliver(params: dict[str, str]) -> int:
        with requests.Session() as session:
            return post_as_twilio(session, hook["url"], params).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        codes = list(pool.map(deliver, [INBOUND] * 8 + [callback_params] * 8))
    assert codes == [200] * 16
    assert len(api.get(server.url + "/api/v1/inbound-messages").json()["items"]) == 1
    assert len(api.get(server.url + "/api/v1/delivery-reports").json()["items"]) == 1


def test_a_retried_stop_is_answered_with_the_same_twiml_and_changes_nothing(server, twilio):
    """Twilio retries an inbound request it got no answer to (a timeout, a dropped connection): the retry gets
    the opt-out confirmation again, so the subscriber receives it, and nothing is stored or sent twice."""
    api, hook = twilio
    first = post_as_twilio(api, hook["url"], INBOUND)
    retry = post_as_twilio(api, hook["url"], INBOUND)
    assert first.status_code == retry.status_code == 200
    assert "<Message>" in first.text and "unsubscribed" in first.text
    assert retry.text == first.text
    consent = api.get(server.url + "/api/v1/consent/+14155550123").json()
    assert [entry["new_state"] for entry in consent["history"]] == ["opted_out"]
    [message] = api.get(server.url + "/api/v1/inbound-messages").json()["items"]
    assert message["keyword_event"]["action"] == "opt_out"


def test_a_retried_message_that_got_no_reply_is_answered_with_empty_twiml(server, twilio):
    api, hook = twilio
    quiet = {**INBOUND, "Body": "thanks", "MessageSid": "SM" + "4" * 32, "SmsSid": "SM" + "4" * 32}
    answers = [post_as_twilio(api, hook["url"], quiet).text for _ in range(2)]
    assert answers[0] == answers[1] and "<Message>" not in answers[0]


def test_without_a_public_url_twilio_gets_a_status_callback_on_the_host_the_send_used(server):
    """SMSHOOKS_PUBLIC_URL is unset here: the server says so at start-up, and a send still asks Twilio to
    report, at the webhook's URL on the host the send request reached (so delivery reports arrive)."""
    import json
    import time

    from smshooks.testing import FakeVendorAPI, Reply

    assert "SMSHOOKS_PUBLIC_URL is not set" in server.log.read_text()
    with FakeVendorAPI() as twilio_api:
        twilio_api.reply_with(
            Reply(
                201,
                json.dumps({"sid": "SM" + "3" * 32, "status": "queued"}).encode(),
                {"Content-Type": "application/json"},
            )
        )
        api = server.api(server.cli("apikey", "create", "--org", "acme"))
        credential = api.post(
            server.url + "/api/v1/credentials",
            json={
                "name": "twilio",
                "vendor": "twilio",
                "account_sid": ACCOUNT_SID,
                "auth_token": AUTH_TOKEN,
                "api_base_url": twilio_api.url,
            },
        ).json()
        hook = api.post(
            server.url + "/api/v1/webhooks",
            json={"name": "fb", "vendor": "twilio", "type": "feedback", "credentials_id": credential["id"]},
        ).json()
        channel = api.post(
            server.url + "/api/v1/channels",
            json={
                "name": "main",
                "credentials_id": credential["id"],
                "sender_number": "+14155550100",
                "feedback_webhook_id": hook["id"],
            },
        ).json()
        send = {
            "channel_id": channel["id"],
            "campaign_id": "c",
            "text": "Hi",
            "recipients": [{"phone": "+14155550123"}],
        }
        answer = api.post(server.url + "/api/v1/messages", json=send)
        assert answer.status_code == 202, answer.text
        expected = f"{server.url}/hooks/{hook['id']}"
        assert answer.json()["messages"][0]["status_callback_url"] == expected
        deadline = time.monotonic() + 20
        while not twilio_api.requests and time.monotonic() < deadline:
            time.sleep(0.05)
        [sent] = twilio_api.requests
        assert sent.form["StatusCallback"] == [expected]


def test_after_stop_a_custom_keyword_gets_no_inline_reply(server, twilio):
    """CTIA: after the opt-out confirmation nothing but help reaches the subscriber. Twilio sends
    whatever the TwiML answer says, so a custom keyword's promotional reply must not be in it."""
    api, hook = twilio
    reply = api.post(server.url + "/api/v1/replies", json={"name": "deal", "template": "Pizza deal: 50% off today!"})
    assert reply.status_code == 201, reply.text
    keywords = {"categories": [{"category": "custom", "keywords": ["PIZZA"], "reply_id": reply.json()["id"]}]}
    assert api.put(f"{server.url}/api/v1/webhooks/{hook['id']}/keywords", json=keywords).status_code == 200

    def text(body: str, n: int) -> str:
        sid = "SM" + str(n) * 32
        answer = post_as_twilio(api, hook["url"], {**INBOUND, "Body": body, "MessageSid": sid, "SmsSid": sid})
        assert answer.status_code == 200, answer.text
        return answer.text

    assert "Pizza deal" in text("PIZZA", 5)  # subscribed: the custom reply, inline
    assert "unsubscribed" in text("STOP", 6)
    assert "<Message>" not in text("PIZZA", 7)
    assert "STOP" in text("HELP", 8)  # help is still answered


@pytest.mark.parametrize(
    ("body", "opt_out_type", "state"),
    [
        ("ARRET", "STOP", "opted_out"),  # a word the Messaging Service lists and we do not
        ("Please stop texting me", "STOP", "opted_out"),
        ("ARRET", None, None),  # without Advanced Opt-Out: the keyword rules alone
        ("START", "START", "opted_in"),
    ],
    ids=["custom-word", "sentence", "no-opt-out-type", "start"],
)
def test_twilio_advanced_opt_out_stop_is_an_opt_out_whatever_the_word(server, twilio, body, opt_out_type, state):
    """Twilio blocks sends to a number after a message it marked OptOutType=STOP (error 21610): the ledger
    must say opted out too, or the console and the send API would show someone Twilio no longer reaches."""
    api, hook = twilio
    params = {**INBOUND, "Body": body, **({"OptOutType": opt_out_type} if opt_out_type else {})}
    assert post_as_twilio(api, hook["url"], params).status_code == 200
    senders = api.get(server.url + "/api/v1/consent/+14155550123").json()["senders"]
    assert [s["state"] for s in senders if s["state"]] == ([state] if state else [])
    [message] = api.get(server.url + "/api/v1/inbound-messages").json()["items"]
    if opt_out_type == "STOP":
        event = message["keyword_event"]
        assert (event["category"], event["match"], event["decided_by"]) == ("opt_out", "exact", "twilio")
