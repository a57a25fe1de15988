"""The admin API's errors: one JSON shape, the right status, never a 500.

``{"error": {"code", "message", "details"}}`` for 400 malformed JSON, 401, 404,
405, 409, 413, 415, 422; and a "garbage in" sweep over every route and method.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from support.api import Api, make_webhook, new_org, post_signed

from smshooks.apikeys import create_api_key

CODES = {
    400: "bad_request",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid",
}

# Every admin API route and method; {credential_id}, {webhook_id} and {message_id}
# are filled with ids that exist. test_the_route_table_is_complete keeps it whole.
ROUTES = [
    ("GET", "/credentials"),
    ("POST", "/credentials"),
    ("GET", "/credentials/{credential_id}"),
    ("PATCH", "/credentials/{credential_id}"),
    ("DELETE", "/credentials/{credential_id}"),
    ("POST", "/credentials/{credential_id}/preview"),
    ("GET", "/webhooks"),
    ("POST", "/webhooks"),
    ("GET", "/webhooks/{webhook_id}"),
    ("PATCH", "/webhooks/{webhook_id}"),
    ("DELETE", "/webhooks/{webhook_id}"),
    ("GET", "/inbound-messages"),
    ("GET", "/delivery-reports"),
    ("GET", "/messages/{message_id}"),
    ("GET", "/messages/{message_id}/calls"),
    ("GET", "/messages"),
    ("GET", "/plugins"),
    ("PUT", "/webhooks/{webhook_id}/keywords"),
    ("GET", "/webhooks/{webhook_id}/keywords"),
    ("POST", "/keywords/classify"),
    ("GET", "/replies"),
    ("POST", "/replies"),
    ("GET", "/replies/{reply_id}"),
    ("PATCH", "/replies/{reply_id}"),
    ("DELETE", "/replies/{reply_id}"),
    ("GET", "/consent"),
    ("GET", "/consent/{phone}"),
    ("PUT", "/consent/{phone}"),
    ("GET", "/profiles/{phone}"),
    ("PUT", "/profiles/{phone}"),
    ("GET", "/sandbox-settings"),
    ("PUT", "/sandbox-settings"),
    ("GET", "/channels"),
    ("POST", "/channels"),
    ("GET", "/channels/{channel_id}"),
    ("PATCH", "/channels/{channel_id}"),
    ("DELETE", "/channels/{channel_id}"),
    ("POST", "/messages"),
    ("GET", "/feedback-webhook"),
    ("POST", "/feedback-webhook"),
    ("PATCH", "/feedback-webhook"),
    ("DELETE", "/feedback-webhook"),
    ("POST", "/feedback-webhook/rotate-secret"),
    ("POST", "/feedback-webhook/test"),
    ("POST", "/feedback-webhook/enable"),
    ("GET", "/deliveries"),
    ("GET", "/deliveries/{delivery_id}"),
    ("POST", "/deliveries/{delivery_id}/replay"),
    ("POST", "/deliveries/replay"),
    ("GET", "/api-keys"),
    ("POST", "/api-keys"),
    ("DELETE", "/api-keys/{key_id}"),
]
BODY_ROUTES = [(method, path) for method, path in ROUTES if method in ("POST", "PATCH", "PUT")]
# {phone} is not an id: a malformed number is 422 (tested in test_api_consent.py)
ID_ROUTES = [(method, path) for method, path in ROUTES if "{" in path and "{phone}" not in path]
QUERY_ROUTES = [
    ("GET", "/inbound-messages"),
    ("GET", "/delivery-reports"),
    ("GET", "/consent"),
    ("GET", "/deliveries"),
    ("GET", "/messages"),
]

#: the JSON fields each body route reads (vendor fields of "loopback" included)
FIELDS = {
    "/credentials": ["name", "vendor", "account", "secret", "api_url"],
    "/credentials/{credential_id}": ["name", "vendor", "account", "secret", "api_url"],
    "/webhooks": ["name", "vendor", "type", "credentials_id", "sender_number"],
    "/webhooks/{webhook_id}": ["name", "type", "credentials_id", "sender_number"],
    "/credentials/{credential_id}/preview": ["text", "to", "from", "profile"],
    "/webhooks/{webhook_id}/keywords": [
        "categories",
        "fuzzy_opt_out",
        "default_reply_id",
        "compliance_profile",
        "locale_packs",
        "double_opt_in_expiry_hours",
        "double_opt_in_confirm_keyword",
        "reply_rate_limit_hours",
    ],
    "/keywords/classify": ["text", "webhook_id"],
    "/replies": ["name", "template"],
    "/replies/{reply_id}": ["name", "template"],
    "/consent/{phone}": ["sender_number", "state", "note"],
    "/profiles/{phone}": ["attributes"],
    "/sandbox-settings": ["consent_scope", "marketing_requires_opt_in"],
    "/channels": ["name", "credentials_id", "sender_number", "inbound_webhook_id", "feedback_webhook_id"],
    "/channels/{channel_id}": ["name", "credentials_id", "sender_number", "inbound_webhook_id", "feedback_webhook_id"],
    "/messages": ["channel_id", "campaign_id", "campaign_version_id", "text", "reply_id", "recipients"],
    "/feedback-webhook": ["name", "channels", "url", "auth", "headers", "signing_secret", "relay_inbound", "enabled"],
    "/feedback-webhook/rotate-secret": ["grace_period_seconds", "signing_secret"],
    "/feedback-webhook/test": [],
    "/feedback-webhook/enable": ["replay_missed"],
    "/deliveries/{delivery_id}/replay": [],
    "/deliveries/replay": ["since", "until", "status"],
    "/api-keys": ["name", "scopes", "expires_at"],
}

#: garbage some routes legitimately accept (a reply may be any text; a profile
#: attribute set may be any object): those answer normally, never 5xx
ACCEPTS = {
    "/replies": {"unicode", "control characters"},
    "/replies/{reply_id}": {"unicode", "control characters"},
    "/profiles/{phone}": {"objects"},
}


def assert_error(response, status: int) -> dict[str, Any]:
    """``response`` is the JSON error with ``status``; returns its ``error`` object."""
    assert response.status_code == status, (response.status_code, response.data[:500])
    assert response.mimetype == "application/json"
    body = json.loads(response.data)
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"code", "message", "details"}
    assert error["code"] == CODES[status]
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["details"], dict)
    assert b"Traceback" not in response.data
    return error


def make_ids(api: Api) -> dict[str, str]:
    """One existing credential, webhook, message, reply, channel, profile and delivery of the caller."""
    client = api.client
    hook = make_webhook(api)
    feedback = {"name": "fb", "channels": ["sms"], "url": "http://127.0.0.1:9/feedback"}
    assert api.post("/feedback-webhook", feedback).status_code == 201
    sent = post_signed(client, hook, {"reports": [{"id": "v1", "to": "+14155550123", "status": "sent"}]})
    assert sent.status_code == 200
    message_id = api.get("/delivery-reports").json["items"][0]["message_id"]
    reply_id = api.post("/replies", {"name": "first", "template": "hello"}).json["id"]
    channel = {"name": "first", "credentials_id": hook["credentials_id"], "sender_number": "+14155550100"}
    channel_id = api.post("/channels", channel).json["id"]
    api.request("PUT", "/profiles/+14155550123", {"attributes": {"first_name": "Ada"}})
    return {
        "credential_id": hook["credentials_id"],
        "webhook_id": hook["id"],
        "message_id": message_id,
        "reply_id": reply_id,
        "channel_id": channel_id,
        "delivery_id": api.get("/deliveries").json["items"][0]["id"],
        "phone": "+14155550123",
        "key_id": api.post("/api-keys", {"name": "second"}).json["id"],
    }


# One app and database per module (and backend): the cases are a table of
# requests, and building an app costs a hundred of them. A case whose request
# only gets an error changes nothing, so those share one organisation's objects
# (``shared``); a case that may change or delete something gets an organisation
# of its own (``fresh``), so no case sees another's changes, whatever the order.


@pytest.fixture(scope="module")
def shared(module_app, module_client) -> tuple[Api, dict[str, str]]:
    # API key ids are integers: key 1 is another organisation's, so the garbage id "1" is not ours
    create_api_key(module_app.extensions["smshooks"].db, new_org())
    api = Api(module_client, create_api_key(module_app.extensions["smshooks"].db, new_org()))
    return api, make_ids(api)


@pytest.fixture
def fresh(module_api) -> tuple[Api, dict[str, str]]:
    return module_api, make_ids(module_api)


def state(api: Api, path: str, ids: dict[str, str]) -> Any:
    """What GET ``path`` shows, less the keys' last use (noted by the requests themselves)."""
    shown = api.get(path.format(**ids)).json
    for item in shown.get("items", []) if isinstance(shown, dict) and path == "/api-keys" else []:
        item.pop("last_used_at", None)
    return shown


