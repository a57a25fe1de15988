"""Consent scope per sandbox, STOPALL, and marketing's opt-in: inbound keywords, then sends, over HTTP."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update
from support import loopback
from support.api import Api

from smshooks.messages.send_job import SEND_SMS
from smshooks.outbox.retry import at_once
from smshooks.outbox.worker import Worker
from smshooks.store.tables import ConsentRecord
from smshooks.testing import FakeVendorAPI, Reply
from smshooks.web.app import create_app

SUBSCRIBER = "+14155550123"
NUMBER_A = "+14155550100"
NUMBER_B = "+14155550199"
_ids = itertools.count(1)


@pytest.fixture
def vendor_api():
    with FakeVendorAPI() as api:
        counter = itertools.count(1)
        api.reply_with(lambda req: Reply(200, json.dumps({"id": f"v-{next(counter)}"}).encode()))
        yield api


class Sandbox:
    """One sandbox with an inbound webhook and a channel on each of two numbers."""

    def __init__(self, app, api: Api, vendor_api: FakeVendorAPI):
        self.app, self.api, self.client, self.vendor_api = app, api, app.test_client(), vendor_api
        cred = api.post("/credentials", {"name": "lb", "vendor": "loopback", "account": "A", "api_url": vendor_api.url})
        self.hook = api.post(
            "/webhooks", {"name": "in", "vendor": "loopback", "type": "inbound", "credentials_id": cred.json["id"]}
        ).json
        self.channels = {
            number: api.post(
                "/channels", {"name": number, "credentials_id": cred.json["id"], "sender_number": number}
            ).json
            for number in (NUMBER_A, NUMBER_B)
        }
        self.worker = Worker(app.extensions["smshooks"], policies={SEND_SMS: at_once()})

    def settings(self, **values) -> dict:
        answer = self.api.request("PUT", "/sandbox-settings", values)
        assert answer.status_code == 200, answer.json
        return answer.json

    def text(self, body: str, to: str, at: str | None = None) -> dict:
        """The subscriber texts ``body`` to our number ``to`` (sent ``at``, the vendor's time); the keyword event."""
        message_id = f"in-{next(_ids)}"
        item = {"id": message_id, "from": SUBSCRIBER, "to": to, "text": body} | ({"at": at} if at else {})
        payload = {"messages": [item]}
        assert self.client.post(f"/hooks/{self.hook['id']}", json=payload).status_code == 200
        while self.worker.run_once():  # the replies go out
            pass
        items = self.api.get("/inbound-messages", query_string={"phone": SUBSCRIBER}).json["items"]
        return next(item for item in items if item["vendor_message_id"] == message_id)["keyword_event"]

    def send(self, sender: str, message_type: str = "transactional") -> tuple[str, str | None]:
        """A send from our number ``sender`` to the subscriber: (state, exclusion)."""
        body = {
            "channel_id": self.channels[sender]["id"],
            "campaign_id": "c",
            "text": "News",
            "message_type": message_type,
            "recipients": [{"phone": SUBSCRIBER}],
        }
        answer = self.api.post("/messages", body)
        assert answer.status_code == 202, answer.json
        [message] = answer.json["messages"]
        return message["state"], message["exclusion"]


@pytest.fixture
def box(settings, api_key_for, vendor_api):
    app = create_app(settings, plugins=[loopback])
    yield Sandbox(app, Api(app.test_client(), api_key_for(app)), vendor_api)
    app.extensions["smshooks"].db.engine.dispose()


QUEUED, OPTED_OUT, NO_OPT_IN = ("queued", None), ("excluded", "opted_out"), ("excluded", "no_opt_in")


def test_the_defaults_are_sandbox_scope_and_marketing_needs_an_opt_in(box):
    assert box.api.get("/sandbox-settings").json == {"consent_scope": "sandbox", "marketing_requires_opt_in": True}
    assert box.api.in_sandbox("dev").get("/sandbox-settings").json["consent_scope"] == "sandbox"


@pytest.mark.parametrize(
    ("scope", "texts", "from_a", "from_b"),
    [
        ("sandbox", [("STOP", NUMBER_A)], OPTED_OUT, OPTED_OUT),
        ("number", [("STOP", NUMBER_A)], OPTED_OUT, QUEUED),
        ("sandbox", [("STOP", NUMBER_A), ("START", NUMBER_B)], QUEUED, QUEUED),
        ("number", [("STOP", NUMBER_A), ("START", NUMBER_B)], OPTED_OUT, QUEUED),
        ("number", [("STOP ALL", NUMBER_A)], OPTED_OUT, OPTED_OUT),
        ("number", [("STOP ALL", NUMBER_A), ("START", NUMBER_B)], OPTED_OUT, QUEUED),
        ("number", [("STOP ALL", NUMBER_A), ("START", NUMBER_B), ("STOP ALL", NUMBER_B)], OPTED_OUT, OPTED_OUT),
        ("number", [("STOP", NUMBER_B), ("START", NUMBER_B), ("STOP ALL", NUMBER_A)], OPTED_OUT, OPTED_OUT),
        ("sandbox", [("STOP ALL", NUMBER_B)], OPTED_OUT, OPTED_OUT),
    ],
    ids=[
        "sandbox: STOP to A stops B",
        "number: STOP to A leaves B",
        "sandbox: START to B resubscribes everywhere",
        "number: START to B is for B",
        "number: STOP ALL stops every number",
        "number: START to B after STOP ALL is for B",
        "number: a second STOP ALL stops B again",
        "number: STOP ALL after B's own START",
        "sandbox: STOP ALL",
    ],
)
def test_opt_outs_reach_as_far_as_the_consent_scope(box, scope, texts, from_a, from_b):
    box.settings(consent_scope=scope)
    for body, to in texts:
        box.text(body, to)
    assert (box.send(NUMBER_A), box.send(NUMBER_B)) == (from_a, from_b)


def test_stopall_under_the_us_profile_stops_every_number_under_number_scope(box):
    box.settings(consent_scope="number")
    url = f"/webhooks/{box.hook['id']}/keywords"
    assert box.api.request("PUT", url, {"compliance_profile": "us"}).status_code == 200
    event = box.text("STOPALL", NUMBER_A)
    assert (event["match"], event["action"]) == ("exact", "opt_out")
    assert (box.send(NUMBER_A), box.send(NUMBER_B)) == (OPTED_OUT, OPTED_OUT)
    senders = {r["sender_number"]: r["state"] for r in box.api.get(f"/consent/{SUBSCRIBER}").json["senders"]}
    assert senders == {"*": "opted_out", NUMBER_A: "opted_out"}


@pytest.mark.parametrize(
    ("required", "texts", "marketing", "transactional"),
    [
        (True, [], NO_OPT_IN, QUEUED),
        (True, [("START", NUMBER_A)], QUEUED, QUEUED),
        (True, [("START", NUMBER_A), ("STOP", NUMBER_A)], OPTED_OUT, OPTED_OUT),
        (True, [("hello", NUMBER_A)], NO_OPT_IN, QUEUED),
        (False, [], QUEUED, QUEUED),
    ],
    ids=["no opt-in", "opted in", "opted in, then out", "only talked", "opt-in not required"],
)
def test_marketing_needs_a_recorded_opt_in_transactional_does_not(box, required, texts, marketing, transactional):
    box.settings(marketing_requires_opt_in=required)
    for body, to in texts:
        box.text(body, to)
    assert box.send(NUMBER_A, "marketing") == marketing
    assert box.send(NUMBER_A, "transactional") == transactional


def test_an_excluded_marketing_send_says_why(box):
    state, exclusion = box.send(NUMBER_A, "marketing")
    assert (state, exclusion) == NO_OPT_IN
    body = {
        "channel_id": box.channels[NUMBER_A]["id"],
        "campaign_id": "c",
        "text": "x",
        "message_type": "marketing",
        "recipients": [{"phone": SUBSCRIBER}],
    }
    execution_id = box.api.post("/messages", body).json["messages"][0]["message_execution_id"]
    message = box.api.get(f"/messages/{execution_id}").json
    assert (message["status"], message["exclusion"], message["vendor_message_id"]) == ("error", "no_opt_in", None)
    assert "opt-in" in message["error_reason"]


@pytest.mark.parametrize(
    "body",
    [{"consent_scope": "galaxy"}, {"marketing_requires_opt_in": "maybe"}, {"surprise": 1}],
    ids=["bad scope", "bad flag", "unknown field"],
)
def test_bad_sandbox_settings_are_422_and_change_nothing(box, body):
    answer = box.api.request("PUT", "/sandbox-settings", body)
    assert answer.status_code == 422, answer.json
    assert box.api.get("/sandbox-settings").json["consent_scope"] == "sandbox"


DOUBLE_OPT_IN = {
    "categories": [{"category": "double_opt_in", "keywords": ["JOIN"]}],
    "double_opt_in_confirm_keyword": "Confirm",
}


@pytest.mark.parametrize("scope", ["sandbox", "number"])
@pytest.mark.parametrize(
    ("texts", "expected", "state"),
    [
        (["STOP", "JOIN"], OPTED_OUT, "opted_out"),
        (["STOP", "JOIN", "CONFIRM"], QUEUED, "opted_in"),
        (["STOP", "JOIN", "YES"], QUEUED, "opted_in"),
        (["STOP", "JOIN", "STOP", "CONFIRM"], OPTED_OUT, "opted_out"),
        (["STOP", "JOIN", "expires", "CONFIRM"], OPTED_OUT, "opted_out"),
        (["STOP", "JOIN", "JOIN", "CONFIRM"], QUEUED, "opted_in"),
        (["JOIN"], QUEUED, "pending"),
    ],
    ids=[
        "asked to join: the opt-out stands",
        "confirmed: opted in",
        "confirmed with YES",
        "STOP again ends the request",
        "an unconfirmed request expires: the opt-out stands",
        "asked twice, confirmed once",
        "never opted out: pending, transactional sends go",
    ],
)
def test_a_double_opt_in_after_an_opt_out_keeps_it_until_confirmed(box, scope, texts, expected, state):
    """keywords.md 6.7: a double opt-in keyword does not opt in. After a STOP it must not undo the
    opt-out either: sends stay refused until the subscriber confirms, and for good if they never do."""
    box.settings(consent_scope=scope)
    assert box.api.request("PUT", f"/webhooks/{box.hook['id']}/keywords", DOUBLE_OPT_IN).status_code == 200
    for body in texts:
        if body == "expires":
            with box.app.extensions["smshooks"].db.engine.begin() as conn:
                conn.execute(update(ConsentRecord).values(pending_expires_at=datetime(2000, 1, 1, tzinfo=UTC)))
            continue
        sent = len(box.vendor_api.requests)
        event = box.text(body, NUMBER_A)
        if body == "JOIN":
            assert event["action"] == "double_opt_in_pending"
            [ask] = box.vendor_api.requests[sent:]  # answered, even to an opted-out number
            assert "Reply CONFIRM to confirm" in ask.json()["text"]
    assert box.send(NUMBER_A) == expected
    senders = box.api.get(f"/consent/{SUBSCRIBER}").json["senders"]
    assert [s["state"] for s in senders if s["sender_number"] == NUMBER_A] == [state]


def sent(hhmm: str) -> str:
    """A vendor's time of a message, "10:MM" within the last hour (times further back than a week are
    not believed: smshooks.consent.ledger.TRUSTED_PAST)."""
    base = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=1)
    return (base + timedelta(minutes=int(hhmm.split(":")[1]))).isoformat()


