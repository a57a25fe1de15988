"""Issue 11's flow in a real browser: the feedback webhook set up through the console (JWT and a header
parameter) and a test event sent to a local receiver, a signed Twilio STOP seen on the messages and consent
pages, its relayed event in the delivery log, replayed.

Debian's Chromium driven by Playwright against a real server; the feedback receiver listens on loopback.
"""

from __future__ import annotations

import jwt
import pytest
from support.api import new_org
from support.browser import DESKTOP, go, screenshot, sign_in
from support.receiver import Receiver


@pytest.fixture(name="server")
def shared_server(console_server):  # one server for the module's tests, on SQLite
    return console_server


expect = pytest.importorskip("playwright.sync_api").expect

twilio_validator = pytest.importorskip("twilio.request_validator")

AUTH_TOKEN = "0123456789abcdef0123456789abcdef"
ACCOUNT_SID = "AC0123456789abcdef0123456789abcdef"
JWT_KEY = "a-shared-jwt-key-of-at-least-32-bytes!!"
HEADER_VALUE = "receiver-api-key-5f2c"
SUBSCRIBER = "+14155550123"
OUR_NUMBER = "+14155550100"


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport=DESKTOP, base_url=server.url)
    page = context.new_page()
    yield page
    context.close()


def twilio_stop() -> dict[str, str]:
    return {
        "MessageSid": "SM" + "5" * 32,
        "SmsSid": "SM" + "5" * 32,
        "AccountSid": ACCOUNT_SID,
        "From": SUBSCRIBER,
        "To": OUR_NUMBER,
        "Body": "STOP",
        "NumMedia": "0",
        "NumSegments": "1",
    }


def test_feedback_webhook_consent_and_replay(page, server) -> None:
    key = server.cli("apikey", "create", "--org", new_org())
    api = server.api(key)
    credential = api.post(
        server.url + "/api/v1/credentials",
        json={"name": "twilio", "vendor": "twilio", "account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN},
    ).json()
    hook = api.post(
        server.url + "/api/v1/webhooks",
        json={"name": "inbound", "vendor": "twilio", "type": "inbound", "credentials_id": credential["id"]},
    ).json()

    with Receiver() as receiver:
        sign_in(page, key)
        go(page, "Feedback webhook")
        page.get_by_label("Name", exact=False).first.fill("my receiver")
        page.get_by_role("textbox", name="URL").fill(receiver.url)
        page.get_by_label("Also relay inbound messages").check()
        page.get_by_label("Type", exact=True).select_option("jwt")
        page.get_by_label("Algorithm").select_option("HS256")
        page.get_by_label("Key secret", exact=True).fill(JWT_KEY)
        page.get_by_label("Issuer (iss)").fill("smshooks")
        page.get_by_label("Header name").fill("X-Api-Key")
        page.get_by_label("Value", exact=True).fill(HEADER_VALUE)
        page.get_by_role("button", name="Create feedback webhook").click()
        secret = page.locator("#new-secret").inner_text()
        assert secret.startswith("whsec_")
        screenshot(page, "20-feedback-webhook-created")
        page.goto("/admin/feedback-webhook")
        html = page.content()
        assert secret not in html and JWT_KEY not in html and HEADER_VALUE not in html
        screenshot(page, "21-feedback-webhook")

        page.get_by_role("button", name="Send test event").click()
        expect(page.locator("#test-event")).to_contain_text("Delivered")
        [test_event] = receiver.wait_for(1, timeout=30)
        assert test_event.json()["eventType"] == "message.feedback"
        assert test_event.header("X-Api-Key") == HEADER_VALUE
        screenshot(page, "22-feedback-test-event")

        # a subscriber texts STOP: Twilio's signed request to the webhook's URL
        params = twilio_stop()
        signature = twilio_validator.RequestValidator(AUTH_TOKEN).compute_signature(hook["url"], params)
        answer = api.post(hook["url"], data=params, headers={"X-Twilio-Signature": signature})
        assert answer.status_code == 200, answer.text

        relayed = receiver.wait_for(2, timeout=30)[1]
        assert relayed.header("X-Api-Key") == HEADER_VALUE
        token = relayed.header("Authorization").removeprefix("Bearer ")
        assert jwt.decode(token, JWT_KEY, algorithms=["HS256"], issuer="smshooks")

        go(page, "Messages")
        row = page.locator("tbody tr", has_text=SUBSCRIBER)
        expect(row).to_contain_text("STOP")
        expect(row).to_contain_text("opt_out")
        screenshot(page, "25-messages")

        go(page, "Consent")
        page.get_by_label("Look up a number").fill(SUBSCRIBER)
        page.get_by_role("button", name="Look up").click()
        subscriber = page.locator("#subscriber")
        expect(subscriber).to_contain_text("Opted out")
        expect(subscriber.locator(".timeline")).to_contain_text("STOP")
        screenshot(page, "30-consent")

        page.get_by_label("New state").select_option("opted_in")
        page.get_by_label("Note for the ledger").fill("asked by phone")
        page.get_by_role("button", name="Change consent").click()
        expect(page.locator(".timeline")).to_contain_text("asked by phone")
        expect(page.locator("#subscriber table")).to_contain_text("Opted in")

        go(page, "Deliveries")
        rows = page.locator("tbody tr")
        expect(rows).to_have_count(1)
        screenshot(page, "40-deliveries")
        rows.first.get_by_role("button", name="Replay").click()
        page.wait_for_selector("text=deliveries are sent again")
        again = receiver.wait_for(3, timeout=30)
        # the same event: the receiver can drop the copy
        assert again[2].webhook_id == again[1].webhook_id
        page.locator("tbody tr").first.get_by_role("link").click()
        page.wait_for_selector("text=Attempts")
        screenshot(page, "41-delivery")
