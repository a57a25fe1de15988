from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from dataclasses import replace

import pytest
from flask import Flask
from flask.testing import FlaskClient
from support import loopback
from support.api import Api, new_org

from smshooks import logs
from smshooks.apikeys import create_api_key
from smshooks.settings import Settings
from smshooks.web.app import create_app


@pytest.fixture
def settings(smshooks_settings: Settings) -> Settings:
    # feedback webhooks in tests point at receivers on loopback
    return replace(smshooks_settings, allow_private_targets=True)


@pytest.fixture(scope="module")
def module_settings(smshooks_module_settings: Settings) -> Settings:
    """``settings`` shared by the tests of a module (see ``module_app``)."""
    return replace(smshooks_module_settings, allow_private_targets=True)


@pytest.fixture(scope="module")
def module_app(request: pytest.FixtureRequest, module_settings: Settings) -> Iterator[Flask]:
    """One app and database for every test of a module, once per backend.

    Building an app costs ~0.3 s, a request a few ms: tables of cases share
    this one. Each case sees the rows of the cases before it, so it uses
    ``module_api`` (an organisation of its own) or names of its own. A module
    sets ``APP_PLUGINS`` for plugins other than the loopback vendor.
    """
    app = create_app(module_settings, plugins=getattr(request.module, "APP_PLUGINS", [loopback]))
    yield app
    app.extensions["smshooks"].db.engine.dispose()


@pytest.fixture(scope="module")
def module_client(module_app: Flask) -> FlaskClient:
    return module_app.test_client()


@pytest.fixture
def module_api(module_app: Flask, module_client: FlaskClient) -> Api:
    """A key of a new organisation on the module's app: the test sees only what it creates."""
    return Api(module_client, create_api_key(module_app.extensions["smshooks"].db, new_org()))


@pytest.fixture
def app(settings: Settings) -> Iterator[Flask]:
    app = create_app(settings, plugins=[loopback])
    yield app
    app.extensions["smshooks"].db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def api(app: Flask, client: FlaskClient) -> Api:
    return Api(client, create_api_key(app.extensions["smshooks"].db, "acme"))


@pytest.fixture
def other_org_api(app: Flask, client: FlaskClient) -> Api:
    return Api(client, create_api_key(app.extensions["smshooks"].db, "globex"))


@pytest.fixture
def api_key_for():
    """Create an API key for an app's database (organisation ``acme``)."""

    def make(app: Flask, org: str = "acme") -> str:
        return create_api_key(app.extensions["smshooks"].db, org)

    return make


@pytest.fixture
def log_lines():
    """Configure logging as ``smshooks`` does, into a buffer; yields a function that configures and reads it."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    buffer = io.StringIO()

    def use(**environ: str) -> io.StringIO:
        logs.configure(environ, level="INFO", stream=buffer)
        return buffer

    yield use
    for handler in root.handlers:
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)
