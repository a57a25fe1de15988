"""``/api/v1/webhooks``: the URLs vendors call, each with a long unguessable id."""

from __future__ import annotations

import dataclasses

import pytest
from support import loopback
from support.api import Api, make_webhook, new_org, post_signed
from support.one_app import shared_api, shared_app, shared_client, shared_other_org_api, shared_settings  # noqa: F401

from smshooks.apikeys import create_api_key
from smshooks.hookspecs import hookimpl
from smshooks.web.app import create_app

PUBLIC_URL = "https://sms.example.test"
INBOUND = {"messages": [{"id": "m1", "from": "+14155550123", "to": "+14155550100", "text": "hi"}]}


class OtherVendor(loopback.LoopbackVendor):
    name = "othervendor"
    title = "Another vendor (tests)"


class OtherVendorPlugin:
    @hookimpl
    def smshooks_register_vendors(self) -> list:
        return [OtherVendor()]


# a second vendor, to give webhooks credentials of the wrong vendor (module_app reads this)
APP_PLUGINS = [loopback, OtherVendorPlugin()]


def credential(api, name: str = "cred", vendor: str = "loopback") -> str:
    response = api.post("/credentials", {"name": name, "vendor": vendor, "account": "A1", "secret": "s3cret"})
    assert response.status_code == 201, response.json
    return response.json["id"]


def webhook_body(credentials_id: str, /, **fields) -> dict:
    return {
        "name": "inbound",
        "vendor": "loopback",
        "type": "inbound",
        "credentials_id": credentials_id,
        "sender_number": "+14155550100",
        **fields,
    }


def assert_invalid(response, *fields: str) -> None:
    assert response.status_code == 422, response.json
    assert response.json["error"]["code"] == "invalid"
    assert set(fields) <= set(response.json["error"]["details"]), response.json


def test_create_answers_the_id_and_the_url_to_give_the_vendor(api):
    cred = credential(api)
    response = api.post("/webhooks", webhook_body(cred))
    assert response.status_code == 201
    hook = response.json
    assert hook["url"] == f"{PUBLIC_URL}/hooks/{hook['id']}"
    assert hook["name"] == "inbound"
    assert hook["vendor"] == "loopback"
    assert hook["type"] == "inbound"
    assert hook["credentials_id"] == cred
    assert hook["sender_number"] == "+14155550100"
    assert api.get(f"/webhooks/{hook['id']}").json == hook
    assert api.get("/webhooks").json["items"] == [hook]


def test_the_url_works_for_the_vendor(api, client):
    hook = make_webhook(api)
    path = hook["url"].removeprefix(PUBLIC_URL)
    assert path == f"/hooks/{hook['id']}"
    assert post_signed(client, hook, INBOUND).status_code == 200


def test_without_a_public_url_the_url_uses_the_host_the_admin_called(settings):
    app = create_app(dataclasses.replace(settings, public_url=None), plugins=[loopback])
    try:
        client = app.test_client()
        api = Api(client, create_api_key(app.extensions["smshooks"].db, new_org()))
        cred = api.post("/credentials", {"name": "c", "vendor": "loopback", "account": "A1"}).json["id"]
        response = client.post(
            "/api/v1/webhooks",
            json=webhook_body(cred),
            headers=api.headers(),
            base_url="http://gateway.internal:8080",
        )
        assert response.status_code == 201
        assert response.json["url"] == f"http://gateway.internal:8080/hooks/{response.json['id']}"
    finally:
        app.extensions["smshooks"].db.engine.dispose()


def test_webhook_ids_are_long_and_never_repeat(api):
    cred = credential(api)
    ids = [api.post("/webhooks", webhook_body(cred, name=f"h{i}")).json["id"] for i in range(20)]
    assert len(set(ids)) == len(ids)
    for webhook_id in ids:
        assert len(webhook_id) >= 32
    # no shared stem beyond a fixed prefix: the ids are random, not sequential
    assert len({webhook_id[3:11] for webhook_id in ids}) == len(ids)


@pytest.mark.parametrize("type_", ["inbound", "feedback"])
def test_both_types_can_be_created(api, type_):
    response = api.post("/webhooks", webhook_body(credential(api), type=type_))
    assert response.status_code == 201
    assert response.json["type"] == type_


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("+1 (415) 555-0100", "+14155550100"),
        ("14155550100", "+14155550100"),
        ("+44 20 7946 0000", "+442079460000"),
        ("12345", "12345"),  # a short code
        ("MyBrand", "MyBrand"),  # an alphanumeric sender id
        (None, None),
    ],
)
def test_the_sender_number_is_normalized(api, given, stored):
    response = api.post("/webhooks", webhook_body(credential(api), sender_number=given))
    assert response.status_code == 201, response.json
    assert response.json["sender_number"] == stored


