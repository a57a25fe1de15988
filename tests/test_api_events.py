"""Listing stored events: ``/inbound-messages``, ``/delivery-reports`` and ``/messages/<id>``,
newest first, cursor-paginated, filtered and scoped. Events arrive the way a vendor sends
them: signed POSTs to the webhook URL."""

from __future__ import annotations

import pytest
from support.api import make_webhook, post_signed
from support.one_app import shared_api, shared_app, shared_client, shared_other_org_api, shared_settings  # noqa: F401

SUBSCRIBER = "+14155550123"
OTHER_SUBSCRIBER = "+442079460000"


def inbound(client, hook, *texts: str, sender: str = SUBSCRIBER, first_id: int = 0) -> None:
    for n, body in enumerate(texts, start=first_id):
        messages = [{"id": f"{hook['id']}-m{n}", "from": sender, "to": "+14155550100", "text": body}]
        response = post_signed(client, hook, {"messages": messages})
        assert response.status_code == 200, response.data


def report(client, hook, vendor_message_id: str, status: str, to: str = SUBSCRIBER) -> None:
    response = post_signed(client, hook, {"reports": [{"id": vendor_message_id, "to": to, "status": status}]})
    assert response.status_code == 200, response.data


def texts(response) -> list[str]:
    assert response.status_code == 200, response.json
    return [item["text"] for item in response.json["items"]]