def url(path: str, ids: dict[str, str]) -> str:
    return "/api/v1" + path.format(**ids)


def send(api, method: str, path: str, data: Any, content_type: str | None = "application/json"):
    """A raw body, as bytes or text, to a full path."""
    return api.client.open(path, method=method, headers=api.headers(), data=data, content_type=content_type)


# --- each status, once, with its shape ---------------------------------------


def test_malformed_json_is_400(module_api):
    api = module_api
    error = assert_error(send(api, "POST", "/api/v1/credentials", '{"name": '), 400)
    assert error["details"]


def test_401(module_client):
    assert_error(module_client.get("/api/v1/webhooks"), 401)


@pytest.mark.parametrize("path", ["/api/v1/nope", "/api/v1/credentials/", "/api/v2/credentials", "/nope"])
def test_an_unknown_route_is_404(module_api, path):
    api = module_api
    assert_error(api.client.get(path, headers=api.headers()), 404)


@pytest.mark.parametrize("path", ["/credentials/cred_unknown", "/webhooks/wh_unknown", "/messages/msg_unknown"])
def test_an_unknown_id_is_404(module_api, path):
    api = module_api
    assert_error(api.get(path), 404)


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", "/credentials", {"GET", "POST"}),
        ("DELETE", "/credentials", {"GET", "POST"}),
        ("POST", "/credentials/{credential_id}", {"GET", "PATCH", "DELETE"}),
        ("PUT", "/webhooks/{webhook_id}", {"GET", "PATCH", "DELETE"}),
        ("POST", "/inbound-messages", {"GET"}),
        ("DELETE", "/messages/{message_id}", {"GET"}),
        ("POST", "/plugins", {"GET"}),
    ],
)
def test_a_wrong_method_is_405_with_allow(shared, method, path, allowed):
    api, ids = shared
    response = api.request(method, path.format(**ids), {"name": "x"})
    assert_error(response, 405)
    assert allowed <= {m.strip() for m in response.headers["Allow"].split(",")}


