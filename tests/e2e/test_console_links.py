"""The console's pages lead to each other, and say what a user needs, in a real browser.

One server for the module (the shared SQLite console server, started without SMSHOOKS_PUBLIC_URL),
one organisation with a Twilio credential pointing at a fake Twilio API on loopback, a channel, a
feedback webhook listening on loopback, and one transactional send to three numbers: one Twilio
accepts, one it answers 503 for every time (retried, the message stays queued), one it refuses for
good (the message is an error, and its feedback delivery is posted). From there: the outbound list
names the channel; a message's page shows what the API's message schema has and links to its feedback
deliveries; a delivery links back to its message; the webhook pages warn that the public URL is not
set; generated labels read "Account SID"; the home page links the API docs; the favicon is served.

Debian's Chromium driven by Playwright against a real server (tests/support/browser.py).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import pytest
from support.api import new_org
from support.browser import DESKTOP, go, screenshot, sign_in
from support.receiver import Receiver

from smshooks.testing import FakeVendorAPI, Reply

expect = pytest.importorskip("playwright.sync_api").expect

AUTH_TOKEN = "0a1b2c3d4e5f0a1b2c3d4e5f0a1b2c3d"
ACCOUNT_SID = "AC" + "5" * 32
SID = "SM" + "6" * 32
OUR_NUMBER = "+14155550100"
#: Twilio accepts it at once
ACCEPTED = "+14155550131"
#: Twilio answers 503 to every try: retried, the message stays queued
UNAVAILABLE = "+14155550132"
#: Twilio refuses it for good (21211): the message is an error and its feedback is posted
REFUSED = "+14155550133"
CAMPAIGN = "links-campaign"
CAMPAIGN_VERSION = "v7"
CHANNEL = "links channel"
JSON = "application/json"


@dataclass
class World:
    key: str
    channel_id: str
    request_id: str
    #: the message id of each recipient
    messages: dict[str, str]
    webhook_id: str


@pytest.fixture(name="server", scope="module")
def shared_server(console_server):  # one server for the module's tests, on SQLite
    return console_server


def twilio_answer(request: Any) -> Reply:
    """Twilio's answer by recipient: created, unavailable, or an invalid number."""
    to = parse_qs(request.body.decode()).get("To", [""])[0]
    if to == UNAVAILABLE:
        return Reply(
            503, json.dumps({"code": 20503, "message": "Service unavailable"}).encode(), {"Content-Type": JSON}
        )
    if to == REFUSED:
        body = {"code": 21211, "message": "The 'To' number is not a valid phone number.", "status": 400}
        return Reply(400, json.dumps(body).encode(), {"Content-Type": JSON})
    body = {"sid": SID, "status": "queued", "to": to, "from": OUR_NUMBER, "body": "hi"}
    return Reply(201, json.dumps(body).encode(), {"Content-Type": JSON})


def wait_for(check: Any, what: str, timeout: float = 20) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def world(server) -> Iterator[World]:
    key = server.cli("apikey", "create", "--org", new_org())
    api = server.api(key)
    base = server.url + "/api/v1"
    with FakeVendorAPI() as twilio_api, Receiver() as receiver:
        twilio_api.reply_with(twilio_answer)
        credential = api.post(
            base + "/credentials",
            json={
                "name": "twilio",
                "vendor": "twilio",
                "account_sid": ACCOUNT_SID,
                "auth_token": AUTH_TOKEN,
                "api_base_url": twilio_api.url,
            },
        )
        assert credential.status_code == 201, credential.text
        webhook = api.post(
            base + "/webhooks",
            json={
                "name": "twilio in",
                "vendor": "twilio",
                "type": "inbound",
                "credentials_id": credential.json()["id"],
            },
        )
        assert webhook.status_code == 201, webhook.text
        feedback = api.post(base + "/feedback-webhook", json={"name": "fb", "channels": ["sms"], "url": receiver.url})
        assert feedback.status_code == 201, feedback.text
        channel = api.post(
            base + "/channels",
            json={"name": CHANNEL, "credentials_id": credential.json()["id"], "sender_number": OUR_NUMBER},
        )
        assert channel.status_code == 201, channel.text
        send = {
            "channel_id": channel.json()["id"],
            "campaign_id": CAMPAIGN,
            "campaign_version_id": CAMPAIGN_VERSION,
            "text": "Your code is 1234",
            "recipients": [{"phone": phone} for phone in (ACCEPTED, UNAVAILABLE, REFUSED)],
        }
        answer = api.post(base + "/messages", json=send)
        assert answer.status_code == 202, answer.text
        ids = [m["message_execution_id"] for m in answer.json()["messages"]]
        messages = {}
        for message_id in ids:
            recipient = api.get(f"{base}/messages/{message_id}").json()["recipient"]
            messages[recipient] = message_id

        def message(phone: str) -> dict:
            return api.get(f"{base}/messages/{messages[phone]}").json()

        wait_for(lambda: message(ACCEPTED)["vendor_message_id"], "the accepted send")
        wait_for(lambda: message(REFUSED)["status"] == "error", "the refused send")
        # two tries of the unavailable one: it was retried
        wait_for(lambda: message(UNAVAILABLE)["retry_count"] >= 2, "the retries of the unavailable send")
        receiver.wait_for(1, timeout=20)  # the refused message's error feedback
        request_id = message(ACCEPTED)["request_id"]
        assert request_id
        yield World(key, channel.json()["id"], request_id, messages, webhook.json()["id"])


