"""API keys and sandbox settings through the console in a real browser, checked through the REST API:
a key created in the browser works against the API until it is revoked in the browser (then 401), and a
sandbox setting changed in the browser is what the API reads back, in that sandbox only."""

from __future__ import annotations

import re

import pytest
from support.api import new_org
from support.browser import DESKTOP, PHONE, go, screenshot, sign_in

expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture(name="server")
def shared_server(console_server):  # one server for the module's tests, on SQLite
    return console_server


VIEWPORTS = pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])


def _page(browser, server, viewport):
    context = browser.new_context(viewport=viewport, base_url=server.url)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    return context, context.new_page()


def _fits_a_phone(page, viewport) -> None:
    if viewport is PHONE:
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], "scrolls sideways"


@VIEWPORTS
def test_a_key_created_in_the_browser_works_until_revoked_in_the_browser(browser, server, viewport) -> None:
    suffix = "phone" if viewport is PHONE else "desktop"
    context, page = _page(browser, server, viewport)
    sign_in(page, server.cli("apikey", "create", "--org", new_org()))
    go(page, "API keys")
    # the session's own key is listed, marked, and offers no revoke
    own = page.get_by_role("row", name="this session")
    expect(own).to_contain_text("admin")
    expect(own.get_by_role("link", name=re.compile("Revoke"))).to_have_count(0)

    page.get_by_label("Name").fill("billing service")
    page.get_by_label("admin", exact=True).uncheck()
    page.get_by_label("read", exact=True).check()
    page.get_by_role("button", name="Create API key").click()
    note = page.locator("#new-key-note")
    expect(note).to_contain_text("Store it now")
    key = page.locator("#new-key").inner_text().strip()
    assert key.startswith("smsh_")
    page.get_by_role("button", name="Copy key").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == key
    screenshot(page, f"70-api-key-created-{suffix}")
    _fits_a_phone(page, viewport)

    # a read key: it reads, and it may not change configuration
    api = server.api(key)
    assert api.get(server.url + "/api/v1/sandbox-settings", timeout=10).status_code == 200
    assert api.put(server.url + "/api/v1/sandbox-settings", json={}, timeout=10).status_code == 403

    # the key is listed without its secret, with what it may do and that it was used
    page.goto("/admin/api-keys")  # the list again: the key is not shown again
    assert key not in page.content()
    row = page.get_by_role("row", name="billing service")
    expect(row).to_contain_text(key[:12])
    expect(row).to_contain_text("read")
    expect(row.locator("td").nth(4)).to_contain_text("UTC")  # last used: just now, not "never"
    screenshot(page, f"71-api-keys-{suffix}")

    with page.expect_navigation():
        row.get_by_role("link", name="Revoke billing service").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("billing service")
    screenshot(page, f"72-api-key-revoke-{suffix}")
    _fits_a_phone(page, viewport)
    page.get_by_role("button", name="Revoke API key").click()
    page.wait_for_selector("text=is revoked")
    expect(page.get_by_role("row", name="billing service")).to_have_count(0)
    assert api.get(server.url + "/api/v1/sandbox-settings", timeout=10).status_code == 401
    context.close()


def test_the_console_refuses_to_revoke_the_key_it_is_signed_in_with(browser, server) -> None:
    context, page = _page(browser, server, DESKTOP)
    key = server.cli("apikey", "create", "--org", new_org())
    sign_in(page, key)
    own_id = server.api(key).get(server.url + "/api/v1/api-keys", timeout=10).json()["items"][0]["id"]
    page.goto(f"/admin/api-keys/{own_id}/revoke")
    expect(page.get_by_role("alert")).to_contain_text("a key cannot revoke itself")
    expect(page.get_by_role("button", name="Revoke API key")).to_have_count(0)
    screenshot(page, "73-api-key-revoke-own")
    # a forged POST is refused the same way, and the key still works
    answer = page.request.post(f"/admin/api-keys/{own_id}/revoke", form={"csrf_token": _csrf(page)})
    assert answer.status == 409
    assert server.api(key).get(server.url + "/api/v1/api-keys", timeout=10).status_code == 200
    page.goto("/admin/api-keys")
    expect(page.get_by_role("row", name="this session")).to_have_count(1)
    context.close()


