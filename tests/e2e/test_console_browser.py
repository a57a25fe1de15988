"""The admin console in a real browser (issue 11): Debian's Chromium driven by Playwright, against a real server.

One browser and one server for the module; each test signs in with a key of an
organisation of its own. Every page visited is saved under .artifacts/screenshots/.
"""

from __future__ import annotations

import re

import pytest
from support.api import new_org
from support.browser import DESKTOP, PHONE, screenshot, sign_in

expect = pytest.importorskip("playwright.sync_api").expect


@pytest.fixture(name="server")
def shared_server(console_server):  # one server for the module's tests, on SQLite
    return console_server


#: the sign-in page, asked for on the way to another page
LOGIN_NEXT = re.compile(r".*/admin/login\?next=.+")


@pytest.fixture
def key(server) -> str:
    return server.cli("apikey", "create", "--org", new_org())


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport=DESKTOP, base_url=server.url)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    page = context.new_page()
    yield page
    context.close()


def test_sign_in_switch_sandbox_and_sign_out(page, key: str) -> None:
    page.goto("/")
    page.wait_for_url(LOGIN_NEXT)
    screenshot(page, "01-login")
    page.get_by_label("API key").fill("not-a-key")
    page.get_by_role("button", name="Sign in").click()
    assert "not valid" in page.get_by_role("alert").inner_text()
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/admin/")
    screenshot(page, "02-home")

    page.get_by_label("or open another").fill("staging")
    page.get_by_role("button", name="Switch").click()
    # the old page's list still says prod until the new page is parsed: wait for it
    expect(page.get_by_label("Sandbox", exact=True)).to_have_value("staging")
    page.get_by_label("Sandbox", exact=True).select_option("prod")  # the list submits itself
    page.wait_for_function("document.querySelector('#sandbox-select').value === 'prod'")
    page.wait_for_selector("text=Sandbox prod is open.")

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/admin/login")
    page.goto("/admin/")
    page.wait_for_url(LOGIN_NEXT)


def test_phone_width_layout(browser, server, key: str) -> None:
    context = browser.new_context(viewport=PHONE, base_url=server.url)
    page = context.new_page()
    sign_in(page, key)
    width = page.evaluate("document.documentElement.scrollWidth")
    screenshot(page, "03-home-phone")
    context.close()
    assert width <= PHONE["width"], "the page scrolls sideways on a phone"
