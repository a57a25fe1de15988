"""A fuzz sweep of ``/hooks/<id>`` on a real server: no vendor ever gets a 5xx for what it sends.

For each vendor a valid inbound message and a valid delivery report are the
seeds. Every field of each seed is replaced with values of the wrong type, out
of every column's range, with NUL, lone surrogates or 10,000 characters; and
whole bodies are replaced with random bytes, invalid UTF-8, JSON nested
100,000 deep, 5,000-digit integers, ``NaN``/``Infinity``/``1e999999`` and
20,000 form fields. Twilio requests are signed (the fuzz must reach ``parse``,
not stop at the signature); the other vendors' credentials configure no
webhook secret, so their requests are parsed as sent.

The sweep runs once per database backend (SQLite, and PostgreSQL where
configured) and asserts: no answer ≥ 500, no traceback in the server's log,
and a real STOP afterwards is still answered 2xx and recorded.
"""

from __future__ import annotations

import copy
import hashlib
import json
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
from twilio.request_validator import RequestValidator

SUBSCRIBER = "+14155550123"
OUR_NUMBER = "+14155550100"
AUTH_TOKEN = "fuzz-auth-token"
ACCOUNT_SID = "AC" + "0" * 32

#: what every field of a seed is replaced with, one at a time
WRONG_VALUES: list[tuple[str, Any]] = [
    ("null", None),
    ("true", True),
    ("zero", 0),
    ("negative", -1),
    ("int64-overflow", 9223372036854775808),
    ("int32-overflow", 2**31),
    ("huge-float", 1e308),
    ("empty", ""),
    ("long", "x" * 10_000),
    ("list", ["a", 1]),
    ("object", {"a": {"b": [1]}}),
    ("nul", "a\x00b"),
    ("surrogate", "\ud800"),
    ("nan", float("nan")),
    ("infinity", float("-inf")),
    ("1e999999", "<raw>1e999999"),
    ("5000-digits", "<raw>" + "7" * 5000),
]

#: form values for Twilio (forms carry strings only)
WRONG_FORM_VALUES: list[tuple[str, str]] = [
    ("empty", ""),
    ("int64-overflow", "9223372036854775808"),
    ("int32-overflow", str(2**31)),
    ("negative", "-1"),
    ("huge-digits", "9" * 5000),
    ("long", "x" * 10_000),
    ("nul", "a\x00b"),
    ("unicode", "\u202e\ufeff😀"),
    ("nan", "NaN"),
]


def _raw_bodies(rng: random.Random) -> list[tuple[str, bytes]]:
    bodies = [
        ("empty", b""),
        ("deep-array", b"[" * 100_000),
        ("deep-object", b'{"a":' * 50_000),
        ("huge-int", b'{"results": [' + b"9" * 5000 + b"]}"),
        ("nan", b'{"results": [NaN], "type": NaN}'),
        ("infinity", b'{"type": Infinity, "results": -Infinity}'),
        ("1e999999", b'{"type": 1e999999, "results": [1e999999]}'),
        ("invalid-utf8", b'{"type": "\xff\xfe", "results": "\xc3\x28"}'),
        ("nul-in-json", b'{"type": "mo_text\\u0000", "results": ["\\u0000"]}'),
        ("lone-surrogate", b'{"type": "\\ud800", "body": "\\udfff"}'),
        ("json-null", b"null"),
        ("json-string", b'"results"'),
        ("json-number", b"123"),
        ("json-list", b"[[], {}, null]"),
    ]
    for index in range(12):
        bodies.append((f"random-{index}", rng.randbytes(rng.randint(1, 4096))))
    return bodies


def _paths(value: Any, prefix: tuple = ()) -> Iterator[tuple]:
    """Every path into a JSON document (containers and leaves), root excluded."""
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return
    for key, inner in items:
        yield (*prefix, key)
        yield from _paths(inner, (*prefix, key))


def _replaced(document: Any, path: tuple, new: Any) -> Any:
    result = copy.deepcopy(document)
    target = result
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = new
    return result


def _raw_tokens(text: str) -> str:
    """JSON text with ``"<raw>TOKEN"`` strings written as the bare token (numbers
    json.dumps cannot produce, such as ``1e999999``)."""
    return re.sub(r'"<raw>([^"]*)"', r"\1", text)


