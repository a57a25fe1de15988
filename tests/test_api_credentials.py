"""``/api/v1/credentials``: vendor accounts, validated by the vendor's schema, secrets masked
in every answer and encrypted at rest."""

from __future__ import annotations

import base64

import pytest
from sqlalchemy import text
from support.api import make_webhook, post_signed
from support.one_app import shared_api, shared_app, shared_client, shared_other_org_api, shared_settings  # noqa: F401

MASK = "********"
SECRET = "sk_live_plaintext-4f3c9a"
INBOUND = {"messages": [{"id": "m1", "from": "+14155550123", "to": "+14155550100", "text": "hi"}]}


def create(api, **fields):
    body = {"name": "main", "vendor": "loopback", "account": "AC1", "secret": SECRET, **fields}
    response = api.post("/credentials", body)
    assert response.status_code == 201, response.json
    return response.json


def assert_invalid(response, *fields: str) -> None:
    assert response.status_code == 422, response.json
    assert response.json["error"]["code"] == "invalid"
    assert set(fields) <= set(response.json["error"]["details"]), response.json


def test_create_returns_the_vendor_fields_with_the_secret_masked(api):
    response = api.post(
        "/credentials",
        {"name": "main", "vendor": "loopback", "account": "AC1", "secret": SECRET, "api_url": "http://vendor.test"},
    )
    assert response.status_code == 201
    body = response.json
    assert body["id"]
    assert body["name"] == "main"
    assert body["vendor"] == "loopback"
    assert body["account"] == "AC1"
    assert body["api_url"] == "http://vendor.test"
    assert body["secret"] == MASK
    assert body["created_at"] and body["updated_at"]


def test_get_and_list_show_the_credential_with_the_secret_masked(api):
    created = create(api)
    fetched = api.get(f"/credentials/{created['id']}")
    assert fetched.status_code == 200
    assert fetched.json == created
    assert api.get("/credentials").json["items"] == [created]


def test_a_vendor_default_is_filled_in(api):
    assert create(api)["api_url"] == "http://127.0.0.1:9"


def test_an_unset_secret_shows_as_null_not_as_a_mask(api):
    assert create(api, secret=None)["secret"] is None


def test_the_secret_never_appears_in_any_answer(api):
    created = create(api)
    answers = [
        api.get("/credentials"),
        api.get(f"/credentials/{created['id']}"),
        api.patch(f"/credentials/{created['id']}", {"account": "AC2"}),
        api.patch(f"/credentials/{created['id']}", {"name": "renamed"}),
    ]
    for answer in answers:
        assert answer.status_code == 200
        assert SECRET.encode() not in answer.data


def test_secrets_are_encrypted_at_rest(app, api):
    created = create(api)
    with app.extensions["smshooks"].db.engine.connect() as conn:
        row = conn.execute(text("SELECT * FROM credentials WHERE id = :id"), {"id": created["id"]}).mappings().one()
    stored = " ".join(str(value) for value in row.values())
    assert "AC1" in stored  # the non-secret field is stored readable...
    assert SECRET not in stored  # ...the secret in no column, neither plain nor merely encoded
    assert base64.b64encode(SECRET.encode()).decode()[:12] not in stored


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"vendor": "loopback", "account": "A"}, ["name"]),
        ({"name": "", "vendor": "loopback", "account": "A"}, ["name"]),
        ({"name": "x" * 201, "vendor": "loopback", "account": "A"}, ["name"]),
        ({"name": "n", "account": "A"}, ["vendor"]),
        ({"name": "n", "vendor": "no-such-vendor", "account": "A"}, ["vendor"]),
        ({"name": "n", "vendor": "loopback"}, ["account"]),
        ({"name": "n", "vendor": "loopback", "account": 12}, ["account"]),
        ({"name": "n", "vendor": "loopback", "account": "A", "api_url": "not a url"}, ["api_url"]),
        ({"name": "n", "vendor": "loopback", "account": "A", "secret": ["x"]}, ["secret"]),
        ({"name": "n", "vendor": "loopback", "account": "A", "region": "eu"}, ["region"]),
        ({"name": "n", "vendor": "loopback", "account": None, "api_url": "ftp:/x"}, ["account", "api_url"]),
        ({"name": "a\x00b", "vendor": "loopback", "account": "A"}, ["name"]),  # PostgreSQL can't store NUL
        ({"name": "a\ud800b", "vendor": "loopback", "account": "A"}, ["name"]),  # no UTF-8 for a lone surrogate
        ({"name": "n", "vendor": "loopback", "account": "A\x00"}, ["account"]),
    ],
)
def test_create_validates_fields_with_field_level_messages(api, body, fields):
    assert_invalid(api.post("/credentials", body), *fields)
    assert api.get("/credentials").json["items"] == []


