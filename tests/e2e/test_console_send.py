"""Channels and Send SMS in a real browser, against a real server whose worker sends to a fake Twilio API.

A channel is created (a refused sender number shown beside its field first), renamed and, at the end,
deleted after its confirmation page; an SMS sent from the Send SMS page leads to its message's page,
where the vendor call appears once the worker made it; an opted-out recipient's message is excluded
exactly as ``POST /api/v1/messages`` excludes it, and the page says why. Desktop and phone width.

Debian's Chromium driven by Playwright (tests/support/browser.py).
"""

from __future__ import annotations

import json
import time
from urllib.parse import quote

import pytest
from support.api import new_org
from support.browser import DESKTOP, PHONE, go, screenshot, sign_in

from smshooks.testing import FakeVendorAPI, Reply

expect = pytest.importorskip("playwright.sync_api").expect

ACCOUNT_SID = "AC" + "5" * 32
AUTH_TOKEN = "0123456789abcdef0123456789abcdef"
SID = "SM" + "6" * 32
OUR_NUMBER = "+14155550100"
SUBSCRIBER = "+14155550123"
OTHER = "+14155550124"
OPTED_OUT = "+14155550199"
TEXT = "Your code is 4321"
OPTED_OUT_REASON = "the recipient opted out; not sent"


@pytest.fixture(name="server")
def shared_server(console_server):  # one server for the module's tests, on SQLite
    return console_server


@pytest.fixture
def twilio_api():
    with FakeVendorAPI() as api:
        body = {"sid": SID, "status": "queued", "to": SUBSCRIBER, "from": OUR_NUMBER, "body": TEXT}
        api.reply_with(Reply(201, json.dumps(body).encode(), {"Content-Type": "application/json"}))
        yield api


def new_tenant(server, twilio_api) -> tuple[str, object, str]:
    """A fresh organisation with a Twilio credential (made through the API: its form has tests of its own)."""
    key = server.cli("apikey", "create", "--org", new_org())
    api = server.api(key)
    credential = api.post(
        server.url + "/api/v1/credentials",
        json={
            "name": "twilio-main",
            "vendor": "twilio",
            "account_sid": ACCOUNT_SID,
            "auth_token": AUTH_TOKEN,
            "api_base_url": twilio_api.url,
        },
    )
    assert credential.status_code == 201, credential.text
    return key, api, credential.json()["id"]


def opt_out(server, api, phone: str) -> None:
    answer = api.put(
        f"{server.url}/api/v1/consent/{quote(phone, safe='')}", json={"sender_number": OUR_NUMBER, "state": "opted_out"}
    )
    assert answer.status_code == 200, answer.text


def fill_send_form(page, recipients: str, text: str = TEXT, campaign: str = "browser") -> None:
    page.get_by_label("Recipients (required)").fill(recipients)
    page.get_by_label("Text", exact=True).fill(text)
    page.get_by_label("Campaign (required)").fill(campaign)


def reload_until(page, locator, seconds: float = 15) -> None:
    """Reload until ``locator`` shows: the page is server-rendered, the worker sends in the background."""
    deadline = time.monotonic() + seconds
    while not locator.count():
        if time.monotonic() > deadline:
            pytest.fail(f"{locator} did not appear on {page.url}")
        time.sleep(0.2)
        page.reload()


def no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