@dataclass
class Target:
    vendor: str
    credential: dict[str, Any]
    seeds: dict[str, Any]  # label -> JSON document (or form dict for Twilio)
    form: bool = False


TARGETS = [
    Target(
        vendor="twilio",
        credential={"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN},
        form=True,
        seeds={
            "inbound": {
                "MessageSid": "SM" + "1" * 32,
                "AccountSid": ACCOUNT_SID,
                "From": SUBSCRIBER,
                "To": OUR_NUMBER,
                "Body": "hello",
                "NumSegments": "1",
                "NumMedia": "1",
                "MediaUrl0": "https://api.twilio.com/media/1",
                "MediaContentType0": "image/jpeg",
            },
            "status": {
                "MessageSid": "SM" + "2" * 32,
                "AccountSid": ACCOUNT_SID,
                "MessageStatus": "delivered",
                "To": SUBSCRIBER,
                "From": OUR_NUMBER,
                "ErrorCode": "30003",
            },
        },
    ),
    Target(
        vendor="infobip",
        credential={"base_url": "https://api.infobip.com", "api_key": "ib-key"},
        seeds={
            "inbound": {
                "results": [
                    {
                        "messageId": "ib-in-1",
                        "from": SUBSCRIBER[1:],
                        "to": OUR_NUMBER[1:],
                        "text": "hello",
                        "cleanText": "hello",
                        "keyword": "HELLO",
                        "receivedAt": "2026-11-21T10:00:00.000+0000",
                        "smsCount": 1,
                        "price": {"pricePerMessage": 0, "currency": "EUR"},
                    }
                ],
                "messageCount": 1,
                "pendingMessageCount": 0,
            },
            "report": {
                "results": [
                    {
                        "messageId": "ib-out-1",
                        "to": SUBSCRIBER[1:],
                        "sentAt": "2026-11-21T10:00:00.000+0000",
                        "doneAt": "2026-11-21T10:00:05.000+0000",
                        "smsCount": 1,
                        "status": {"groupId": 3, "groupName": "DELIVERED", "id": 5, "name": "DELIVERED_TO_HANDSET"},
                        "error": {"groupId": 0, "groupName": "OK", "id": 0, "name": "NO_ERROR", "permanent": False},
                    }
                ]
            },
        },
    ),
    Target(
        vendor="sinch",
        credential={"service_plan_id": "plan1", "api_token": "tok", "base_url": "https://us.sms.api.sinch.com"},
        seeds={
            "inbound": {
                "type": "mo_text",
                "id": "sn-in-1",
                "from": SUBSCRIBER[1:],
                "to": OUR_NUMBER[1:],
                "body": "hello",
                "received_at": "2026-11-21T10:00:00.000Z",
            },
            "report": {
                "type": "delivery_report_sms",
                "batch_id": "sn-batch-1",
                "statuses": [{"code": 0, "status": "Delivered", "count": 1, "recipients": [SUBSCRIBER[1:]]}],
                "total_message_count": 1,
            },
            "recipient-report": {
                "type": "recipient_delivery_report_sms",
                "batch_id": "sn-batch-2",
                "recipient": SUBSCRIBER[1:],
                "code": 0,
                "status": "Delivered",
                "at": "2026-11-21T10:00:05.000Z",
            },
        },
    ),
    Target(
        vendor="custom",
        credential={
            "provider_url": "https://sms.example.com/send",
            "payload_template": '{"from": "{{fromNumber}}", "to": "{{toNumber}}", "text": "{{message}}"}',
        },
        seeds={
            "inbound": {
                "inboundMessage": "hello",
                "profileNumber": SUBSCRIBER,
                "requestId": "cu-in-1",
                "originTimestamp": "2026-11-21T10:00:00Z",
                "inboundNumber": OUR_NUMBER,
            },
            "report": {"clientReference": "cu-out-1", "statuses": [{"code": "0", "status": "delivered"}]},
        },
    ),
]


def _signed(url: str, params: dict[str, str] | None = None, body: bytes | None = None) -> tuple[str, dict[str, str]]:
    """Twilio's signature on a form (``params``) or a JSON body (``bodySHA256``)."""
    validator = RequestValidator(AUTH_TOKEN)
    if body is not None:
        url = f"{url}?bodySHA256={hashlib.sha256(body).hexdigest()}"
        return url, {"X-Twilio-Signature": validator.compute_signature(url, {}), "Content-Type": "application/json"}
    return url, {"X-Twilio-Signature": validator.compute_signature(url, params or {})}


def _requests_for(target: Target, url: str, rng: random.Random) -> Iterator[tuple[str, dict[str, Any]]]:
    """(label, keyword arguments of requests.post) for every fuzz case of one vendor."""
    for label, body in _raw_bodies(rng):
        headers = {"Content-Type": "application/json"}
        call_url = url
        if target.form:
            call_url, headers = _signed(url, body=body)
        yield f"body:{label}", {"url": call_url, "data": body, "headers": headers}
    for seed_label, seed in target.seeds.items():
        if target.form:
            for field in seed:
                for value_label, value in WRONG_FORM_VALUES:
                    params = {**seed, field: value}
                    _, headers = _signed(url, params=params)
                    yield f"{seed_label}:{field}={value_label}", {"url": url, "data": params, "headers": headers}
            many = {**seed, **{f"Extra{i}": "x" for i in range(20_000)}}
            _, headers = _signed(url, params=many)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            yield f"{seed_label}:20000-fields", {"url": url, "data": urlencode(many), "headers": headers}
            continue
        for path in _paths(seed):
            for value_label, value in WRONG_VALUES:
                document = _replaced(seed, path, value)
                body = _raw_tokens(json.dumps(document)).encode()
                name = ".".join(str(key) for key in path)
                yield (
                    f"{seed_label}:{name}={value_label}",
                    {"url": url, "data": body, "headers": {"Content-Type": "application/json"}},
                )


@pytest.fixture
def hooks(server) -> dict[str, str]:
    """One inbound webhook per vendor: vendor -> its URL."""
    api = server.api(server.cli("apikey", "create", "--org", "acme"))
    urls = {}
    for target in TARGETS:
        credential = api.post(
            server.url + "/api/v1/credentials",
            json={"name": target.vendor, "vendor": target.vendor, **target.credential},
        )
        assert credential.status_code == 201, credential.text
        hook = api.post(
            server.url + "/api/v1/webhooks",
            json={
                "name": f"fuzz-{target.vendor}",
                "vendor": target.vendor,
                "type": "inbound",
                "credentials_id": credential.json()["id"],
                "sender_number": OUR_NUMBER,
            },
        )
        assert hook.status_code == 201, hook.text
        urls[target.vendor] = hook.json()["url"]
    urls["_api"] = server.url
    return urls


def test_no_vendor_input_gets_a_server_error(server, hooks):
    rng = random.Random(20261201)  # the same sweep every run
    failures: list[str] = []
    answered: dict[int, int] = {}
    with requests.Session() as http:
        for target in TARGETS:
            for label, call in _requests_for(target, hooks[target.vendor], rng):
                try:
                    answer = http.post(timeout=60, **call)
                except requests.ConnectionError as exc:
                    failures.append(f"{target.vendor} {label}: connection failed ({exc})")
                    continue
                answered[answer.status_code] = answered.get(answer.status_code, 0) + 1
                if answer.status_code >= 500:
                    failures.append(f"{target.vendor} {label}: {answer.status_code} {answer.text[:200]}")
    assert not failures, f"{len(failures)} server errors (answers by status: {answered}):\n" + "\n".join(failures)

    log = server.log.read_text()
    assert "Traceback" not in log, log[log.index("Traceback") - 500 : log.index("Traceback") + 3000]

    # The server still does its job afterwards: a signed STOP is stored as an opt-out.
    stop = {**TARGETS[0].seeds["inbound"], "MessageSid": "SM" + "9" * 32, "Body": "STOP"}
    _, headers = _signed(hooks["twilio"], params=stop)
    assert requests.post(hooks["twilio"], data=stop, headers=headers, timeout=10).status_code == 200
    api = server.api(server.cli("apikey", "create", "--org", "acme"))
    senders = api.get(hooks["_api"] + f"/api/v1/consent/{SUBSCRIBER}").json()["senders"]
    assert [sender["state"] for sender in senders] == ["opted_out"]