@pytest.mark.parametrize("scope", ["sandbox", "number"])
@pytest.mark.parametrize(
    ("texts", "expected", "actions"),
    [
        ([("STOP", "10:05"), ("START", "10:00")], OPTED_OUT, ["opt_out", "older_than_opt_out"]),
        ([("STOP", "10:05"), ("START", "10:06")], QUEUED, ["opt_out", "opt_in"]),
        ([("START", "10:05"), ("STOP", "10:00")], OPTED_OUT, ["opt_in", "opt_out"]),
        ([("STOP", "10:05"), ("YES", "10:01")], OPTED_OUT, ["opt_out", "older_than_opt_out"]),
        ([("STOP", "10:05"), ("HELP", "10:00")], OPTED_OUT, ["opt_out", "help"]),
        (
            [("STOP", "10:05"), ("JOIN", "10:00"), ("START", "10:02")],
            OPTED_OUT,
            ["opt_out", "older_than_opt_out", "older_than_opt_out"],
        ),
        (
            [("STOP", "10:00"), ("JOIN", "10:05"), ("START", "10:02")],
            QUEUED,
            ["opt_out", "double_opt_in_pending", "confirm_double_opt_in"],
        ),
        (
            [("STOP", "10:00"), ("JOIN", "10:05"), ("STOP", "10:10"), ("START", "10:07")],
            OPTED_OUT,
            ["opt_out", "double_opt_in_pending", "opt_out", "older_than_opt_out"],
        ),
    ],
    ids=[
        "an older START arriving after a STOP leaves it",
        "a newer START opts in",
        "an older STOP arriving after a START still opts out",
        "an older YES arriving after a STOP leaves it",
        "an older HELP is answered",
        "an older JOIN neither waits nor moves the STOP's time back",
        "a JOIN keeps the STOP's time: a START sent between them opts in",
        "a second STOP moves the time on: a START sent before it cannot undo it",
    ],
)
def test_an_opt_in_sent_before_an_opt_out_cannot_undo_it(box, scope, texts, expected, actions):
    """Vendors retry and batch: messages can arrive out of the order they were sent (Infobip's
    receivedAt says when). An opt-out stands against any opt-in sent before it."""
    box.settings(consent_scope=scope)
    assert box.api.request("PUT", f"/webhooks/{box.hook['id']}/keywords", DOUBLE_OPT_IN).status_code == 200
    done = [box.text(body, NUMBER_A, at=sent(hhmm))["action"] for body, hhmm in texts]
    assert done == actions
    assert box.send(NUMBER_A) == expected


