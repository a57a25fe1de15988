"""The keyword pipeline end to end over HTTP with the Twilio plugin and a real server process."""

from __future__ import annotations

import itertools
import json
import os
import signal
import time
import xml.etree.ElementTree as ET

import pytest
import requests
from sqlalchemy import create_engine, text
from support.server import start_server, stop_server

from smshooks.testing import FakeVendorAPI, Reply

twilio_validator = pytest.importorskip("twilio.request_validator")

AUTH_TOKEN = "0123456789abcdef0123456789abcdef"
ACCOUNT_SID = "AC0123456789abcdef0123456789abcdef"
SUBSCRIBER = "+14155550123"
OUR_NUMBER = "+14155550100"
_sids = itertools.count(1)


class Twilio:
    """Plays Twilio: signed inbound requests to one webhook, and the admin API beside it."""

    def __init__(self, server, *, inline_replies: bool = True, api_base_url: str | None = None):
        self.server = server
        self.api = server.api(server.cli("apikey", "create", "--org", "acme"))
        fields = {"name": "twilio", "vendor": "twilio", "account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN}
        fields["inline_replies"] = inline_replies
        if api_base_url:
            fields["api_base_url"] = api_base_url
        credential = self.api.post(server.url + "/api/v1/credentials", json=fields)
        assert credential.status_code == 201, credential.text
        hook = self.api.post(
            server.url + "/api/v1/webhooks",
            json={"name": "in", "vendor": "twilio", "type": "inbound", "credentials_id": credential.json()["id"]},
        )
        self.webhook = hook.json()

    def admin(self, method: str, path: str, **kwargs):
        return self.api.request(method, self.server.url + "/api/v1" + path, **kwargs)

    def sms(self, body: str) -> list[str]:
        """Send ``body`` as the subscriber; the replies in Twilio's TwiML answer."""
        sid = f"SM{next(_sids):032d}"
        params = {
            "MessageSid": sid,
            "SmsSid": sid,
            "AccountSid": ACCOUNT_SID,
            "From": SUBSCRIBER,
            "To": OUR_NUMBER,
            "Body": body,
            "NumMedia": "0",
            "SmsStatus": "received",
        }
        url = self.webhook["url"]
        signature = twilio_validator.RequestValidator(AUTH_TOKEN).compute_signature(url, params)
        answer = requests.post(url, data=params, headers={"X-Twilio-Signature": signature}, timeout=10)
        assert answer.status_code == 200, answer.text
        return [message.text or "" for message in ET.fromstring(answer.text).iter("Message")]

    def state(self) -> str | None:
        senders = self.admin("GET", f"/consent/{SUBSCRIBER}").json()["senders"]
        return senders[0]["state"] if senders else None


def test_consent_journey_with_inline_replies(server):
    twilio = Twilio(server)
    [opt_out] = twilio.sms("STOP")
    assert "unsubscribed" in opt_out
    assert twilio.state() == "opted_out"
    history = twilio.admin("GET", f"/consent/{SUBSCRIBER}").json()["history"]
    assert [(h["action"], h["keyword"], h["reply_text"]) for h in history] == [("opt_out", "STOP", opt_out)]

    assert twilio.sms("hello?") == []  # nothing after the confirmation …
    [help_reply] = twilio.sms("HELP")  # … but help
    assert "STOP" in help_reply

    [opt_in] = twilio.sms("START")
    assert "subscribed" in opt_in and twilio.state() == "opted_in"

    reply = twilio.admin("POST", "/replies", json={"name": "dflt", "template": "Thanks, we read every message."})
    promo = twilio.admin("POST", "/replies", json={"name": "promo", "template": "Pizza Friday: 2 for 1"})
    configured = twilio.admin(
        "PUT",
        f"/webhooks/{twilio.webhook['id']}/keywords",
        json={
            "categories": [
                {"category": "double_opt_in", "keywords": ["JOIN"]},
                {"category": "custom", "keywords": ["PIZZA"], "reply_id": promo.json()["id"]},
            ],
            "default_reply_id": reply.json()["id"],
        },
    )
    assert configured.status_code == 200, configured.text
    assert twilio.sms("what's new") == ["Thanks, we read every message."]
    assert twilio.sms("anything else") == []  # the default reply at most once per 24 h
    assert twilio.sms("pizza") == ["Pizza Friday: 2 for 1"]
    custom = twilio.admin("GET", "/inbound-messages", params={"category": "custom"}).json()["items"]
    assert [c["keyword_event"]["keyword"] for c in custom] == ["PIZZA"]

    [prompt] = twilio.sms("stpo")
    assert "Reply STOP" in prompt and twilio.state() == "opted_in"

    twilio.sms("STOP")
    [ask] = twilio.sms("JOIN")
    # asked to join again after a STOP: the opt-out stands until the confirmation
    assert twilio.state() == "opted_out" and "to confirm" in ask
    twilio.sms("YES")
    assert twilio.state() == "opted_in"


def test_a_reply_job_survives_a_killed_server(server_env, tmp_path):
    """Killed right after answering the vendor, the server leaves the reply job in
    the database, and the next start sends it."""
    with FakeVendorAPI() as twilio_api:
        twilio_api.reply_with(
            Reply(
                201,
                json.dumps({"sid": "SMreply0000000000000000000000000001", "status": "queued"}).encode(),
                {"Content-Type": "application/json"},
            )
        )
        first = start_server(server_env, tmp_path / "first.log", "--no-worker")
        twilio = Twilio(first, inline_replies=False, api_base_url=twilio_api.url)
        assert twilio.sms("STOP") == []  # the reply goes through the outbox, not the TwiML
        os.kill(first.process.pid, signal.SIGKILL)
        first.process.wait(timeout=10)

        engine = create_engine(server_env["SMSHOOKS_DATABASE_URL"])
        with engine.connect() as conn:
            assert conn.execute(text("SELECT kind, state FROM jobs")).all() == [("send_sms", "pending")]
        assert twilio_api.requests == []

        second = start_server(server_env, tmp_path / "second.log")
        try:
            deadline = time.monotonic() + 20
            while not twilio_api.requests and time.monotonic() < deadline:
                time.sleep(0.1)
            [sent] = twilio_api.requests
            assert sent.path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
            assert sent.form["To"] == [SUBSCRIBER] and "unsubscribed" in sent.form["Body"][0]
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                with engine.connect() as conn:
                    if conn.execute(text("SELECT state FROM jobs")).scalar() == "done":
                        break
                time.sleep(0.1)
            with engine.connect() as conn:
                assert conn.execute(text("SELECT state FROM jobs")).scalar() == "done"
        finally:
            stop_server(second)
            engine.dispose()
