"""The per-message vendor call log in a real browser: a Twilio send that first meets a 503, then a 201.

A transactional send through the API to a fake Twilio API on loopback; the server's own worker
delivers it (one retry); the console's outbound list leads to the message's page, whose "Vendor
calls" table shows both calls, their bodies behind a <details>, and never the credential's auth
token, which the fake's 503 answer echoes back as a careless proxy might. Desktop and phone width.

Debian's Chromium driven by Playwright against a real server (tests/support/browser.py).
"""

from __future__ import annotations

import base64
import json
import re
import time
from urllib.parse import quote, quote_plus

import pytest
from support.api import new_org
from support.browser import DESKTOP, PHONE, go, screenshot, sign_in

from smshooks.testing import FakeVendorAPI, Reply

expect = pytest.importorskip("playwright.sync_api").expect

AUTH_TOKEN = "f3e2d1c0b9a8f3e2d1c0b9a8f3e2d1c0"
ACCOUNT_SID = "AC" + "7" * 32
SID = "SM" + "8" * 32
OUR_NUMBER = "+14155550100"
SUBSCRIBER = "+14155550123"
TEXT = "Your code is 4321"
JSON = "application/json"
BASIC = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()


@pytest.fixture(name="server")
def shared_server(console_server):  # one server for the module's tests, on SQLite
    return console_server


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport=DESKTOP, base_url=server.url)
    page = context.new_page()
    yield page
    context.close()


def unavailable_then_created(twilio_api: FakeVendorAPI) -> None:
    """Twilio's answers: a 503 that echoes the Authorization header and the token, then the created message."""

    def answer(request) -> Reply:
        if len(twilio_api.requests) == 1:  # the fake records a request before it asks for the answer
            echo = f"upstream down; got {request.header('Authorization')} ({AUTH_TOKEN})"
            return Reply(503, json.dumps({"code": 20503, "message": echo}).encode(), {"Content-Type": JSON})
        body = {"sid": SID, "status": "queued", "to": SUBSCRIBER, "from": OUR_NUMBER, "body": TEXT}
        return Reply(201, json.dumps(body).encode(), {"Content-Type": JSON})

    twilio_api.reply_with(answer)


def assert_readable(body, viewport: dict[str, int]) -> None:
    """An opened body is wide enough to read (a squeezed table cell left it a few characters wide) and within
    the viewport's width (not behind a sideways scroll)."""
    box = body.bounding_box()
    assert box["width"] >= 250, box
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], box


def wait_until_sent(api, url: str) -> dict:
    """The message once the worker has stored Twilio's sid (the retry waits SMSHOOKS_RETRY_DELAYS' 0.2 s)."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        message = api.get(url).json()
        if message.get("vendor_message_id"):
            return message
        time.sleep(0.1)
    pytest.fail(f"the worker did not deliver the message: {message}")


def test_the_vendor_calls_of_a_retried_send_in_the_console(page, server) -> None:
    key = server.cli("apikey", "create", "--org", new_org())
    api = server.api(key)
    with FakeVendorAPI() as twilio_api:
        unavailable_then_created(twilio_api)
        credential = api.post(
            server.url + "/api/v1/credentials",
            json={
                "name": "twilio",
                "vendor": "twilio",
                "account_sid": ACCOUNT_SID,
                "auth_token": AUTH_TOKEN,
                "api_base_url": twilio_api.url,
            },
        )
        assert credential.status_code == 201, credential.text
        channel = api.post(
            server.url + "/api/v1/channels",
            json={"name": "main", "credentials_id": credential.json()["id"], "sender_number": OUR_NUMBER},
        )
        assert channel.status_code == 201, channel.text
        send = {
            "channel_id": channel.json()["id"],
            "campaign_id": "browser",
            "text": TEXT,
            "recipients": [{"phone": SUBSCRIBER}],
        }
        answer = api.post(server.url + "/api/v1/messages", json=send)
        assert answer.status_code == 202, answer.text
        message_id = answer.json()["messages"][0]["message_execution_id"]
        message = wait_until_sent(api, f"{server.url}/api/v1/messages/{message_id}")
        assert message["vendor_message_id"] == SID
        # two attempts; the token really was on the wire (and so echoed back in the 503's body)
        assert [r.header("Authorization") for r in twilio_api.requests] == [f"Basic {BASIC}"] * 2

    sign_in(page, key)
    go(page, "Messages")
    page.get_by_role("navigation", name="Direction").get_by_role("link", name="Outbound").click()
    row = page.locator("tbody tr", has_text=SUBSCRIBER)
    expect(row).to_contain_text(TEXT)
    screenshot(page, "49-messages-outbound")
    row.get_by_role("link").first.click()
    page.wait_for_url(f"**/admin/messages/{message_id}")
    expect(page.get_by_role("heading", name="Vendor calls")).to_be_visible()

    # the status history reads as the other times on the page do: date, time, UTC (not raw ISO)
    history = page.locator(".timeline time")
    shown = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC")
    expect(history.first).to_have_text(shown)
    assert all(shown.fullmatch(text) for text in history.all_inner_texts())

    calls = page.get_by_role("table", name="Vendor calls").locator("tbody tr")
    expect(calls).to_have_count(2)
    url = f"{twilio_api.url}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    for index, (attempt, status) in enumerate([("1.1", "503"), ("2.1", "201")]):
        cells = calls.nth(index).locator("td")
        assert cells.nth(1).inner_text() == attempt
        assert cells.nth(2).inner_text() == "POST"
        assert cells.nth(3).inner_text() == url
        expect(cells.nth(4)).to_contain_text(status)
        assert cells.nth(5).inner_text().removesuffix(" ms").isdigit()

    details = calls.nth(0).locator("details")
    request_body = details.locator("pre").first
    expect(request_body).to_be_hidden()
    details.locator("summary").click()
    expect(request_body).to_be_visible()
    expect(request_body).to_contain_text(f"Body={quote_plus(TEXT)}")
    expect(request_body).to_contain_text(f"To={quote(SUBSCRIBER, safe='')}")
    expect(details.locator("pre").nth(1)).to_contain_text("********")
    assert_readable(request_body, DESKTOP)
    screenshot(page, "50-message-calls")

    html = page.content()
    for secret in (AUTH_TOKEN, BASIC):
        for form in (secret, quote(secret, safe=""), quote_plus(secret)):
            assert form not in html

    page.set_viewport_size(PHONE)
    calls.nth(1).locator("summary").click()
    response_body = calls.nth(1).locator("pre").nth(1)
    expect(response_body).to_contain_text(SID)
    assert_readable(response_body, PHONE)
    screenshot(page, "50-message-calls-phone")
    # nothing on the page makes it scroll sideways on a phone
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