@pytest.mark.parametrize(
    ("stop_to", "scope", "asked"),
    [(NUMBER_A, "sandbox", False), (NUMBER_B, "sandbox", False), (NUMBER_B, "number", True)],
    ids=["STOP to the same number", "STOP to another number, sandbox scope", "STOP to another number, number scope"],
)
def test_a_stop_sent_before_the_join_request_leaves_ends_it(box, stop_to, scope, asked):
    """The request to confirm a double opt-in asked after an opt-out goes while it waits: a STOP
    that reaches that number before the worker sends it refuses it (nothing after a STOP)."""
    box.settings(consent_scope=scope)
    assert box.api.request("PUT", f"/webhooks/{box.hook['id']}/keywords", DOUBLE_OPT_IN).status_code == 200
    box.text("STOP", NUMBER_A)
    before = len(box.vendor_api.requests)
    for body, to in (("JOIN", NUMBER_A), ("STOP", stop_to)):  # both before the worker runs
        item = {"id": f"in-{next(_ids)}", "from": SUBSCRIBER, "to": to, "text": body}
        assert box.client.post(f"/hooks/{box.hook['id']}", json={"messages": [item]}).status_code == 200
    while box.worker.run_once():
        pass
    texts = [request.json()["text"] for request in box.vendor_api.requests[before:]]
    assert any("Reply CONFIRM to confirm" in text for text in texts) is asked, texts


