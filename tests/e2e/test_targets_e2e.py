"""No SSRF through the real vendor plugins' URL credentials (Twilio ``api_base_url``,
Infobip and Sinch ``base_url``, Custom ``provider_url`` and ``oauth2_token_url``).

With SMSHOOKS_ALLOW_PRIVATE_TARGETS off, saving any spelling of a private
target in one of these fields is 422 naming the field, and a credential that
holds one anyway (written to the database directly) fails its send with the
one fixed error, while a listener on loopback counts 0 connections. A plugin
that is not installed is skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest
from support.api import Api
from support.ssrf import ANSWER, REFUSED, CountingListener, closed_port, urls

from smshooks.messages.send_job import SEND_SMS
from smshooks.outbox.retry import at_once
from smshooks.outbox.worker import Worker
from smshooks.store.tables import Credential
from smshooks.web.app import create_app

PUBLIC = "https://93.184.216.34"
TEMPLATE = '{"to": "{{toNumber}}", "from": "{{fromNumber}}", "text": "{{message}}"}'
OAUTH2 = {"auth_type": "oauth2", "oauth2_client_id": "id", "oauth2_client_secret": "secret"}

#: (vendor, credential fields with public URLs, the URL field under test)
CASES = [
    ("twilio", {"account_sid": "AC1", "auth_token": "tok", "api_base_url": PUBLIC}, "api_base_url"),
    ("infobip", {"api_key": "key", "base_url": PUBLIC}, "base_url"),
    ("sinch", {"service_plan_id": "plan1", "api_token": "tok", "base_url": PUBLIC}, "base_url"),
    ("custom", {"provider_url": PUBLIC + "/send", "payload_template": TEMPLATE}, "provider_url"),
    (
        "custom",
        {"provider_url": PUBLIC + "/send", "payload_template": TEMPLATE, **OAUTH2, "oauth2_token_url": PUBLIC},
        "oauth2_token_url",
    ),
]


@pytest.fixture
def listener() -> Iterator[CountingListener]:
    with CountingListener() as running:
        yield running


@pytest.fixture
def strict(smshooks_settings, api_key_for) -> Iterator[tuple[Any, Api]]:
    """A gateway with every installed plugin and the server default: private targets refused."""
    app = create_app(replace(smshooks_settings, allow_private_targets=False))
    yield app, Api(app.test_client(), api_key_for(app))
    app.extensions["smshooks"].db.engine.dispose()


def _installed(app, vendor: str) -> None:
    if app.extensions["smshooks"].plugins.vendor(vendor) is None:
        pytest.skip(f"the {vendor} plugin is not installed")


@pytest.mark.parametrize(("vendor", "fields", "field"), CASES, ids=[f"{c[0]}-{c[2]}" for c in CASES])
def test_saving_a_private_target_in_a_vendor_url_field_is_422(strict, listener, vendor, fields, field):
    app, api = strict
    _installed(app, vendor)
    public = api.post("/credentials", {"name": "ok", "vendor": vendor, **fields})
    assert public.status_code == 201, public.json
    accepted = []
    for url in urls(listener.port):
        created = api.post("/credentials", {"name": "c", "vendor": vendor, **fields, field: url})
        patched = api.patch(f"/credentials/{public.json['id']}", {field: url})
        for answer in (created, patched):
            if answer.status_code != 422 or field not in answer.json["error"]["details"]:
                accepted.append((url, answer.status_code))
    assert accepted == []
    assert [c["name"] for c in api.get("/credentials").json["items"]] == ["ok"]
    assert listener.accepted == 0


@pytest.mark.parametrize(("vendor", "fields", "field"), CASES, ids=[f"{c[0]}-{c[2]}" for c in CASES])
def test_a_send_through_a_stored_private_target_never_connects(strict, listener, vendor, fields, field):
    app, api = strict
    _installed(app, vendor)
    credential = api.post("/credentials", {"name": "c", "vendor": vendor, **fields})
    assert credential.status_code == 201, credential.json
    hook = api.post(
        "/webhooks", {"name": "fb", "vendor": vendor, "type": "feedback", "credentials_id": credential.json["id"]}
    )
    assert hook.status_code == 201, hook.json
    channel = api.post(
        "/channels",
        {
            "name": "main",
            "credentials_id": credential.json["id"],
            "sender_number": "+14155550100",
            "feedback_webhook_id": hook.json["id"],
        },
    )
    assert channel.status_code == 201, channel.json
    worker = Worker(app.extensions["smshooks"], policies={SEND_SMS: at_once()})
    db = app.extensions["smshooks"].db
    outcomes = {}
    for url in [*urls(listener.port), f"https://127.0.0.1:{closed_port()}"]:
        with db.transaction() as session:  # past the save check, as an old row would be
            row = session.get(Credential, credential.json["id"])
            row.fields = {**row.fields, field: url}
        body = {
            "channel_id": channel.json["id"],
            "campaign_id": "c1",
            "text": "hi",
            "recipients": [{"phone": "+14155550123"}],
        }
        sent = api.post("/messages", body)
        assert sent.status_code == 202, sent.json
        while worker.run_once():
            pass
        message = api.get(f"/messages/{sent.json['messages'][0]['message_execution_id']}")
        assert ANSWER.decode() not in message.get_data(as_text=True)
        outcomes[url] = (message.json["status"], message.json["error_code"], message.json["error_reason"])
    assert {url: got for url, got in outcomes.items() if got != ("error", "target_refused", REFUSED)} == {}
    assert listener.accepted == 0
