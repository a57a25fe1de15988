"""The keyword pipeline over HTTP: consent, ledger, replies through the outbox (loopback vendor)."""

from __future__ import annotations

import itertools
import json

import pytest
from sqlalchemy import text
from support import loopback
from support.api import Api

from smshooks.messages.send_job import SEND_SMS
from smshooks.outbox.retry import at_once
from smshooks.outbox.worker import Worker
from smshooks.testing import FakeVendorAPI
from smshooks.web.app import create_app

SUBSCRIBER = "+14155550123"
OUR_NUMBER = "+14155550100"
_ids = itertools.count(1)


@pytest.fixture
def vendor_api():
    with FakeVendorAPI() as api:
        counter = itertools.count(1)
        api.reply_with(lambda req: _json(200, {"id": f"out-{next(counter)}"}))
        yield api


def _json(status, payload):
    import json

    from smshooks.testing import Reply

    return Reply(status, json.dumps(payload).encode(), {"Content-Type": "application/json"})


class Gateway:
    """Drives one inbound webhook: sends texts as the subscriber, runs the worker."""

    def __init__(self, app, api: Api, vendor_api: FakeVendorAPI):
        self.app = app
        self.client = app.test_client()
        self.api = api
        self.vendor_api = vendor_api
        cred = api.post("/credentials", {"name": "lb", "vendor": "loopback", "account": "A", "api_url": vendor_api.url})
        assert cred.status_code == 201, cred.json
        hook = api.post(
            "/webhooks",
            {"name": "in", "vendor": "loopback", "type": "inbound", "credentials_id": cred.json["id"]},
        )
        self.webhook = hook.json
        self.worker = Worker(app.extensions["smshooks"], policies={SEND_SMS: at_once()})

    def configure(self, settings: dict) -> dict:
        answer = self.api.request("PUT", f"/webhooks/{self.webhook['id']}/keywords", settings)
        assert answer.status_code == 200, answer.json
        return answer.json

    def text(self, body: str, *, message_id: str | None = None, sender: str = SUBSCRIBER) -> dict:
        message_id = message_id or f"in-{next(_ids)}"
        payload = {"messages": [{"id": message_id, "from": sender, "to": OUR_NUMBER, "text": body}]}
        answer = self.client.post(f"/hooks/{self.webhook['id']}", json=payload)
        assert answer.status_code == 200, answer.data
        items = self.api.get("/inbound-messages", query_string={"phone": sender}).json["items"]
        return next(item for item in items if item["vendor_message_id"] == message_id)

    def deliver(self) -> list[dict]:
        """Run the worker until idle; the texts the vendor API received."""
        before = len(self.vendor_api.requests)
        while self.worker.run_once():
            pass
        return [request.json() for request in self.vendor_api.requests[before:]]

    def state(self, subscriber: str = SUBSCRIBER) -> str | None:
        senders = self.api.get(f"/consent/{subscriber}").json["senders"]
        return senders[0]["state"] if senders else None

    def history(self, subscriber: str = SUBSCRIBER) -> list[dict]:
        return self.api.get(f"/consent/{subscriber}").json["history"]


@pytest.fixture
def gw(settings, api_key_for, vendor_api):
    app = create_app(settings, plugins=[loopback])
    gateway = Gateway(app, Api(app.test_client(), api_key_for(app)), vendor_api)
    yield gateway
    app.extensions["smshooks"].db.engine.dispose()


def test_stop_opts_out_records_the_ledger_and_sends_the_confirmation(gw):
    event = gw.text("STOP")["keyword_event"]
    assert (event["category"], event["match"], event["action"]) == ("opt_out", "exact", "opt_out")
    assert gw.state() == "opted_out"
    [entry] = gw.history()
    assert (entry["previous_state"], entry["new_state"], entry["keyword"], entry["actor"]) == (
        None,
        "opted_out",
        "STOP",
        "subscriber",
    )
    [sent] = gw.deliver()
    assert sent["to"] == SUBSCRIBER and sent["from"] == OUR_NUMBER
    assert "unsubscribed" in sent["text"] and "START" in sent["text"]
    assert entry["reply_text"] == sent["text"]