def test_an_administrators_opt_out_ends_a_join_request(box):
    assert box.api.request("PUT", f"/webhooks/{box.hook['id']}/keywords", DOUBLE_OPT_IN).status_code == 200
    box.text("STOP", NUMBER_A)
    box.text("JOIN", NUMBER_A)
    changed = box.api.request("PUT", f"/consent/{SUBSCRIBER}", {"sender_number": NUMBER_A, "state": "opted_out"})
    assert changed.status_code == 200, changed.json
    assert box.text("CONFIRM", NUMBER_A)["action"] != "confirm_double_opt_in"
    assert box.send(NUMBER_A) == OPTED_OUT


def _keywords(box, **extra) -> None:
    answer = box.api.request("PUT", f"/webhooks/{box.hook['id']}/keywords", DOUBLE_OPT_IN | extra)
    assert answer.status_code == 200, answer.json


def _post(box, body: str, to: str, at: str | None = None) -> None:
    """A message stored and decided, its replies not sent yet (the worker does not run)."""
    item = {"id": f"in-{next(_ids)}", "from": SUBSCRIBER, "to": to, "text": body} | ({"at": at} if at else {})
    assert box.client.post(f"/hooks/{box.hook['id']}", json={"messages": [item]}).status_code == 200


@pytest.mark.parametrize(
    ("scope", "steps", "expected"),
    [
        ("sandbox", [("STOP", NUMBER_A), ("JOIN", NUMBER_A), ("STOP", NUMBER_B), ("CONFIRM", NUMBER_A)], OPTED_OUT),
        ("number", [("STOP", NUMBER_A), ("JOIN", NUMBER_A), ("STOP ALL", NUMBER_B), ("CONFIRM", NUMBER_A)], OPTED_OUT),
        ("number", [("STOP", NUMBER_A), ("JOIN", NUMBER_A), ("STOP", NUMBER_B), ("CONFIRM", NUMBER_A)], QUEUED),
        (
            "sandbox",
            [("STOP", NUMBER_A), ("JOIN", NUMBER_A), ("admin opt-out", NUMBER_B), ("CONFIRM", NUMBER_A)],
            OPTED_OUT,
        ),
    ],
    ids=[
        "sandbox: a STOP to another number ends the request",
        "number: a STOPALL to another number ends it",
        "number: a STOP to another number is that number's",
        "an administrator's opt-out of another number ends it",
    ],
)
def test_an_opt_out_anywhere_it_reaches_ends_a_join_request(box, scope, steps, expected):
    box.settings(consent_scope=scope)
    _keywords(box)
    for body, to in steps:
        if body == "admin opt-out":
            changed = box.api.request("PUT", f"/consent/{SUBSCRIBER}", {"sender_number": to, "state": "opted_out"})
            assert changed.status_code == 200, changed.json
        else:
            box.text(body, to)
    assert box.send(NUMBER_A) == expected


