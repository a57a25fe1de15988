"""The smshooks command: apikey create, db upgrade, plugins."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from smshooks.app import create_app
from smshooks.cli import main
from smshooks.settings import Settings


@pytest.fixture
def env(smshooks_database_url, tmp_path):
    return {
        "SMSHOOKS_DATABASE_URL": smshooks_database_url,
        "SMSHOOKS_DATA_DIR": str(tmp_path),
        "SMSHOOKS_SECRET_KEY": "cli-secret",
    }


def test_apikey_create_prints_a_key_the_api_accepts(env):
    result = CliRunner().invoke(main, ["apikey", "create", "--org", "acme"], env=env)
    assert result.exit_code == 0, result.output
    key = result.output.strip()
    assert key.startswith("smsh_") and len(key) > 40
    app = create_app(Settings.from_env(env))
    client = app.test_client()
    assert client.get("/api/v1/webhooks", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    assert client.get("/api/v1/webhooks", headers={"Authorization": f"Bearer {key}x"}).status_code == 401
    app.extensions["smshooks"].db.engine.dispose()


def test_apikey_create_refuses_a_bad_org_name(env):
    result = CliRunner().invoke(main, ["apikey", "create", "--org", "no spaces please"], env=env)
    assert result.exit_code == 2
    assert "organisation id" in result.output


def test_db_upgrade_creates_the_schema_on_an_empty_sqlite_file(tmp_path):
    env = {"SMSHOOKS_DATA_DIR": str(tmp_path / "fresh"), "SMSHOOKS_SECRET_KEY": "k"}
    result = CliRunner().invoke(main, ["db", "upgrade"], env=env)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "fresh" / "smshooks.db").exists()
    again = CliRunner().invoke(main, ["db", "upgrade"], env=env)
    assert again.exit_code == 0, again.output


def test_embedded_mode_generates_and_keeps_its_secret_key(tmp_path):
    first = Settings.from_env({"SMSHOOKS_DATA_DIR": str(tmp_path)})
    second = Settings.from_env({"SMSHOOKS_DATA_DIR": str(tmp_path)})
    assert first.secret_key and first.secret_key == second.secret_key
    assert (tmp_path / "secret.key").stat().st_mode & 0o077 == 0
    assert first.database_url == f"sqlite:///{(tmp_path / 'smshooks.db').resolve()}"


def test_plugins_lists_the_builtin_observer(env):
    result = CliRunner().invoke(main, ["plugins"], env=env)
    assert result.exit_code == 0, result.output
    assert "smshooks.builtin.observers [loaded]" in result.output
    assert "smshooks_inbound_handled" in result.output
