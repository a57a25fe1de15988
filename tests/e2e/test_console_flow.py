"""Issue 11's flow in a real browser: the feedback webhook set up through the console (JWT and a header
parameter) and a test event sent to a local receiver, a signed Twilio STOP seen on the messages and consent
pages, its relayed event in the delivery log, replayed.

Debian's Chromium driven by Playwright against a real server; the feedback receiver listens on loopback.
"""

from __future__ import annotations

import jwt
import pytest
from support.api import new_org
from support.browser import DESKTOP, PHONE, go, screenshot, sign_in
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
    return twilio_inbound("5", "STOP")


def twilio_inbound(sid_digit: str, body: str) -> dict[str, str]:
    return {
        "MessageSid": "SM" + sid_digit * 32,
        "SmsSid": "SM" + sid_digit * 32,
        "AccountSid": ACCOUNT_SID,
        "From": SUBSCRIBER,
        "To": OUR_NUMBER,
        "Body": body,
        "NumMedia": "0",
        "NumSegments": "1",
    }


def twilio_hook(api, server) -> dict:
    """A Twilio credential and inbound webhook of the API key's organisation."""
    credential = api.post(
        server.url + "/api/v1/credentials",
        json={"name": "twilio", "vendor": "twilio", "account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN},
    ).json()
    return api.post(
        server.url + "/api/v1/webhooks",
        json={"name": "inbound", "vendor": "twilio", "type": "inbound", "credentials_id": credential["id"]},
    ).json()


def send_signed(api, hook: dict, params: dict[str, str]) -> None:
    signature = twilio_validator.RequestValidator(AUTH_TOKEN).compute_signature(hook["url"], params)
    answer = api.post(hook["url"], data=params, headers={"X-Twilio-Signature": signature})
    assert answer.status_code == 200, answer.text


def test_feedback_webhook_consent_and_replay(page, server) -> None:
    key = server.cli("apikey", "create", "--org", new_org())
    api = server.api(key)
    hook = twilio_hook(api, server)

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
        send_signed(api, hook, twilio_stop())

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
        page.wait_for_selector("text=1 delivery is sent again")
        again = receiver.wait_for(3, timeout=30)
        # the same event: the receiver can drop the copy
        assert again[2].webhook_id == again[1].webhook_id
        page.locator("tbody tr").first.get_by_role("link").click()
        page.wait_for_selector("text=Attempts")
        screenshot(page, "41-delivery")


def test_typed_secrets_survive_every_round_trip_of_the_feedback_form(page, server) -> None:
    """Add a header, Remove one, a refused save: each re-renders the form; what the user typed stays."""
    key = server.cli("apikey", "create", "--org", new_org())

    def header_name(row: int):
        return page.locator(f"#h-{row}-name")

    def header_value(row: int):
        return page.locator(f"#h-{row}-value")

    with Receiver() as receiver:
        sign_in(page, key)
        go(page, "Feedback webhook")
        page.get_by_role("textbox", name="URL").fill(receiver.url)
        page.get_by_label("Type", exact=True).select_option("jwt")
        page.get_by_label("Algorithm").select_option("HS256")
        page.get_by_label("Key secret", exact=True).fill(JWT_KEY)
        header_name(0).fill("X-Drop")
        header_value(0).fill("dropped-value")
        page.get_by_role("button", name="Add a header").click()
        expect(header_value(0)).to_have_value("dropped-value")  # not the mask of a stored value
        header_name(1).fill("X-One")
        header_value(1).fill("one-value")
        page.get_by_role("button", name="Add a header").click()
        header_name(2).fill("X-Two")
        header_value(2).fill("two-value")
        page.get_by_role("button", name="Remove X-Drop").click()
        expect(header_name(0)).to_have_value("X-One")
        expect(header_value(0)).to_have_value("one-value")
        expect(header_value(1)).to_have_value("two-value")
        expect(page.get_by_label("Key secret", exact=True)).to_have_value(JWT_KEY)
        # no name: the save is refused, and nothing typed is lost
        page.get_by_role("button", name="Create feedback webhook").click()
        expect(page.locator(".error-summary")).to_be_visible()
        expect(header_value(0)).to_have_value("one-value")
        expect(header_value(1)).to_have_value("two-value")
        expect(page.get_by_label("Key secret", exact=True)).to_have_value(JWT_KEY)
        screenshot(page, "23-feedback-webhook-refused-keeps-typed-values")

        page.get_by_label("Name", exact=False).first.fill("round trips")
        page.get_by_role("button", name="Create feedback webhook").click()
        expect(page.locator("#new-secret")).to_contain_text("whsec_")
        page.goto("/admin/feedback-webhook")
        html = page.content()
        assert "one-value" not in html and "two-value" not in html and JWT_KEY not in html
        expect(header_value(0)).to_have_value("********")  # stored: the mask, which keeps it
        screenshot(page, "24-feedback-webhook-saved-with-two-headers")

        page.get_by_role("button", name="Send test event").click()
        [event] = receiver.wait_for(1, timeout=30)
        assert (event.header("X-One"), event.header("X-Two"), event.header("X-Drop")) == (
            "one-value",
            "two-value",
            None,
        )
        token = event.header("Authorization").removeprefix("Bearer ")
        assert jwt.decode(token, JWT_KEY, algorithms=["HS256"])


def test_a_rows_replay_button_replays_that_row_only(page, server) -> None:
    key = server.cli("apikey", "create", "--org", new_org())
    api = server.api(key)
    hook = twilio_hook(api, server)
    with Receiver() as receiver:
        settings = {"name": "relay", "channels": ["sms"], "url": receiver.url, "relay_inbound": True}
        assert api.post(server.url + "/api/v1/feedback-webhook", json=settings).status_code == 201
        for digit, text in (("6", "hello"), ("7", "hello again")):
            send_signed(api, hook, twilio_inbound(digit, text))
        receiver.wait_for(2, timeout=30)

        sign_in(page, key)
        go(page, "Deliveries")
        rows = page.locator("tbody tr")
        expect(rows).to_have_count(2)
        ticked = rows.nth(1).get_by_role("checkbox")
        ticked.check()
        pressed = rows.nth(0).get_by_role("checkbox").get_attribute("value")
        rows.nth(0).get_by_role("button", name="Replay").click()
        expect(page.get_by_text("1 delivery is sent again.")).to_be_visible()
        screenshot(page, "42-deliveries-row-replayed")
        again = receiver.wait_for(3, timeout=30)[2]
        assert again.webhook_id == pressed
        # the ticked row stays as it was: no fourth request comes
        with pytest.raises(AssertionError):
            receiver.wait_for(4, timeout=3)

        go(page, "Deliveries")
        page.locator("tbody tr").nth(0).get_by_role("checkbox").check()
        page.locator("tbody tr").nth(1).get_by_role("checkbox").check()
        page.get_by_role("button", name="Replay selected").click()
        expect(page.get_by_text("2 deliveries are sent again.")).to_be_visible()
        receiver.wait_for(5, timeout=30)


def test_a_consent_change_names_one_of_our_senders_and_a_state_chosen(page, server) -> None:
    """A typo in "Our sender number" is refused beside the field and records nothing; "New state" has no
    default and no "pending"; a record without consent (a fuzzy prompt's) reads "no consent recorded"."""
    key = server.cli("apikey", "create", "--org", new_org())
    api = server.api(key)
    hook = twilio_hook(api, server)
    # a fuzzy opt-out only prompts ("Reply STOP..."): the record it leaves states no consent
    send_signed(api, hook, twilio_inbound("8", "stpo"))

    sign_in(page, key)
    go(page, "Consent")
    row = page.locator("section", has_text="Records").locator("tbody tr", has_text=SUBSCRIBER)
    expect(row).to_contain_text("no consent recorded")
    expect(row).not_to_contain_text("None")
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    lines = download.value.path().read_text().splitlines()
    assert lines[0] == "subscriber,sender_number,state,pending_expires_at,updated_at"
    assert [line.split(",")[:3] for line in lines[1:]] == [[SUBSCRIBER, OUR_NUMBER, ""]]
    screenshot(page, "31-consent-no-consent-recorded")

    page.get_by_label("Look up a number").fill(SUBSCRIBER)
    page.get_by_role("button", name="Look up").click()
    subscriber = page.locator("#subscriber")
    expect(subscriber.locator("table")).to_contain_text("No consent recorded")
    state = page.get_by_label("New state")
    expect(state).to_have_value("")  # "Choose…": a careless submit changes nothing
    options = state.locator("option")
    expect(options).to_have_text(
        ["Choose…", "Opted out", "Opted in", "No consent recorded (forget the stated consent)"]
    )

    # a typo: refused beside the field, what was typed kept, no record under it
    page.get_by_label("Our sender number").fill("not a number")
    state.select_option("opted_out")
    page.get_by_label("Note for the ledger").fill("asked by phone")
    page.get_by_role("button", name="Change consent").click()
    sender_field = page.locator(".field", has=page.get_by_label("Our sender number"))
    expect(sender_field.locator(".field-error")).to_have_text(
        "an E.164 number, a short code or an alphanumeric sender id"
    )
    expect(page.get_by_label("Our sender number")).to_have_value("not a number")
    expect(state).to_have_value("opted_out")
    expect(page.get_by_label("Note for the ledger")).to_have_value("asked by phone")
    expect(page.locator(".flash")).to_have_count(0)
    expect(subscriber.locator("table")).not_to_contain_text("not a number")
    expect(page.locator("section", has_text="Records")).not_to_contain_text("not a number")
    screenshot(page, "32-consent-sender-refused")
    assert api.get(server.url + f"/api/v1/consent/{SUBSCRIBER}").json()["history"] == []

    # no state chosen: the browser asks for one; without its check the server refuses it too
    page.get_by_label("Our sender number").fill(OUR_NUMBER)
    page.get_by_label("Note for the ledger").fill("")
    state.select_option("")
    page.get_by_role("button", name="Change consent").click()
    assert state.evaluate("select => select.validity.valueMissing")
    expect(page.locator(".flash")).to_have_count(0)
    state.evaluate("select => { select.required = false }")
    page.get_by_role("button", name="Change consent").click()
    expect(page.locator(".field", has=state).locator(".field-error")).to_contain_text("Choose the new state")
    expect(page.get_by_label("Our sender number")).to_have_value(OUR_NUMBER)
    screenshot(page, "33-consent-state-not-chosen")
    # nor "pending", which the form does not offer: a double opt-in is the subscriber's to start
    state.evaluate("select => select.add(new Option('pending', 'pending'))")
    state.select_option("pending")
    page.get_by_role("button", name="Change consent").click()
    expect(page.locator(".field", has=state).locator(".field-error")).to_contain_text("Choose the new state")
    assert api.get(server.url + f"/api/v1/consent/{SUBSCRIBER}").json()["history"] == []

    # chosen, without a note: the message does not speak of one
    state.select_option("opted_out")
    page.get_by_role("button", name="Change consent").click()
    expect(page.locator(".flash")).to_have_text(
        f"Consent of {SUBSCRIBER} for {OUR_NUMBER} is changed to “Opted out”; the ledger records it."
    )
    expect(subscriber.locator("table")).to_contain_text("Opted out")
    expect(state).to_have_value("")  # the next change is chosen afresh
    # the same state again: nothing recorded, and said so
    state.select_option("opted_out")
    page.get_by_role("button", name="Change consent").click()
    expect(page.locator(".flash")).to_have_text(
        f"Nothing is recorded: the consent of {SUBSCRIBER} for {OUR_NUMBER} already is “Opted out”."
    )
    state.select_option("opted_in")
    page.get_by_label("Note for the ledger").fill("asked by phone")
    page.get_by_role("button", name="Change consent").click()
    expect(page.locator(".flash")).to_have_text(
        f"Consent of {SUBSCRIBER} for {OUR_NUMBER} is changed to “Opted in”; the ledger records it with your note."
    )
    expect(page.locator(".timeline li")).to_have_count(2)
    expect(page.locator(".timeline li").first).to_contain_text("asked by phone")
    expect(page.locator(".timeline li").last).to_contain_text("No consent recorded → Opted out")
    screenshot(page, "34-consent-changed")


#: the console's pages with a table, by the header's link
TABLE_PAGES = ("Deliveries", "Credentials", "Messages", "Consent")


def test_table_pages_do_not_scroll_sideways_on_a_phone(browser, server) -> None:
    """A table scrolls inside its box; the page itself never scrolls sideways at 390 px."""
    key = server.cli("apikey", "create", "--org", new_org())
    api = server.api(key)
    hook = twilio_hook(api, server)
    # a long name widens the table past the screen: its box must scroll, not the page
    wide = {"name": "Twilio production account of the marketing team", "vendor": "twilio"}
    wide |= {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN}
    assert api.post(server.url + "/api/v1/credentials", json=wide).status_code == 201
    with Receiver() as receiver:
        settings = {"name": "relay", "channels": ["sms"], "url": receiver.url, "relay_inbound": True}
        assert api.post(server.url + "/api/v1/feedback-webhook", json=settings).status_code == 201
        send_signed(api, hook, twilio_inbound("9", "STOP"))
        receiver.wait_for(1, timeout=30)

    context = browser.new_context(viewport=PHONE, base_url=server.url)
    page = context.new_page()
    try:
        sign_in(page, key)
        widths = {}
        for section in TABLE_PAGES:
            go(page, section)
            expect(page.locator("table").first).to_be_visible()  # each page shows the rows made above
            widths[section] = page.evaluate("document.documentElement.scrollWidth")
            screenshot(page, f"80-phone-{section.lower()}")
    finally:
        context.close()
    assert {section: width for section, width in widths.items() if width > PHONE["width"]} == {}, widths
