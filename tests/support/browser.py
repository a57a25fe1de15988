"""Debian's Chromium driven by Playwright for Python, for the console's browser tests.

Playwright's own browser download is never used (``playwright install`` cannot
work here): the tests launch ``/usr/bin/chromium``, which ``.ci/run`` installs
with apt-get when it is missing. One browser per test module keeps them cheap.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("SMSHOOKS_CHROMIUM", "/usr/bin/chromium")
#: screenshots of every page the tests visit, for a reviewer to look at (gitignored)
SCREENSHOTS = Path(__file__).resolve().parents[2] / ".artifacts" / "screenshots"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def launch() -> Iterator[object]:
    """A headless Chromium; skipped on a developer's machine without one, a failure in CI."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        message = f"no Chromium at {CHROMIUM}: apt-get install -y chromium"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield browser
        finally:
            browser.close()


def screenshot(page: object, name: str) -> Path:
    """Save the whole page as ``<name>.png`` under :data:`SCREENSHOTS`."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def sign_in(page: Any, key: str) -> None:
    """Sign in to the console with ``key`` and land on its start page."""
    page.goto("/admin/login")
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/admin/")


def go(page: Any, section: str) -> None:
    """Follow the header's link to ``section`` and wait for its page to load.

    A click returns once the navigation has started, not once the new page is parsed: a
    ``count()`` or ``content()`` right after it can read a half-loaded page.
    """
    with page.expect_navigation():
        page.get_by_role("navigation", name="Sections").get_by_role("link", name=section, exact=True).click()