@pytest.fixture
def page(browser, server, world):
    context = browser.new_context(viewport=DESKTOP, base_url=server.url)
    page = context.new_page()
    sign_in(page, world.key)
    yield page
    context.close()


def outbound_list(page: Any) -> None:
    go(page, "Messages")
    with page.expect_navigation():
        page.get_by_role("navigation", name="Direction").get_by_role("link", name="Outbound").click()


def pair(page: Any, term: str) -> Any:
    """The <dd> of a definition list's ``term``."""
    return page.locator(f"dl.pairs dt:text-is('{term}') + dd")


def test_the_outbound_list_names_the_channel_and_the_message_shows_what_the_api_has(page, world) -> None:
    outbound_list(page)
    row = page.locator("tbody tr", has_text=ACCEPTED)
    channel_link = row.get_by_role("link", name=CHANNEL)
    expect(channel_link).to_have_attribute("href", f"/admin/channels/{world.channel_id}")
    expect(page.locator("thead")).to_contain_text("Channel or webhook")
    assert "Webhook —" not in page.locator("tbody").inner_text()
    screenshot(page, "60-links-outbound-channel")

    with page.expect_navigation():
        row.get_by_role("link").first.click()
    assert page.url.endswith(f"/admin/messages/{world.messages[ACCEPTED]}")
    expect(pair(page, "Campaign")).to_have_text(f"{CAMPAIGN} version {CAMPAIGN_VERSION}")
    expect(pair(page, "Request id")).to_have_text(world.request_id)
    expect(pair(page, "Retries")).to_have_text("0")
    expect(pair(page, "Vendor id")).to_have_text(f"Twilio {SID}")
    expect(pair(page, "Channel").get_by_role("link", name=CHANNEL)).to_be_visible()
    expect(pair(page, "Status")).to_contain_text("1 attempt")
    screenshot(page, "61-links-message")

    with page.expect_navigation():
        pair(page, "Channel").get_by_role("link").click()
    assert page.url.endswith(f"/admin/channels/{world.channel_id}")


def test_a_message_with_failed_vendor_calls_shows_its_attempts_and_last_error(page, world) -> None:
    page.goto(f"/admin/messages/{world.messages[UNAVAILABLE]}")
    status = pair(page, "Status")
    expect(status).to_contain_text("queued")
    expect(status).to_contain_text("the last failed: HTTP 503")
    expect(status).to_contain_text("Service unavailable")  # Twilio's own words
    attempts = int(status.inner_text().split(" attempts")[0].rsplit(" ", 1)[-1])
    assert attempts >= 2
    # the same count as the vendor calls table's last attempt ("3.1")
    last_call = page.get_by_role("table", name="Vendor calls").locator("tbody tr").last.locator("td").nth(1)
    assert int(last_call.inner_text().split(".")[0]) == attempts
    assert int(pair(page, "Retries").inner_text()) >= 2
    screenshot(page, "62-links-message-failing-calls")


