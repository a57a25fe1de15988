"""POST /hooks/<id>: authenticity, malformed input (a whole payload, one item of a batch), size, dedupe,
forward-only statuses."""

from __future__ import annotations

import itertools
import json
import logging
from dataclasses import replace

import pytest
from support import loopback, metrics
from support.api import Api, make_webhook, post_signed

from smshooks.events import DeliveryReport, Event, InboundMessage
from smshooks.hookspecs import hookimpl
from smshooks.settings import Settings
from smshooks.vendor import PartlyMalformed, PayloadError, Vendor, WebhookRequest, parse_items
from smshooks.web.app import create_app

INBOUND = {"id": "in-1", "from": "+14155550123", "to": "+14155550100", "text": "STOP"}


def report(status: str, msg_id: str = "out-1", to: str = "+14155550123") -> dict:
    return {"reports": [{"id": msg_id, "to": to, "status": status}]}


def inbound_items(api: Api) -> list[dict]:
    return api.get("/inbound-messages").json["items"]


def reports(api: Api) -> list[dict]:
    return api.get("/delivery-reports").json["items"]


def assert_error(response, status: int) -> dict:
    assert response.status_code == status, response.data
    assert response.is_json
    assert set(response.json["error"]) == {"code", "message", "details"}
    assert "Traceback" not in response.get_data(as_text=True)
    return response.json["error"]


def test_unknown_webhook_is_404(client):
    assert_error(client.post("/hooks/wh_nope", json={"messages": [INBOUND]}), 404)


def test_signed_inbound_is_stored_with_e164_numbers(api, client):
    hook = make_webhook(api)
    payload = {"messages": [{**INBOUND, "from": "14155550123", "to": "1 415 555 0100"}]}
    response = post_signed(client, hook, payload)
    assert response.status_code == 200
    [item] = inbound_items(api)
    assert (item["sender"], item["recipient"], item["text"]) == ("+14155550123", "+14155550100", "STOP")
    assert item["webhook_id"] == hook["id"]
    assert item["vendor_message_id"] == "in-1"
    assert item["raw"]["from"] == "14155550123"


@pytest.mark.parametrize(
    "case",
    ["missing signature", "wrong secret", "one changed byte"],
)
def test_unproven_requests_are_refused_and_store_nothing(api, client, case):
    hook = make_webhook(api)
    body = json.dumps({"messages": [INBOUND]}).encode()
    headers = {}
    if case == "wrong secret":
        headers[loopback.SIGNATURE_HEADER] = loopback.sign("other", body)
    elif case == "one changed byte":
        headers[loopback.SIGNATURE_HEADER] = loopback.sign("s3cret", body)
        body = body.replace(b"STOP", b"STOQ")
    response = client.post(f"/hooks/{hook['id']}", data=body, headers=headers, content_type="application/json")
    assert_error(response, 403)
    assert inbound_items(api) == []


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[1, 2]", json.dumps({"messages": [{"id": "x"}]}).encode(), b"\xff\xfe"],
    ids=["invalid json", "not an object", "missing fields", "not utf-8"],
)
def test_malformed_payloads_are_400(api, client, body):
    hook = make_webhook(api, secret=None)
    response = client.post(f"/hooks/{hook['id']}", data=body, content_type="application/json")
    assert_error(response, 400)
    assert inbound_items(api) == []


def test_body_over_the_limit_is_413(settings, api_key_for):
    from dataclasses import replace

    app = create_app(replace(settings, max_body_bytes=2048), plugins=[loopback])
    client = app.test_client()
    hook = make_webhook(Api(client, api_key_for(app)), secret=None)
    big = {"messages": [{**INBOUND, "text": "x" * 4096}]}
    assert_error(client.post(f"/hooks/{hook['id']}", json=big), 413)
    small = {"messages": [INBOUND]}
    assert client.post(f"/hooks/{hook['id']}", json=small).status_code == 200
    app.extensions["smshooks"].db.engine.dispose()


def test_the_same_delivery_twice_is_stored_once(api, client):
    hook = make_webhook(api)
    for _ in range(3):
        assert post_signed(client, hook, {"messages": [INBOUND]}).status_code == 200
        assert post_signed(client, hook, report("ok")).status_code == 200
    assert len(inbound_items(api)) == 1
    assert len(reports(api)) == 1