def walk(api, path: str, limit: int, **filters: str) -> list[list[dict]]:
    """Every page of a list, following next_cursor."""
    pages, cursor = [], None
    while True:
        query = {"limit": limit, **filters} | ({"cursor": cursor} if cursor is not None else {})
        body = api.get(path, query_string=query).json
        pages.append(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages
        assert len(pages) < 100, "next_cursor never ends"


def test_inbound_messages_are_listed_newest_first(api, client):
    hook = make_webhook(api)
    inbound(client, hook, "first", "second", "third")
    listed = api.get("/inbound-messages")
    assert texts(listed) == ["third", "second", "first"]
    newest = listed.json["items"][0]
    assert newest["webhook_id"] == hook["id"]
    assert newest["vendor"] == "loopback"
    assert newest["sender"] == SUBSCRIBER
    assert newest["recipient"] == "+14155550100"
    assert listed.json["next_cursor"] is None


def test_delivery_reports_are_listed_newest_first(api, client):
    hook = make_webhook(api, type_="feedback")
    report(client, hook, "v1", "sent")
    report(client, hook, "v2", "fail")
    report(client, hook, "v1", "ok")
    listed = api.get("/delivery-reports").json
    assert [(r["vendor_message_id"], r["vendor_status"], r["status"]) for r in listed["items"]] == [
        ("v1", "ok", "delivered"),
        ("v2", "fail", "bounce"),
        ("v1", "sent", "sent"),
    ]
    assert listed["next_cursor"] is None


@pytest.mark.parametrize(("count", "limit"), [(5, 2), (4, 2), (3, 1), (3, 3), (3, 50)])
def test_pages_cover_every_message_once_in_order(api, client, count, limit):
    hook = make_webhook(api)
    inbound(client, hook, *[f"t{i}" for i in range(count)])
    pages = walk(api, "/inbound-messages", limit)
    assert all(len(page) <= limit for page in pages)
    assert all(pages), "no empty page is served"
    assert [m["text"] for page in pages for m in page] == [f"t{i}" for i in reversed(range(count))]


def test_delivery_reports_paginate(api, client):
    hook = make_webhook(api, type_="feedback")
    for i in range(5):
        report(client, hook, f"v{i}", "sent")
    pages = walk(api, "/delivery-reports", 2)
    assert [len(page) for page in pages] == [2, 2, 1]
    assert [r["vendor_message_id"] for page in pages for r in page] == ["v4", "v3", "v2", "v1", "v0"]


def test_the_default_page_is_50(api, client):
    hook = make_webhook(api)
    inbound(client, hook, *[f"t{i}" for i in range(51)])
    first = api.get("/inbound-messages").json
    assert len(first["items"]) == 50
    assert texts(api.get("/inbound-messages", query_string={"cursor": first["next_cursor"]})) == ["t0"]


def test_messages_arriving_between_pages_neither_repeat_nor_shift(api, client):
    hook = make_webhook(api)
    inbound(client, hook, "t0", "t1", "t2", "t3")
    first = api.get("/inbound-messages", query_string={"limit": 2}).json
    assert [m["text"] for m in first["items"]] == ["t3", "t2"]
    inbound(client, hook, "new", first_id=10)
    second = api.get("/inbound-messages", query_string={"limit": 2, "cursor": first["next_cursor"]})
    assert texts(second) == ["t1", "t0"]
    assert texts(api.get("/inbound-messages", query_string={"limit": 1})) == ["new"]


def test_filter_inbound_by_webhook(api, client):
    one, two = make_webhook(api, name="one"), make_webhook(api, name="two")
    inbound(client, one, "to one")
    inbound(client, two, "to two")
    assert texts(api.get("/inbound-messages", query_string={"webhook_id": one["id"]})) == ["to one"]
    assert texts(api.get("/inbound-messages", query_string={"webhook_id": two["id"]})) == ["to two"]
    assert texts(api.get("/inbound-messages", query_string={"webhook_id": "wh_unknown"})) == []


@pytest.mark.parametrize(
    "phone",
    [SUBSCRIBER, "+1 (415) 555-0123", "1 415 555 0123", "14155550123", "tel:+14155550123", " +14155550123 "],
)
def test_filter_inbound_by_phone_normalizes_the_filter(api, client, phone):
    hook = make_webhook(api)
    inbound(client, hook, "mine", sender=SUBSCRIBER)
    inbound(client, hook, "theirs", sender=OTHER_SUBSCRIBER, first_id=1)
    assert texts(api.get("/inbound-messages", query_string={"phone": phone})) == ["mine"]


def test_an_unencoded_plus_in_the_phone_filter_still_matches(api, client):
    # "?phone=+1415..." decodes the "+" as a space; the number is the same
    hook = make_webhook(api)
    inbound(client, hook, "mine")
    assert texts(api.get("/inbound-messages?phone=+14155550123")) == ["mine"]


def test_the_phone_filter_matches_the_recipient_of_inbound_messages_too(api, client):
    hook = make_webhook(api)
    inbound(client, hook, "hello")
    assert texts(api.get("/inbound-messages", query_string={"phone": "+1 415 555 0100"})) == ["hello"]
    assert texts(api.get("/inbound-messages", query_string={"phone": "+1 415 555 0199"})) == []


def test_filters_combine_with_pagination(api, client):
    one, two = make_webhook(api, name="one"), make_webhook(api, name="two")
    for i in range(3):
        inbound(client, one, f"one-{i}", first_id=i)
        inbound(client, two, f"two-{i}", first_id=i)
    pages = walk(api, "/inbound-messages", 2, webhook_id=one["id"])
    assert [[m["text"] for m in page] for page in pages] == [["one-2", "one-1"], ["one-0"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ["v2/ok", "v1/fail", "v1/sent"]),
        ({"phone": "+1 (415) 555-0123"}, ["v1/fail", "v1/sent"]),
        ({"phone": "44 20 7946 0000"}, ["v2/ok"]),
        ({"vendor_message_id": "v1"}, ["v1/fail", "v1/sent"]),
        ({"status": "bounce"}, ["v1/fail"]),
        ({"status": "delivered", "phone": SUBSCRIBER}, []),
        ({"webhook_id": "wh_unknown"}, []),
    ],
)
def test_filter_delivery_reports(api, client, query, expected):
    hook = make_webhook(api, type_="feedback")
    report(client, hook, "v1", "sent")
    report(client, hook, "v1", "fail")
    report(client, hook, "v2", "ok", to=OTHER_SUBSCRIBER)
    listed = api.get("/delivery-reports", query_string=query)
    assert listed.status_code == 200
    assert [f"{r['vendor_message_id']}/{r['vendor_status']}" for r in listed.json["items"]] == expected


