"""Real vendor plugins behind ``/hooks/<id>``: values out of column range and hostile JSON never give a 500.

Runs on SQLite and, where ``SMSHOOKS_TEST_POSTGRES_URL`` is set, PostgreSQL:
the two refuse different values (SQLite: integers over 2^63 - 1; PostgreSQL:
INTEGER over 2^31 - 1, ``NaN`` in JSON), so both must be shown storing them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from urllib.parse import urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient
from support.api import Api
from twilio.request_validator import RequestValidator

from smshooks.apikeys import create_api_key
from smshooks.settings import Settings
from smshooks.web.app import create_app

TWILIO_TOKEN = "12345"
PUBLIC_URL = "https://sms.example.com"

CREDENTIALS = {
    "twilio": {"account_sid": "AC" + "0" * 32, "auth_token": TWILIO_TOKEN},
    "infobip": {"base_url": "https://xk9q2.api.infobip.com", "api_key": "key"},
    "sinch": {"service_plan_id": "plan", "api_token": "token", "region": "us"},
}


@pytest.fixture
def app(smshooks_settings: Settings) -> Iterator[Flask]:
    app = create_app(replace(smshooks_settings, public_url=PUBLIC_URL))
    yield app
    app.extensions["smshooks"].db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def api(app: Flask, client: FlaskClient) -> Api:
    return Api(client, create_api_key(app.extensions["smshooks"].db, "acme"))


@pytest.fixture
def hooks(api: Api) -> dict[str, str]:
    ids = {}
    for vendor, fields in CREDENTIALS.items():
        cred = api.post("/credentials", {"name": f"cred-{vendor}", "vendor": vendor, **fields})
        assert cred.status_code == 201, cred.json
        hook = api.post(
            "/webhooks",
            {"name": vendor, "vendor": vendor, "type": "feedback", "credentials_id": cred.json["id"]},
        )
        assert hook.status_code == 201, hook.json
        ids[vendor] = hook.json["id"]
    return ids


def post_twilio(client: FlaskClient, hook_id: str, params: dict[str, str]):
    url = f"{PUBLIC_URL}/hooks/{hook_id}"
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(url, params)
    return client.post(
        f"/hooks/{hook_id}",
        data=urlencode(params),
        content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": signature},
    )


def inbound(api: Api, vendor_message_id: str) -> dict:
    items = [m for m in api.get("/inbound-messages").json["items"] if m["vendor_message_id"] == vendor_message_id]
    assert len(items) == 1, items
    return items[0]


def twilio_inbound(sid: str, **params: str) -> dict[str, str]:
    return {
        "MessageSid": sid,
        "AccountSid": "AC" + "0" * 32,
        "From": "+14155550123",
        "To": "+14155550100",
        "Body": "STOP",
        "SmsStatus": "received",
        **params,
    }


@pytest.mark.parametrize(
    ("segments", "stored"),
    [
        ("9223372036854775808", 255),  # over SQLite's 64-bit INTEGER
        ("2147483648", 255),  # over PostgreSQL's 32-bit INTEGER
        ("99999999999999999999999999999999999999", 255),
        ("300", 255),
        ("0", 1),
        ("3", 3),
    ],
)
def test_a_segment_count_out_of_column_range_is_clamped_and_the_message_kept(api, client, hooks, segments, stored):
    sid = "SM" + segments[:30].rjust(32, "0")
    response = post_twilio(client, hooks["twilio"], twilio_inbound(sid, NumSegments=segments))
    assert response.status_code == 200, response.data
    message = inbound(api, sid)
    assert message["segments"] == stored
    assert message["text"] == "STOP"
    assert message["raw"]["NumSegments"] == segments  # what Twilio sent is kept


@pytest.mark.parametrize("vendor", ["infobip", "sinch"])
@pytest.mark.parametrize(
    "body",
    [
        b'{"results": [{"messageId": "m1", "from": "1", "to": "2", "text": "x", "smsCount": NaN}]}',
        b'{"results": [{"messageId": "m1", "from": "1", "to": "2", "text": "x", "smsCount": Infinity}]}',
        b'{"results": [{"messageId": "m1", "from": "1", "to": "2", "text": "x", "price": 1e999999}]}',
        b'{"type": "mo_text", "id": "1", "from": "1", "to": "2", "body": "x", "n": -Infinity}',
        b"[" * 100_000,
        b'{"results": ' + b"9" * 5000 + b"}",
    ],
    ids=["nan", "infinity", "float-overflow", "minus-infinity", "deep", "integer-5000-digits"],
)
def test_hostile_json_is_400_with_the_reason(api, client, hooks, vendor, body):
    response = client.post(f"/hooks/{hooks[vendor]}", data=body, content_type="application/json")
    assert response.status_code == 400, response.data
    assert "not valid JSON" in response.json["error"]["message"]


def test_a_number_json_columns_cannot_hold_is_refused_not_stored_half(api, client, hooks):
    body = {
        "type": "mo_text",
        "id": "sinch-big-number",
        "from": "12015555555",
        "to": "12017777777",
        "body": "STOP",
        # 100 digits: taken, and stored as it is on both engines
        "operator_id": int("9" * 100),
    }
    response = client.post(f"/hooks/{hooks['sinch']}", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 200, response.data
    assert inbound(api, "sinch-big-number")["raw"]["operator_id"] == int("9" * 100)


def test_a_batch_over_the_vendors_documented_size_is_413_and_stores_nothing(api, client, hooks):
    # Infobip batches at most 1000 results; 9,000 STOPs would mean 9,000 replies in one go.
    body = {"results": [{"messageId": str(n), "from": "1", "to": "2", "text": "STOP"} for n in range(9000)]}
    response = client.post(f"/hooks/{hooks['infobip']}", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 413, response.data
    assert "at most 1000" in response.json["error"]["message"]
    assert api.get("/inbound-messages").json["items"] == []


def test_a_sinch_report_over_a_batch_is_413(api, client, hooks):
    numbers = [str(12010000000 + n) for n in range(55_000)]
    body = {
        "type": "delivery_report_sms",
        "batch_id": "B1",
        "statuses": [{"code": 0, "status": "Delivered", "count": 55_000, "recipients": numbers}],
    }
    response = client.post(f"/hooks/{hooks['sinch']}", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 413, response.data
    assert api.get("/delivery-reports").json["items"] == []
