"""The smshooks command: apikey create, db upgrade, plugins."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from smshooks.apikeys import create_api_key
from smshooks.cli import main
from smshooks.settings import Settings
from smshooks.web.app import create_app


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


@pytest.fixture
def umask_022():
    """The common default umask, under which a plain create is world-readable."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def private(path) -> bool:
    return path.stat().st_mode & 0o777 == 0o600


def test_the_embedded_database_and_its_wal_files_are_readable_by_the_owner_only(tmp_path, umask_022):
    data_dir = tmp_path / "fresh"
    result = CliRunner().invoke(main, ["db", "upgrade"], env={"SMSHOOKS_DATA_DIR": str(data_dir)})
    assert result.exit_code == 0, result.output
    app = create_app(Settings.from_env({"SMSHOOKS_DATA_DIR": str(data_dir)}))
    key = create_api_key(app.extensions["smshooks"].db, "acme")
    assert app.test_client().get("/api/v1/webhooks", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    files = sorted(data_dir.glob("smshooks.db*"))
    assert {path.name for path in files} >= {"smshooks.db", "smshooks.db-wal", "smshooks.db-shm"}
    assert [path.name for path in files if not private(path)] == []
    assert data_dir.stat().st_mode & 0o077 == 0
    app.extensions["smshooks"].db.engine.dispose()


@pytest.mark.parametrize("existing", [False, True], ids=["new file", "an empty file a shell left"])
def test_apikey_create_output_writes_the_key_to_a_private_file(env, tmp_path, umask_022, existing):
    target = tmp_path / "demo-api-key"
    if existing:
        target.write_text("")
        target.chmod(0o644)
    result = CliRunner().invoke(main, ["apikey", "create", "--org", "demo", "--output", str(target)], env=env)
    assert result.exit_code == 0, result.output
    assert private(target)
    key = target.read_text().strip()
    assert key.startswith("smsh_") and key not in result.stdout
    app = create_app(Settings.from_env(env))
    assert app.test_client().get("/api/v1/webhooks", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    app.extensions["smshooks"].db.engine.dispose()


def test_make_run_writes_the_demo_key_with_the_output_option():
    """The Makefile's run target must not create the key file by shell redirection."""
    recipe = (Path(__file__).parent.parent / "Makefile").read_text()
    [line] = [line for line in recipe.splitlines() if "apikey create" in line]
    assert '--output "$(SMSHOOKS_DATA_DIR)/demo-api-key"' in line and ">" not in line