def test_after_stop_nothing_but_help_reaches_the_subscriber(gw):
    reply = gw.api.post("/replies", {"name": "promo", "template": "Thanks for saying {{ keyword }}!"}).json
    gw.configure(
        {
            "categories": [{"category": "custom", "keywords": ["PIZZA"], "reply_id": reply["id"]}],
            "default_reply_id": reply["id"],
        }
    )
    gw.text("STOP")
    gw.deliver()
    assert gw.text("hello there")["keyword_event"]["action"] == "none"  # no default reply
    assert gw.text("PIZZA")["keyword_event"]["action"] == "custom_keyword"
    assert gw.deliver() == []  # the custom reply was refused before the vendor
    refused = gw.api.get("/inbound-messages", query_string={"category": "custom"}).json["items"][0]
    assert refused["keyword_event"]["keyword"] == "PIZZA"
    assert gw.text("HELP")["keyword_event"]["action"] == "help"
    [help_reply] = gw.deliver()
    assert "STOP" in help_reply["text"]
    assert gw.state() == "opted_out"


def test_start_opts_back_in(gw):
    gw.text("STOP")
    gw.text("start")
    assert gw.state() == "opted_in"
    assert [(e["previous_state"], e["new_state"]) for e in gw.history()] == [
        (None, "opted_out"),
        ("opted_out", "opted_in"),
    ]
    texts = [sent["text"] for sent in gw.deliver()]
    assert len(texts) == 2 and "subscribed" in texts[1]


def test_double_opt_in_is_pending_until_an_opt_in_keyword(gw):
    gw.configure({"categories": [{"category": "double_opt_in", "keywords": ["JOIN"]}]})
    assert gw.text("JOIN")["keyword_event"]["action"] == "double_opt_in_pending"
    assert gw.state() == "pending"
    [ask] = gw.deliver()
    assert "Reply YES to confirm" in ask["text"]  # names the confirm keyword
    assert gw.text("yes please")["keyword_event"]["action"] in ("none", "default_reply")
    assert gw.state() == "pending"  # no fuzzy confirmation
    assert gw.text("YES")["keyword_event"]["action"] == "confirm_double_opt_in"
    assert gw.state() == "opted_in"
    assert gw.api.get(f"/profiles/{SUBSCRIBER}").status_code == 200  # created on confirmation


@pytest.mark.parametrize(
    ("keyword_settings", "asked", "confirm"),
    [
        (
            {
                "categories": [
                    {"category": "opt_in", "keywords": ["START"]},
                    {"category": "double_opt_in", "keywords": ["JOIN", "YES"]},
                ],
                "double_opt_in_confirm_keyword": "YES",
            },
            "YES",
            "YES",
        ),
        ({"categories": [{"category": "double_opt_in", "keywords": ["JOIN"]}]}, "YES", "start"),
        (
            {
                "categories": [{"category": "double_opt_in", "keywords": ["JOIN"]}],
                "double_opt_in_confirm_keyword": "Confirm",
            },
            "CONFIRM",
            "confirm!",
        ),
        (
            {
                "categories": [{"category": "double_opt_in", "keywords": ["JOIN"]}],
                "double_opt_in_confirm_keyword": "Confirm",
            },
            "CONFIRM",
            "Yes",
        ),
    ],
    ids=["YES listed under double opt-in", "START", "a configured confirm word", "YES with a configured word"],
)
def test_a_pending_subscriber_confirms_with_the_confirm_word_yes_or_start(gw, keyword_settings, asked, confirm):
    gw.configure(keyword_settings)
    assert gw.text("JOIN")["keyword_event"]["action"] == "double_opt_in_pending"
    [ask] = gw.deliver()
    assert f"Reply {asked} to confirm" in ask["text"]
    assert gw.text(confirm)["keyword_event"]["action"] == "confirm_double_opt_in"
    assert gw.state() == "opted_in"
    [welcome] = gw.deliver()
    assert "You are subscribed" in welcome["text"]
    assert [(e["previous_state"], e["new_state"]) for e in gw.history()] == [(None, "pending"), ("pending", "opted_in")]


def test_the_confirm_word_is_shown_and_cannot_be_an_opt_out_or_help_keyword(gw):
    url = f"/webhooks/{gw.webhook['id']}/keywords"
    assert gw.api.get(url).json["double_opt_in_confirm_keyword"] == "YES"
    for word in ("stop", "HELP"):
        answer = gw.api.request("PUT", url, {"double_opt_in_confirm_keyword": word})
        assert answer.status_code == 422, answer.json
        assert "double_opt_in_confirm_keyword" in answer.json["error"]["details"]