def test_a_batch_with_a_duplicate_stores_the_new_events(api, client):
    hook = make_webhook(api)
    post_signed(client, hook, {"messages": [INBOUND]})
    second = {**INBOUND, "id": "in-2", "text": "second"}
    assert post_signed(client, hook, {"messages": [INBOUND, second]}).status_code == 200
    assert [m["text"] for m in inbound_items(api)] == ["second", "STOP"]


def test_statuses_only_move_forward(api, client):
    hook = make_webhook(api, type_="feedback")
    for status in ("sent", "ok", "sent"):
        assert post_signed(client, hook, report(status)).status_code == 200
    stored = reports(api)
    assert [r["status"] for r in stored] == ["delivered", "sent"]  # the late duplicate "sent" stored once
    message = api.get(f"/messages/{stored[0]['message_id']}").json
    assert message["status"] == "delivered"
    assert [r["vendor_status"] for r in message["reports"]] == ["sent", "ok"]
    # read follows delivered
    post_signed(client, hook, report("read"))
    assert api.get(f"/messages/{stored[0]['message_id']}").json["status"] == "read"


def test_late_sent_after_delivered_leaves_delivered(api, client):
    hook = make_webhook(api, type_="feedback")
    post_signed(client, hook, report("ok"))
    post_signed(client, hook, report("sent"))
    [latest, first] = reports(api)
    assert (first["status"], latest["status"]) == ("delivered", "sent")
    assert api.get(f"/messages/{first['message_id']}").json["status"] == "delivered"


def test_an_undocumented_status_is_stored_as_unknown_and_answered_200(api, client):
    hook = make_webhook(api, type_="feedback")
    response = post_signed(client, hook, report("WEIRD_NEW_STATUS"))
    assert response.status_code == 200
    [stored] = reports(api)
    assert (stored["status"], stored["vendor_status"]) == ("unknown", "WEIRD_NEW_STATUS")
    # a known status afterwards still moves the message on
    post_signed(client, hook, report("sent"))
    assert api.get(f"/messages/{stored['message_id']}").json["status"] == "sent"


def test_a_missing_vendor_plugin_is_503_so_the_vendor_retries(settings, api_key_for):
    app = create_app(settings, plugins=[loopback])
    hook = make_webhook(Api(app.test_client(), api_key_for(app)), secret=None)
    app.extensions["smshooks"].db.engine.dispose()
    without = create_app(settings)  # the loopback plugin is gone
    response = without.test_client().post(f"/hooks/{hook['id']}", json={"messages": [INBOUND]})
    assert_error(response, 503)
    assert response.headers["Retry-After"]
    without.extensions["smshooks"].db.engine.dispose()


def test_a_changed_secret_key_is_503_until_the_secrets_are_entered_again(settings, api_key_for):
    """The server's secret key is not the one the credential's secrets were sealed with: the vendor
    is answered 503 (it retries: the STOP it carries is not lost); the admin API lists the credential
    with its secrets unreadable, and once they are entered again the vendor's retry is taken."""
    app = create_app(settings, plugins=[loopback])
    key = api_key_for(app)
    hook = make_webhook(Api(app.test_client(), key))  # a credential with a sealed secret
    app.extensions["smshooks"].db.engine.dispose()
    other = create_app(replace(settings, secret_key="not-the-key-it-was-sealed-with"), plugins=[loopback])
    try:
        response = post_signed(other.test_client(), hook, {"messages": [INBOUND]})
        error = assert_error(response, 503)
        assert error["code"] == "secrets_unreadable" and response.headers["Retry-After"]
        # the admin API still lists it, says its secrets are unreadable, and takes them again
        api = Api(other.test_client(), key)
        [listed] = api.get("/credentials").json["items"]
        assert (listed["secrets_readable"], listed["secret"], listed["account"]) == (False, None, "A1")
        assert api.get(f"/credentials/{listed['id']}").json["secrets_readable"] is False
        refused = api.patch(f"/credentials/{listed['id']}", {"name": "renamed"})  # the secret is required
        assert refused.status_code == 422 and "secret" in refused.json["error"]["details"], refused.json
        entered = api.patch(f"/credentials/{listed['id']}", {"secret": "s3cret"})
        assert entered.status_code == 200 and entered.json["secrets_readable"] is True, entered.json
        # sealed with this server's key now: the vendor's next try is taken (the STOP stored once)
        assert post_signed(other.test_client(), hook, {"messages": [INBOUND]}).status_code == 200
        assert [item["text"] for item in api.get("/inbound-messages").json["items"]] == ["STOP"]
    finally:
        other.extensions["smshooks"].db.engine.dispose()