def test_a_message_and_its_feedback_deliveries_link_to_each_other(page, world) -> None:
    message_id = world.messages[REFUSED]
    page.goto(f"/admin/messages/{message_id}")
    expect(pair(page, "Status")).to_contain_text("error")
    with page.expect_navigation():
        page.get_by_role("link", name="Feedback deliveries of this message").click()
    assert f"message_id={message_id}" in page.url
    expect(page.get_by_label("Message id")).to_have_value(message_id)
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(page.locator("thead")).to_contain_text("Message")
    # the recipient's number leads to the message
    to_message = rows.first.get_by_role("link", name=REFUSED)
    expect(to_message).to_have_attribute("title", f"Message {message_id}")
    # every column fits, the row's own Replay button included
    expect(rows.first.get_by_role("button", name="Replay")).to_be_in_viewport()
    screenshot(page, "63-links-deliveries-of-a-message")

    with page.expect_navigation():
        to_message.click()
    assert page.url.endswith(f"/admin/messages/{message_id}")

    page.go_back()
    with page.expect_navigation():
        page.locator("tbody tr").first.get_by_role("link").first.click()  # the delivery's time
    assert "/admin/deliveries/" in page.url
    expect(pair(page, "Number")).to_have_text(REFUSED)
    expect(pair(page, "Message").get_by_role("link", name=message_id)).to_be_visible()
    screenshot(page, "64-links-delivery")
    with page.expect_navigation():
        pair(page, "Message").get_by_role("link", name=message_id).click()
    assert page.url.endswith(f"/admin/messages/{message_id}")


def test_the_webhook_pages_warn_that_the_public_url_is_not_set(page, world, server) -> None:
    go(page, "SMS webhooks")
    note = page.get_by_role("note")
    expect(note).to_contain_text("The public URL is not configured")
    expect(note).to_contain_text("SMSHOOKS_PUBLIC_URL")
    expect(note).to_contain_text("The SMSHOOKS_PUBLIC_URL rules")
    expect(note).to_contain_text("docs/deployment.md")
    expect(note).to_contain_text(server.url)  # the host the URLs are built from
    screenshot(page, "65-links-webhooks-public-url-note")

    with page.expect_navigation():
        page.get_by_role("link", name="twilio in").click()
    expect(page.get_by_role("note")).to_contain_text("SMSHOOKS_PUBLIC_URL")
    expect(page.get_by_role("heading", name="URL to give Twilio")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Paste it in Twilio's console")
    screenshot(page, "66-links-webhook-public-url-note")

    page.goto("/admin/webhooks/new?vendor=twilio")
    expect(page.get_by_role("note")).to_contain_text("SMSHOOKS_PUBLIC_URL")
    page.get_by_label("Name").first.fill("created here")
    page.get_by_label("API credential").select_option(label="twilio")
    with page.expect_navigation():
        page.get_by_role("button", name="Save webhook").click()
    expect(page.get_by_role("status")).to_have_text("Webhook created here is saved. Give its URL to Twilio.")


LABELS = [
    ("twilio", ("Account SID", "Auth token", "API base URL", "Messaging service SID")),
    ("custom", ("OAuth2 client ID", "OAuth2 token URL", "HTTP method", "JWT TTL seconds")),
]


@pytest.mark.parametrize(("vendor", "labels"), LABELS, ids=[vendor for vendor, _ in LABELS])
def test_generated_labels_write_acronyms_in_capitals(page, vendor, labels) -> None:
    page.goto(f"/admin/credentials/new?vendor={vendor}")
    # optional fields sit in a closed <details>: their text, not their rendering
    texts = page.locator("main label").all_text_contents()
    shown = [" ".join(text.split("(required)")[0].replace("secret", "").split()) for text in texts]
    for label in labels:
        assert label in shown, str(shown)
    folded = page.get_by_text("Optional settings")
    if folded.count():  # Custom's fields all sit in named sections: nothing folded
        folded.first.click()  # for the screenshot
    screenshot(page, f"67-links-labels-{vendor}")


def test_a_hint_in_parentheses_ends_its_sentence_before_the_secret_note(page) -> None:
    page.goto("/admin/credentials/new?vendor=twilio")
    hint = page.locator("#v-auth_token-hint")
    expect(hint).to_contain_text("authenticates the send API). Not set. Write-only")


def test_the_home_page_links_the_api_docs_and_every_page_has_an_icon(page, server) -> None:
    missing: list[str] = []
    page.on("response", lambda response: missing.append(response.url) if response.status == 404 else None)
    page.goto("/admin/")
    icon = page.locator("link[rel=icon]").get_attribute("href")
    answer = page.request.get(server.url + icon)
    assert answer.status == 200
    assert answer.headers["content-type"].startswith("image/")
    assert answer.body()[:4] == b"\x00\x00\x01\x00"  # an ICO file
    go(page, "SMS webhooks")
    go(page, "Deliveries")
    assert not missing, missing  # no page asks for /favicon.ico (or anything else) in vain

    page.goto("/admin/")
    screenshot(page, "68-links-home")
    docs = page.get_by_role("link", name="API documentation")
    expect(docs).to_have_attribute("href", "/api/v1/docs")
    with page.expect_navigation():
        docs.click()
    assert page.url.rstrip("/") == server.url + "/api/v1/docs"
    assert page.request.get(page.url).status == 200