#: (label, what the user does in the form, the field whose error shows, words of that error)
REFUSED_KEYS = [
    ("no scope", lambda page: page.get_by_label("admin", exact=True).uncheck(), "scopes", "one or more of"),
    ("expired already", lambda page: page.get_by_label("Expires").fill("2001-01-01T00:00"), "expires_at", "future"),
]


@pytest.mark.parametrize(("action", "field", "words"), [c[1:] for c in REFUSED_KEYS], ids=[c[0] for c in REFUSED_KEYS])
def test_a_refused_key_shows_why_beside_the_field(browser, server, action, field, words) -> None:
    context, page = _page(browser, server, DESKTOP)
    key = server.cli("apikey", "create", "--org", new_org())
    sign_in(page, key)
    go(page, "API keys")
    page.get_by_label("Name").fill("refused")
    action(page)
    page.get_by_role("button", name="Create API key").click()
    expect(page.locator(f"#{field}-error")).to_contain_text(words)
    expect(page.locator("#new-key")).to_have_count(0)
    assert page.get_by_label("Name").input_value() == "refused"  # what was typed stays
    assert len(server.api(key).get(server.url + "/api/v1/api-keys", timeout=10).json()["items"]) == 1
    context.close()


@VIEWPORTS
def test_sandbox_settings_changed_in_the_browser_are_what_the_api_reads(browser, server, viewport) -> None:
    suffix = "phone" if viewport is PHONE else "desktop"
    context, page = _page(browser, server, viewport)
    key = server.cli("apikey", "create", "--org", new_org())
    sign_in(page, key)
    page.get_by_label("or open another").fill("staging")
    page.get_by_role("button", name="Switch").click()
    page.wait_for_selector("text=Sandbox staging is open.")
    go(page, "Sandbox settings")
    # the defaults until saved
    expect(page.get_by_label("The whole sandbox")).to_be_checked()
    expect(page.get_by_label("Marketing needs an opt-in")).to_be_checked()
    screenshot(page, f"74-sandbox-settings-{suffix}")
    _fits_a_phone(page, viewport)

    page.get_by_label("Per number").check()
    page.get_by_label("Marketing needs an opt-in").uncheck()
    page.get_by_role("button", name="Save settings").click()
    page.wait_for_selector("text=The settings of sandbox staging are saved.")
    expect(page.get_by_label("Per number")).to_be_checked()
    expect(page.get_by_label("Marketing needs an opt-in")).not_to_be_checked()

    api = server.api(key)
    staging = api.get(server.url + "/api/v1/sandbox-settings", headers={"X-Sandbox-Name": "staging"}, timeout=10)
    assert staging.json() == {"consent_scope": "number", "marketing_requires_opt_in": False}
    prod = api.get(server.url + "/api/v1/sandbox-settings", timeout=10)  # another sandbox keeps its own
    assert prod.json() == {"consent_scope": "sandbox", "marketing_requires_opt_in": True}
    context.close()


def test_a_refused_sandbox_setting_shows_why_beside_the_field(browser, server) -> None:
    context, page = _page(browser, server, DESKTOP)
    key = server.cli("apikey", "create", "--org", new_org())
    sign_in(page, key)
    go(page, "Sandbox settings")
    # a value the form does not offer (a stale or tampered page): the service's refusal, beside the field
    page.evaluate("document.getElementById('consent_scope-number').value = 'galaxy'")
    page.get_by_label("Per number").check()
    page.get_by_role("button", name="Save settings").click()
    expect(page.locator("#consent_scope-error")).to_contain_text("Must be one of: sandbox, number")
    expect(page.get_by_role("alert")).to_be_visible()
    screenshot(page, "75-sandbox-settings-refused")
    answer = server.api(key).get(server.url + "/api/v1/sandbox-settings", timeout=10)
    assert answer.json()["consent_scope"] == "sandbox"
    context.close()


def _csrf(page) -> str:
    return page.evaluate("document.body.getAttribute('data-csrf')")
