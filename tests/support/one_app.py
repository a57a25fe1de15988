"""``app``, ``client``, ``api``, ``other_org_api`` and ``settings`` on one app per module.

A module imports these to replace the per-test fixtures of ``conftest.py``::

    from support.one_app import (  # noqa: F401
        shared_api, shared_app, shared_client, shared_other_org_api, shared_settings,
    )

(the fixtures are named ``api``, ``app``...: the ``shared_`` names only keep
the import from clashing with the tests' arguments).

Its tests then share the module's app and database (once per backend, see
``module_app``), and each ``api``/``other_org_api`` is a key of a new
organisation: a test sees only the rows it creates, whatever ran before it,
as long as it reads them through the API (or filters by its own org).
"""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from smshooks.apikeys import create_api_key
from smshooks.settings import Settings
from support.api import Api, new_org


@pytest.fixture(name="settings")
def shared_settings(module_settings: Settings) -> Settings:
    return module_settings


@pytest.fixture(name="app")
def shared_app(module_app: Flask) -> Flask:
    return module_app


@pytest.fixture(name="client")
def shared_client(module_client: FlaskClient) -> FlaskClient:
    return module_client


@pytest.fixture(name="api")
def shared_api(module_api: Api) -> Api:
    return module_api


@pytest.fixture(name="other_org_api")
def shared_other_org_api(module_app: Flask, module_client: FlaskClient) -> Api:
    return Api(module_client, create_api_key(module_app.extensions["smshooks"].db, new_org()))
