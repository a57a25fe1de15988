"""Every hook is documented, and every hook is called in a real flow."""

from __future__ import annotations

import inspect
from dataclasses import replace

import pytest
from support import loopback
from support.api import Api, make_webhook, post_signed
from support.feedback import make_feedback_webhook, work
from support.receiver import Receiver

from smshooks import hookspecs
from smshooks.events import DeliveryReport, InboundMessage, Status
from smshooks.hookspecs import hookimpl
from smshooks.web.app import create_app

SPECS = sorted(name for name, fn in inspect.getmembers(hookspecs, inspect.isfunction) if name.startswith("smshooks_"))


@pytest.mark.parametrize("name", SPECS)
def test_hook_is_documented(name):
    doc = inspect.getdoc(getattr(hookspecs, name))
    assert doc and len(doc) > 40, f"{name} needs a docstring saying when it is called and what it may do"


class Recorder:
    def __init__(self):
        self.calls: list[tuple[str, dict]] = []

    @hookimpl
    def smshooks_inbound_handled(self, message, duplicate):
        self.calls.append(("smshooks_inbound_handled", {"message": message, "duplicate": duplicate}))

    @hookimpl
    def smshooks_delivery_report_handled(self, report, duplicate, message_status):
        self.calls.append(
            (
                "smshooks_delivery_report_handled",
                {"report": report, "duplicate": duplicate, "message_status": message_status},
            )
        )

    @hookimpl
    def smshooks_classify(self, text, config, result):
        self.calls.append(("smshooks_classify", {"text": text, "result": result}))
        return None  # no opinion: the built-in rules decide

    @hookimpl
    def smshooks_feedback_payload(self, payload, delivery):
        self.calls.append(("smshooks_feedback_payload", {"payload": dict(payload), "delivery": delivery}))
        payload["observed"] = True


class Failing:
    @hookimpl
    def smshooks_inbound_handled(self, message, duplicate):
        raise RuntimeError("observer bug")


@pytest.fixture
def recorder():
    return Recorder()


@pytest.fixture
def recorded_app(smshooks_settings, recorder):
    settings = replace(smshooks_settings, allow_private_targets=True)  # the feedback receiver is on loopback
    app = create_app(settings, plugins=[loopback, recorder])
    yield app
    app.extensions["smshooks"].db.engine.dispose()


def test_every_hook_is_exercised(recorded_app, recorder, api_key_for):
    client = recorded_app.test_client()
    api = Api(client, api_key_for(recorded_app))
    receiver = Receiver().start()
    make_feedback_webhook(api, receiver.url)
    hook = make_webhook(api)
    inbound = {"id": "in-1", "from": "+14155550123", "to": "+14155550100", "text": "hello"}
    assert post_signed(client, hook, {"messages": [inbound]}).status_code == 200
    assert post_signed(client, hook, {"messages": [inbound]}).status_code == 200
    assert (
        post_signed(client, hook, {"reports": [{"id": "out-1", "to": "+14155550123", "status": "ok"}]}).status_code
        == 200
    )
    assert (
        post_signed(client, hook, {"reports": [{"id": "out-1", "to": "+14155550123", "status": "sent"}]}).status_code
        == 200
    )

    work(recorded_app)
    receiver.stop()

    called = {name for name, _ in recorder.calls}
    # smshooks_register_vendors is how the loopback vendor exists at all
    assert recorded_app.extensions["smshooks"].plugins.vendor("loopback") is not None
    assert called | {"smshooks_register_vendors"} == set(SPECS), "a hook is never called"

    inbound_calls = [kw for name, kw in recorder.calls if name == "smshooks_inbound_handled"]
    assert [kw["duplicate"] for kw in inbound_calls] == [False, True]
    message = inbound_calls[0]["message"]
    assert isinstance(message, InboundMessage)
    assert (message.org, message.sandbox, message.webhook_id, message.text) == ("acme", "prod", hook["id"], "hello")

    report_calls = [kw for name, kw in recorder.calls if name == "smshooks_delivery_report_handled"]
    assert [kw["report"].status for kw in report_calls] == [Status.DELIVERED, Status.SENT]
    assert all(isinstance(kw["report"], DeliveryReport) for kw in report_calls)
    # the late "sent" leaves the message delivered
    assert [kw["message_status"] for kw in report_calls] == [Status.DELIVERED, Status.DELIVERED]

    # one feedback payload (delivered; the late "sent" is not an outcome), before it was sent
    [feedback] = [kw for name, kw in recorder.calls if name == "smshooks_feedback_payload"]
    assert feedback["payload"]["messageDeliveryFeedback"]["feedbackStatus"] == {"value": "delivered"}
    assert (feedback["delivery"].event_type, feedback["delivery"].attempt) == ("message.feedback", 1)
    [sent] = receiver.received
    assert sent.webhook_id == feedback["delivery"].id and sent.json()["observed"] is True


def test_a_failing_observer_never_fails_the_vendor(settings, api_key_for):
    # ``settings``: the loopback vendor's api_url is private, which the target guard refuses otherwise
    app = create_app(settings, plugins=[loopback, Failing()])
    client = app.test_client()
    api = Api(client, api_key_for(app))
    hook = make_webhook(api)
    inbound = {"id": "in-1", "from": "+14155550123", "to": "+14155550100", "text": "hello"}
    assert post_signed(client, hook, {"messages": [inbound]}).status_code == 200
    assert [m["text"] for m in api.get("/inbound-messages").json["items"]] == ["hello"]
    app.extensions["smshooks"].db.engine.dispose()


class Pineapple:
    """A plugin that knows a revocation the rules do not, and vetoes one they would take."""

    @hookimpl
    def smshooks_classify(self, text, config, result):
        from smshooks.keywords import NO_MATCH, Category, Classification, Match

        if "pineapple" in text.lower():
            return Classification(Category.OPT_OUT, Match.FUZZY, rule="FRUIT")
        if "leave me alone" in text.lower():
            return NO_MATCH
        return None


def test_a_classify_plugin_decides_a_fuzzy_opt_out_and_the_audit_trail_names_it(settings, api_key_for):
    app = create_app(settings, plugins=[loopback, Pineapple()])
    client = app.test_client()
    api = Api(client, api_key_for(app))
    hook = make_webhook(api)
    answer = api.request(
        "PUT", f"/webhooks/{hook['id']}/keywords", {"fuzzy_opt_out": {"enabled": True, "action": "auto_opt_out"}}
    )
    assert answer.status_code == 200, answer.json

    tried = api.post("/keywords/classify", {"text": "pineapple!", "webhook_id": hook["id"]}).json
    assert (tried["category"], tried["match"], tried["rule"], tried["decided_by"]) == (
        "opt_out",
        "fuzzy",
        "FRUIT",
        "Pineapple",
    ), tried
    vetoed = api.post("/keywords/classify", {"text": "leave me alone", "webhook_id": hook["id"]}).json
    assert (vetoed["category"], vetoed["decided_by"]) == ("none", "Pineapple"), vetoed

    inbound = {"id": "in-1", "from": "+14155550123", "to": "+14155550100", "text": "pineapple!"}
    assert post_signed(client, hook, {"messages": [inbound]}).status_code == 200
    event = api.get("/inbound-messages").json["items"][0]["keyword_event"]
    assert (event["action"], event["rule"], event["decided_by"]) == ("opt_out", "FRUIT", "Pineapple")
    history = api.get("/consent/+14155550123").json["history"]
    assert [(entry["new_state"], entry["decided_by"]) for entry in history] == [("opted_out", "Pineapple")]
    app.extensions["smshooks"].db.engine.dispose()