def test_the_sender_number_is_optional(api):
    body = webhook_body(credential(api))
    del body["sender_number"]
    response = api.post("/webhooks", body)
    assert response.status_code == 201
    assert response.json["sender_number"] is None


@pytest.mark.parametrize(
    ("fields", "invalid"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": None}, "name"),
        ({"name": "a\x00b"}, "name"),
        ({"name": "a\ud800b"}, "name"),
        ({"type": "outbound"}, "type"),
        ({"type": "INBOUND"}, "type"),
        ({"vendor": "no-such-vendor"}, "vendor"),
        ({"credentials_id": "cred_0000000000000000"}, "credentials_id"),
        ({"credentials_id": 5}, "credentials_id"),
        ({"sender_number": ""}, "sender_number"),
        ({"sender_number": "+abc"}, "sender_number"),
        ({"sender_number": "+1"}, "sender_number"),
        ({"sender_number": "call me"}, "sender_number"),
        ({"sender_number": "TooLongSenderId"}, "sender_number"),
        ({"sender_number": "12"}, "sender_number"),
        ({"sender_number": "1" * 33}, "sender_number"),
        ({"url": "https://evil.test/"}, "url"),
        ({"id": "wh_chosen_by_me"}, "id"),
    ],
)
def test_create_validates_with_field_level_messages(api, fields, invalid):
    assert_invalid(api.post("/webhooks", webhook_body(credential(api), **fields)), invalid)
    assert api.get("/webhooks").json["items"] == []


@pytest.mark.parametrize("missing", ["name", "vendor", "type", "credentials_id"])
def test_required_fields(api, missing):
    body = webhook_body(credential(api))
    del body[missing]
    assert_invalid(api.post("/webhooks", body), missing)


def test_a_credential_of_another_vendor_is_422(api):
    other = credential(api, "other", vendor="othervendor")
    response = api.post("/webhooks", webhook_body(other))
    assert_invalid(response, "credentials_id")
    assert "othervendor" in response.json["error"]["details"]["credentials_id"][0]


def test_a_credential_of_another_sandbox_is_422(api):
    test_cred = credential(api.in_sandbox("test"))
    assert_invalid(api.post("/webhooks", webhook_body(test_cred)), "credentials_id")
    assert api.in_sandbox("test").post("/webhooks", webhook_body(test_cred)).status_code == 201


def test_a_credential_of_another_organisation_is_422(api, other_org_api):
    theirs = credential(other_org_api)
    response = api.post("/webhooks", webhook_body(theirs))
    assert_invalid(response, "credentials_id")
    # told apart from an unknown id in no way: the other org's ids stay secret
    unknown = api.post("/webhooks", webhook_body("cred_0000000000000000"))
    assert response.json["error"] == unknown.json["error"]


def test_a_duplicate_name_is_409(api):
    cred = credential(api)
    assert api.post("/webhooks", webhook_body(cred, name="same")).status_code == 201
    response = api.post("/webhooks", webhook_body(cred, name="same", type="feedback"))
    assert response.status_code == 409
    assert "name" in response.json["error"]["details"]
    assert len(api.get("/webhooks").json["items"]) == 1


@pytest.mark.parametrize(
    "patch",
    [
        {"name": "renamed"},
        {"type": "feedback"},
        {"sender_number": "+44 20 7946 0000"},
        {"sender_number": None},
        {"credentials_id": "<new credential>"},
        {"name": "all", "type": "feedback", "sender_number": "MyBrand", "credentials_id": "<new credential>"},
    ],
)
def test_edit_changes_the_fields_and_keeps_the_url(api, patch):
    hook = make_webhook(api)
    new_cred = credential(api, "second")
    patch = {key: new_cred if value == "<new credential>" else value for key, value in patch.items()}
    response = api.patch(f"/webhooks/{hook['id']}", patch)
    assert response.status_code == 200, response.json
    edited = response.json
    assert edited["id"] == hook["id"]
    assert edited["url"] == hook["url"]
    expected = {**hook, **patch}
    if patch.get("sender_number") == "+44 20 7946 0000":
        expected["sender_number"] = "+442079460000"
    for key in ("name", "type", "credentials_id", "sender_number", "vendor", "created_at"):
        assert edited[key] == expected[key], key
    assert api.get(f"/webhooks/{hook['id']}").json == edited


