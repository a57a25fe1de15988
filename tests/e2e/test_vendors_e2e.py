"""STOP and HELP end to end with the JSON vendors: inbound in the vendor's format to a real
server, consent stored, and the reply sent back through the vendor's own send API."""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from smshooks.testing import FakeVendorAPI, Reply

SUBSCRIBER = "+14155550123"
OUR_NUMBER = "+14155550100"
_ids = itertools.count(1)


@dataclass
class VendorCase:
    vendor: str
    credential: Any  # (fake API url) -> credential fields
    inbound: Any  # (text) -> JSON payload
    send_reply: bytes  # what the fake send API answers
    sent_text: Any  # (recorded request) -> (recipient, text)


VENDORS = [
    VendorCase(
        vendor="infobip",
        credential=lambda url: {"base_url": url, "api_key": "ib-key"},
        inbound=lambda text: {
            "results": [{"messageId": f"ib-{next(_ids)}", "from": SUBSCRIBER[1:], "to": OUR_NUMBER[1:], "text": text}]
        },
        send_reply=json.dumps({"messages": [{"messageId": "ib-out-1", "status": {"groupName": "PENDING"}}]}).encode(),
        sent_text=lambda req: (
            req.json()["messages"][0]["destinations"][0]["to"],
            req.json()["messages"][0]["content"]["text"],
        ),
    ),
    VendorCase(
        vendor="sinch",
        credential=lambda url: {"service_plan_id": "plan1", "api_token": "tok", "base_url": url},
        inbound=lambda text: {
            "type": "mo_text",
            "id": f"sn-{next(_ids)}",
            "from": SUBSCRIBER[1:],
            "to": OUR_NUMBER[1:],
            "body": text,
            "received_at": "2026-11-21T10:00:00.000Z",
        },
        send_reply=json.dumps({"id": "sn-out-1"}).encode(),
        sent_text=lambda req: (req.json()["to"][0], req.json()["body"]),
    ),
]


@pytest.mark.parametrize("case", VENDORS, ids=[case.vendor for case in VENDORS])
def test_stop_and_help_with_replies_through_the_vendor_api(server, case):
    with FakeVendorAPI() as vendor_api:
        vendor_api.reply_with(Reply(200, case.send_reply, {"Content-Type": "application/json"}))
        api = server.api(server.cli("apikey", "create", "--org", "acme"))
        credential = api.post(
            server.url + "/api/v1/credentials",
            json={"name": case.vendor, "vendor": case.vendor, **case.credential(vendor_api.url)},
        )
        assert credential.status_code == 201, credential.text
        hook = api.post(
            server.url + "/api/v1/webhooks",
            json={"name": "in", "vendor": case.vendor, "type": "inbound", "credentials_id": credential.json()["id"]},
        ).json()

        for text in ("STOP", "HELP"):
            answer = requests.post(hook["url"], json=case.inbound(text), timeout=10)
            assert answer.status_code == 200, answer.text

        senders = api.get(server.url + f"/api/v1/consent/{SUBSCRIBER}").json()["senders"]
        assert [(s["sender_number"], s["state"]) for s in senders] == [(OUR_NUMBER, "opted_out")]

        deadline = time.monotonic() + 20
        while len(vendor_api.requests) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        sent = [case.sent_text(request) for request in vendor_api.requests]
        assert len(sent) == 2
        recipients = {recipient.lstrip("+") for recipient, _ in sent}
        assert recipients == {SUBSCRIBER[1:]}
        texts = sorted(text for _, text in sent)
        assert any("unsubscribed" in text for text in texts) and any("STOP" in text for text in texts)


def sinch_signed(body: bytes, secret: str, nonce: str, timestamp: int) -> dict[str, str]:
    """Headers as Sinch signs a callback (HMAC-SHA256 over body.nonce.timestamp), computed
    here independently of the plugin."""
    import base64
    import hashlib
    import hmac

    signed = body + b"." + nonce.encode() + b"." + str(timestamp).encode()
    signature = base64.b64encode(hmac.new(secret.encode(), signed, hashlib.sha256).digest()).decode()
    return {
        "Content-Type": "application/json",
        "x-sinch-webhook-signature": signature,
        "x-sinch-webhook-signature-nonce": nonce,
        "x-sinch-webhook-signature-timestamp": str(timestamp),
        "x-sinch-webhook-signature-algorithm": "HmacSHA256",
    }


def test_sinch_signed_callbacks_through_the_gateway(server):
    api = server.api(server.cli("apikey", "create", "--org", "acme"))
    credential = api.post(
        server.url + "/api/v1/credentials",
        json={
            "name": "sinch",
            "vendor": "sinch",
            "service_plan_id": "plan1",
            "api_token": "tok",
            "region": "eu",
            "webhook_secret": "sinch-secret",
        },
    ).json()
    hook = api.post(
        server.url + "/api/v1/webhooks",
        json={"name": "in", "vendor": "sinch", "type": "feedback", "credentials_id": credential["id"]},
    ).json()
    body = json.dumps(
        {"type": "mo_text", "id": "sn-signed-1", "from": SUBSCRIBER[1:], "to": OUR_NUMBER[1:], "body": "hi"}
    ).encode()
    now = int(time.time())
    good = sinch_signed(body, "sinch-secret", "nonce-1", now)
    assert requests.post(hook["url"], data=body, headers=good, timeout=10).status_code == 200
    replayed = requests.post(hook["url"], data=body, headers=good, timeout=10)
    assert replayed.status_code == 403 and "nonce" in replayed.json()["error"]["message"]
    stale = sinch_signed(body, "sinch-secret", "nonce-2", now - 600)
    assert requests.post(hook["url"], data=body, headers=stale, timeout=10).status_code == 403
    tampered = sinch_signed(body, "sinch-secret", "nonce-3", now)
    assert requests.post(hook["url"], data=body.replace(b"hi", b"ho"), headers=tampered, timeout=10).status_code == 403
    unsigned = requests.post(hook["url"], data=body, headers={"Content-Type": "application/json"}, timeout=10)
    assert unsigned.status_code == 403
    stored = api.get(server.url + "/api/v1/inbound-messages").json()["items"]
    assert [m["vendor_message_id"] for m in stored] == ["sn-signed-1"]