def test_an_unavailable_database_is_503_not_4xx(tmp_path):
    settings = Settings(
        data_dir=tmp_path,
        database_url="postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=1",
        secret_key="k",
    ).resolved()
    app = create_app(settings, plugins=[loopback], create_schema=False)
    response = app.test_client().post("/hooks/wh_anything", json={"messages": [INBOUND]})
    assert_error(response, 503)


def test_get_requests_reach_the_vendor_too(api, client):
    hook = make_webhook(api, secret=None)
    response = client.get(f"/hooks/{hook['id']}?x=1")
    assert_error(response, 400)  # the loopback vendor has no GET format


@pytest.mark.parametrize(
    ("text", "stored"),
    [("ST\x00OP", "ST\ufffdOP"), ("hi \ud800 there", "hi \ufffd there")],
    ids=["NUL", "lone surrogate"],
)
def test_unencodable_characters_in_text_are_replaced_not_refused(api, client, text, stored):
    hook = make_webhook(api, secret=None)
    body = json.dumps({"messages": [{**INBOUND, "text": text}]})  # JSON escapes keep the raw characters
    response = client.post(f"/hooks/{hook['id']}", data=body, content_type="application/json")
    assert response.status_code == 200, response.data
    assert [m["text"] for m in inbound_items(api)] == [stored]


@pytest.mark.parametrize(
    "message",
    [{**INBOUND, "id": "x" * 201}, {**INBOUND, "id": "a\x00b"}, {**INBOUND, "from": "+1" + "5" * 80}],
    ids=["id too long", "NUL in id", "sender too long"],
)
def test_unstorable_identifiers_are_400(api, client, message):
    hook = make_webhook(api, secret=None)
    response = client.post(
        f"/hooks/{hook['id']}", data=json.dumps({"messages": [message]}), content_type="application/json"
    )
    assert_error(response, 400)
    assert inbound_items(api) == []


def test_an_unstorable_webhook_id_is_404(client):
    assert_error(client.post("/hooks/wh_%00x", json={"messages": [INBOUND]}), 404)


def test_more_events_than_the_host_takes_per_request_is_413_and_stores_nothing(settings, api_key_for):
    from dataclasses import replace

    app = create_app(replace(settings, max_events_per_request=2), plugins=[loopback])
    client = app.test_client()
    api = Api(client, api_key_for(app))
    hook = make_webhook(api, secret=None)
    three = {"messages": [{**INBOUND, "id": f"in-{n}"} for n in range(3)]}
    error = assert_error(client.post(f"/hooks/{hook['id']}", json=three), 413)
    assert "at most 2" in error["message"]
    assert inbound_items(api) == []
    two = {"messages": [{**INBOUND, "id": f"in-{n}"} for n in range(2)]}
    assert client.post(f"/hooks/{hook['id']}", json=two).status_code == 200
    assert len(inbound_items(api)) == 2
    app.extensions["smshooks"].db.engine.dispose()


def all_items(api: Api, path: str, **query) -> list[dict]:
    """Every item of a paginated list, following next_cursor."""
    items, cursor = [], None
    while True:
        answer = api.get(path, query_string={**query, "limit": 200, **({"cursor": cursor} if cursor else {})}).json
        items += answer["items"]
        cursor = answer["next_cursor"]
        if cursor is None:
            return items


def test_a_batch_larger_than_one_chunk_is_stored_whole_and_a_retry_changes_nothing(api, client):
    """250 STOPs in one request are stored across several transactions (chunks of
    100): every one is opted out, with its confirmation reply, before the 200; the
    vendor's retry of the same request stores, changes and sends nothing more."""
    hook = make_webhook(api)
    stops = {
        "messages": [
            {"id": f"in-{n}", "from": f"+1415555{n:04d}", "to": "+14155550100", "text": "STOP"} for n in range(250)
        ]
    }
    assert post_signed(client, hook, stops).status_code == 200
    assert len(all_items(api, "/consent", state="opted_out")) == 250
    stored = all_items(api, "/inbound-messages")
    assert len(stored) == 250
    assert {item["keyword_event"]["action"] for item in stored} == {"opt_out"}
    assert all(item["keyword_event"]["reply_text"] for item in stored)

    assert post_signed(client, hook, stops).status_code == 200
    assert all_items(api, "/inbound-messages") == stored
    assert len(all_items(api, "/consent", state="opted_out")) == 250


