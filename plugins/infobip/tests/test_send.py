"""send() details the conformance table cannot express: Retry-After, refusals before any request, error texts."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from smshooks.events import OutboundMessage
from smshooks.testing import FakeVendorAPI
from smshooks.vendor import HttpSession, SendError
from smshooks.vendor import retry_after_seconds as retry_after
from smshooks_infobip import InfobipVendor

from .cases import API_KEY, MESSAGES_PATH, OTP, fixture

VENDOR = InfobipVendor()


def credentials(api: FakeVendorAPI, **extra: str) -> dict:
    return {"base_url": api.url, "api_key": API_KEY, **extra}


def send_error(api: FakeVendorAPI, message: OutboundMessage = OTP, **extra: str) -> SendError:
    with pytest.raises(SendError) as raised:
        VENDOR.send(message, credentials(api, **extra), HttpSession(timeout=2))
    return raised.value


def test_rate_limit_carries_retry_after_seconds(fake_vendor_api: FakeVendorAPI) -> None:
    fake_vendor_api.reply_json(429, json.loads(fixture("send_error_429.json")), {"Retry-After": "30"})
    error = send_error(fake_vendor_api)
    assert (error.retryable, error.status, error.code, error.retry_after) == (True, 429, "E429", 30.0)
    assert "Too many requests sent." in error.reason


def test_unavailable_carries_retry_after_http_date(fake_vendor_api: FakeVendorAPI) -> None:
    later = datetime.now(UTC) + timedelta(seconds=120)
    fake_vendor_api.reply_json(503, {}, {"Retry-After": format_datetime(later, usegmt=True)})
    error = send_error(fake_vendor_api)
    assert error.retryable is True
    assert error.retry_after is not None and 100 <= error.retry_after <= 120


def test_no_retry_after_header_means_none(fake_vendor_api: FakeVendorAPI) -> None:
    fake_vendor_api.reply_json(500, json.loads(fixture("send_error_500_legacy.json")))
    error = send_error(fake_vendor_api)
    assert (error.retryable, error.retry_after) == (True, None)
    assert "Something went wrong" in error.reason


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("0", 0.0),
        ("  45 ", 45.0),
        ("1.5", 1.5),
        ("-3", 0.0),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 60.0),
        ("Wed, 21 Oct 2015 07:00:00 GMT", 0.0),
        ("soon", None),
        ("nan", None),
        ("inf", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_values(value: str | None, seconds: float | None) -> None:
    assert retry_after(value, now=datetime(2015, 10, 21, 7, 27, tzinfo=UTC)) == seconds


def test_bad_request_reason_names_the_violation(fake_vendor_api: FakeVendorAPI) -> None:
    fake_vendor_api.reply_json(400, json.loads(fixture("send_error_400.json")))
    error = send_error(fake_vendor_api)
    assert (error.retryable, error.code, error.status) == (False, "E400", 400)
    assert "messages[0].destinations[0].to: must not be blank" in error.reason
    assert "Request cannot be processed." in error.reason


def test_legacy_unauthorized_reason(fake_vendor_api: FakeVendorAPI) -> None:
    fake_vendor_api.reply_json(401, json.loads(fixture("send_error_401_legacy.json")))
    error = send_error(fake_vendor_api)
    assert (error.retryable, error.code, error.status) == (False, "UNAUTHORIZED", 401)
    assert "Invalid login details" in error.reason


def test_rejected_answer_says_which_message_and_why(fake_vendor_api: FakeVendorAPI) -> None:
    fake_vendor_api.reply_json(200, json.loads(fixture("send_rejected.json")))
    error = send_error(fake_vendor_api)
    assert (error.retryable, error.code) == (False, "REJECTED_NOT_ENOUGH_CREDITS")
    assert "2250be2d4219-3af1-78856-aabe-1362af1edfd9" in error.reason
    assert "Not enough credits" in error.reason


@pytest.mark.parametrize(
    "message",
    [
        OutboundMessage(
            sender="InfoSMS", recipient="+41793026727", text="pic", media_urls=("https://c.example/a.png",)
        ),
        OutboundMessage(sender="InfoSMS", recipient="+41793026727", text=""),
    ],
    ids=["media", "no-text"],
)
def test_unsendable_message_fails_without_calling_infobip(fake_vendor_api: FakeVendorAPI, message) -> None:
    error = send_error(fake_vendor_api, message)
    assert error.retryable is False
    assert fake_vendor_api.requests == []


@pytest.mark.parametrize("missing", ["base_url", "api_key"])
def test_incomplete_credential_fails_without_calling_infobip(fake_vendor_api: FakeVendorAPI, missing: str) -> None:
    error = send_error(fake_vendor_api, **{missing: ""})
    assert error.retryable is False
    assert fake_vendor_api.requests == []


def test_redirect_is_not_followed(fake_vendor_api: FakeVendorAPI) -> None:
    # requests would follow a 302 as a GET and lose the body.
    fake_vendor_api.reply_json(302, {}, {"Location": "/elsewhere"})
    error = send_error(fake_vendor_api)
    assert error.retryable is False
    assert [(r.method, r.path) for r in fake_vendor_api.requests] == [("POST", MESSAGES_PATH)]


def test_body_is_exactly_one_message_to_one_destination(fake_vendor_api: FakeVendorAPI) -> None:
    fake_vendor_api.reply_json(200, json.loads(fixture("send_pending.json")))
    VENDOR.send(OTP, credentials(fake_vendor_api), HttpSession(timeout=2))
    (sent,) = fake_vendor_api.requests
    assert set(sent.json()) == {"messages"}
    (message,) = sent.json()["messages"]
    assert set(message) == {"sender", "destinations", "content", "webhooks"}
    assert sent.header("Accept") == "application/json"
    assert sent.query == {}