def test_a_conflict_is_409(shared):
    api, ids = shared
    assert_error(api.delete(f"/credentials/{ids['credential_id']}"), 409)


@pytest.mark.parametrize(("method", "path"), BODY_ROUTES)
def test_a_body_over_the_limit_is_413(shared, module_settings, method, path):
    api, ids = shared
    settings = module_settings
    body = json.dumps({"name": "x" * settings.max_body_bytes})
    assert_error(send(api, method, url(path, ids), body), 413)


@pytest.mark.parametrize(("method", "path"), BODY_ROUTES)
@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        ({"name": "x"}, None),  # a form, as curl -d sends by default
        ('{"name": "x"}', "text/plain"),
        ('{"name": "x"}', "application/xml"),
    ],
)
def test_a_body_that_is_not_json_is_415(shared, method, path, data, content_type):
    api, ids = shared
    before = state(api, path, ids)
    assert_error(send(api, method, url(path, ids), data, content_type), 415)
    assert state(api, path, ids) == before  # not read as an empty body


def test_invalid_fields_are_422_with_field_messages(module_api):
    api = module_api
    error = assert_error(api.post("/webhooks", {"name": "", "type": "sideways"}), 422)
    assert set(error["details"]) >= {"name", "type", "vendor", "credentials_id"}
    assert all(isinstance(messages, list) and messages for messages in error["details"].values())


# --- garbage in ----------------------------------------------------------------

#: (label, raw body, status): bodies that are not usable JSON objects
RAW_BODIES = [
    ("truncated", '{"name": ', 400),
    ("trailing garbage", '{"name": "x"} tail', 400),
    ("single quotes", "{'name': 'x'}", 400),
    ("not utf-8", b'{"name": "\xff\xfe"}', 400),
    ("nested too deep", "[" * 100_000, 400),
    ("nested too deep in a field", '{"name": ' + "[" * 100_000, 400),
    ("integer too long", '{"name": ' + "9" * 5000 + "}", 400),
    ("json array", "[1, 2, 3]", 422),
    ("array of objects", '[{"name": "x"}]', 422),
    ("null", "null", 422),
    ("string", '"name"', 422),
    ("number", "42", 422),
    ("boolean", "true", 422),
    ("lone surrogate", '{"name": "a\\ud800b"}', 422),
    ("nul character", '{"name": "a\\u0000b"}', 422),
    ("nul in a key", '{"na\\u0000me": "x"}', 422),
]