def test_the_unknown_vendor_message_lists_the_installed_vendors(api):
    response = api.post("/credentials", {"name": "n", "vendor": "nope", "account": "A"})
    assert "loopback" in response.json["error"]["details"]["vendor"][0]


def test_patch_changes_fields_and_keeps_the_rest(api):
    created = create(api, api_url="http://vendor.test")
    response = api.patch(f"/credentials/{created['id']}", {"account": "AC2"})
    assert response.status_code == 200
    assert response.json["account"] == "AC2"
    assert response.json["api_url"] == "http://vendor.test"
    assert response.json["name"] == "main"
    assert response.json["secret"] == MASK
    assert response.json["created_at"] == created["created_at"]
    assert response.json["updated_at"] > created["updated_at"]
    assert api.get(f"/credentials/{created['id']}").json == response.json


@pytest.mark.parametrize(
    "patch",
    [
        {"account": "AC2"},  # secret left out
        {"account": "AC2", "secret": MASK},  # secret sent back as the API showed it
    ],
    ids=["left-out", "sent-back-masked"],
)
def test_patch_keeps_the_secret(api, client, patch):
    hook = make_webhook(api, secret=SECRET)
    response = api.patch(f"/credentials/{hook['credentials_id']}", patch)
    assert response.status_code == 200, response.json
    assert response.json["secret"] == MASK
    # the vendor endpoint still verifies signatures with the original secret
    assert post_signed(client, hook, INBOUND, secret=SECRET).status_code == 200
    assert post_signed(client, hook, INBOUND, secret=MASK).status_code == 403


def test_patch_replaces_the_secret(api, client):
    hook = make_webhook(api, secret=SECRET)
    response = api.patch(f"/credentials/{hook['credentials_id']}", {"secret": "rotated"})
    assert response.status_code == 200
    assert response.json["secret"] == MASK
    assert post_signed(client, hook, INBOUND, secret=SECRET).status_code == 403
    assert post_signed(client, hook, INBOUND, secret="rotated").status_code == 200


def test_patch_can_clear_an_optional_secret(api, client):
    hook = make_webhook(api, secret=SECRET)
    response = api.patch(f"/credentials/{hook['credentials_id']}", {"secret": None})
    assert response.status_code == 200
    assert response.json["secret"] is None
    assert post_signed(client, hook, INBOUND, secret=None).status_code == 200


def test_the_vendor_of_a_credential_cannot_change(api):
    created = create(api)
    assert_invalid(api.patch(f"/credentials/{created['id']}", {"vendor": "other"}), "vendor")
    assert api.get(f"/credentials/{created['id']}").json["vendor"] == "loopback"
    # naming the same vendor is not a change
    assert api.patch(f"/credentials/{created['id']}", {"vendor": "loopback"}).status_code == 200


@pytest.mark.parametrize(
    ("patch", "fields"),
    [
        ({"account": None}, ["account"]),
        ({"api_url": "nope"}, ["api_url"]),
        ({"name": ""}, ["name"]),
        ({"name": None}, ["name"]),
        ({"region": "eu"}, ["region"]),
        ({"name": "renamed", "account": "AC2", "api_url": "nope"}, ["api_url"]),  # all or nothing
    ],
)
def test_patch_validates_against_the_vendor_schema(api, patch, fields):
    created = create(api)
    assert_invalid(api.patch(f"/credentials/{created['id']}", patch), *fields)
    assert api.get(f"/credentials/{created['id']}").json == created


def test_a_duplicate_name_is_409(api):
    create(api, name="main")
    response = api.post("/credentials", {"name": "main", "vendor": "loopback", "account": "B"})
    assert response.status_code == 409
    assert response.json["error"]["code"] == "conflict"
    assert "name" in response.json["error"]["details"]
    assert len(api.get("/credentials").json["items"]) == 1


def test_renaming_onto_a_taken_name_is_409(api):
    create(api, name="one")
    two = create(api, name="two")
    assert api.patch(f"/credentials/{two['id']}", {"name": "one"}).status_code == 409
    assert api.patch(f"/credentials/{two['id']}", {"name": "two"}).status_code == 200  # its own name
    assert api.get(f"/credentials/{two['id']}").json["name"] == "two"


