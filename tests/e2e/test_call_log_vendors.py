"""The call log with each installed vendor plugin's real credential shapes: no secret is ever stored.

Twilio (HTTP Basic AccountSid:AuthToken), Infobip (``Authorization: App <key>``),
Sinch (a Bearer API token) and Custom with OAuth2 client credentials (the client
secret in HTTP Basic or in the token request's form, and the access token it
fetched as a Bearer header) send to a local server that echoes every header
and body it got back in its answer. The rows in the database, the API answer
and the console page must hold none of those secrets in any encoding.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
from sqlalchemy import text
from support.api import Api

from smshooks.apikeys import create_api_key
from smshooks.messages.send_job import SEND_SMS
from smshooks.outbox.retry import at_once
from smshooks.outbox.worker import Worker
from smshooks.testing import FakeVendorAPI, Reply
from smshooks.web.app import create_app

OUR_NUMBER = "+14155550100"
SUBSCRIBER = "+14155550123"
TEMPLATE = '{"to": "{{toNumber}}", "from": "{{fromNumber}}", "text": "{{message}}", "ref": "{{reference}}"}'


def hex_(n: int) -> str:
    return secrets.token_hex(n // 2)


@dataclass
class Case:
    vendor: str
    #: (fake API url) -> (credential fields, the secrets they hold or lead to)
    credential: Callable[[str], tuple[dict[str, Any], list[str]]]
    #: the vendor's success answer to a send
    answer: dict[str, Any]
    #: calls one send makes
    calls: int = 1
    #: what a token URL answers (Custom OAuth2)
    access_token: str | None = None


def twilio(url: str) -> tuple[dict[str, Any], list[str]]:
    sid, token = "AC" + hex_(32), hex_(32)
    basic = base64.b64encode(f"{sid}:{token}".encode()).decode()
    return {"account_sid": sid, "auth_token": token, "api_base_url": url}, [token, basic]


def infobip(url: str) -> tuple[dict[str, Any], list[str]]:
    key = hex_(32) + "-" + hex_(32)
    return {"base_url": url, "api_key": key}, [key]


def sinch(url: str) -> tuple[dict[str, Any], list[str]]:
    token = hex_(32)
    return {"service_plan_id": "plan" + hex_(8), "api_token": token, "base_url": url}, [token]


def custom_oauth2(client_auth: str, access_token: str) -> Callable[[str], tuple[dict[str, Any], list[str]]]:
    def credential(url: str) -> tuple[dict[str, Any], list[str]]:
        client_id, client_secret = "client-" + hex_(8), "cs/+=" + hex_(24)
        basic = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
        fields = {
            "provider_url": url + "/v1/messages",
            "payload_template": TEMPLATE,
            "message_id_path": "messageId",
            "auth_type": "oauth2",
            "oauth2_token_url": url + "/oauth2/token",
            "oauth2_client_id": client_id,
            "oauth2_client_secret": client_secret,
            "oauth2_client_auth": client_auth,
        }
        return fields, [client_secret, basic, access_token]

    return credential


TOKENS = {auth: "at-" + hex_(40) for auth in ("basic", "body")}
CASES = [
    Case("twilio", twilio, {"sid": "SM" + hex_(32), "status": "queued"}),
    Case("infobip", infobip, {"messages": [{"messageId": "ib-1", "status": {"groupName": "PENDING"}}]}),
    Case("sinch", sinch, {"id": "01SINCHBATCH"}),
    *(
        Case("custom", custom_oauth2(auth, TOKENS[auth]), {"messageId": "c-1"}, calls=2, access_token=TOKENS[auth])
        for auth in ("basic", "body")
    ),
]


def echoing(case: Case) -> Callable[[Any], Reply]:
    """The vendor's answer, with every header and the body it was sent echoed back in it."""

    def answer(request: Any) -> Reply:
        echo = {"echo_headers": request.headers, "echo_body": request.body.decode(), "echo_query": request.query}
        if request.path.endswith("/token"):
            body = {"access_token": case.access_token, "token_type": "bearer", "expires_in": 3600, **echo}
            return Reply(200, json.dumps(body).encode(), {"Content-Type": "application/json"})
        status = 201 if case.vendor in ("twilio", "sinch") else 200
        return Reply(status, json.dumps({**case.answer, **echo}).encode(), {"Content-Type": "application/json"})

    return answer


def forms(value: str) -> list[str]:
    return [value, quote(value, safe=""), quote_plus(value), json.dumps(value)[1:-1]]


@pytest.fixture
def app(settings):
    app = create_app(settings)  # the installed plugins, through their entry points
    yield app
    app.extensions["smshooks"].db.engine.dispose()


@pytest.mark.parametrize("case", CASES, ids=[f"{c.vendor}-{i}" for i, c in enumerate(CASES)])
def test_no_secret_of_a_vendor_credential_is_ever_stored(app, case: Case) -> None:
    api = Api(app.test_client(), create_api_key(app.extensions["smshooks"].db, "acme"))
    with FakeVendorAPI() as vendor_api:
        vendor_api.reply_with(echoing(case))
        fields, secret_values = case.credential(vendor_api.url)
        credential = api.post("/credentials", {"name": case.vendor, "vendor": case.vendor, **fields})
        assert credential.status_code == 201, credential.json
        channel = api.post(
            "/channels", {"name": "main", "credentials_id": credential.json["id"], "sender_number": OUR_NUMBER}
        )
        assert channel.status_code == 201, channel.json
        sent = api.post(
            "/messages",
            {
                "channel_id": channel.json["id"],
                "campaign_id": "c1",
                "text": "Hi",
                "recipients": [{"phone": SUBSCRIBER}],
            },
        )
        assert sent.status_code == 202, sent.json
        worker = Worker(app.extensions["smshooks"], policies={SEND_SMS: at_once()})
        while worker.run_once():
            pass
        # the secrets really were on the wire (a token or a Basic pair), and so echoed back
        wire = json.dumps([(r.headers, r.body.decode(), r.query) for r in vendor_api.requests])
        assert any(form in wire for secret in secret_values for form in forms(secret))

    message_id = sent.json["messages"][0]["message_execution_id"]
    assert api.get(f"/messages/{message_id}").json["vendor_message_id"]
    answer = api.get(f"/messages/{message_id}/calls")
    calls = answer.json["items"]
    assert len(calls) == case.calls
    assert all(call["status_code"] in (200, 201) and call["response_excerpt"] for call in calls)
    assert "********" in calls[-1]["response_excerpt"]  # the echoed auth header, masked

    with app.extensions["smshooks"].db.engine.connect() as connection:
        rows = connection.execute(text("SELECT * FROM vendor_calls")).all()
    stored = "\n".join(" | ".join(str(value) for value in row) for row in rows)
    assert len(rows) == case.calls

    client = app.test_client()
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/admin/login").text).group(1)
    assert client.post("/admin/login", data={"api_key": api.key, "csrf_token": csrf}).status_code == 303
    page = client.get(f"/admin/messages/{message_id}").text
    assert "Vendor calls" in page

    for secret in secret_values:
        for form in forms(secret):
            assert form not in stored, (case.vendor, secret)
            assert form not in answer.text, (case.vendor, secret)
            assert form not in page, (case.vendor, secret)
