"""``GET /api/v1/messages`` (issue 13): outbound messages newest first, filtered, with an opaque cursor.

Messages come the way they do in production: a vendor reports on messages it sent (kind
``reported``) and ``POST /messages`` queues transactional ones (no worker runs: they stay queued).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from support.api import make_webhook, post_signed
from support.one_app import shared_api, shared_app, shared_client, shared_other_org_api, shared_settings  # noqa: F401

SUBSCRIBER = "+14155550123"
OTHER = "+14155550124"


def report(client, hook, vendor_message_id: str, status: str, to: str = SUBSCRIBER) -> None:
    answer = post_signed(client, hook, {"reports": [{"id": vendor_message_id, "to": to, "status": status}]})
    assert answer.status_code == 200, answer.data


def listed(api, **query) -> list[str]:
    """The vendor message ids (or "" for a queued send) of the matching messages, newest first."""
    answer = api.get("/messages", query_string=query)
    assert answer.status_code == 200, answer.json
    return [m["vendor_message_id"] or m["campaign_id"] for m in answer.json["items"]]


def test_messages_are_listed_newest_first_with_filters(api, other_org_api, client):
    hook = make_webhook(api, type_="feedback")
    report(client, hook, "v1", "sent")
    report(client, hook, "v2", "ok", to=OTHER)
    report(client, hook, "v1", "ok")  # v1 moves on: it is still one message
    channel = {
        "name": "main",
        "credentials_id": hook["credentials_id"],
        "sender_number": "+14155550100",
        "feedback_webhook_id": hook["id"],  # where the vendor reports on its sends
    }
    channel = api.post("/channels", channel).json
    sent = api.post(
        "/messages",
        {"channel_id": channel["id"], "campaign_id": "cmp-7", "text": "hi", "recipients": [{"phone": SUBSCRIBER}]},
    )
    assert sent.status_code == 202, sent.json

    assert listed(api) == ["cmp-7", "v2", "v1"]
    item = api.get("/messages").json["items"][0]
    assert (item["kind"], item["status"], item["channel_id"]) == ("transactional", "queued", channel["id"])
    assert "reports" not in item and "history" not in item  # GET /messages/<id> has them
    assert listed(api, status="delivered") == ["v2", "v1"]
    assert listed(api, phone="+1 (415) 555-0124") == ["v2"]
    assert listed(api, webhook_id=hook["id"]) == ["cmp-7"]  # a reported message names no webhook
    assert listed(api, channel_id=channel["id"]) == listed(api, campaign_id="cmp-7") == ["cmp-7"]
    assert listed(api, kind="reported") == ["v2", "v1"]
    future = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert listed(api, since=future) == [] and listed(api, until=future) == ["cmp-7", "v2", "v1"]
    assert api.get("/messages", query_string={"status": "lost"}).status_code == 422
    assert other_org_api.get("/messages").json == {"items": [], "next_cursor": None}


def test_pages_follow_an_opaque_cursor_and_a_forged_one_is_422(api, client):
    hook = make_webhook(api, type_="feedback")
    for n in range(5):
        report(client, hook, f"v{n}", "sent")
    pages, cursor = [], None
    while True:
        body = api.get("/messages", query_string={"limit": 2, **({"cursor": cursor} if cursor else {})}).json
        pages.append([m["vendor_message_id"] for m in body["items"]])
        cursor = body["next_cursor"]
        if cursor is None:
            break
        assert isinstance(cursor, str)
    assert pages == [["v4", "v3"], ["v2", "v1"], ["v0"]]
    for forged in ("abc", "0", "-1", "x" * 201, "MjAyNi0wMS0wMVQwMDowMDowMA"):
        answer = api.get("/messages", query_string={"cursor": forged})
        assert answer.status_code == 422, (forged, answer.json)
        assert "cursor" in answer.json["error"]["details"]
