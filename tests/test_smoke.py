from support.api import make_webhook, post_signed


def test_inbound_roundtrip(api, client):
    hook = make_webhook(api)
    assert hook["url"] == f"https://sms.example.test/hooks/{hook['id']}"
    r = post_signed(
        client, hook, {"messages": [{"id": "m1", "from": "+14155550123", "to": "+14155550100", "text": "hi"}]}
    )
    assert r.status_code == 200, r.data
    listed = api.get("/inbound-messages").json
    assert [m["text"] for m in listed["items"]] == ["hi"]
