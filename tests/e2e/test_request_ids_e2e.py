"""A real ``smshooks serve``: the reply to a signed Twilio STOP goes through the outbox (a credential
without inline replies), and its send attempt's log line carries the STOP request's X-Request-Id."""

from __future__ import annotations

import json
import re
import time

import pytest
import requests
from support.api import new_org

from smshooks.testing import FakeVendorAPI, Reply

twilio_validator = pytest.importorskip("twilio.request_validator")

AUTH_TOKEN = "0123456789abcdef0123456789abcdef"
ACCOUNT_SID = "AC0123456789abcdef0123456789abcdef"
SUBSCRIBER = "+14155550177"
OUR_NUMBER = "+14155550100"


def test_the_reply_to_a_stop_logs_the_stop_requests_id(server):
    with FakeVendorAPI() as twilio_api:
        sid = json.dumps({"sid": "SMreply0000000000000000000000000077", "status": "queued"}).encode()
        twilio_api.reply_with(Reply(201, sid, {"Content-Type": "application/json"}))
        api = server.api(server.cli("apikey", "create", "--org", new_org()))
        credential = api.post(
            server.url + "/api/v1/credentials",
            json={
                "name": "twilio",
                "vendor": "twilio",
                "account_sid": ACCOUNT_SID,
                "auth_token": AUTH_TOKEN,
                "inline_replies": False,
                "api_base_url": twilio_api.url,
            },
        )
        assert credential.status_code == 201, credential.text
        hook = api.post(
            server.url + "/api/v1/webhooks",
            json={"name": "in", "vendor": "twilio", "type": "inbound", "credentials_id": credential.json()["id"]},
        ).json()
        params = {
            "MessageSid": "SM" + "7" * 32,
            "AccountSid": ACCOUNT_SID,
            "From": SUBSCRIBER,
            "To": OUR_NUMBER,
            "Body": "STOP",
            "NumMedia": "0",
            "SmsStatus": "received",
        }
        signature = twilio_validator.RequestValidator(AUTH_TOKEN).compute_signature(hook["url"], params)
        headers = {"X-Twilio-Signature": signature, "X-Request-Id": "twilio-stop-77"}
        answer = requests.post(hook["url"], data=params, headers=headers, timeout=10)
        assert answer.status_code == 200, answer.text
        assert answer.headers["X-Request-Id"] == "twilio-stop-77"
        assert "<Message" not in answer.text  # the reply goes through the outbox, not the TwiML

        line = re.compile(r"\[twilio-stop-77\]: delivery attempt send_sms success .*vendor=twilio")
        deadline = time.monotonic() + 30
        while not line.search(server.log.read_text()):
            assert time.monotonic() < deadline, server.log.read_text()
            time.sleep(0.1)
        [sent] = twilio_api.requests
        assert sent.form["To"] == [SUBSCRIBER]
    log = server.log.read_text()
    assert re.search(r"\[twilio-stop-77\]: vendor request twilio inbound .*status=200", log)
    assert SUBSCRIBER not in log  # masked: +1415555****