def test_fuzzy_opt_out_with_prompt_asks_once_and_changes_nothing(gw):
    first = gw.text("stpo")["keyword_event"]
    assert (first["category"], first["match"], first["action"]) == ("opt_out", "fuzzy", "fuzzy_prompt")
    assert gw.state() is None
    [prompt] = gw.deliver()
    assert "STOP" in prompt["text"] and "unsubscribed" not in prompt["text"].lower()
    assert gw.text("pls stop")["keyword_event"]["action"] == "fuzzy_prompt_suppressed"
    assert gw.deliver() == []
    assert gw.history() == []


def test_fuzzy_opt_out_with_auto_opt_out_opts_out(gw):
    gw.configure({"fuzzy_opt_out": {"enabled": True, "action": "auto_opt_out"}})
    event = gw.text("stpo")["keyword_event"]
    assert (event["match"], event["action"]) == ("fuzzy", "opt_out")
    assert gw.state() == "opted_out"
    [entry] = gw.history()
    assert (entry["match"], entry["rule"]) == ("fuzzy", event["rule"])
    [confirmation] = gw.deliver()
    assert "unsubscribed" in confirmation["text"]


def test_default_reply_at_most_once_per_day_and_never_for_empty_bodies(gw):
    reply = gw.api.post("/replies", {"name": "default", "template": "We got your message, {{ profile.first_name }}"})
    gw.api.request("PUT", f"/profiles/{SUBSCRIBER}", {"attributes": {"first_name": "Ada"}})
    gw.configure({"default_reply_id": reply.json["id"]})
    assert gw.text("   ")["keyword_event"]["action"] == "none"
    assert gw.text("what time do you open?")["keyword_event"]["action"] == "default_reply"
    assert gw.text("hello?")["keyword_event"]["action"] == "default_reply_suppressed"
    assert [sent["text"] for sent in gw.deliver()] == ["We got your message, Ada"]


def _age_reply_stamps(gw: Gateway, hours: int) -> None:
    """Move the subscriber's last default-reply and fuzzy-prompt times ``hours`` into the past (the clock
    cannot be waited for in a test; the stored stamps can be aged)."""
    from datetime import timedelta

    from smshooks.store.tables import ConsentRecord

    with gw.app.extensions["smshooks"].db.transaction() as session:
        for record in session.query(ConsentRecord).filter_by(subscriber=SUBSCRIBER):
            if record.last_default_reply_at:
                record.last_default_reply_at -= timedelta(hours=hours)
            if record.last_fuzzy_prompt_at:
                record.last_fuzzy_prompt_at -= timedelta(hours=hours)


@pytest.mark.parametrize(
    ("limit_hours", "hours_later", "second"),
    [(None, 3, "suppressed"), (2, 3, "sent"), (2, 1, "suppressed"), (48, 30, "suppressed"), (24, 30, "sent")],
    ids=["default 24 h, 3 h later", "2 h, 3 h later", "2 h, 1 h later", "48 h, 30 h later", "24 h, 30 h later"],
)
def test_the_reply_rate_limit_is_a_webhook_setting(gw, limit_hours, hours_later, second):
    reply = gw.api.post("/replies", {"name": "default", "template": "We got your message"})
    settings = {"default_reply_id": reply.json["id"]}
    if limit_hours is not None:
        settings["reply_rate_limit_hours"] = limit_hours
    assert gw.configure(settings)["reply_rate_limit_hours"] == (limit_hours or 24)  # shown
    assert gw.text("what time do you open?")["keyword_event"]["action"] == "default_reply"
    assert gw.text("stpo")["keyword_event"]["action"] == "fuzzy_prompt"
    _age_reply_stamps(gw, hours_later)
    expected = {
        "sent": ("default_reply", "fuzzy_prompt"),
        "suppressed": ("default_reply_suppressed", "fuzzy_prompt_suppressed"),
    }
    assert (gw.text("hello?")["keyword_event"]["action"], gw.text("stpo")["keyword_event"]["action"]) == expected[
        second
    ]
    assert len(gw.deliver()) == (4 if second == "sent" else 2)


