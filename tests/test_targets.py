"""No SSRF: with SMSHOOKS_ALLOW_PRIVATE_TARGETS off, no request from smshooks reaches a
loopback or private address, whatever a tenant configures and however it spells it.

The witness is a real TCP listener on loopback counting the connections it
accepts: it must count 0. Saving a feedback URL or a credential's URL field is
refused (422 naming the field); a URL that got into the database anyway (saved
while the setting was on) is refused at send and at delivery, before any
connection, with one fixed error — the same for an open port and a closed one,
and never the listener's answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest
from support import loopback
from support.api import Api, make_webhook
from support.feedback import deliveries, make_feedback_webhook, report, work
from support.ssrf import ANSWER, PRIVATE_URLS, REFUSED, CountingListener, TLSListener, closed_port, urls

from smshooks.messages.send_job import SEND_SMS
from smshooks.outbox.retry import at_once
from smshooks.outbox.worker import Worker
from smshooks.store.tables import Credential, FeedbackWebhook
from smshooks.web.app import create_app


@pytest.fixture
def listener() -> Iterator[CountingListener]:
    with CountingListener() as running:
        yield running


@pytest.fixture
def tls_listener() -> Iterator[TLSListener]:
    with TLSListener() as running:
        yield running


@pytest.fixture
def apps(settings, api_key_for) -> Iterator[dict]:
    """Two gateways on one database: ``lax`` with the setting on (to get URLs past the
    save check into the database), ``strict`` with the server default (off)."""
    lax = create_app(settings, plugins=[loopback])
    strict = create_app(replace(settings, allow_private_targets=False), plugins=[loopback])
    key = api_key_for(lax)
    yield {
        "lax": lax,
        "strict": strict,
        "lax_api": Api(lax.test_client(), key),
        "strict_api": Api(strict.test_client(), key),
    }
    for app in (lax, strict):
        app.extensions["smshooks"].db.engine.dispose()


# --- saving: 422 naming the field ---------------------------------------------------------


def test_a_feedback_url_to_any_spelling_of_a_private_address_is_refused_on_save(apps, listener):
    api = apps["strict_api"]
    accepted = []
    for url in urls(listener.port):
        answer = api.post("/feedback-webhook", {"name": "f", "channels": ["sms"], "url": url})
        if answer.status_code != 422 or list(answer.json["error"]["details"]) != ["url"]:
            accepted.append((url, answer.status_code))
    assert accepted == []
    assert api.get("/feedback-webhook").status_code == 404
    created = make_feedback_webhook(api, "https://93.184.216.34/feedback")
    for url in urls(listener.port):
        assert api.patch("/feedback-webhook", {"url": url}).status_code == 422, url
    assert api.get("/feedback-webhook").json["url"] == created["url"]
    assert listener.accepted == 0


def test_a_credential_url_field_to_any_spelling_of_a_private_address_is_refused_on_save(apps, listener):
    api = apps["strict_api"]
    accepted = []
    for url in urls(listener.port):
        answer = api.post("/credentials", {"name": "c", "vendor": "loopback", "account": "A", "api_url": url})
        if answer.status_code != 422 or list(answer.json["error"]["details"]) != ["api_url"]:
            accepted.append((url, answer.status_code, answer.json))
    assert accepted == []
    assert api.get("/credentials").json["items"] == []

    public = api.post(
        "/credentials", {"name": "c", "vendor": "loopback", "account": "A", "api_url": "https://93.184.216.34"}
    )
    assert public.status_code == 201, public.json
    for url in urls(listener.port):
        answer = api.patch(f"/credentials/{public.json['id']}", {"api_url": url})
        assert answer.status_code == 422 and list(answer.json["error"]["details"]) == ["api_url"], url
    assert api.get(f"/credentials/{public.json['id']}").json["api_url"] == "https://93.184.216.34"
    # The field's default is the loopback vendor's fake API on 127.0.0.1: refused too.
    default = api.post("/credentials", {"name": "d", "vendor": "loopback", "account": "A"})
    assert default.status_code == 422 and default.json["error"]["details"] == {"api_url": [REFUSED]}
    assert listener.accepted == 0


def test_a_refusal_says_one_fixed_thing_and_a_malformed_url_says_what_is_wrong(apps, listener):
    api = apps["strict_api"]
    for url in (f"https://127.0.0.1:{listener.port}/", f"https://127.0.0.1:{closed_port()}/", "https://10.9.9.9/"):
        answer = api.post("/credentials", {"name": "c", "vendor": "loopback", "account": "A", "api_url": url})
        assert answer.json["error"]["details"] == {"api_url": [REFUSED]}, url
        answer = api.post("/feedback-webhook", {"name": "f", "channels": ["sms"], "url": url})
        assert answer.json["error"]["details"] == {"url": [REFUSED]}, url
    answer = api.post("/feedback-webhook", {"name": "f", "channels": ["sms"], "url": "https://u:p@93.184.216.34/"})
    assert answer.json["error"]["details"] == {"url": ["the URL must not hold credentials in the URL"]}


def test_public_https_and_names_not_resolvable_yet_are_accepted(apps):
    api = apps["strict_api"]
    for url in ("https://93.184.216.34/send", "https://[2606:2800:220:1:248:1893:25c8:1946]/send"):
        answer = api.post("/credentials", {"name": url, "vendor": "loopback", "account": "A", "api_url": url})
        assert answer.status_code == 201, (url, answer.json)
    # DNS may not be set up when the URL is configured; the connection is checked anyway
    assert make_feedback_webhook(api, "https://feedback.smshooks-test.invalid/in")["enabled"] is True


# --- a URL already in the database: refused at send and delivery, nothing connected --------


def store_directly(app, model, row_id: str, **values) -> None:
    """Write columns as they are, past every check of the API (an old row, a restored backup)."""
    with app.extensions["smshooks"].db.transaction() as session:
        row = session.get(model, row_id)
        for name, value in values.items():
            setattr(row, name, value)


def _channel(api: Api, credential_id: str) -> str:
    hook = api.post(
        "/webhooks", {"name": "fb", "vendor": "loopback", "type": "feedback", "credentials_id": credential_id}
    )
    assert hook.status_code == 201, hook.json
    channel = api.post(
        "/channels",
        {
            "name": "main",
            "credentials_id": credential_id,
            "sender_number": "+14155550100",
            "feedback_webhook_id": hook.json["id"],
        },
    )
    assert channel.status_code == 201, channel.json
    return channel.json["id"]


def test_a_send_through_a_credential_aimed_at_a_private_address_never_connects(apps, listener):
    lax, strict_api = apps["lax_api"], apps["strict_api"]
    first = f"http://127.0.0.1:{listener.port}"
    credential = lax.post("/credentials", {"name": "lb", "vendor": "loopback", "account": "A", "api_url": first})
    assert credential.status_code == 201, credential.json
    channel_id = _channel(lax, credential.json["id"])
    worker = Worker(apps["strict"].extensions["smshooks"], policies={SEND_SMS: at_once()})
    closed = closed_port()
    targets = [*urls(listener.port), f"https://127.0.0.1:{closed}", f"http://127.0.0.1:{closed}"]
    outcomes = {}
    for url in targets:
        store_directly(apps["strict"], Credential, credential.json["id"], fields={"account": "A", "api_url": url})
        sent = strict_api.post(
            "/messages",
            {"channel_id": channel_id, "campaign_id": "c1", "text": "hi", "recipients": [{"phone": "+14155550123"}]},
        )
        assert sent.status_code == 202, sent.json
        while worker.run_once():
            pass
        message = strict_api.get(f"/messages/{sent.json['messages'][0]['message_execution_id']}")
        outcomes[url] = (message.json["status"], message.json["error_code"], message.json["error_reason"])
        assert ANSWER.decode() not in message.get_data(as_text=True)
    assert {url: outcome for url, outcome in outcomes.items() if outcome != ("error", "target_refused", REFUSED)} == {}
    assert listener.accepted == 0


def _attempted(api: Api, count: int) -> bool:
    """``count`` deliveries logged, each attempted (a slow run may reach an earlier one's 5 s retry too)."""
    logged = deliveries(api)
    return len(logged) == count and all(d["attempt_count"] >= 1 for d in logged)


def test_a_feedback_delivery_to_a_private_address_never_connects(apps, listener):
    lax, strict_api = apps["lax_api"], apps["strict_api"]
    webhook = make_feedback_webhook(lax, f"http://127.0.0.1:{listener.port}/feedback")
    hook = make_webhook(lax)
    closed = closed_port()
    targets = [*urls(listener.port), f"https://127.0.0.1:{closed}/feedback", f"http://127.0.0.1:{closed}/feedback"]
    for number, url in enumerate(targets):
        store_directly(apps["strict"], FeedbackWebhook, webhook["id"], url=url)
        report(lax.client, hook, f"v-{number}", "ok")
        work(apps["strict"], lambda count=number + 1: _attempted(strict_api, count))
    shown = strict_api.get("/deliveries").get_data(as_text=True)
    assert ANSWER.decode() not in shown
    logged = deliveries(strict_api)
    assert len(logged) == len(targets)
    assert {(d["last_error"], d["last_status_code"]) for d in logged} == {(REFUSED, None)}
    assert {(a["error"], a["response_excerpt"]) for d in logged for a in d["attempts"]} == {(REFUSED, None)}
    assert listener.accepted == 0


# --- the guarded session itself ---------------------------------------------------------------


@pytest.mark.parametrize("session_class", ["requests", "host"])
def test_the_guarded_session_refuses_before_connecting_and_the_open_session_connects(listener, session_class):
    """Both requests' path and the host session's short one (:class:`HttpSession`, a form body)."""
    import requests

    from smshooks.targets import TargetRefused, http_session, refusal_count
    from smshooks.vendor import HttpSession

    cls = HttpSession if session_class == "host" else requests.Session
    guarded = http_session(cls, allow_private=False)
    failures = []
    for url in [*urls(listener.port), f"https://127.0.0.1:{closed_port()}/"]:
        try:
            guarded.post(url, data={"To": "+1"}, timeout=5)
            failures.append((url, "answered"))
        except TargetRefused as exc:
            if str(exc) != REFUSED:
                failures.append((url, str(exc)))
    assert failures == []
    assert refusal_count(guarded) == len(PRIVATE_URLS) + 1
    assert listener.accepted == 0
    # The witness works: with the setting on, the same session factory does connect.
    answer = http_session(cls, allow_private=True).post(f"http://127.0.0.1:{listener.port}/x", data={"a": "b"})
    assert answer.content == ANSWER and listener.accepted == 1


# --- the guarded kept-alive pools (the feedback POST's and the host sessions') -----------------


def test_the_guarded_pools_refuse_before_connecting_and_the_open_pools_connect(listener):
    from urllib3.exceptions import LocationValueError
    from urllib3.util import parse_url

    from smshooks.contract import http_answer
    from smshooks.targets import REFUSED, guarded_pool

    guarded = guarded_pool(allow_private=False)
    targets = [*urls(listener.port), f"https://127.0.0.1:{closed_port()}/", f"http://93.184.216.34:{closed_port()}/"]
    failures = []
    for url in targets:
        try:
            parts = parse_url(url)
        except LocationValueError:
            continue  # not even a URL (full-width names): nothing to connect to
        try:
            guarded.request(
                "POST",
                parts.scheme or "http",
                parts.host or "",
                parts.port,
                parts.request_uri,
                [("Content-Type", "application/json")],
                b"{}",
                connect_timeout=5,
                read_timeout=5,
            )
            failures.append((url, "answered"))
        except http_answer.Refused as exc:
            if parts.scheme == "https" and str(exc) != REFUSED:
                failures.append((url, repr(exc)))
        except http_answer.HTTPFailure as exc:
            failures.append((url, repr(exc)))
    assert failures == []
    assert listener.accepted == 0
    # The witness works: with the setting on, the same factory does connect.
    open_pool = guarded_pool(allow_private=True)
    answer = open_pool.request(
        "POST", "http", "127.0.0.1", listener.port, "/x", [], b"{}", connect_timeout=5, read_timeout=5
    )
    assert answer.body == ANSWER and listener.accepted == 1


def test_a_feedback_post_checks_the_receivers_certificate(tls_listener):
    from smshooks.feedback.transport import Target, post
    from smshooks.targets import guarded_pool

    url = f"https://127.0.0.1:{tls_listener.port}/feedback"
    target = Target("fw_1", url, {}, None, {}, ["whsec_" + "A" * 43 + "="])
    answer = post(guarded_pool(allow_private=True), True, target, "evt_1", b"{}")
    assert (answer.status_code, answer.response_excerpt) == (None, None)
    assert answer.error is not None and "CERTIFICATE_VERIFY_FAILED" in answer.error, answer.error
    assert tls_listener.handled.wait(10)
    assert tls_listener.handshakes_failed >= 1 and tls_listener.requests == 0
