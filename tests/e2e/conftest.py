"""End-to-end fixtures: the real ``smshooks serve`` process on a free loopback port."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.server import Server, start_server, stop_server


def environment(database_url: str, directory: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "SMSHOOKS_DATA_DIR": str(directory / "data"),
        "SMSHOOKS_DATABASE_URL": database_url,
        "SMSHOOKS_SECRET_KEY": "e2e-secret",
        "SMSHOOKS_RETRY_DELAYS": "0.2,0.5,1",
        # the fake vendor APIs and feedback receivers listen on loopback
        "SMSHOOKS_ALLOW_PRIVATE_TARGETS": "1",
    }
    env.pop("SMSHOOKS_PUBLIC_URL", None)
    return env


@pytest.fixture
def server_env(smshooks_database_url: str, tmp_path: Path) -> dict[str, str]:
    return environment(smshooks_database_url, tmp_path)


@pytest.fixture
def server(server_env: dict[str, str], tmp_path: Path) -> Iterator[Server]:
    running = start_server(server_env, tmp_path / "server.log")
    try:
        yield running
    finally:
        stop_server(running)


@pytest.fixture(scope="module")
def module_server(smshooks_module_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server for every test of a module, once per backend (a server takes seconds to start).

    For tests that neither stop nor reconfigure it: each makes an organisation
    of its own, so it sees only its own rows.
    """
    directory = tmp_path_factory.mktemp("e2e-module")
    running = start_server(environment(smshooks_module_database_url, directory), directory / "server.log")
    try:
        yield running
    finally:
        stop_server(running)


@pytest.fixture(scope="module")
def console_server(_smshooks_sqlite_template, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One server for a browser-test module, on the embedded default (SQLite) only: the console calls
    the same services as the API, whose tests run on both backends; a browser run per backend would
    only double the slowest tests of the suite."""
    directory = tmp_path_factory.mktemp("e2e-console")
    database_url = _smshooks_sqlite_template.fresh(directory)
    running = start_server(environment(database_url, directory), directory / "server.log")
    try:
        yield running
    finally:
        stop_server(running)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """One headless Chromium per browser-test module (tests/support/browser.py)."""
    from support.browser import launch

    yield from launch()