def test_filter_delivery_reports_by_webhook(api, client):
    one, two = make_webhook(api, name="one", type_="feedback"), make_webhook(api, name="two", type_="feedback")
    report(client, one, "v1", "sent")
    report(client, two, "v2", "sent")
    listed = api.get("/delivery-reports", query_string={"webhook_id": two["id"]}).json["items"]
    assert [r["vendor_message_id"] for r in listed] == ["v2"]


@pytest.mark.parametrize("path", ["/inbound-messages", "/delivery-reports"])
def test_events_are_invisible_from_other_sandboxes_and_organisations(api, other_org_api, client, path):
    hook = make_webhook(api)
    inbound(client, hook, "secret")
    report(client, hook, "v1", "sent")
    assert len(api.get(path).json["items"]) == 1
    for outsider in (api.in_sandbox("test"), other_org_api, other_org_api.in_sandbox("test")):
        assert outsider.get(path).json["items"] == []
        # naming the webhook does not reach across the scope either
        assert outsider.get(path, query_string={"webhook_id": hook["id"]}).json["items"] == []
        assert outsider.get(path, query_string={"phone": SUBSCRIBER}).json["items"] == []


def test_a_cursor_does_not_reach_across_scopes(api, other_org_api, client):
    mine = make_webhook(api)
    theirs = make_webhook(other_org_api)
    inbound(client, theirs, "theirs-0", "theirs-1")
    inbound(client, mine, "mine-0", "mine-1", "mine-2")
    inbound(client, theirs, "theirs-2", first_id=2)
    assert [m["text"] for page in walk(api, "/inbound-messages", 1) for m in page] == ["mine-2", "mine-1", "mine-0"]
    assert [m["text"] for page in walk(other_org_api, "/inbound-messages", 2) for m in page] == [
        "theirs-2",
        "theirs-1",
        "theirs-0",
    ]


def message_id(api) -> str:
    return api.get("/delivery-reports").json["items"][0]["message_id"]


def test_a_message_shows_its_forward_only_status_and_every_report(api, client):
    hook = make_webhook(api, type_="feedback")
    report(client, hook, "v1", "ok")
    report(client, hook, "v1", "sent")  # late: does not move the status back
    response = api.get(f"/messages/{message_id(api)}")
    assert response.status_code == 200
    message = response.json
    assert message["vendor"] == "loopback"
    assert message["vendor_message_id"] == "v1"
    assert message["recipient"] == SUBSCRIBER
    assert message["status"] == "delivered"
    assert [r["vendor_status"] for r in message["reports"]] == ["ok", "sent"]  # oldest first


def test_a_message_is_invisible_from_other_sandboxes_and_organisations(api, other_org_api, client):
    report(client, make_webhook(api, type_="feedback"), "v1", "sent")
    msg = message_id(api)
    for outsider in (api.in_sandbox("test"), other_org_api):
        response = outsider.get(f"/messages/{msg}")
        assert response.status_code == 404
        assert response.json["error"]["code"] == "not_found"


@pytest.mark.parametrize("msg", ["msg_000000000000000000000000", "1", "x" * 500, "名前"])
def test_an_unknown_message_is_404(api, msg):
    response = api.get(f"/messages/{msg}")
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


@pytest.mark.parametrize("path", ["/inbound-messages", "/delivery-reports"])
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"limit": "abc"}, "limit"),
        ({"limit": "0"}, "limit"),
        ({"limit": "201"}, "limit"),
        ({"limit": "-1"}, "limit"),
        ({"limit": "2.5"}, "limit"),
        ({"limit": ""}, "limit"),
        ({"cursor": "-1"}, "cursor"),
        ({"cursor": "0"}, "cursor"),
        ({"cursor": "abc"}, "cursor"),
        ({"cursor": "9" * 30}, "cursor"),
        ({"webhook_id": "\x00"}, "webhook_id"),
        ({"phone": "+1415\x00"}, "phone"),
    ],
)
def test_bad_paging_and_filter_values_are_422(api, client, path, query, field):
    hook = make_webhook(api)
    inbound(client, hook, "x")
    response = api.get(path, query_string=query)
    assert response.status_code == 422, response.json
    assert field in response.json["error"]["details"]


def test_the_largest_limit_is_200(api, client):
    assert api.get("/inbound-messages", query_string={"limit": 200}).status_code == 200
