"""Credentials and replies through the console in a real browser: a form generated from each vendor's
credentials_schema, secrets write-only (never in a page), a refused field shown beside the field."""

from __future__ import annotations

import pytest
from support.api import new_org
from support.browser import DESKTOP, PHONE, go, screenshot, sign_in


@pytest.fixture(name="server")
def shared_server(console_server):  # one server for the module's tests, on SQLite
    return console_server


expect = pytest.importorskip("playwright.sync_api").expect


AUTH_TOKEN = "f00dfeedf00dfeedf00dfeedf00dfeed"
ACCOUNT_SID = "AC0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_twilio_credential_through_its_generated_form(browser, server, viewport) -> None:
    context = browser.new_context(viewport=viewport, base_url=server.url)
    page = context.new_page()
    suffix = "phone" if viewport is PHONE else "desktop"
    sign_in(page, server.cli("apikey", "create", "--org", new_org()))
    go(page, "Credentials")
    page.get_by_label("New credential for").select_option("twilio")
    page.get_by_role("button", name="New credential").click()
    page.get_by_label("Name").fill("twilio-main")
    page.get_by_label("Account sid").fill("not-an-account-sid")
    page.get_by_label("Auth token").fill(AUTH_TOKEN)
    page.get_by_role("button", name="Save credential").click()
    # refused: the message beside the field, the secret not sent back into the page
    expect(page.locator(".field-error").first).to_be_visible()
    assert AUTH_TOKEN not in page.content()
    screenshot(page, f"10-credential-refused-{suffix}")
    page.get_by_label("Account sid").fill(ACCOUNT_SID)
    page.get_by_label("Auth token").fill(AUTH_TOKEN)
    page.get_by_role("button", name="Save credential").click()
    page.wait_for_selector("text=Credential twilio-main is saved")
    screenshot(page, f"11-credentials-{suffix}")
    with page.expect_navigation():
        page.get_by_role("link", name="twilio-main").click()
    assert AUTH_TOKEN not in page.content()
    assert page.get_by_label("Auth token").input_value() == ""
    screenshot(page, f"12-credential-edit-{suffix}")
    # saving without typing the secret keeps it
    page.get_by_role("button", name="Save credential").click()
    page.wait_for_selector("text=Credential twilio-main is saved")
    if viewport is PHONE:
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    context.close()


def test_every_vendor_has_a_form(browser, server) -> None:
    context = browser.new_context(viewport=DESKTOP, base_url=server.url)
    page = context.new_page()
    sign_in(page, server.cli("apikey", "create", "--org", new_org()))
    for vendor in ("twilio", "infobip", "sinch", "custom"):
        page.goto(f"/admin/credentials/new?vendor={vendor}")
        assert page.get_by_role("button", name="Save credential").is_visible()
        # every input has a label
        unlabelled = page.evaluate(
            """() => [...document.querySelectorAll('main input:not([type=hidden]), main select, main textarea')]
                .filter(el => !el.labels || el.labels.length === 0).map(el => el.name)"""
        )
        assert unlabelled == [], (vendor, unlabelled)
        screenshot(page, f"13-credential-new-{vendor}")
    context.close()


def test_a_reply_with_its_live_segment_counter(browser, server) -> None:
    context = browser.new_context(viewport=DESKTOP, base_url=server.url)
    page = context.new_page()
    sign_in(page, server.cli("apikey", "create", "--org", new_org()))
    go(page, "Replies")
    page.get_by_role("link", name="New reply").click()
    page.get_by_label("Name").fill("goodbye")
    template = page.get_by_label("Template")
    template.fill("Bye {{ profile.first_name }}, reply {{ opt_in_keyword }} to come back")
    expect(page.locator("#f-rendered")).to_contain_text("Bye Ada, reply START to come back")
    assert "GSM-7" in page.locator("#f-counter").inner_text()
    template.fill("Hej då {{ profile.first_name }} 👋")  # an emoji: UCS-2
    expect(page.locator("#f-counter")).to_contain_text("UCS-2")
    page.get_by_label("Sample profile (JSON)").fill('{"first_name": "Grace"}')
    expect(page.locator("#f-rendered")).to_contain_text("Hej då Grace")
    screenshot(page, "15-reply-editor")
    page.get_by_role("button", name="Save reply").click()
    page.wait_for_selector("text=Reply goodbye is saved")
    assert "UCS-2" in page.locator("tbody").inner_text()
    screenshot(page, "16-replies")
    context.close()