@pytest.mark.parametrize("hours", [0, 721, "24"])
def test_the_reply_rate_limit_is_1_to_720_hours(gw, hours):
    answer = gw.api.request("PUT", f"/webhooks/{gw.webhook['id']}/keywords", {"reply_rate_limit_hours": hours})
    assert answer.status_code == 422 and "reply_rate_limit_hours" in answer.json["error"]["details"]


def test_a_vendor_retry_changes_nothing_and_sends_no_second_reply(gw):
    gw.text("STOP", message_id="dup-1")
    gw.text("STOP", message_id="dup-1")
    assert len(gw.history()) == 1
    assert len(gw.deliver()) == 1


def test_retryable_send_failures_are_retried(gw, vendor_api):
    calls = itertools.count()

    def flaky(request):
        return _json(503, {"error": "down"}) if next(calls) < 2 else _json(200, {"id": "late-1"})

    vendor_api.reply_with(flaky)
    gw.text("STOP")
    sent = gw.deliver()
    assert len(sent) == 3 and len({s["text"] for s in sent}) == 1  # two failures, then delivered


def test_a_refused_send_is_not_retried(gw, vendor_api):
    vendor_api.reply_with(lambda req: _json(400, {"error": "bad number"}))
    gw.text("STOP")
    assert len(gw.deliver()) == 1
    assert gw.deliver() == []


def test_admin_consent_change_is_in_the_ledger_with_who_made_it(gw):
    answer = gw.api.request(
        "PUT", f"/consent/{SUBSCRIBER}", {"sender_number": OUR_NUMBER, "state": "opted_out", "note": "phoned in"}
    )
    assert answer.status_code == 200, answer.json
    [entry] = answer.json["history"]
    assert entry["actor"].startswith("admin:smsh_") and entry["note"] == "phoned in"
    assert gw.state() == "opted_out"
    listed = gw.api.get("/consent", query_string={"state": "opted_out"}).json["items"]
    assert [r["subscriber"] for r in listed] == [SUBSCRIBER]
    csv_answer = gw.api.get("/consent", query_string={"state": "opted_out", "format": "csv"})
    assert csv_answer.mimetype == "text/csv"
    assert csv_answer.get_data(as_text=True).splitlines()[1].startswith(f"{SUBSCRIBER},{OUR_NUMBER},opted_out")


