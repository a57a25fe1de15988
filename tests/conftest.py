from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from flask import Flask
from flask.testing import FlaskClient
from support import loopback
from support.api import Api

from smshooks.apikeys import create_api_key
from smshooks.app import create_app
from smshooks.settings import Settings


@pytest.fixture
def settings(smshooks_settings: Settings) -> Settings:
    # feedback webhooks in tests point at receivers on loopback
    return replace(smshooks_settings, allow_private_targets=True)


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