PAYLOAD = '{"from": "{{fromNumber}}", "to": "{{toNumber}}", "text": "{{message}}", "name": "{{profile.first_name}}"}'
BEARER = "tok_custom_8e1f4a2b9c"


def test_the_custom_vendor_payload_editor_previews_the_exact_request(browser, server) -> None:
    context = browser.new_context(viewport=DESKTOP, base_url=server.url)
    page = context.new_page()
    key = server.cli("apikey", "create", "--org", new_org())
    sign_in(page, key)
    page.goto("/admin/credentials/new?vendor=custom")
    page.get_by_label("Name (required)").fill("my-provider")
    page.get_by_label("Provider url (required)").fill("https://sms.provider.example/v1/messages")
    page.get_by_label("Payload template (required)").fill('{"to": "{{toNumber}}"')  # not JSON, and misses placeholders
    page.get_by_role("button", name="Save credential").click()
    expect(page.locator(".field-error").first).to_be_visible()
    page.get_by_label("Payload template (required)").fill(PAYLOAD)
    page.get_by_label("Auth type", exact=True).select_option("bearer")
    page.get_by_label("Bearer token secret").fill(BEARER)
    page.get_by_role("button", name="Save credential").click()
    page.wait_for_selector("text=Credential my-provider is saved")
    page.get_by_role("link", name="my-provider").click()
    preview = page.locator("#p-request")
    expect(preview).to_contain_text("POST https://sms.provider.example/v1/messages")
    expect(preview).to_contain_text('"name": "Ada"')
    page.get_by_label("Message", exact=True).fill("Your code is 1234")
    page.get_by_label("Sample profile (JSON)").fill('{"first_name": "Grace"}')
    expect(page.locator("#p-request")).to_contain_text('"name": "Grace"')
    expect(page.locator("#p-request")).to_contain_text("Your code is 1234")
    assert BEARER not in page.content()
    screenshot(page, "14-custom-payload-editor")
    context.close()


