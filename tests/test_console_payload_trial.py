"""The console's "try a webhook payload" on a credential's page: the events its vendor makes of a
pasted payload, shown on the page; a payload it cannot read shows the plugin's reason; nothing is stored."""

from __future__ import annotations

import html
import json

from support.api import Api, new_org
from support.one_app import shared_app, shared_client, shared_settings  # noqa: F401
from test_console_security import csrf_of, signed_in

from smshooks.apikeys import create_api_key

STOP = {"messages": [{"id": "trial-1", "from": "+14155550123", "to": "+14155550100", "text": "STOP"}]}


def test_a_pasted_payload_shows_its_events_and_stores_nothing(app) -> None:
    key = create_api_key(app.extensions["smshooks"].db, new_org())
    api = Api(app.test_client(), key)
    credential = api.post("/credentials", {"name": "c", "vendor": "loopback", "account": "A1", "secret": "s"}).json
    browser, token = signed_in(app, key)
    page = browser.get(f"/admin/credentials/{credential['id']}").text
    assert "Try a webhook payload" in page

    tried = browser.post(
        f"/admin/credentials/{credential['id']}/try",
        data={"payload": json.dumps(STOP), "content_type": "application/json", "csrf_token": csrf_of(page)},
    )
    assert tried.status_code == 200
    shown = html.unescape(tried.text)
    assert "1 event" in shown and '"sender": "+14155550123"' in shown and '"text": "STOP"' in shown

    refused = browser.post(
        f"/admin/credentials/{credential['id']}/try",
        data={"payload": "not json", "content_type": "application/json", "csrf_token": token},
    )
    assert refused.status_code == 200
    assert "plugin cannot read this payload" in html.unescape(refused.text)
    assert api.get("/inbound-messages").json["items"] == []
