"""The pytest plugin registered under ``pytest11``: table parametrization and fixtures.

Fixtures for plugin authors and the core suite alike:

- ``fake_vendor_api``: a running fake of a vendor's HTTP API on loopback;
- ``smshooks_database_url``: a fresh, migrated database, once per backend
  (SQLite always, PostgreSQL where ``SMSHOOKS_TEST_POSTGRES_URL`` is set);
- ``smshooks_settings``: server settings on that database in a temporary data dir;
- ``smshooks_module_database_url`` and ``smshooks_module_settings``: the same, but
  shared by every test of a module (once per backend). Building an app costs far
  more than a request, so a table of many cases is fast on one app per module;
  each case then sees the others' rows, so it must create what it needs under
  names or an organisation of its own and assert only on those;
- ``smshooks_app`` and ``smshooks_client``: a gateway (the Flask app) on the
  module's shared database with every installed plugin loaded through its
  entry point (plus ``smshooks_app_plugins``), and its test client, one per
  module and backend;
- ``smshooks_gateway``: a :class:`~smshooks.testing.gateway.GatewayClient` for an
  organisation of its own on that app: create a webhook for your vendor, post its
  real requests to ``/hooks/<id>``, read what was stored.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from smshooks.apikeys import create_api_key
from smshooks.settings import Settings
from smshooks.testing import databases
from smshooks.testing.conformance import parametrize_tables
from smshooks.testing.fake_api import FakeVendorAPI
from smshooks.testing.gateway import GatewayClient, new_org


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    parametrize_tables(metafunc)


@pytest.fixture
def fake_vendor_api() -> Iterator[FakeVendorAPI]:
    """A running fake of a vendor's HTTP API on loopback that records requests."""
    with FakeVendorAPI() as api:
        yield api


@pytest.fixture(scope="session")
def _smshooks_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> databases.SQLiteTemplate:
    return databases.SQLiteTemplate(tmp_path_factory.mktemp("smshooks-template"))


@pytest.fixture(scope="session")
def _smshooks_postgres_url() -> Iterator[str]:
    with databases.postgres_database() as url:
        yield url


@pytest.fixture(scope="session")
def _smshooks_postgres_module_url() -> Iterator[str]:
    # a database of its own, so the per-test emptying of the first never wipes
    # the rows a module is sharing
    with databases.postgres_database() as url:
        yield url


@pytest.fixture(params=databases.backends())
def smshooks_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated, empty database for this test, on each configured backend."""
    if request.param == "postgresql":
        url = request.getfixturevalue("_smshooks_postgres_url")
        databases.empty_tables(url)
        return url
    return request.getfixturevalue("_smshooks_sqlite_template").fresh(tmp_path)


@pytest.fixture
def smshooks_settings(smshooks_database_url: str, tmp_path: Path) -> Settings:
    """Settings of a gateway on the test database, with a fixed secret key."""
    return Settings(
        data_dir=tmp_path,
        database_url=smshooks_database_url,
        secret_key="test-secret-key",
        public_url="https://sms.example.test",
    ).resolved()


@pytest.fixture(scope="module", params=databases.backends())
def smshooks_module_database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated database, empty when the module starts, shared by its tests, on each backend.

    Modules run one after another in a process, so one PostgreSQL database
    serves every module in turn; do not mix it with ``smshooks_database_url``
    in one test (each would be parametrized over the backends).
    """
    if request.param == "postgresql":
        url = request.getfixturevalue("_smshooks_postgres_module_url")
        databases.empty_tables(url)
        return url
    return request.getfixturevalue("_smshooks_sqlite_template").fresh(tmp_path_factory.mktemp("smshooks-module"))


@pytest.fixture(scope="module")
def smshooks_module_settings(smshooks_module_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings of a gateway on the module's shared database, with a fixed secret key."""
    return Settings(
        data_dir=tmp_path_factory.mktemp("smshooks-module-data"),
        database_url=smshooks_module_database_url,
        secret_key="test-secret-key",
        public_url="https://sms.example.test",
    ).resolved()


@pytest.fixture(scope="module")
def smshooks_app_plugins() -> Sequence[Any]:
    """Plugin objects the module's app registers beside the installed entry points
    (override it to add observers of your own); none by default."""
    return ()


@pytest.fixture(scope="module")
def smshooks_app(smshooks_module_settings: Settings, smshooks_app_plugins: Sequence[Any]) -> Iterator[Any]:
    """The gateway's Flask app on the module's shared database, once per backend.

    Installed plugins load through their entry points, as in production: a
    plugin's own tests see it the way the gateway will.
    """
    from smshooks.web.app import create_app  # the web layer only for tests that ask for it

    app = create_app(smshooks_module_settings, plugins=list(smshooks_app_plugins))
    yield app
    app.extensions["smshooks"].db.engine.dispose()


@pytest.fixture(scope="module")
def smshooks_client(smshooks_app: Any) -> Any:
    """The module app's Flask test client."""
    return smshooks_app.test_client()


@pytest.fixture
def smshooks_gateway(smshooks_app: Any, smshooks_client: Any) -> GatewayClient:
    """An organisation of its own on the module's app: the test sees only what it creates."""
    org = new_org()
    return GatewayClient(smshooks_client, create_api_key(smshooks_app.extensions["smshooks"].db, org), org)
