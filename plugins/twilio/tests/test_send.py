"""send() details the conformance table cannot express: refusals before any request, error texts."""

from __future__ import annotations

import json

import pytest

from smshooks.events import OutboundMessage
from smshooks.testing import FakeVendorAPI
from smshooks.vendor import HttpSession, SendError
from smshooks_twilio import TwilioVendor

from .cases import CREDENTIALS, MESSAGES_PATH, OTP, fixture

VENDOR = TwilioVendor()


def credentials(api: FakeVendorAPI, **extra: str) -> dict:
    return {**CREDENTIALS, "api_base_url": api.url, **extra}


def test_no_sender_and_no_messaging_service_fails_without_calling_twilio(fake_vendor_api: FakeVendorAPI) -> None:
    message = OutboundMessage(sender=None, recipient="+14155550123", text="hi")
    with pytest.raises(SendError) as raised:
        VENDOR.send(message, credentials(fake_vendor_api), HttpSession(timeout=2))
    assert raised.value.retryable is False
    assert fake_vendor_api.requests == []


def test_opted_out_reason_says_so(fake_vendor_api: FakeVendorAPI) -> None:
    fake_vendor_api.reply_json(400, json.loads(fixture("send_error_21610.json")))
    with pytest.raises(SendError) as raised:
        VENDOR.send(OTP, credentials(fake_vendor_api), HttpSession(timeout=2))
    error = raised.value
    assert (error.retryable, error.code, error.status) == (False, "21610", 400)
    assert "opted out" in error.reason
    assert "Attempt to send to unsubscribed recipient" in error.reason


def test_rate_limit_keeps_status_and_code(fake_vendor_api: FakeVendorAPI) -> None:
    fake_vendor_api.reply_json(429, {"code": 20429, "message": "Too Many Requests", "status": 429})
    with pytest.raises(SendError) as raised:
        VENDOR.send(OTP, credentials(fake_vendor_api), HttpSession(timeout=2))
    assert (raised.value.retryable, raised.value.code, raised.value.status) == (True, "20429", 429)


def test_base_url_with_trailing_slash(fake_vendor_api: FakeVendorAPI) -> None:
    fake_vendor_api.reply_json(201, {"sid": "SM1"})
    sid = VENDOR.send(OTP, credentials(fake_vendor_api, api_base_url=fake_vendor_api.url + "/"), HttpSession(timeout=2))
    assert sid == "SM1"
    assert [request.path for request in fake_vendor_api.requests] == [MESSAGES_PATH]


def test_redirect_is_not_followed(fake_vendor_api: FakeVendorAPI) -> None:
    # requests would follow a 302 as a GET; Twilio never redirects its API.
    fake_vendor_api.reply_json(302, {}, {"Location": "/elsewhere"})
    with pytest.raises(SendError) as raised:
        VENDOR.send(OTP, credentials(fake_vendor_api), HttpSession(timeout=2))
    assert raised.value.retryable is False
    assert [(r.method, r.path) for r in fake_vendor_api.requests] == [("POST", MESSAGES_PATH)]


def test_media_only_message_has_no_body(fake_vendor_api: FakeVendorAPI) -> None:
    fake_vendor_api.reply_json(201, {"sid": "MM1"})
    message = OutboundMessage(
        sender="+15558675310", recipient="+14155550123", text="", media_urls=("https://cdn.example.com/a.png",)
    )
    assert VENDOR.send(message, credentials(fake_vendor_api), HttpSession(timeout=2)) == "MM1"
    form = fake_vendor_api.requests[0].form
    assert "Body" not in form
    assert form["MediaUrl"] == ["https://cdn.example.com/a.png"]
