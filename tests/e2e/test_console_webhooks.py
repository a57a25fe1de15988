"""Issue 11's SMS webhook flow in a real browser: a credential and replies through their forms, an inbound
webhook with all five keyword categories and a default reply, its URL copied, "try a message", a signed
Twilio STOP to that URL, then the webhook edited and deleted.

Debian's Chromium driven by Playwright against a real server (one of each for the module).
"""

from __future__ import annotations

import pytest
import requests
from support.api import new_org
from support.browser import DESKTOP, PHONE, go, screenshot, sign_in


@pytest.fixture(name="server")
def shared_server(console_server):  # one server for the module's tests, on SQLite
    return console_server


expect = pytest.importorskip("playwright.sync_api").expect
twilio_validator = pytest.importorskip("twilio.request_validator")

AUTH_TOKEN = "f00dfeedf00dfeedf00dfeedf00dfeed"
ACCOUNT_SID = "AC0123456789abcdef0123456789abcdef"
OUR_NUMBER = "+14155550100"
SUBSCRIBER = "+14155550123"
#: the five categories, the keywords typed as chips, and the reply chosen
CATEGORIES = [
    ("Opt-In", ["START", "UNSTOP"], None),
    ("Opt-Out", ["STOP", "QUIT"], "bye"),
    ("Double Opt-In", ["JOIN"], None),
    ("Help", ["HELP"], None),
    ("Custom", ["PROMO"], None),
]


def new_reply(page, name: str, template: str) -> None:
    go(page, "Replies")
    page.get_by_role("link", name="New reply").click()
    page.get_by_label("Name").fill(name)
    page.get_by_label("Template").fill(template)
    page.get_by_role("button", name="Save reply").click()
    page.wait_for_selector(f"text=Reply {name} is saved")


def test_an_inbound_webhook_through_the_console(browser, server) -> None:
    context = browser.new_context(viewport=DESKTOP, base_url=server.url)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    page = context.new_page()
    sign_in(page, server.cli("apikey", "create", "--org", new_org()))

    go(page, "Credentials")
    page.get_by_label("New credential for").select_option("twilio")
    page.get_by_role("button", name="New credential").click()
    page.get_by_label("Name").fill("twilio-main")
    page.get_by_label("Account sid").fill(ACCOUNT_SID)
    page.get_by_label("Auth token").fill(AUTH_TOKEN)
    page.get_by_role("button", name="Save credential").click()
    page.wait_for_selector("text=Credential twilio-main is saved")
    new_reply(page, "bye", "You are out. Reply {{ opt_in_keyword }} to come back.")
    new_reply(page, "welcome", "Hi {{ profile.first_name }}! Reply {{ help_keyword }} for help.")

    go(page, "SMS webhooks")
    screenshot(page, "50-webhooks-empty")
    page.get_by_role("link", name="Create webhook").first.click()
    page.get_by_label("Name").first.fill("inbound")
    page.get_by_label("Vendor").select_option("twilio")
    page.get_by_label("Type (required)").select_option("inbound")
    page.get_by_label("API credential").select_option(label="twilio-main")
    page.get_by_label("Sender number").fill(OUR_NUMBER)
    for label, _, _ in CATEGORIES:  # each "Add" sends the form back with one more row
        page.get_by_label("Add a category").select_option(label=label)
        page.get_by_role("button", name="Add category").click()
        expect(page.get_by_role("group", name=label, exact=True)).to_be_visible()
    assert page.get_by_label("Name").first.input_value() == "inbound"  # the form kept what was typed
    for label, keywords, reply in CATEGORIES:
        row = page.get_by_role("group", name=label, exact=True)
        chips = row.get_by_label("Keywords", exact=True)
        for keyword in keywords:
            chips.fill(keyword)
            chips.press("Enter")
        expect(row.locator(".chip-editor .chip")).to_have_count(len(keywords))
        if reply:
            row.get_by_label("Reply").select_option(label=reply)
    page.get_by_label("Reply to a message that matches no keyword").select_option(label="welcome")
    screenshot(page, "51-webhook-form")
    page.get_by_role("button", name="Save webhook").click()
    page.wait_for_selector("text=Webhook inbound is saved")
    screenshot(page, "52-webhook-saved")

    # the URL, copied with its button
    url = page.locator("#webhook-url").inner_text().strip()
    assert url.startswith(server.url + "/hooks/wh_")
    page.get_by_role("button", name="Copy URL").click()
    assert page.evaluate("navigator.clipboard.readText()") == url

    # the saved categories came back, each with its keywords
    for label, keywords, _ in CATEGORIES:
        saved = page.get_by_role("group", name=label, exact=True).locator("textarea").input_value()
        assert saved == ", ".join(keywords)
    # try a message
    page.get_by_label("Message text").fill("quit")
    page.get_by_role("button", name="Try it").click()
    expect(page.locator("#try-result")).to_contain_text("opt_out")
    screenshot(page, "53-webhook-try")

    # a signed Twilio STOP to the copied URL
    params = {
        "MessageSid": "SM" + "7" * 32,
        "AccountSid": ACCOUNT_SID,
        "From": SUBSCRIBER,
        "To": OUR_NUMBER,
        "Body": "STOP",
        "NumMedia": "0",
    }
    signature = twilio_validator.RequestValidator(AUTH_TOKEN).compute_signature(url, params)
    answer = requests.post(url, data=params, headers={"X-Twilio-Signature": signature}, timeout=10)
    assert answer.status_code == 200, answer.text
    assert "You are out. Reply START to come back." in answer.text  # the chosen reply, inline in TwiML

    go(page, "SMS webhooks")
    row = page.locator("tbody tr", has_text="inbound")
    expect(row).not_to_contain_text("never")  # its last event
    screenshot(page, "54-webhooks")

    # edit, then delete with the confirmation
    row.get_by_role("link", name="inbound").click()
    page.get_by_label("Name").first.fill("inbound-renamed")
    page.get_by_role("button", name="Save webhook").click()
    page.wait_for_selector("text=Webhook inbound-renamed is saved")
    page.get_by_role("link", name="Delete…").click()
    screenshot(page, "55-webhook-delete")
    page.get_by_role("button", name="Delete webhook").click()
    page.wait_for_selector("text=Webhook inbound-renamed is deleted")
    assert requests.post(url, data=params, headers={"X-Twilio-Signature": signature}, timeout=10).status_code == 404
    context.close()


def test_the_webhook_form_on_a_phone(browser, server) -> None:
    context = browser.new_context(viewport=PHONE, base_url=server.url)
    page = context.new_page()
    sign_in(page, server.cli("apikey", "create", "--org", new_org()))
    page.goto("/admin/webhooks/new")
    page.get_by_label("Add a category").select_option(label="Opt-Out")
    page.get_by_role("button", name="Add category").click()
    screenshot(page, "56-webhook-form-phone")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    context.close()
