"""API keys through the API and the CLI: list, create (shown once), revoke (401 at once, on
every process), expiry, scopes (403), and the throttle on repeated wrong keys (429)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import update
from support import loopback
from support.api import Api, new_org
from support.one_app import shared_api, shared_app, shared_client, shared_settings  # noqa: F401

from smshooks.apikeys import create_api_key
from smshooks.cli import main
from smshooks.store.tables import ApiKey
from smshooks.web.app import create_app

SHOWN = {"id", "name", "prefix", "scopes", "created_at", "last_used_at", "expires_at", "expired"}


def key_of(app, org: str, **options) -> Api:
    return Api(app.test_client(), create_api_key(app.extensions["smshooks"].db, org, **options))


def test_a_created_key_is_shown_once_and_listed_without_its_secret(api):
    made = api.post("/api-keys", {"name": "ci", "scopes": ["read", "send"]})
    assert made.status_code == 201, made.json
    assert set(made.json) == SHOWN | {"key"}
    assert made.json["key"].startswith(made.json["prefix"])
    assert made.json["scopes"] == ["send", "read"]
    assert made.json["last_used_at"] is None and made.json["expires_at"] is None

    listed = api.get("/api-keys").json["items"]
    assert [key["name"] for key in listed] == ["", "ci"]  # the fixture's key, then this one
    assert all(set(key) == SHOWN for key in listed)
    assert made.json["key"] not in str(listed)
    # the new key works, and its use is noted
    assert Api(api.client, made.json["key"]).get("/webhooks").status_code == 200
    ci = next(key for key in api.get("/api-keys").json["items"] if key["name"] == "ci")
    assert ci["last_used_at"] is not None


def test_a_body_is_optional_and_defaults_to_an_admin_key(api):
    made = api.post("/api-keys")
    assert made.status_code == 201, made.json
    assert made.json["scopes"] == ["admin"] and made.json["name"] == ""


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"scopes": []}, "scopes"),
        ({"scopes": ["root"]}, "scopes"),
        ({"expires_at": "2001-01-01T00:00:00Z"}, "expires_at"),
        ({"expires_at": "tomorrow"}, "expires_at"),
        ({"name": "x" * 201}, "name"),
    ],
)
def test_invalid_keys_are_refused_with_422(api, body, field):
    answer = api.post("/api-keys", body)
    assert answer.status_code == 422, answer.json
    assert field in answer.json["error"]["details"]


def test_a_revoked_key_is_refused_at_once_by_every_process(app, settings, api):
    other = api.post("/api-keys", {"name": "to revoke"}).json
    holder = Api(api.client, other["key"])
    assert holder.get("/webhooks").status_code == 200
    # a second app on the same database stands for another web process
    second = create_app(settings, plugins=[loopback])
    try:
        on_second = Api(second.test_client(), other["key"])
        assert on_second.get("/webhooks").status_code == 200
        assert api.delete(f"/api-keys/{other['id']}").status_code == 204
        for client in (holder, on_second):
            refused = client.get("/webhooks")
            assert refused.status_code == 401
            assert refused.json["error"]["message"] == "invalid API key"
    finally:
        second.extensions["smshooks"].db.engine.dispose()
    assert other["id"] not in [key["id"] for key in api.get("/api-keys").json["items"]]
    assert api.delete(f"/api-keys/{other['id']}").status_code == 404  # revoked already


def test_keys_of_another_organisation_cannot_be_seen_or_revoked(app, api):
    stranger = key_of(app, new_org())
    theirs = stranger.get("/api-keys").json["items"]
    assert len(theirs) == 1
    assert api.delete(f"/api-keys/{theirs[0]['id']}").status_code == 404
    assert theirs[0]["id"] not in [key["id"] for key in api.get("/api-keys").json["items"]]
    assert stranger.get("/webhooks").status_code == 200
    assert api.delete("/api-keys/99999999999").status_code == 404


def test_a_key_cannot_revoke_itself(api):
    own = api.get("/api-keys").json["items"][0]
    answer = api.delete(f"/api-keys/{own['id']}")
    assert answer.status_code == 409
    assert api.get("/webhooks").status_code == 200


def test_an_expired_key_is_401(app, api):
    made = api.post("/api-keys", {"expires_at": (datetime.now(UTC) + timedelta(days=1)).isoformat()}).json
    holder = Api(api.client, made["key"])
    assert holder.get("/webhooks").status_code == 200
    with app.extensions["smshooks"].db.transaction() as session:  # a day passes
        session.execute(
            update(ApiKey).where(ApiKey.id == made["id"]).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
        )
    refused = holder.get("/webhooks")
    assert refused.status_code == 401
    assert refused.json["error"]["message"] == "API key expired"
    listed = next(key for key in api.get("/api-keys").json["items"] if key["id"] == made["id"])
    assert listed["expired"] is True


SEND_BODY = {"channel_id": "chn_none", "to": ["+14155550111"], "text": "hi"}

# (the key's scopes, method, path, whether the scope check lets it through)
SCOPE_CASES = [
    (["read"], "GET", "/webhooks", True),
    (["read"], "GET", "/credentials", True),
    (["read"], "POST", "/webhooks", False),
    (["read"], "POST", "/messages", False),
    (["read"], "PUT", "/sandbox-settings", False),
    (["read"], "POST", "/keywords/classify", False),
    (["read"], "GET", "/api-keys", False),
    (["send"], "POST", "/messages", True),
    (["send"], "GET", "/webhooks", False),
    (["send"], "DELETE", "/webhooks/whk_x", False),
    (["send", "read"], "GET", "/messages/msg_x", True),
    (["send", "read"], "POST", "/api-keys", False),
    (["admin"], "POST", "/api-keys", True),
    (["admin"], "POST", "/messages", True),
    (["admin"], "GET", "/webhooks", True),
]


@pytest.mark.parametrize(("scopes", "method", "path", "allowed"), SCOPE_CASES)
def test_each_scope_allows_only_its_operations(app, scopes, method, path, allowed):
    holder = key_of(app, new_org(), scopes=scopes)
    body = SEND_BODY if path == "/messages" else ({} if method in ("POST", "PUT") else None)
    answer = holder.request(method, path, body)
    if allowed:
        assert answer.status_code != 403, answer.json
    else:
        assert answer.status_code == 403, answer.json
        assert answer.json["error"]["code"] == "forbidden"
        assert "scope" in answer.json["error"]["message"]
        assert 'error="insufficient_scope"' in answer.headers["WWW-Authenticate"]


def test_the_openapi_document_names_the_scope_of_each_operation(client):
    document = client.get("/api/v1/openapi.json").json
    scopes = {
        (method.upper(), path): operation["x-required-scope"]
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in ("get", "post", "put", "patch", "delete")
    }
    assert scopes[("POST", "/api/v1/messages")] == "send"
    assert scopes[("GET", "/api/v1/webhooks")] == "read"
    assert scopes[("POST", "/api/v1/webhooks")] == "admin"
    assert scopes[("GET", "/api/v1/api-keys")] == "admin"
    assert scopes[("DELETE", "/api/v1/api-keys/{key_id}")] == "admin"
    assert set(scopes.values()) == {"admin", "send", "read"}
    assert "`send` for `POST /api/v1/messages`" in document["info"]["description"]


def test_repeated_wrong_keys_from_one_address_are_throttled(api, client):
    guesser = {"REMOTE_ADDR": "203.0.113.7"}
    wrong = {"Authorization": "Bearer smsh_wrong"}
    for _ in range(10):
        assert client.get("/api/v1/webhooks", headers=wrong, environ_base=guesser).status_code == 401
    throttled = client.get("/api/v1/webhooks", headers=wrong, environ_base=guesser)
    assert throttled.status_code == 429
    assert throttled.json["error"]["code"] == "too_many_requests"
    assert 1 <= int(throttled.headers["Retry-After"]) <= 60
    # the address is held back whatever it sends; X-Forwarded-For is not trusted by default
    assert client.get("/api/v1/webhooks", headers=api.headers(), environ_base=guesser).status_code == 429
    spoofed = {**api.headers(), "X-Forwarded-For": "198.51.100.1"}
    assert client.get("/api/v1/webhooks", headers=spoofed, environ_base=guesser).status_code == 429
    # other addresses are not
    assert client.get("/api/v1/webhooks", headers=api.headers(), environ_base={"REMOTE_ADDR": "203.0.113.8"}).json
    assert client.get("/api/v1/webhooks", headers=wrong, environ_base={"REMOTE_ADDR": "203.0.113.8"}).status_code == 401
    # a missing key is not a guess
    for _ in range(12):
        assert client.get("/api/v1/webhooks", environ_base={"REMOTE_ADDR": "203.0.113.9"}).status_code == 401


def test_behind_a_trusted_proxy_the_forwarded_address_is_throttled(settings):
    app = create_app(replace(settings, trusted_proxies=1), plugins=[loopback])
    client = app.test_client()
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    try:
        for _ in range(10):
            headers = {"Authorization": "Bearer smsh_wrong", "X-Forwarded-For": "spoofed, 203.0.113.20"}
            assert client.get("/api/v1/webhooks", headers=headers, environ_base=proxy).status_code == 401
        blocked = client.get("/api/v1/webhooks", headers={"X-Forwarded-For": "203.0.113.20"}, environ_base=proxy)
        assert blocked.status_code == 429
        other = client.get("/api/v1/webhooks", headers={"X-Forwarded-For": "203.0.113.21"}, environ_base=proxy)
        assert other.status_code == 401  # another client behind the same proxy: not held back
    finally:
        app.extensions["smshooks"].db.engine.dispose()


@pytest.fixture
def cli_env(settings) -> dict[str, str]:
    return {
        "SMSHOOKS_DATABASE_URL": settings.database_url,
        "SMSHOOKS_DATA_DIR": str(settings.data_dir),
        "SMSHOOKS_SECRET_KEY": settings.secret_key,
    }


def test_the_cli_creates_lists_and_revokes_keys(client, cli_env):
    org = new_org()
    runner = CliRunner()
    made = runner.invoke(
        main,
        ["apikey", "create", "--org", org, "--name", "cli", "--scope", "read", "--expires-in-days", "30"],
        env=cli_env,
    )
    assert made.exit_code == 0, made.output
    holder = Api(client, made.output.strip())
    assert holder.get("/webhooks").status_code == 200
    assert holder.post("/webhooks", {}).status_code == 403

    listed = runner.invoke(main, ["apikey", "list", "--org", org], env=cli_env)
    assert listed.exit_code == 0, listed.output
    header, row = listed.output.strip().splitlines()
    assert header.split("\t") == ["id", "org", "name", "prefix", "scopes", "created", "last_used", "expires"]
    key_id, key_org, name, prefix, scopes, _created, last_used, expires = row.split("\t")
    assert (key_org, name, prefix, scopes) == (org, "cli", holder.key[:12], "read")
    assert last_used != "-" and expires != "-"
    assert holder.key not in listed.output

    assert runner.invoke(main, ["apikey", "revoke", key_id, "--org", "someone-else"], env=cli_env).exit_code == 1
    revoked = runner.invoke(main, ["apikey", "revoke", key_id, "--org", org], env=cli_env)
    assert revoked.exit_code == 0, revoked.output
    assert holder.get("/webhooks").status_code == 401
    assert runner.invoke(main, ["apikey", "list", "--org", org], env=cli_env).output.strip().count("\n") == 0


def test_the_cli_refuses_an_unknown_scope(cli_env):
    answer = CliRunner().invoke(main, ["apikey", "create", "--org", new_org(), "--scope", "root"], env=cli_env)
    assert answer.exit_code == 2
