"""Issue 13's metrics that tests/test_operations.py does not move: API-key refusals by reason,
delivery attempts that are retried or hit a disabled endpoint, feedback webhooks disabled for
a 410, the age of the oldest due job, delivery reports stored and duplicated, opt-in and help
decisions. Each is read from ``/metrics`` with prometheus_client's parser, before and after."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update
from support.api import Api, make_webhook, new_org
from support.feedback import deliveries, inbound, make_feedback_webhook, report, work
from support.metrics import moved, scrape, value
from support.one_app import shared_api, shared_app, shared_client, shared_settings  # noqa: F401
from support.receiver import Answer, Receiver

from smshooks.apikeys import create_api_key
from smshooks.messages.send_job import SEND_SMS
from smshooks.outbox.retry import RetryPolicy
from smshooks.outbox.worker import Worker
from smshooks.store.tables import ApiKey, Job
from smshooks.testing import FakeVendorAPI, Reply

_addresses = itertools.count(1)


@pytest.fixture(scope="module")
def vendor_api():
    """A vendor API that accepts every send but those saying "busy" (503: retried)."""
    with FakeVendorAPI() as api:
        ids = itertools.count(1)

        def answer(request) -> Reply:
            if request.json().get("text") == "busy":
                return Reply(503, b"{}", {"Content-Type": "application/json"})
            return Reply(200, json.dumps({"id": f"v-{next(ids)}"}).encode(), {"Content-Type": "application/json"})

        api.reply_with(answer)
        yield api


@pytest.fixture
def receiver():
    with Receiver() as receiver:
        yield receiver


def channel_of(api: Api, vendor_api: FakeVendorAPI) -> dict:
    credential = api.post(
        "/credentials", {"name": "lb", "vendor": "loopback", "account": "A", "api_url": vendor_api.url}
    )
    channel = {"name": "ch", "credentials_id": credential.json["id"], "sender_number": "+14155550100"}
    return api.post("/channels", channel).json


def send(api: Api, channel: dict, text: str, to: str = "+14155550123") -> None:
    body = {"channel_id": channel["id"], "campaign_id": "c", "text": text, "recipients": [{"phone": to}]}
    answer = api.post("/messages", body)
    assert answer.status_code == 202, answer.json


def deliver_sends(app) -> None:
    later = RetryPolicy((3600,))  # a retried attempt waits: the test sees it once
    worker = Worker(app.extensions["smshooks"], kinds=[SEND_SMS], policies={SEND_SMS: later})
    while worker.run_once():
        pass


def test_api_key_refusals_are_counted_by_reason(app, api, client):
    address = {"REMOTE_ADDR": f"203.0.113.{next(_addresses)}"}
    reader = Api(client, create_api_key(app.extensions["smshooks"].db, new_org(), scopes=("read",)))
    expiring = api.post("/api-keys", {"expires_at": (datetime.now(UTC) + timedelta(days=1)).isoformat()}).json
    with app.extensions["smshooks"].db.transaction() as session:  # a day passes
        session.execute(
            update(ApiKey).where(ApiKey.id == expiring["id"]).values(expires_at=datetime.now(UTC) - timedelta(1))
        )
    before = scrape(client)
    wrong = {"Authorization": "Bearer smsh_wrong"}
    assert client.get("/api/v1/webhooks", headers=wrong, environ_base=address).status_code == 401
    expired = {"Authorization": f"Bearer {expiring['key']}"}
    assert client.get("/api/v1/webhooks", headers=expired, environ_base=address).status_code == 401
    assert reader.post("/webhooks", {}).status_code == 403
    for _ in range(8):  # ten wrong keys in all from this address, then it is held back
        assert client.get("/api/v1/webhooks", headers=wrong, environ_base=address).status_code == 401
    assert client.get("/api/v1/webhooks", headers=wrong, environ_base=address).status_code == 429
    after = scrape(client)
    counted = {
        reason: moved(before, after, "smshooks_api_key_refusals_total", reason=reason)
        for reason in ("unknown", "expired", "scope", "throttled")
    }
    assert counted == {"unknown": 9, "expired": 1, "scope": 1, "throttled": 1}


def test_a_send_answered_503_is_counted_as_a_retry(app, api, client, vendor_api):
    channel = channel_of(api, vendor_api)
    send(api, channel, "busy")
    before = scrape(client)
    deliver_sends(app)
    after = scrape(client)
    assert moved(before, after, "smshooks_delivery_attempts_total", kind="send_sms", outcome="retry") == 1
    assert moved(before, after, "smshooks_delivery_attempts_total", kind="send_sms", outcome="success") == 0
    assert moved(before, after, "smshooks_delivery_duration_seconds_count", kind="send_sms") == 1


def test_the_oldest_due_job_shows_how_late_it_is(app, client, vendor_api):
    org = new_org()
    api = Api(client, create_api_key(app.extensions["smshooks"].db, org))
    before = scrape(client)
    send(api, channel_of(api, vendor_api), "hello")
    with app.extensions["smshooks"].db.transaction() as session:  # no worker ran for an hour
        session.execute(
            update(Job)
            .where(Job.org == org, Job.kind == SEND_SMS)
            .values(due_at=datetime.now(UTC) - timedelta(hours=1))
        )
    late = scrape(client)
    assert moved(before, late, "smshooks_outbox_jobs", kind="send_sms", state="pending") == 1
    assert value(late, "smshooks_outbox_oldest_due_age_seconds", kind="send_sms") >= 3600
    deliver_sends(app)
    after = scrape(client)
    assert moved(late, after, "smshooks_outbox_jobs", kind="send_sms", state="pending") == -1
    assert value(after, "smshooks_outbox_oldest_due_age_seconds", kind="send_sms") < 3600


def test_feedback_attempts_by_outcome_and_a_410_disables_and_is_counted(app, api, client, receiver):
    make_feedback_webhook(api, receiver.url)
    hook = make_webhook(api)
    receiver.script([500, Answer(410, body=b"gone")])
    before = scrape(client)
    report(client, hook, "v-1", "ok")
    work(app)  # 500: retried later
    report(client, hook, "v-2", "ok")
    work(app)  # 410: the endpoint is gone, the webhook disabled
    gone = scrape(client)
    assert api.get("/feedback-webhook").json["enabled"] is False
    assert moved(before, gone, "smshooks_delivery_attempts_total", kind="feedback", outcome="retry") == 1
    assert moved(before, gone, "smshooks_delivery_attempts_total", kind="feedback", outcome="disabled") == 1
    assert moved(before, gone, "smshooks_feedback_webhooks_disabled_total", reason="gone") == 1
    assert moved(before, gone, "smshooks_delivery_duration_seconds_count", kind="feedback") == 2

    assert api.post("/feedback-webhook/enable").json["replayed"] == 2
    work(app)
    after = scrape(client)
    assert sorted(d["state"] for d in deliveries(api)) == ["delivered", "delivered"]
    assert moved(gone, after, "smshooks_delivery_attempts_total", kind="feedback", outcome="success") == 2


def test_delivery_reports_and_their_duplicates_are_counted(app, api, client):
    hook = make_webhook(api, type_="feedback")
    before = scrape(client)
    report(client, hook, "v-1", "sent")
    report(client, hook, "v-1", "sent")  # the vendor's retry
    report(client, hook, "v-1", "ok")
    after = scrape(client)
    labels = {"vendor": "loopback", "kind": "delivery_report"}
    assert moved(before, after, "smshooks_events_stored_total", **labels) == 2
    assert moved(before, after, "smshooks_events_duplicate_total", **labels) == 1
    feedback = {"vendor": "loopback", "webhook_type": "feedback", "status": "200"}
    assert moved(before, after, "smshooks_vendor_requests_total", **feedback) == 3


def test_opt_in_and_help_decisions_and_the_consent_they_change(app, api, client):
    hook = make_webhook(api)
    before = scrape(client)
    inbound(client, hook, "m-1", "STOP")
    inbound(client, hook, "m-2", "START")
    inbound(client, hook, "m-3", "HELP")
    inbound(client, hook, "m-4", "START")  # already opted in: decided, no consent change
    after = scrape(client)
    decisions = "smshooks_pipeline_decisions_total"
    assert moved(before, after, decisions, category="opt_in", action="opt_in") == 1
    assert moved(before, after, decisions, category="opt_in", action="already_opted_in") == 1
    assert moved(before, after, decisions, category="help", action="help") == 1
    changes = "smshooks_consent_changes_total"
    assert moved(before, after, changes, new_state="opted_out", action="opt_out") == 1
    assert moved(before, after, changes, new_state="opted_in", action="opt_in") == 1
    assert sum(moved(before, after, name, **dict(labels)) for name, labels in after if name == changes) == 2