def test_a_sqlite_file_locked_by_another_process_is_503_and_the_retry_stores_once(app, api, client):
    """Another process holding SQLite's write lock past the busy timeout: the vendor is asked to retry
    (503), never answered 500 (which some vendors, Twilio among them, do not retry)."""
    import sqlite3

    from sqlalchemy import event
    from sqlalchemy.engine import make_url

    db = app.extensions["smshooks"].db
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's file lock")
    hook = make_webhook(api, secret=None)
    event.listen(db.engine, "connect", lambda dbapi_connection, _: dbapi_connection.execute("PRAGMA busy_timeout=200"))
    db.engine.dispose()  # connections made from now on wait 0.2 s, not 30 s
    other = sqlite3.connect(make_url(str(db.engine.url)).database, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        assert_error(client.post(f"/hooks/{hook['id']}", json={"messages": [INBOUND]}), 503)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert client.post(f"/hooks/{hook['id']}", json={"messages": [INBOUND]}).status_code == 200
    assert [m["vendor_message_id"] for m in inbound_items(api)] == ["in-1"]


# -- a batch with malformed items: the others are stored, the bad ones reported --------------------


class BatchVendor(loopback.LoopbackVendor):
    """The loopback vendor reading a ``{"results": [...]}`` batch item by item, as a batching
    vendor's plugin does (``parse_items``): Infobip's shape, in small."""

    name = "batch"
    title = "Batch (tests)"

    def parse(self, request: WebhookRequest) -> list[Event]:
        payload = request.json()
        if not isinstance(payload, dict) or not isinstance(payload.get("results"), list):
            raise PayloadError("no results list")
        if payload.get("miscount"):  # a plugin bug: its own account of the batch does not add up
            raise PartlyMalformed([], [(0, 42)], indexes=[0])
        return parse_items(payload["results"], lambda item: self.item(item, request))

    def item(self, item: object, request: WebhookRequest) -> Event:
        if not isinstance(item, dict):
            raise PayloadError("a result is not an object")
        for name in ("id", "to") if "status" in item else ("id", "from", "to") if "text" in item else ():
            if not isinstance(item.get(name), str):
                raise PayloadError(f"missing {name}")
        if "status" in item:
            status = str(item["status"])
            return DeliveryReport(
                vendor=self.name,
                vendor_message_id=item["id"],
                recipient=item["to"],
                status=self.map_status(status),
                vendor_status=status,
                final=self.is_final(status),
                occurred_at=request.received_at,
                raw=item,
            )
        if "text" in item:
            if not isinstance(item["text"], str):
                raise PayloadError(f"text is not a string: {item['text']!r}")
            return InboundMessage(
                vendor=self.name,
                vendor_message_id=item["id"],
                sender=item["from"],
                recipient=item["to"],
                text=item["text"],
                received_at=request.received_at,
                # unchecked: the plugin bug an odd item ("parts": "two") runs into
                segments=int(item.get("parts", 1)),
                raw=item,
            )
        raise PayloadError("a result is neither a delivery report (status) nor an inbound message (text)")


class BatchPlugin:
    @hookimpl
    def smshooks_register_vendors(self) -> list[Vendor]:
        return [BatchVendor()]


#: the module's shared app (``module_app``) has the batch vendor too
APP_PLUGINS = [loopback, BatchPlugin()]
OUR_NUMBER = "+14155550100"
_subscribers = itertools.count(1)


def stop_from(subscriber: str, message_id: str) -> dict:
    return {"id": message_id, "from": subscriber, "to": OUR_NUMBER, "text": "STOP"}


#: (label, a malformed item, what the answer says of it)
BAD_ITEMS = [
    ("missing from", {"id": "bad", "to": OUR_NUMBER, "text": "STOP"}, "missing from"),
    (
        "id longer than its column",
        {"id": "x" * 201, "from": "+14155559999", "to": OUR_NUMBER, "text": "STOP"},
        "vendor_message_id is longer than 200 characters",
    ),
    ("text a number", {"id": "bad", "from": "+14155559999", "to": OUR_NUMBER, "text": 42}, "text is not a string"),
    ("neither report nor message", {"id": "bad", "to": OUR_NUMBER}, "neither a delivery report"),
    ("not an object", "STOP", "a result is not an object"),
    (
        "a plugin bug on an odd item",
        {"id": "bad", "from": "+14155559999", "to": OUR_NUMBER, "text": "STOP", "parts": "two"},
        "ValueError",
    ),
]


def batch_webhook(api: Api) -> dict:
    cred = api.post("/credentials", {"name": "batch", "vendor": "batch", "account": "A1"})
    assert cred.status_code == 201, cred.json
    hook = api.post(
        "/webhooks",
        {"name": "batch", "vendor": "batch", "type": "inbound", "credentials_id": cred.json["id"]}
        | {"sender_number": OUR_NUMBER},
    )
    assert hook.status_code == 201, hook.json
    return hook.json


@pytest.mark.parametrize(("label", "bad", "error"), BAD_ITEMS, ids=[label for label, _, _ in BAD_ITEMS])
def test_a_malformed_item_does_not_cost_the_stop_beside_it(module_api, module_client, label, bad, error):
    """Vendors do not retry a 4xx: the STOP is stored and the subscriber opted out, the vendor
    answered 200, and the answer names the item that was not stored and why."""
    hook = batch_webhook(module_api)
    subscriber = f"+1415556{next(_subscribers):04d}"
    before = metrics.scrape(module_client)
    answer = module_client.post(f"/hooks/{hook['id']}", json={"results": [stop_from(subscriber, "stop-1"), bad]})
    assert answer.status_code == 200, answer.data
    [refused] = answer.json["refused"]
    assert refused["index"] == 1 and error in refused["error"], refused
    assert [m["vendor_message_id"] for m in module_api.get("/inbound-messages").json["items"]] == ["stop-1"]
    [consent] = module_api.get(f"/consent/{subscriber}").json["senders"]
    assert consent["state"] == "opted_out"
    moved = metrics.moved(before, metrics.scrape(module_client), "smshooks_refused_items_total", vendor="batch")
    assert moved == 1


@pytest.mark.parametrize(
    "bad",
    [[bad] for _, bad, _ in BAD_ITEMS] + [[bad for _, bad, _ in BAD_ITEMS]],
    ids=[label for label, _, _ in BAD_ITEMS] + ["every kind at once"],
)
def test_a_batch_of_only_malformed_items_is_400_and_stores_nothing(module_api, module_client, bad):
    hook = batch_webhook(module_api)
    assert_error(module_client.post(f"/hooks/{hook['id']}", json={"results": bad}), 400)
    assert module_api.get("/inbound-messages").json["items"] == []


def test_each_refused_item_is_logged_without_its_number_or_text(module_api, module_client, caplog):
    hook = batch_webhook(module_api)
    items = [
        {"id": "bad-0", "to": OUR_NUMBER, "text": "secret words"},
        stop_from("+14155557777", "stop-1"),
        {"id": "x" * 201, "from": "+14155558888", "to": OUR_NUMBER, "text": "more secret words"},
    ]
    with caplog.at_level(logging.WARNING, logger="smshooks.inbound.receive"):
        answer = module_client.post(f"/hooks/{hook['id']}", json={"results": items})
    assert answer.status_code == 200, answer.data
    assert [item["index"] for item in answer.json["refused"]] == [0, 2]
    lines = [r.getMessage() for r in caplog.records if r.name == "smshooks.inbound.receive" and "refused" in r.message]
    assert len(lines) == 2
    assert all(hook["id"] in line and "batch item" in line for line in lines)
    assert "item 0 refused" in lines[0] and "missing from" in lines[0]
    assert "item 2 refused" in lines[1] and "longer than 200" in lines[1]
    assert not any(word in line for line in lines for word in ("secret", "4155558888", "4155557777"))


def test_a_plugins_partlymalformed_that_does_not_add_up_is_a_400_not_a_500(module_api, module_client):
    hook = batch_webhook(module_api)
    answer = module_client.post(f"/hooks/{hook['id']}", json={"results": [], "miscount": True})
    assert answer.status_code == 400, answer.data
    assert "does not add up" in answer.get_json()["error"]["message"]