def test_the_ledger_cannot_be_edited_even_with_sql(gw):
    gw.text("STOP")
    engine = gw.app.extensions["smshooks"].db.engine
    for statement in ("UPDATE consent_ledger SET new_state = 'opted_in'", "DELETE FROM consent_ledger"):
        with pytest.raises(Exception, match="append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    assert gw.history()[0]["new_state"] == "opted_out"


# -- nothing a reply template does can stop an opt-out -------------------------------------

BUILTIN_OPT_OUT = (
    "You are unsubscribed and will receive no more messages from this number. Reply START to subscribe again."
)


def _signed_webhook_with_opt_out_reply(gw: Gateway, template: str) -> str:
    """A webhook whose loopback credential signs, replying to STOP with ``template``."""
    cred = gw.api.post(
        "/credentials",
        {"name": "signed", "vendor": "loopback", "account": "S", "api_url": gw.vendor_api.url, "secret": "s3cret"},
    )
    hook = gw.api.post(
        "/webhooks", {"name": "signed-in", "vendor": "loopback", "type": "inbound", "credentials_id": cred.json["id"]}
    ).json
    reply = gw.api.post("/replies", {"name": "bye", "template": template})
    assert reply.status_code == 201, reply.json  # it renders for the save-time sample subscriber
    settings = {"categories": [{"category": "opt_out", "keywords": ["STOP"], "reply_id": reply.json["id"]}]}
    assert gw.api.request("PUT", f"/webhooks/{hook['id']}/keywords", settings).status_code == 200
    return hook["id"]


def _signed_text(gw: Gateway, webhook_id: str, body: str):
    payload = json.dumps({"messages": [{"id": "in-signed", "from": SUBSCRIBER, "to": OUR_NUMBER, "text": body}]})
    signature = loopback.sign("s3cret", payload.encode())
    return gw.client.post(
        f"/hooks/{webhook_id}",
        data=payload,
        content_type="application/json",
        headers={loopback.SIGNATURE_HEADER: signature},
    )


@pytest.mark.parametrize(
    "for_real_subscribers",
    [
        "{{ range(200000)|list|length }}",
        "{{ 10 ** 100000 }}",
        "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}",
        "{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}x",
        "{{ 'x' * 2000 }}",
        "{{ 1 // 0 }}",
        "{{ profile.nickname }}",
    ],
    ids=[
        "range over the limit",
        "integer too long to write",
        "recursive macro",
        "longer than the deadline",
        "more than 10 segments",
        "division by zero",
        "renders empty",
    ],
)
def test_a_signed_stop_is_recorded_and_answered_whatever_the_opt_out_reply_does(gw, for_real_subscribers):
    # The sample subscriber is Ada; a real one (no profile) takes the other branch.
    template = "{% if profile.first_name == 'Ada' %}Bye Ada{% else %}" + for_real_subscribers + "{% endif %}"
    webhook_id = _signed_webhook_with_opt_out_reply(gw, template)
    answer = _signed_text(gw, webhook_id, "STOP")
    assert 200 <= answer.status_code < 300, answer.data
    assert gw.state() == "opted_out"
    [entry] = gw.history()
    assert (entry["new_state"], entry["keyword"], entry["action"]) == ("opted_out", "STOP", "opt_out")
    assert entry["reply_text"] == BUILTIN_OPT_OUT
    assert [sent["text"] for sent in gw.deliver()] == [BUILTIN_OPT_OUT]


def test_a_missing_profile_attribute_takes_its_default_in_a_reply(gw):
    webhook_id = _signed_webhook_with_opt_out_reply(gw, 'Bye {{ profile.first_name | default("friend") }}!')
    assert _signed_text(gw, webhook_id, "STOP").status_code == 200
    assert [sent["text"] for sent in gw.deliver()] == ["Bye friend!"]


@pytest.mark.parametrize("body", ["STOP ALL", "stop all", "Stop  All!"])
def test_stop_all_is_an_exact_opt_out(gw, body):
    """Twilio, Telnyx and Plivo treat STOP ALL as an opt-out keyword: it opts out at once, no prompt."""
    event = gw.text(body)["keyword_event"]
    assert (event["category"], event["match"], event["keyword"], event["action"]) == (
        "opt_out",
        "exact",
        "STOP ALL",
        "opt_out",
    )
    assert gw.state() == "opted_out"
    [confirmation] = gw.deliver()
    assert "unsubscribed" in confirmation["text"]


@pytest.fixture
def gw_without_public_url(settings, api_key_for, vendor_api):
    from dataclasses import replace

    app = create_app(replace(settings, public_url=None), plugins=[loopback])
    yield Gateway(app, Api(app.test_client(), api_key_for(app)), vendor_api)
    app.extensions["smshooks"].db.engine.dispose()


def test_a_reply_asks_for_status_callbacks_at_the_host_the_vendor_called(gw_without_public_url):
    """Without SMSHOOKS_PUBLIC_URL a reply's status callback is the inbound webhook's URL on the host the
    vendor's request reached, so the vendor reports on the reply."""
    gw = gw_without_public_url
    payload = {"messages": [{"id": "in-host", "from": SUBSCRIBER, "to": OUR_NUMBER, "text": "STOP"}]}
    answer = gw.client.post(f"/hooks/{gw.webhook['id']}", json=payload, base_url="https://hooks.example.net")
    assert answer.status_code == 200
    [sent] = gw.deliver()
    assert sent["callback"] == f"https://hooks.example.net/hooks/{gw.webhook['id']}"


def test_a_stop_on_a_delivery_report_webhook_still_opts_out(gw):
    """Sinch posts messages and reports to one callback URL; set up as a delivery-report ("feedback")
    webhook, it must not store a STOP unheard."""
    changed = gw.api.request("PATCH", f"/webhooks/{gw.webhook['id']}", {"type": "feedback"})
    assert changed.status_code == 200, changed.json
    assert gw.text("STOP")["keyword_event"]["action"] == "opt_out"
    assert gw.state() == "opted_out"
    [confirmation] = gw.deliver()
    assert "unsubscribed" in confirmation["text"]