def test_the_vendor_uses_the_new_credential_after_an_edit(api, client):
    hook = make_webhook(api, secret="old")
    new_cred = api.post("/credentials", {"name": "new", "vendor": "loopback", "account": "A2", "secret": "new"})
    assert api.patch(f"/webhooks/{hook['id']}", {"credentials_id": new_cred.json["id"]}).status_code == 200
    assert post_signed(client, hook, INBOUND, secret="old").status_code == 403
    assert post_signed(client, hook, INBOUND, secret="new").status_code == 200


@pytest.mark.parametrize(
    ("patch", "invalid"),
    [
        ({"name": ""}, "name"),
        ({"name": None}, "name"),
        ({"name": "\x00"}, "name"),
        ({"name": "\udfff"}, "name"),
        ({"type": "both"}, "type"),
        ({"sender_number": "+abc"}, "sender_number"),
        ({"credentials_id": "cred_0000000000000000"}, "credentials_id"),
        ({"vendor": "othervendor"}, "vendor"),  # a webhook's vendor is fixed
        ({"url": "https://evil.test/"}, "url"),
    ],
)
def test_edit_validates_with_field_level_messages(api, patch, invalid):
    hook = make_webhook(api)
    assert_invalid(api.patch(f"/webhooks/{hook['id']}", patch), invalid)
    assert api.get(f"/webhooks/{hook['id']}").json == hook


def test_edit_refuses_a_credential_of_another_vendor_or_sandbox(api):
    hook = make_webhook(api)
    for cred in (credential(api, "other", vendor="othervendor"), credential(api.in_sandbox("test"))):
        assert_invalid(api.patch(f"/webhooks/{hook['id']}", {"credentials_id": cred}), "credentials_id")
    assert api.get(f"/webhooks/{hook['id']}").json == hook


def test_renaming_onto_a_taken_name_is_409(api):
    make_webhook(api, name="one")
    two = make_webhook(api, name="two")
    assert api.patch(f"/webhooks/{two['id']}", {"name": "one"}).status_code == 409
    assert api.patch(f"/webhooks/{two['id']}", {"name": "two"}).status_code == 200
    assert api.get(f"/webhooks/{two['id']}").json["name"] == "two"


def test_delete_makes_the_url_answer_404(api, client):
    hook = make_webhook(api)
    assert post_signed(client, hook, INBOUND).status_code == 200
    response = api.delete(f"/webhooks/{hook['id']}")
    assert response.status_code == 204
    assert response.data == b""
    gone = post_signed(client, hook, INBOUND)
    assert gone.status_code == 404
    assert gone.json["error"]["code"] == "not_found"
    assert api.get(f"/webhooks/{hook['id']}").status_code == 404
    assert api.patch(f"/webhooks/{hook['id']}", {"name": "x"}).status_code == 404
    assert api.delete(f"/webhooks/{hook['id']}").status_code == 404
    assert api.get("/webhooks").json["items"] == []


def test_delete_keeps_the_stored_messages(api, client):
    hook = make_webhook(api)
    assert post_signed(client, hook, INBOUND).status_code == 200
    assert api.delete(f"/webhooks/{hook['id']}").status_code == 204
    assert [m["text"] for m in api.get("/inbound-messages").json["items"]] == ["hi"]


def test_a_url_of_another_sandbox_or_org_cannot_be_deleted(api, other_org_api, client):
    hook = make_webhook(api)
    assert api.in_sandbox("test").delete(f"/webhooks/{hook['id']}").status_code == 404
    assert other_org_api.delete(f"/webhooks/{hook['id']}").status_code == 404
    assert post_signed(client, hook, INBOUND).status_code == 200


def test_a_webhook_in_a_sandbox_stamps_its_events_with_that_sandbox(api, client):
    hook = make_webhook(api.in_sandbox("test"))
    assert post_signed(client, hook, INBOUND).status_code == 200
    assert api.get("/inbound-messages").json["items"] == []
    assert len(api.in_sandbox("test").get("/inbound-messages").json["items"]) == 1


def test_the_list_is_in_creation_order(api):
    ids = [make_webhook(api, name=f"h{i}")["id"] for i in range(3)]
    assert [w["id"] for w in api.get("/webhooks").json["items"]] == ids
