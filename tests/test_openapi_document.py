"""The OpenAPI document says what the API does: vendor credential fields generated
from each plugin's schema, the CSV export, required bodies, the sandbox header."""

from __future__ import annotations

import json
import re

import pytest
from support import loopback
from support.api import make_webhook

from smshooks.web.api.openapi import SANDBOX_PARAMETER

METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture
def document(client) -> dict:
    return json.loads(client.get("/api/v1/openapi.json").data)


def resolve(document: dict, node: dict) -> dict:
    while "$ref" in node:
        target = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def operations(document: dict):
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item, item[method]


def test_the_credential_body_is_each_installed_vendors_fields(app, document):
    schemas = document["components"]["schemas"]
    body = resolve(
        document,
        document["paths"]["/api/v1/credentials"]["post"]["requestBody"]["content"]["application/json"]["schema"],
    )
    installed = sorted(app.extensions["smshooks"].plugins.vendors)
    assert body["discriminator"]["propertyName"] == "vendor"
    assert sorted(body["discriminator"]["mapping"]) == installed
    assert len(body["oneOf"]) == len(installed)
    variant = resolve(document, {"$ref": body["discriminator"]["mapping"]["loopback"]})
    vendor_fields = loopback.LoopbackCredentials().fields
    assert set(variant["properties"]) == {"name", "vendor", *vendor_fields}
    assert variant["properties"]["vendor"]["enum"] == ["loopback"]
    assert set(variant["required"]) == {"name", "vendor"} | {n for n, f in vendor_fields.items() if f.required}
    assert variant["additionalProperties"] is False
    patch = schemas["CredentialPatch"]
    assert len(patch["anyOf"]) == len(installed)
    answer = resolve(document, {"$ref": schemas["CredentialOut"]["discriminator"]["mapping"]["loopback"]})
    assert {"id", "created_at", *vendor_fields} <= set(answer["properties"])


def test_a_credential_the_api_answers_matches_its_documented_variant(api, document):
    created = api.post("/credentials", {"name": "c", "vendor": "loopback", "account": "A1", "secret": "s"}).json
    variant = resolve(
        document, {"$ref": document["components"]["schemas"]["CredentialOut"]["discriminator"]["mapping"]["loopback"]}
    )
    assert set(created) <= set(variant["properties"])
    assert created["secret"] == "********"


def test_webhook_vendors_are_the_installed_ones(app, document):
    vendor = document["components"]["schemas"]["WebhookIn"]["properties"]["vendor"]
    assert sorted(vendor["enum"]) == sorted(app.extensions["smshooks"].plugins.vendors)


def test_the_consent_export_is_documented_as_csv(api, document):
    content = document["paths"]["/api/v1/consent"]["get"]["responses"]["200"]["content"]
    assert set(content) == {"application/json", "text/csv"}
    answer = api.get("/consent?format=csv")
    assert answer.status_code == 200
    assert answer.mimetype in content


def test_every_operation_documents_the_sandbox_header_and_the_bearer_scheme(document):
    assert document["components"]["securitySchemes"]["bearer"] == {"type": "http", "scheme": "bearer"}
    assert document["security"] == [{"bearer": []}]
    header = document["components"]["parameters"][SANDBOX_PARAMETER]
    assert (header["in"], header["name"], header["required"]) == ("header", "X-Sandbox-Name", False)
    missing = [
        (method, path)
        for path, method, item, operation in operations(document)
        if {"$ref": f"#/components/parameters/{SANDBOX_PARAMETER}"}
        not in item.get("parameters", []) + operation.get("parameters", [])
    ]
    assert missing == []


def test_every_body_the_document_requires_is_required_by_the_api(api, document):
    """Each operation whose requestBody is required answers 400 without one (and
    changes nothing); each whose body is optional accepts none."""
    hook = make_webhook(api)
    assert (
        api.post("/feedback-webhook", {"name": "fb", "channels": ["sms"], "url": "http://127.0.0.1:9/f"}).status_code
        == 201
    )
    reply = api.post("/replies", {"name": "r", "template": "hi"}).json
    channel = api.post(
        "/channels", {"name": "c", "credentials_id": hook["credentials_id"], "sender_number": "+14155550100"}
    ).json
    ids = {
        "credential_id": hook["credentials_id"],
        "webhook_id": hook["id"],
        "reply_id": reply["id"],
        "channel_id": channel["id"],
        "phone": "+14155550123",
        "delivery_id": "fbd_nope",
    }
    checked = []
    for path, method, _item, operation in operations(document):
        if "requestBody" not in operation:
            continue
        url = path.removeprefix("/api/v1").format(**ids)
        before = api.get(url).data if "get" in document["paths"][path] else None
        answer = api.request(method.upper(), url)
        if operation["requestBody"]["required"]:
            assert answer.status_code == 400, (method, path, answer.json)
            assert answer.json["error"]["code"] == "bad_request"
            if before is not None:
                assert api.get(url).data == before, (method, path)
        else:
            assert answer.status_code != 400, (method, path, answer.json)
        checked.append((method, path, operation["requestBody"]["required"]))
    assert ("patch", "/api/v1/webhooks/{webhook_id}", True) in checked
    assert ("put", "/api/v1/webhooks/{webhook_id}/keywords", True) in checked
    assert ("post", "/api/v1/feedback-webhook/rotate-secret", False) in checked


@pytest.mark.parametrize(
    ("locate", "good", "bad"),
    [
        (lambda d: resolve(d, d["paths"]["/api/v1/profiles/{phone}"]["parameters"][1])["schema"], "+14155550123", "00"),
        (lambda d: d["components"]["schemas"]["RecipientIn"]["properties"]["phone"], "+14155550123", "0"),
        (lambda d: d["components"]["schemas"]["ChannelIn"]["properties"]["sender_number"], "+14155550100", "banana"),
        (lambda d: d["components"]["schemas"]["WebhookIn"]["properties"]["sender_number"], "ACME", "+abc"),
        (lambda d: d["components"]["schemas"]["RotateIn"]["properties"]["signing_secret"], "whsec_" + "A" * 32, "x"),
    ],
    ids=["phone in a path", "recipient", "channel sender", "webhook sender", "signing secret"],
)
def test_validation_rules_are_documented_as_patterns(document, locate, good, bad):
    pattern = re.compile(locate(document)["pattern"])
    assert pattern.search(good) and not pattern.search(bad)


def test_the_phone_path_parameter_is_documented_once(document):
    parameters = document["paths"]["/api/v1/consent/{phone}"]["parameters"]
    assert [p.get("name") for p in parameters if p.get("in") == "path"] == ["phone"]