def test_a_channel_and_a_send_through_the_console(browser, server, twilio_api) -> None:
    key, api, credential_id = new_tenant(server, twilio_api)
    inbound = api.post(
        server.url + "/api/v1/webhooks",
        json={"name": "replies-in", "vendor": "twilio", "type": "inbound", "credentials_id": credential_id},
    )
    assert inbound.status_code == 201, inbound.text
    page = browser.new_context(viewport=DESKTOP, base_url=server.url).new_page()
    sign_in(page, key)

    go(page, "Channels")
    expect(page.get_by_text("No channel in this sandbox yet")).to_be_visible()
    page.get_by_role("link", name="Create channel").click()
    page.get_by_label("Name").fill("US alerts")
    page.get_by_label("API credential").select_option(credential_id)
    page.get_by_label("Sender number").fill("555")
    page.get_by_label("Inbound webhook").select_option(label="replies-in")
    page.get_by_role("button", name="Save channel").click()
    # refused as the API refuses it: the message beside the field, what was typed kept
    refused = page.locator(".field.has-error", has=page.get_by_label("Sender number"))
    expect(refused.locator(".field-error")).to_have_text("an E.164 phone number, e.g. +14155550100")
    expect(page.get_by_label("Name")).to_have_value("US alerts")
    expect(page.get_by_label("API credential")).to_have_value(credential_id)
    screenshot(page, "60-channel-refused")
    page.get_by_label("Sender number").fill("+1 415 555 0100")
    page.get_by_role("button", name="Save channel").click()
    expect(page.get_by_text("Channel US alerts is saved")).to_be_visible()
    page.get_by_label("Name").fill("Alerts")
    page.get_by_role("button", name="Save channel").click()
    expect(page.get_by_text("Channel Alerts is saved")).to_be_visible()
    [channel] = api.get(server.url + "/api/v1/channels").json()["items"]
    assert (channel["name"], channel["sender_number"], channel["vendor"]) == ("Alerts", OUR_NUMBER, "twilio")
    assert (channel["inbound_webhook_id"], channel["feedback_webhook_id"]) == (inbound.json()["id"], None)
    screenshot(page, "61-channel-form")

    # a send from the channel's page: the channel chosen, the live counter, then the message's page
    page.get_by_role("link", name="Send SMS through this channel").click()
    expect(page.get_by_label("Channel (required)")).to_have_value(channel["id"])
    fill_send_form(page, SUBSCRIBER)
    expect(page.locator("#f-counter")).to_contain_text(f"{len(TEXT)} characters")
    expect(page.locator("#f-rendered")).to_have_text(TEXT)
    screenshot(page, "62-send-form")
    page.get_by_role("button", name="Send SMS").click()
    page.wait_for_url("**/admin/messages/*")
    expect(page.get_by_role("status")).to_have_text(
        f"SMS to {SUBSCRIBER} is queued; the page shows when the vendor takes it."
    )
    calls = page.get_by_role("table", name="Vendor calls").locator("tbody tr")
    reload_until(page, calls)
    expect(calls).to_have_count(1)
    expect(calls.first).to_contain_text(f"{twilio_api.url}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json")
    expect(calls.first).to_contain_text("201")
    expect(page.locator(".pairs")).to_contain_text(TEXT)
    expect(page.locator(".pairs")).to_contain_text(SID)
    screenshot(page, "63-sent-message")

    # an opted-out recipient: excluded, as the API excludes them, and never sent to the vendor
    opt_out(server, api, OPTED_OUT)
    by_api = api.post(
        server.url + "/api/v1/messages",
        json={"channel_id": channel["id"], "campaign_id": "api", "text": TEXT, "recipients": [{"phone": OPTED_OUT}]},
    )
    assert by_api.status_code == 202, by_api.text
    [excluded] = by_api.json()["messages"]
    assert (excluded["state"], excluded["exclusion"]) == ("excluded", "opted_out")
    go(page, "Send SMS")
    fill_send_form(page, OPTED_OUT)
    page.get_by_role("button", name="Send SMS").click()
    page.wait_for_url("**/admin/messages/*")
    expect(page.get_by_role("status")).to_have_text(f"Not sent to {OPTED_OUT}: {OPTED_OUT_REASON}.")
    expect(page.locator(".pairs")).to_contain_text(f"error · {OPTED_OUT_REASON}")
    expect(page.get_by_text("No vendor call was made for this message.")).to_be_visible()
    screenshot(page, "64-excluded-message")

    # several recipients: what each became, each leading to its message
    go(page, "Send SMS")
    fill_send_form(page, f"{OTHER}\n{OPTED_OUT}")
    page.get_by_role("button", name="Send SMS").click()
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text(f"{OTHER} queued")
    expect(rows.nth(1)).to_contain_text(f"{OPTED_OUT} not sent {OPTED_OUT_REASON}")
    screenshot(page, "65-send-result")
    deadline = time.monotonic() + 15
    while len(twilio_api.requests) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert sorted(r.form["To"][0] for r in twilio_api.requests) == [SUBSCRIBER, OTHER]  # never OPTED_OUT

    # a refused send: the API's messages beside the fields, nothing sent
    go(page, "Send SMS")
    fill_send_form(page, f"{SUBSCRIBER}\nhello", campaign="")
    page.get_by_role("button", name="Send SMS").click()
    expect(page.locator(".field.has-error", has=page.get_by_label("Recipients (required)"))).to_contain_text(
        "hello: not an E.164 phone number, e.g. +14155550123"
    )
    expect(page.locator(".field.has-error", has=page.get_by_label("Campaign (required)"))).to_contain_text(
        "Missing data for required field."
    )
    expect(page.get_by_label("Recipients (required)")).to_have_value(f"{SUBSCRIBER}\nhello")
    screenshot(page, "66-send-refused")
    page.get_by_label("Recipients (required)").fill(SUBSCRIBER)
    page.get_by_label("Campaign (required)").fill("browser")
    page.get_by_role("combobox", name="Or a saved reply").select_option("")
    page.get_by_label("Text", exact=True).fill("")
    page.get_by_role("button", name="Send SMS").click()
    expect(page.locator(".field.has-error", has=page.get_by_label("Text", exact=True))).to_contain_text(
        "give either text or reply_id"
    )
    assert len(twilio_api.requests) == 2

    # the list, then a delete after its confirmation page
    go(page, "Channels")
    row = page.locator("tbody tr", has_text="Alerts")
    expect(row).to_contain_text(OUR_NUMBER)
    expect(row).to_contain_text("twilio-main")
    expect(row).to_contain_text("replies-in")
    screenshot(page, "67-channels")
    row.get_by_role("link", name="Delete Alerts").click()
    expect(page.get_by_role("heading", name="Delete channel “Alerts”?")).to_be_visible()
    screenshot(page, "68-channel-delete")
    page.get_by_role("button", name="Delete channel").click()
    expect(page.get_by_text("Channel Alerts is deleted.")).to_be_visible()
    expect(page.get_by_text("No channel in this sandbox yet")).to_be_visible()
    assert api.get(server.url + "/api/v1/channels").json()["items"] == []
    page.context.close()


def test_the_channel_and_send_pages_fit_a_phone(browser, server, twilio_api) -> None:
    key, api, credential_id = new_tenant(server, twilio_api)
    channel = api.post(
        server.url + "/api/v1/channels",
        json={"name": "Phone channel", "credentials_id": credential_id, "sender_number": OUR_NUMBER},
    )
    assert channel.status_code == 201, channel.text
    page = browser.new_context(viewport=PHONE, base_url=server.url).new_page()
    sign_in(page, key)
    page.goto("/admin/channels")
    expect(page.locator("tbody tr")).to_have_count(1)
    screenshot(page, "67-channels-phone")
    no_sideways_scroll(page)
    page.goto(f"/admin/channels/{channel.json()['id']}")
    screenshot(page, "61-channel-form-phone")
    no_sideways_scroll(page)
    page.goto("/admin/send")
    fill_send_form(page, "hello")
    page.get_by_role("button", name="Send SMS").click()
    expect(page.locator(".field-error").first).to_be_visible()
    screenshot(page, "66-send-refused-phone")
    no_sideways_scroll(page)
    page.context.close()