def test_secrets_sealed_with_another_key_are_marked_and_entered_again(browser, server, tmp_path) -> None:
    """A second server on the same database with another SMSHOOKS_SECRET_KEY (a key changed by
    mistake): the credential is listed as unreadable, its page says what to do, and entering the
    auth token again seals it with this server's key."""
    from support.server import start_server, stop_server

    key = server.cli("apikey", "create", "--org", new_org())
    created = server.api(key).post(
        server.url + "/api/v1/credentials",
        json={"name": "sealed-elsewhere", "vendor": "twilio", "account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN},
        timeout=10,
    )
    assert created.status_code == 201, created.text
    other = start_server({**server.env, "SMSHOOKS_SECRET_KEY": "not-the-e2e-secret"}, tmp_path / "other.log")
    try:
        context = browser.new_context(viewport=DESKTOP, base_url=other.url)
        page = context.new_page()
        sign_in(page, key)
        go(page, "Credentials")
        row = page.get_by_role("row", name="sealed-elsewhere")
        expect(row).to_contain_text("unreadable")
        screenshot(page, "13-credentials-unreadable")
        row.get_by_role("link", name="enter them again").click()
        expect(page.get_by_role("alert")).to_contain_text("Its secrets are unreadable")
        page.get_by_label("Auth token").fill(AUTH_TOKEN)
        page.get_by_role("button", name="Save credential").click()
        page.wait_for_selector("text=Credential sealed-elsewhere is saved")
        go(page, "Credentials")
        expect(page.get_by_role("row", name="sealed-elsewhere")).to_contain_text("auth_token (set)")
        answer = other.api(key).get(f"{other.url}/api/v1/credentials/{created.json()['id']}", timeout=10)
        assert answer.json()["secrets_readable"] is True
        context.close()
    finally:
        stop_server(other)


@pytest.mark.parametrize(
    ("what", "named", "advice"),
    [
        ("credential", ["webhook 'inbound'", "channel 'sms-main'"], "another credential"),
        ("reply", ["webhook 'inbound'"], "Choose another reply on it"),
    ],
)
def test_deleting_what_is_in_use_names_its_users(browser, server, what, named, advice) -> None:
    """Refused with the users by name (a webhook's id is the secret part of its URL), not raw JSON."""
    key = server.cli("apikey", "create", "--org", new_org())
    api = server.api(key)
    v1 = server.url + "/api/v1"
    credential = api.post(
        v1 + "/credentials",
        json={"name": "twilio", "vendor": "twilio", "account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN},
    ).json()
    hook = api.post(
        v1 + "/webhooks",
        json={"name": "inbound", "vendor": "twilio", "type": "inbound", "credentials_id": credential["id"]},
    ).json()
    channel = {"name": "sms-main", "credentials_id": credential["id"], "sender_number": "+14155550100"}
    assert api.post(v1 + "/channels", json=channel).status_code == 201
    reply = api.post(v1 + "/replies", json={"name": "goodbye", "template": "bye"}).json()
    keywords = api.put(v1 + f"/webhooks/{hook['id']}/keywords", json={"default_reply_id": reply["id"]})
    assert keywords.status_code == 200, keywords.text
    target, path = (credential, "credentials") if what == "credential" else (reply, "replies")

    context = browser.new_context(viewport=DESKTOP, base_url=server.url)
    page = context.new_page()
    sign_in(page, key)
    page.goto(f"/admin/{path}/{target['id']}/delete")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name=f"Delete {what}").click()
    assert answer.value.status == 409
    alert = page.get_by_role("alert")
    for name in named:
        expect(alert).to_contain_text(name)
    expect(alert).to_contain_text(advice)
    assert hook["id"] not in page.content() and "created concurrently" not in page.content()
    screenshot(page, f"17-{what}-in-use")
    assert api.get(v1 + f"/{path}/{target['id']}").status_code == 200
    context.close()


#: each Custom auth type and the fields only it uses, written out from the plugin's README
AUTH_FIELDS = {
    "none": [],
    "api_key": ["api_key_header", "api_key_prefix", "api_key"],
    "basic": ["username", "password"],
    "bearer": ["bearer_token"],
    "oauth2": ["oauth2_token_url", "oauth2_client_id", "oauth2_client_secret", "oauth2_scope", "oauth2_client_auth"],
    "jwt": ["jwt_secret", "jwt_algorithm", "jwt_issuer", "jwt_audience", "jwt_ttl_seconds", "jwt_claims"],
    "hmac": ["hmac_secret", "hmac_header", "hmac_algorithm", "hmac_encoding", "hmac_prefix"],
}
ALL_AUTH_FIELDS = [name for names in AUTH_FIELDS.values() for name in names]


def _visible_fields(page, names) -> list[str]:
    return [name for name in names if page.locator(f"form[data-credential-form] [name={name}]").is_visible()]


@pytest.mark.parametrize("auth_type", list(AUTH_FIELDS))
def test_choosing_a_custom_auth_type_shows_only_its_fields(browser, server, auth_type) -> None:
    context = browser.new_context(viewport=DESKTOP, base_url=server.url)
    page = context.new_page()
    sign_in(page, server.cli("apikey", "create", "--org", new_org()))
    page.goto("/admin/credentials/new?vendor=custom")
    # from another type first: switching back and forth shows and hides
    page.get_by_label("Auth type", exact=True).select_option("hmac" if auth_type != "hmac" else "basic")
    page.get_by_label("Auth type", exact=True).select_option(auth_type)
    assert _visible_fields(page, ALL_AUTH_FIELDS) == AUTH_FIELDS[auth_type]
    section = page.get_by_role("group", name="Outbound authentication")
    expect(section.get_by_label("Auth type", exact=True)).to_be_visible()
    # the sections the schema declares, each with its title
    for title in ("Sending", "Webhook mappings", "Statuses", "Webhook authenticity"):
        expect(page.get_by_role("group", name=title)).to_be_visible()
    if auth_type == "oauth2":
        screenshot(page, "18-custom-credential-oauth2")
    context.close()


def test_without_javascript_every_custom_auth_field_stays_visible(browser, server) -> None:
    context = browser.new_context(viewport=DESKTOP, base_url=server.url, java_script_enabled=False)
    page = context.new_page()
    sign_in(page, server.cli("apikey", "create", "--org", new_org()))
    page.goto("/admin/credentials/new?vendor=custom")
    assert _visible_fields(page, ALL_AUTH_FIELDS) == ALL_AUTH_FIELDS
    # each says when it is used, as the script would have shown
    expect(page.locator("#v-username-hint")).to_contain_text("Used when auth type is basic.")
    screenshot(page, "18-custom-credential-no-js")
    context.close()


def test_the_custom_payload_template_shows_an_example(browser, server) -> None:
    context = browser.new_context(viewport=DESKTOP, base_url=server.url)
    page = context.new_page()
    sign_in(page, server.cli("apikey", "create", "--org", new_org()))
    page.goto("/admin/credentials/new?vendor=custom")
    example = page.get_by_label("Payload template (required)").get_attribute("placeholder")
    for placeholder in ('"from": "{{fromNumber}}"', '"to": "{{toNumber}}"', '"content": "{{message}}"'):
        assert placeholder in example
    assert '"inboundMessage": "{{inboundMessage}}"' in page.get_by_label("Inbound mapping").get_attribute("placeholder")
    screenshot(page, "18-custom-credential-new")
    # the sections fit a phone: nothing widens the page
    page.set_viewport_size(PHONE)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot(page, "18-custom-credential-new-phone")
    context.close()


BASIC_PASSWORD = "pw-basic-5d1c9e"
MASK = "********"


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_a_custom_credential_with_basic_auth_is_saved_and_the_api_shows_it(browser, server, javascript) -> None:
    """A value typed into another auth type's field is not saved: hidden with the script, ignored by the server."""
    context = browser.new_context(viewport=DESKTOP, base_url=server.url, java_script_enabled=javascript)
    page = context.new_page()
    key = server.cli("apikey", "create", "--org", new_org())
    sign_in(page, key)
    page.goto("/admin/credentials/new?vendor=custom")
    name = f"basic-provider-{'js' if javascript else 'nojs'}"
    page.get_by_label("Name (required)").fill(name)
    page.get_by_label("Provider url (required)").fill("https://sms.provider.example/v1/messages")
    page.get_by_label("Payload template (required)").fill(PAYLOAD)
    page.get_by_label("Auth type", exact=True).select_option("api_key")
    page.get_by_label("API key prefix").fill("App")  # then the user changes their mind
    page.get_by_label("Auth type", exact=True).select_option("basic")
    page.get_by_label("Username").fill("acme")
    page.get_by_label("Password").fill(BASIC_PASSWORD)
    page.get_by_role("button", name="Save credential").click()
    page.wait_for_selector(f"text=Credential {name} is saved")
    credential_id = page.get_by_role("link", name=name).get_attribute("href").rstrip("/").rsplit("/", 1)[-1]
    saved = server.api(key).get(f"{server.url}/api/v1/credentials/{credential_id}", timeout=10).json()
    assert (saved["auth_type"], saved["username"], saved["password"]) == ("basic", "acme", MASK)
    assert saved["api_key_prefix"] is None
    assert BASIC_PASSWORD not in page.content()
    context.close()


def test_a_sinch_form_asks_for_region_or_base_url_in_its_main_section(browser, server) -> None:
    context = browser.new_context(viewport=DESKTOP, base_url=server.url)
    page = context.new_page()
    sign_in(page, server.cli("apikey", "create", "--org", new_org()))
    page.goto("/admin/credentials/new?vendor=sinch")
    section = page.get_by_role("group", name="Where the service plan lives (one of these is required)")
    # shown at once, not folded under "Optional settings"
    expect(section.get_by_label("Region")).to_be_visible()
    expect(section.get_by_label("Base URL")).to_be_visible()
    assert page.locator("details #v-region, details #v-base_url").count() == 0
    expect(page.locator("details")).to_contain_text("Webhook secret")
    screenshot(page, "19-sinch-credential-new")
    page.get_by_label("Name (required)").fill("sinch-main")
    page.get_by_label("Service plan ID").fill("plan123")
    page.get_by_label("API token").fill("sinch-token-1f2e")
    page.get_by_role("button", name="Save credential").click()
    # the API's rule, beside the field
    expect(page.locator(".has-error #v-region")).to_be_visible()
    expect(page.locator("#v-region ~ .field-error, .has-error .field-error").first).to_contain_text("region")
    page.get_by_label("Region").select_option("eu")
    page.get_by_label("API token").fill("sinch-token-1f2e")
    page.get_by_role("button", name="Save credential").click()
    page.wait_for_selector("text=Credential sinch-main is saved")
    context.close()