#: (label, value): every field of the route gets this value at once
FIELD_VALUES = [
    ("integers", 12345),
    ("floats", 1e308),
    ("booleans", True),
    ("lists", ["x"]),
    ("objects", {"x": 1}),
    ("nulls", None),
    ("huge strings", "x" * 100_000),
    ("unicode", "💥\u202e\u0301ﷺ名前"),
    ("nul", "\x00"),
    ("lone surrogate", "\ud800"),
    ("control characters", "\x01\x1b[31m\r\n"),
]
# a replay and a sample event read no fields: with every field filled, the body is still the empty object
ACCEPTS["/deliveries/{delivery_id}/replay"] = {label for label, _ in FIELD_VALUES}
ACCEPTS["/feedback-webhook/test"] = {label for label, _ in FIELD_VALUES}
ACCEPTS["/feedback-webhook/enable"] = {"booleans"}  # replay_missed: true


@pytest.mark.parametrize(("method", "path"), BODY_ROUTES)
@pytest.mark.parametrize(("label", "raw", "status"), RAW_BODIES, ids=[row[0] for row in RAW_BODIES])
def test_garbage_bodies(shared, method, path, label, raw, status):
    api, ids = shared
    before = state(api, path, ids)
    assert_error(send(api, method, url(path, ids), raw), status)
    assert state(api, path, ids) == before  # nothing changed


@pytest.mark.parametrize(("method", "path"), BODY_ROUTES)
@pytest.mark.parametrize(("label", "value"), FIELD_VALUES, ids=[row[0] for row in FIELD_VALUES])
def test_garbage_field_values(request, shared, method, path, label, value):
    # an accepted body changes things: that case gets an organisation of its own
    api, ids = request.getfixturevalue("fresh") if label in ACCEPTS.get(path, ()) else shared
    before = state(api, path, ids)
    body = dict.fromkeys(FIELDS[path], value)
    answer = api.request(method, path.format(**ids), body)
    if label in ACCEPTS.get(path, ()):
        assert answer.status_code < 300, answer.json
        return
    if path == "/keywords/classify" and label in ("unicode", "huge strings", "control characters"):
        assert_error(answer, 404 if label != "huge strings" else 422)  # an unknown webhook id / too long a text
        return
    assert_error(answer, 422)
    assert state(api, path, ids) == before


def valid_body(method: str, path: str, ids: dict[str, str]) -> dict[str, Any]:
    if method == "PATCH":
        return {}
    if path == "/credentials":
        return {"name": "second", "vendor": "loopback", "account": "A"}
    if path.endswith("/preview"):
        return {"text": "hello"}
    if method == "PUT" and path.endswith("/keywords"):
        return {}
    if path == "/keywords/classify":
        return {"text": "stop"}
    if path == "/replies":
        return {"name": "second", "template": "hi"}
    if path == "/consent/{phone}":
        return {"sender_number": "+14155550100", "state": "opted_out"}
    if path == "/profiles/{phone}":
        return {"attributes": {"first_name": "Ada"}}
    if path == "/sandbox-settings":
        return {"consent_scope": "number"}
    if path == "/channels":
        return {"name": "second", "credentials_id": ids["credential_id"], "sender_number": "+14155550111"}
    if path == "/messages":
        return {
            "channel_id": ids["channel_id"],
            "campaign_id": "cmp-1",
            "text": "hi",
            "recipients": [{"phone": "+14155550199"}],
        }
    if path == "/feedback-webhook":
        return {"name": "second", "channels": ["sms"], "url": "http://127.0.0.1:9/second"}
    if path == "/deliveries/replay":
        return {"since": "2020-01-01T00:00:00Z"}
    if path == "/api-keys":
        return {"name": "second"}
    if path.endswith(("/replay", "/rotate-secret", "/test", "/enable")):
        return {}
    return {"name": "second", "vendor": "loopback", "type": "inbound", "credentials_id": ids["credential_id"]}


@pytest.mark.parametrize(("method", "path"), BODY_ROUTES)
def test_unknown_fields_are_422(fresh, method, path):
    api, ids = fresh
    body = {**valid_body(method, path, ids), "💥": 1, "bogus": "x"}
    error = assert_error(api.request(method, path.format(**ids), body), 422)
    assert {"bogus", "💥"} <= set(error["details"])
    if (method, path) == ("POST", "/feedback-webhook"):
        assert api.delete(path).status_code == 204  # one per sandbox: make room for the valid body
    # the same body without them is fine
    assert api.request(method, path.format(**ids), valid_body(method, path, ids)).status_code < 300


@pytest.mark.parametrize(("method", "path"), ID_ROUTES)
@pytest.mark.parametrize(
    "bad_id",
    ["does-not-exist", "%00", "a%00b", "x" * 3000, "名前", "%ED%A0%80", "' OR '1'='1", "1", "-1", "%20"],
)
def test_garbage_ids_are_404(shared, method, path, bad_id):
    api, ids = shared
    bad = {key: bad_id for key in ids}
    # a body where one is required: without it the answer is 400, whatever the id
    body = {"name": "x"} if method == "PATCH" else {} if method == "PUT" else None
    assert_error(api.request(method, path.format(**bad), body), 404)