def test_names_are_unique_per_sandbox_and_organisation(api, other_org_api):
    create(api, name="main")
    create(api.in_sandbox("test"), name="main")
    create(other_org_api, name="main")


def test_deleting_a_credential_in_use_is_409(api):
    hook = make_webhook(api)
    response = api.delete(f"/credentials/{hook['credentials_id']}")
    assert response.status_code == 409
    assert response.json["error"]["details"]["webhooks"] == [hook["id"]]
    assert api.get(f"/credentials/{hook['credentials_id']}").status_code == 200
    # once the webhook is gone, the credential can go
    assert api.delete(f"/webhooks/{hook['id']}").status_code == 204
    assert api.delete(f"/credentials/{hook['credentials_id']}").status_code == 204


@pytest.mark.parametrize(
    ("label", "users", "named"),
    [
        ("a channel", ["channel"], ["channel 'sms-main'"]),
        ("a webhook and a channel", ["webhook", "channel"], ["webhook 'inbound'", "channel 'sms-main'"]),
    ],
)
def test_deleting_a_credential_a_channel_uses_is_409_naming_it(api, label, users, named):
    credential = create(api, name=f"cred-{label}")
    if "webhook" in users:
        hook = api.post(
            "/webhooks",
            {"name": "inbound", "vendor": "loopback", "type": "inbound", "credentials_id": credential["id"]},
        )
        assert hook.status_code == 201, hook.json
    channel = api.post(
        "/channels", {"name": "sms-main", "credentials_id": credential["id"], "sender_number": "+14155550100"}
    )
    assert channel.status_code == 201, channel.json
    response = api.delete(f"/credentials/{credential['id']}")
    assert response.status_code == 409, response.json
    error = response.json["error"]
    assert error["code"] == "conflict"
    assert "concurrently" not in error["message"]
    for name in named:
        assert name in error["message"]
    assert error["details"]["channels"] == [channel.json["id"]]
    assert api.get(f"/credentials/{credential['id']}").status_code == 200
    # once nothing uses it, the credential can go
    assert api.delete(f"/channels/{channel.json['id']}").status_code == 204
    if "webhook" in users:
        assert api.delete(f"/webhooks/{hook.json['id']}").status_code == 204
    assert api.delete(f"/credentials/{credential['id']}").status_code == 204


def test_deleting_an_unused_credential_is_204_then_404(api):
    created = create(api)
    response = api.delete(f"/credentials/{created['id']}")
    assert response.status_code == 204
    assert response.data == b""
    for method in ("GET", "PATCH", "DELETE"):
        gone = api.request(method, f"/credentials/{created['id']}", {"account": "x"} if method == "PATCH" else None)
        assert gone.status_code == 404
        assert gone.json["error"]["code"] == "not_found"
    assert api.get("/credentials").json["items"] == []
    # the name is free again
    create(api)


@pytest.mark.parametrize("method", ["GET", "PATCH", "DELETE"])
def test_an_unknown_id_is_404(api, method):
    response = api.request(method, "/credentials/cred_0000000000000000", {} if method == "PATCH" else None)
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


def test_the_list_is_in_creation_order(api):
    ids = [create(api, name=f"c{i}")["id"] for i in range(3)]
    assert [c["id"] for c in api.get("/credentials").json["items"]] == ids


def test_preview_renders_the_send_request_without_sending(api):
    cred = api.post("/credentials", {"name": "c", "vendor": "loopback", "account": "A", "secret": "s"}).json
    answer = api.post(
        f"/credentials/{cred['id']}/preview",
        {"text": "Hi {first_name}", "to": "+14155550123", "from": "+14155550100", "profile": {"first_name": "Ada"}},
    )
    assert answer.status_code == 200, answer.json
    assert answer.json["request"]["body"] == {"to": "+14155550123", "from": "+14155550100", "text": "Hi Ada"}
    assert "s" not in answer.json["request"]["headers"]["Authorization"].split()[-1].replace("*", "")


def test_preview_reports_the_template_error_as_422(api):
    cred = api.post("/credentials", {"name": "c", "vendor": "loopback", "account": "A"}).json
    answer = api.post(f"/credentials/{cred['id']}/preview", {"text": "Hi {missing}"})
    assert answer.status_code == 422
    assert "missing" in answer.json["error"]["message"]
    assert answer.json["error"]["details"]["payload_template"]


def test_preview_of_another_sandbox_credential_is_404(api):
    cred = api.post("/credentials", {"name": "c", "vendor": "loopback", "account": "A"}).json
    assert api.in_sandbox("dev").post(f"/credentials/{cred['id']}/preview", {}).status_code == 404