@pytest.mark.parametrize(
    ("scope", "before", "pending", "asked"),
    [
        (
            "sandbox",
            [("START", NUMBER_B, None), ("STOP", NUMBER_A, None)],
            [("JOIN", NUMBER_A, None), ("STOP", NUMBER_B, None)],
            False,
        ),
        ("number", [("STOP ALL", NUMBER_A, None)], [("JOIN", NUMBER_A, None), ("STOP ALL", NUMBER_B, None)], False),
        ("sandbox", [("STOP", NUMBER_A, "10:05")], [("JOIN", NUMBER_A, "10:10"), ("START", NUMBER_B, "10:00")], True),
    ],
    ids=[
        "sandbox: a STOP to a number already on record",
        "number: a STOPALL to another number",
        "a stale START to another number does not cancel the request",
    ],
)
def test_the_join_request_goes_only_while_no_opt_out_followed(box, scope, before, pending, asked):
    box.settings(consent_scope=scope)
    _keywords(box)
    for body, to, at in before:
        box.text(body, to, at=sent(at) if at else None)
    sent_before = len(box.vendor_api.requests)
    for body, to, at in pending:  # both decided before the worker sends the request
        _post(box, body, to, sent(at) if at else None)
    while box.worker.run_once():
        pass
    texts = [request.json()["text"] for request in box.vendor_api.requests[sent_before:]]
    assert any("Reply CONFIRM to confirm" in text for text in texts) is asked, texts


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        ([("STOP", None), ("START", "1970-01-01T00:00:00+00:00")], QUEUED),
        ([("STOP", "1970-01-01T00:00:00+00:00"), ("START", "late")], OPTED_OUT),
        ([("STOP", "2100-01-01T00:00:00+00:00"), ("START", None)], QUEUED),
        ([("STOP", "2026-12-01T10:00:00")], OPTED_OUT),
    ],
    ids=[
        "a START from a clock at 1970 is not older than every STOP",
        "a STOP from a clock at 1970 counts as sent when it came",
        "a STOP from a clock in 2100 counts as sent when it came",
        "a time without a zone is UTC, not a 500",
    ],
)
def test_a_vendors_clock_cannot_fix_consent_for_good(box, texts, expected):
    for body, at in texts:
        if at == "late":  # sent an hour ago, arriving after the STOP
            at = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
        box.text(body, NUMBER_A, at=at)
    assert box.send(NUMBER_A) == expected
