"""Admin API authentication: a Bearer key scopes every request to its organisation,
and ``X-Sandbox-Name`` (default ``prod``) to one sandbox of it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import update
from support.api import make_webhook
from support.one_app import shared_api, shared_app, shared_client, shared_other_org_api, shared_settings  # noqa: F401

from smshooks.store.tables import ApiKey

# Every admin route, with a path that exists once ``make_webhook`` ran.
ROUTES = [
    ("GET", "/credentials"),
    ("POST", "/credentials"),
    ("GET", "/credentials/{credential}"),
    ("PATCH", "/credentials/{credential}"),
    ("DELETE", "/credentials/{credential}"),
    ("GET", "/webhooks"),
    ("POST", "/webhooks"),
    ("GET", "/webhooks/{webhook}"),
    ("PATCH", "/webhooks/{webhook}"),
    ("DELETE", "/webhooks/{webhook}"),
    ("GET", "/inbound-messages"),
    ("GET", "/delivery-reports"),
    ("GET", "/messages/msg_unknown"),
    ("GET", "/plugins"),
    ("GET", "/no-such-route"),
]


def assert_unauthorized(response) -> None:
    assert response.status_code == 401, response.data
    assert response.json["error"]["code"] == "unauthorized"
    assert response.json["error"]["message"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Bearer    ",
        "Basic YWNtZTpwYXNzd29yZA==",
        "Token {key}",
        "{key}",
        "Bearer smsh_not-a-key-we-issued",
        "Bearer {key}x",
        "Bearer x{key}",
    ],
)
def test_requests_without_a_valid_key_are_401_json(api, client, authorization):
    headers = {} if authorization is None else {"Authorization": authorization.format(key=api.key)}
    assert_unauthorized(client.get("/api/v1/credentials", headers=headers))


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_every_api_route_requires_a_key(api, client, method, path):
    hook = make_webhook(api)
    url = "/api/v1" + path.format(credential=hook["credentials_id"], webhook=hook["id"])
    assert_unauthorized(client.open(url, method=method, json={"name": "x"}))
    # nothing changed behind the 401
    assert api.get(f"/webhooks/{hook['id']}").status_code == 200
    assert api.get(f"/credentials/{hook['credentials_id']}").status_code == 200


def test_the_scheme_is_case_insensitive(api, client):
    response = client.get("/api/v1/credentials", headers={"Authorization": f"bearer {api.key}"})
    assert response.status_code == 200, response.json


def test_a_revoked_key_is_refused(app, api):
    assert api.get("/credentials").status_code == 200
    with app.extensions["smshooks"].db.transaction() as session:
        session.execute(update(ApiKey).where(ApiKey.prefix == api.key[:12]).values(revoked_at=datetime.now(UTC)))
    assert_unauthorized(api.get("/credentials"))


def test_openapi_document_needs_no_key(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert "/api/v1/credentials" in response.json["paths"]


def test_a_key_sees_only_its_organisation(api, other_org_api, client):
    hook = make_webhook(api)
    credential_id = hook["credentials_id"]

    assert other_org_api.get("/credentials").json["items"] == []
    assert other_org_api.get("/webhooks").json["items"] == []
    for path in (f"/credentials/{credential_id}", f"/webhooks/{hook['id']}"):
        assert other_org_api.get(path).status_code == 404
        assert other_org_api.patch(path, {"name": "stolen"}).status_code == 404
        assert other_org_api.delete(path).status_code == 404
        assert api.get(path).json["name"] != "stolen"

    # the same names are free in the other organisation, and stay apart
    other = make_webhook(other_org_api)
    assert other["id"] != hook["id"]
    assert [w["id"] for w in api.get("/webhooks").json["items"]] == [hook["id"]]
    assert [w["id"] for w in other_org_api.get("/webhooks").json["items"]] == [other["id"]]


def test_the_sandbox_defaults_to_prod(api):
    hook = make_webhook(api)  # no X-Sandbox-Name header
    assert api.sandbox is None
    prod = api.in_sandbox("prod")
    assert [w["id"] for w in prod.get("/webhooks").json["items"]] == [hook["id"]]
    assert prod.get(f"/credentials/{hook['credentials_id']}").status_code == 200


@pytest.mark.parametrize("header", ["", "   "])
def test_a_blank_sandbox_header_means_prod(api, client, header):
    hook = make_webhook(api)
    response = client.get(
        f"/api/v1/webhooks/{hook['id']}", headers={"Authorization": f"Bearer {api.key}", "X-Sandbox-Name": header}
    )
    assert response.status_code == 200


def test_sandboxes_do_not_see_each_other(api):
    prod_hook = make_webhook(api)
    test_api = api.in_sandbox("test")
    test_hook = make_webhook(test_api)  # same names: names are unique per sandbox

    assert [w["id"] for w in api.get("/webhooks").json["items"]] == [prod_hook["id"]]
    assert [w["id"] for w in test_api.get("/webhooks").json["items"]] == [test_hook["id"]]
    assert [c["id"] for c in test_api.get("/credentials").json["items"]] == [test_hook["credentials_id"]]
    for path in (f"/webhooks/{prod_hook['id']}", f"/credentials/{prod_hook['credentials_id']}"):
        assert test_api.get(path).status_code == 404
        assert test_api.patch(path, {"name": "moved"}).status_code == 404
        assert test_api.delete(path).status_code == 404
        assert api.get(path).status_code == 200


def test_sandbox_names_are_case_sensitive(api):
    make_webhook(api.in_sandbox("Staging"))
    assert api.in_sandbox("staging").get("/webhooks").json["items"] == []


@pytest.mark.parametrize(
    "sandbox", ["has space", "semi;colon", "../prod", "-leading-dash", "x" * 65, "ünïcode".encode().decode("latin-1")]
)
def test_an_invalid_sandbox_name_is_400(api, client, sandbox):
    response = client.get("/api/v1/webhooks", headers={"Authorization": f"Bearer {api.key}", "X-Sandbox-Name": sandbox})
    assert response.status_code == 400
    assert response.json["error"]["code"] == "bad_request"
    assert "X-Sandbox-Name" in response.json["error"]["details"]
