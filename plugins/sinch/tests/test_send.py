"""send() details the conformance table cannot express: regional URLs, absent fields, Retry-After."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
import requests
from requests.adapters import HTTPAdapter

from smshooks.events import OutboundMessage
from smshooks.testing import FakeVendorAPI
from smshooks.vendor import HttpSession, SendError, retry_after_seconds
from smshooks_sinch import SinchVendor

from .cases import API_TOKEN, BATCH_ID, BATCHES_PATH, OTP, SERVICE_PLAN_ID, fixture_json

VENDOR = SinchVendor()


def credentials(api: FakeVendorAPI, **extra: object) -> dict:
    return {"service_plan_id": SERVICE_PLAN_ID, "api_token": API_TOKEN, "base_url": api.url, **extra}


class RerouteToFakeAPI(HTTPAdapter):
    """Transport that records the URL a request was meant for and delivers it to the fake API instead.

    Sinch's regional hosts cannot be reached from tests; the session, not our
    code, is what changes: the request is built exactly as for the real host.
    """

    def __init__(self, fake_url: str):
        super().__init__()
        self.fake = urlsplit(fake_url)
        self.intended: list[str] = []

    def send(self, request: requests.PreparedRequest, **kwargs: object) -> requests.Response:
        self.intended.append(request.url)
        parts = urlsplit(request.url)
        request.url = parts._replace(scheme=self.fake.scheme, netloc=self.fake.netloc).geturl()
        return super().send(request, **kwargs)


def rerouted(api: FakeVendorAPI) -> tuple[HttpSession, RerouteToFakeAPI]:
    session = HttpSession(timeout=2)
    adapter = RerouteToFakeAPI(api.url)
    session.mount("https://", adapter)
    return session, adapter


@pytest.mark.parametrize(
    ("region", "host"), [("us", "https://us.sms.api.sinch.com"), ("eu", "https://eu.sms.api.sinch.com")]
)
def test_region_picks_sinchs_regional_host(fake_vendor_api: FakeVendorAPI, region: str, host: str) -> None:
    fake_vendor_api.reply_json(201, fixture_json("send_batch_created.json"))
    session, adapter = rerouted(fake_vendor_api)
    creds = {"service_plan_id": SERVICE_PLAN_ID, "api_token": API_TOKEN, "region": region}
    assert VENDOR.send(OTP, creds, session) == BATCH_ID
    assert adapter.intended == [host + BATCHES_PATH]
    (sent,) = fake_vendor_api.requests
    assert (sent.method, sent.path) == ("POST", BATCHES_PATH)
    assert sent.header("Authorization") == f"Bearer {API_TOKEN}"
    assert sent.json()["to"] == ["+14155550123"]


def test_message_without_sender_callback_or_reference_leaves_those_fields_out(fake_vendor_api: FakeVendorAPI) -> None:
    fake_vendor_api.reply_json(201, {"id": "01BATCH"})
    message = OutboundMessage(sender=None, recipient="+14155550123", text="hi")
    assert VENDOR.send(message, credentials(fake_vendor_api), HttpSession(timeout=2)) == "01BATCH"
    assert fake_vendor_api.requests[0].json() == {
        "to": ["+14155550123"],
        "type": "mt_text",
        "body": "hi",
        "delivery_report": "per_recipient",
    }


def test_media_only_message_has_no_message_text(fake_vendor_api: FakeVendorAPI) -> None:
    fake_vendor_api.reply_json(201, {"id": "01BATCH"})
    message = dataclasses.replace(OTP, text="", media_urls=("https://cdn.example.com/a.png",))
    VENDOR.send(message, credentials(fake_vendor_api), HttpSession(timeout=2))
    assert fake_vendor_api.requests[0].json()["body"] == {"url": "https://cdn.example.com/a.png"}


def test_several_media_urls_are_refused_before_calling_sinch(fake_vendor_api: FakeVendorAPI) -> None:
    message = dataclasses.replace(OTP, media_urls=("https://cdn.example.com/a.png", "https://cdn.example.com/b.png"))
    with pytest.raises(SendError) as raised:
        VENDOR.send(message, credentials(fake_vendor_api), HttpSession(timeout=2))
    assert raised.value.retryable is False
    assert "one media URL" in raised.value.reason
    assert fake_vendor_api.requests == []


@pytest.mark.parametrize(
    "creds",
    [
        {"service_plan_id": SERVICE_PLAN_ID, "region": "us"},
        {"api_token": API_TOKEN, "region": "us"},
        {"service_plan_id": SERVICE_PLAN_ID, "api_token": API_TOKEN},
        {"service_plan_id": SERVICE_PLAN_ID, "api_token": API_TOKEN, "region": "mars"},
    ],
    ids=["no-token", "no-service-plan", "no-region-nor-base-url", "unknown-region"],
)
def test_incomplete_credential_fails_without_retry(creds: dict) -> None:
    with pytest.raises(SendError) as raised:
        VENDOR.send(OTP, creds, HttpSession(timeout=2))
    assert raised.value.retryable is False


def test_error_keeps_status_code_and_sinchs_text(fake_vendor_api: FakeVendorAPI) -> None:
    fake_vendor_api.reply_json(400, fixture_json("send_error_400.json"))
    with pytest.raises(SendError) as raised:
        VENDOR.send(OTP, credentials(fake_vendor_api), HttpSession(timeout=2))
    error = raised.value
    assert (error.retryable, error.code, error.status, error.retry_after) == (
        False,
        "syntax_invalid_parameter_format",
        400,
        None,
    )
    assert "is not a valid MSISDN" in error.reason


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_seconds_are_passed_on(fake_vendor_api: FakeVendorAPI, status: int) -> None:
    fake_vendor_api.reply_json(status, {}, {"Retry-After": "7"})
    with pytest.raises(SendError) as raised:
        VENDOR.send(OTP, credentials(fake_vendor_api), HttpSession(timeout=2))
    assert (raised.value.retryable, raised.value.status, raised.value.retry_after) == (True, status, 7.0)


def test_rate_limit_without_retry_after(fake_vendor_api: FakeVendorAPI) -> None:
    fake_vendor_api.reply_json(429, {})
    with pytest.raises(SendError) as raised:
        VENDOR.send(OTP, credentials(fake_vendor_api), HttpSession(timeout=2))
    assert (raised.value.retryable, raised.value.retry_after) == (True, None)


def test_redirect_is_not_followed(fake_vendor_api: FakeVendorAPI) -> None:
    # requests would follow a 302 as a GET; Sinch never redirects its API.
    fake_vendor_api.reply_json(302, {}, {"Location": "/elsewhere"})
    with pytest.raises(SendError) as raised:
        VENDOR.send(OTP, credentials(fake_vendor_api), HttpSession(timeout=2))
    assert raised.value.retryable is False
    assert [(r.method, r.path) for r in fake_vendor_api.requests] == [("POST", BATCHES_PATH)]


NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("7", 7.0),
        (" 120 ", 120.0),
        ("1.5", 1.5),
        ("Fri, 02 Jan 2026 03:05:05 GMT", 60.0),
        ("Fri, 02 Jan 2026 03:00:00 GMT", 0.0),  # already past: at once
        ("-3", 0.0),
        (None, None),
        ("", None),
        ("soon", None),
        ("inf", None),
        ("nan", None),
    ],
)
def test_retry_after_header_forms(header: str | None, seconds: float | None) -> None:
    assert retry_after_seconds(header, now=NOW) == seconds