QUERY_GARBAGE = [
    "limit=abc",
    "limit=0",
    "limit=-5",
    "limit=1e3",
    "limit=999999999999999999999999",
    "limit=",
    "cursor=-1",
    "cursor=0",
    "cursor=abc",
    "cursor=99999999999999999999",
    "cursor=1.5",
    "webhook_id=%00",
    "phone=%00",
    "status=%00&limit=abc",
]


@pytest.mark.parametrize(("method", "path"), QUERY_ROUTES)
@pytest.mark.parametrize("query", QUERY_GARBAGE)
def test_garbage_query_parameters_are_422(shared, method, path, query):
    api = shared[0]  # an organisation with rows to list
    assert_error(api.request(method, f"{path}?{query}"), 422)


@pytest.mark.parametrize(("method", "path"), QUERY_ROUTES)
@pytest.mark.parametrize("query", ["phone=%FF%FE", "phone=💥", "webhook_id=" + "x" * 5000, "limit=1&limit=abc"])
def test_odd_but_harmless_query_parameters_answer_normally(shared, method, path, query):
    api = shared[0]  # an organisation with rows to list
    assert api.request(method, f"{path}?{query}").status_code == 200


SWEEP = [("raw", label, raw) for label, raw, _ in RAW_BODIES] + [
    ("fields", label, value) for label, value in FIELD_VALUES
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_no_garbage_gets_a_500_on_any_route(fresh, method, path):
    """Every route with every garbage body, query and id: a 4xx error or a normal answer."""
    api, ids = fresh
    attempts = []
    for kind, _label, garbage in SWEEP:
        if kind == "raw":
            attempts.append({"data": garbage, "content_type": "application/json"})
        else:
            fields = FIELDS.get(path, ["name"])
            attempts.append({"data": json.dumps(dict.fromkeys(fields, garbage)), "content_type": "application/json"})
    for query in QUERY_GARBAGE:
        attempts.append({"query_string": query})
    for bad_id in ("%00", "x" * 3000, "%ED%A0%80"):
        attempts.append({"ids": {key: bad_id for key in ids}})

    for attempt in attempts:
        target = url(path, attempt.pop("ids", ids))
        response = api.client.open(target, method=method, headers=api.headers(), **attempt)
        assert response.status_code < 500, (method, target, attempt, response.data[:300])
        if response.status_code >= 400:
            assert_error(response, response.status_code)


def test_the_route_table_is_complete(module_app):
    app = module_app
    documented = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/") and rule.endpoint.split(".")[0] not in ("api-docs", "api_docs_ui"):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
            documented |= {(method, path) for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert documented == set(ROUTES)


# --- the OpenAPI document ----------------------------------------------------------


def test_the_openapi_document_lists_the_api(module_client):
    response = module_client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = json.loads(response.data)
    assert document["openapi"].startswith("3.")
    expected = {
        "/api/v1/credentials": {"get", "post"},
        "/api/v1/credentials/{credential_id}": {"get", "patch", "delete"},
        "/api/v1/webhooks": {"get", "post"},
        "/api/v1/webhooks/{webhook_id}": {"get", "patch", "delete"},
        "/api/v1/inbound-messages": {"get"},
        "/api/v1/delivery-reports": {"get"},
        "/api/v1/messages/{message_id}": {"get"},
        "/api/v1/messages/{message_id}/calls": {"get"},
        "/api/v1/plugins": {"get"},
    }
    for path, methods in expected.items():
        assert path in document["paths"], path
        assert methods <= set(document["paths"][path]), path
    query = {p["name"] for p in document["paths"]["/api/v1/inbound-messages"]["get"]["parameters"]}
    assert {"limit", "cursor", "webhook_id", "phone"} <= query
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def ref(document: dict, node: dict) -> dict:
    """``node``, or what its ``$ref`` points to in ``document``."""
    while "$ref" in node:
        target = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def test_the_openapi_document_describes_the_error_shape(module_client):
    document = module_client.get("/api/v1/openapi.json").json
    operation = document["paths"]["/api/v1/webhooks/{webhook_id}"]["patch"]
    response = ref(document, operation["responses"]["default"])
    schema = ref(document, response["content"]["application/json"]["schema"])
    error = ref(document, schema["properties"]["error"])
    assert set(error["properties"]) == {"code", "message", "details"}
