"""The per-message call log: every HTTP call a vendor plugin makes to send a message, secrets masked.

Sends go through the transactional API and a worker driven by hand to a real
local HTTP server standing in for the vendor; the log is read through
``GET /api/v1/messages/<id>/calls``, the console's message page and the raw rows.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import secrets
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, quote_plus

import pytest
from marshmallow import Schema, fields
from sqlalchemy import select, text
from support import loopback
from support.api import Api

from smshooks.apikeys import create_api_key
from smshooks.events import OutboundMessage
from smshooks.hookspecs import hookimpl
from smshooks.messages.call_log import MAX_CALLS_PER_MESSAGE
from smshooks.messages.redaction import EXCERPT_LIMIT, MASK
from smshooks.messages.send_job import SEND_SMS
from smshooks.outbox import jobs
from smshooks.outbox.retry import at_once
from smshooks.outbox.worker import Worker
from smshooks.store.tables import Job
from smshooks.testing import FakeVendorAPI, Reply
from smshooks.vendor import SendError, Vendor, secret_field, target_url_field, vendor_request
from smshooks.web.app import create_app

OUR_NUMBER = "+14155550100"
SUBSCRIBER = "+14155550123"
CLIENT_ID = "client-77"  # so the Basic pair does not hold base64(secret) aligned
# '/', '+' and '=' so the percent-, form- and JSON-encoded forms differ from the value
CLIENT_SECRET = "cs/+=" + secrets.token_hex(12)
API_KEY = "ak+/=" + secrets.token_hex(12)
ACCESS_TOKEN = "at-" + secrets.token_hex(16)
BASIC = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
SECRETS = [CLIENT_SECRET, API_KEY, ACCESS_TOKEN, BASIC]


def forms(value: str) -> list[str]:
    """``value`` as a request or a stored row could carry it."""
    return [value, quote(value, safe=""), quote_plus(value), json.dumps(value)[1:-1]]


class KeyedCredentials(Schema):
    api_url = target_url_field(required=True)
    client_id = fields.String(required=True)
    client_secret = secret_field(required=True)
    api_key = secret_field(required=True)
    extra_calls = fields.Integer(load_default=0)
    pad = fields.Integer(load_default=0)


class KeyedVendor(Vendor):
    """A vendor whose send uses every kind of secret a real one does: an OAuth2 client-credentials
    token fetch (HTTP Basic and the secret in the form), the fetched token as a Bearer header, an
    API key in a header and in the query string."""

    name = "keyed"
    title = "Keyed (tests)"
    credentials_schema = KeyedCredentials

    def verify(self, request: Any, credentials: Mapping[str, Any]) -> None:
        return None

    def parse(self, request: Any) -> list:
        return []

    def send(self, message: OutboundMessage, credentials: Mapping[str, Any], http: Any) -> str:
        base = credentials["api_url"].rstrip("/")
        for number in range(credentials["extra_calls"]):
            vendor_request(http, "GET", f"{base}/ping?n={number}", vendor="Keyed API")
        client = (credentials["client_id"], credentials["client_secret"])
        form = {"grant_type": "client_credentials", "client_id": client[0], "client_secret": client[1]}
        token = http.post(base + "/token", data=form, auth=client).json()["access_token"]
        key = credentials["api_key"]
        body = {"to": message.recipient, "text": message.text, "pad": "p" * credentials["pad"]}
        headers = {"Authorization": f"Bearer {token}", "X-Api-Key": key}
        url = f"{base}/send?api_key={quote(key, safe='')}&to={quote(message.recipient)}"
        answer = vendor_request(http, "POST", url, vendor="Keyed API", json=body, headers=headers)
        if answer.status_code >= 400:
            raise SendError(f"HTTP {answer.status_code}", retryable=answer.status_code >= 500)
        return str(answer.json()["id"])


class KeyedPlugin:
    @hookimpl
    def smshooks_register_vendors(self) -> list[Vendor]:
        return [KeyedVendor()]


def keyed_api(api: FakeVendorAPI, send_status: int = 201, pad: int = 0) -> None:
    """Token and send endpoints that echo every secret they were given back in their answers."""
    ids = itertools.count(1)

    def answer(request: Any) -> Reply:
        if request.path == "/token":
            body = {"access_token": ACCESS_TOKEN, "expires_in": 3600, "echo": request.header("Authorization")}
            return Reply(200, json.dumps(body).encode(), {"Content-Type": "application/json"})
        body = {
            "id": f"k-{next(ids)}",
            # under names that do not say secret: masked because the request carried them
            "seen": request.header("Authorization"),
            "seen_too": request.header("X-Api-Key"),
            "query": request.query,
            "pad": "r" * pad,
        }
        status = send_status if request.path == "/send" else 200
        return Reply(status, json.dumps(body).encode(), {"Content-Type": "application/json"})

    api.reply_with(answer)


@pytest.fixture
def vendor_api():
    with FakeVendorAPI() as api:
        api.reply_json(201, {"id": "vend-1", "status": "accepted"})
        yield api


@pytest.fixture
def gateway_app(settings):
    app = create_app(settings, plugins=[loopback, KeyedPlugin()])
    yield app
    app.extensions["smshooks"].db.engine.dispose()


@pytest.fixture
def api(gateway_app) -> Api:
    return Api(gateway_app.test_client(), create_api_key(gateway_app.extensions["smshooks"].db, "acme"))


def channel(api: Api, vendor: str, fields_: dict[str, Any]) -> str:
    credential = api.post("/credentials", {"name": f"c-{secrets.token_hex(3)}", "vendor": vendor, **fields_})
    assert credential.status_code == 201, credential.json
    answer = api.post(
        "/channels",
        {"name": f"ch-{secrets.token_hex(3)}", "credentials_id": credential.json["id"], "sender_number": OUR_NUMBER},
    )
    assert answer.status_code == 201, answer.json
    return answer.json["id"]


def loopback_channel(api: Api, url: str) -> str:
    return channel(api, "loopback", {"account": "A", "api_url": url})


def keyed_channel(api: Api, url: str, **extra: Any) -> str:
    fields_ = {"api_url": url, "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "api_key": API_KEY}
    return channel(api, "keyed", {**fields_, **extra})


def send_and_work(app, api: Api, channel_id: str, text_: str = "Your code is 1234") -> str:
    answer = api.post(
        "/messages",
        {"channel_id": channel_id, "campaign_id": "c1", "text": text_, "recipients": [{"phone": SUBSCRIBER}]},
    )
    assert answer.status_code == 202, answer.json
    worker = Worker(app.extensions["smshooks"], policies={SEND_SMS: at_once()})
    while worker.run_once():
        pass
    return answer.json["messages"][0]["message_execution_id"]


def calls_of(api: Api, message_id: str) -> list[dict[str, Any]]:
    answer = api.get(f"/messages/{message_id}/calls")
    assert answer.status_code == 200, answer.json
    assert answer.json["max_calls"] == MAX_CALLS_PER_MESSAGE
    return answer.json["items"]


def raw_rows(app) -> str:
    """Every stored call, every column, as text: what an operator with the database would see."""
    with app.extensions["smshooks"].db.engine.connect() as connection:
        rows = connection.execute(text("SELECT * FROM vendor_calls")).all()
    return "\n".join(" | ".join(str(value) for value in row) for row in rows)


# -- what is logged ---------------------------------------------------------------


def test_a_successful_send_logs_its_one_call(gateway_app, api, vendor_api):
    message_id = send_and_work(gateway_app, api, loopback_channel(api, vendor_api.url))
    assert api.get(f"/messages/{message_id}").json["vendor_message_id"] == "vend-1"
    (call,) = calls_of(api, message_id)
    assert (call["attempt"], call["number"], call["method"], call["url"]) == (1, 1, "POST", vendor_api.url + "/send")
    assert (call["status_code"], call["error"]) == (201, None)
    assert call["duration_ms"] >= 0 and call["at"]
    assert json.loads(call["request_excerpt"]) == {"to": SUBSCRIBER, "from": OUR_NUMBER, "text": "Your code is 1234"}
    assert json.loads(call["response_excerpt"]) == {"id": "vend-1", "status": "accepted"}


def test_a_5xx_then_a_success_logs_both_attempts(gateway_app, api, vendor_api):
    answers = iter([Reply(503, b"upstream busy"), Reply(201, b'{"id": "vend-2"}')])
    vendor_api.reply_with(lambda request: next(answers))
    message_id = send_and_work(gateway_app, api, loopback_channel(api, vendor_api.url))
    calls = calls_of(api, message_id)
    assert [(c["attempt"], c["number"], c["status_code"]) for c in calls] == [(1, 1, 503), (2, 1, 201)]
    assert [c["response_excerpt"] for c in calls] == ["upstream busy", '{"id": "vend-2"}']
    assert api.get(f"/messages/{message_id}").json["vendor_message_id"] == "vend-2"


def test_a_refused_connection_logs_the_error_of_every_attempt(gateway_app, api):
    with FakeVendorAPI() as closed:
        url = closed.url  # nothing listens there once the server is closed
    message_id = send_and_work(gateway_app, api, loopback_channel(api, url))
    calls = calls_of(api, message_id)
    assert [c["attempt"] for c in calls] == list(range(1, 9))  # the send_sms job's 8 attempts
    for call in calls:
        assert call["status_code"] is None and call["response_excerpt"] is None
        assert call["error"].startswith("ConnectionError: ") and "refused" in call["error"].lower()
        assert call["url"] == url + "/send"


def test_every_call_of_a_send_is_logged_and_no_secret_is_stored(gateway_app, api):
    with FakeVendorAPI() as keyed:
        keyed_api(keyed)
        message_id = send_and_work(gateway_app, api, keyed_channel(api, keyed.url))
    assert api.get(f"/messages/{message_id}").json["vendor_message_id"] == "k-1"
    token, sent = calls_of(api, message_id)
    assert [(c["method"], c["status_code"], c["number"]) for c in (token, sent)] == [("POST", 200, 1), ("POST", 201, 2)]
    assert token["url"] == keyed.url + "/token"
    # the query's secret is masked by its name; the other parameters stay readable
    assert sent["url"] == f"{keyed.url}/send?api_key={MASK}&to=%2B14155550123"
    assert "grant_type=client_credentials" in token["request_excerpt"]
    assert json.loads(token["response_excerpt"])["access_token"] == MASK
    assert json.loads(sent["response_excerpt"])["seen"] == MASK  # the whole header value
    answer = api.get(f"/messages/{message_id}/calls").text
    stored = raw_rows(gateway_app)
    assert stored.count(message_id) == 2
    for secret in SECRETS:
        for form in forms(secret):
            assert form not in answer, secret
            assert form not in stored, secret


def test_excerpts_are_bounded_and_say_they_were_cut(gateway_app, api):
    with FakeVendorAPI() as keyed:
        keyed_api(keyed, pad=100_000)
        message_id = send_and_work(gateway_app, api, keyed_channel(api, keyed.url, pad=5000))
    sent = calls_of(api, message_id)[-1]
    for excerpt in (sent["request_excerpt"], sent["response_excerpt"]):
        assert len(excerpt) <= EXCERPT_LIMIT
        assert re.search(r"… \[truncated; \d+ bytes in all\]$", excerpt), excerpt[-80:]
    assert sent["response_excerpt"].startswith('{"id": "k-1"')
    for secret in SECRETS:
        assert secret not in raw_rows(gateway_app)


def test_at_most_max_calls_are_kept_per_message_the_newest(gateway_app, api):
    with FakeVendorAPI() as keyed:
        keyed_api(keyed, send_status=503)  # every attempt fails: the job is retried
        channel_id = keyed_channel(api, keyed.url, extra_calls=10)  # 12 calls an attempt
        message_id = send_and_work(gateway_app, api, channel_id)
    calls = calls_of(api, message_id)
    assert len(calls) == MAX_CALLS_PER_MESSAGE  # of 8 attempts of 12 calls
    assert (calls[0]["attempt"], calls[0]["number"]) == (4, 11)  # the oldest 46 were dropped
    assert (calls[-1]["attempt"], calls[-1]["number"], calls[-1]["status_code"]) == (8, 12, 503)
    assert raw_rows(gateway_app).count("\n") + 1 == MAX_CALLS_PER_MESSAGE


def test_one_attempt_making_more_calls_than_the_cap_keeps_its_newest(gateway_app, api):
    with FakeVendorAPI() as keyed:
        keyed_api(keyed)
        message_id = send_and_work(gateway_app, api, keyed_channel(api, keyed.url, extra_calls=60))
    calls = calls_of(api, message_id)
    assert [c["number"] for c in calls] == list(range(13, 63))
    assert calls[-1]["url"].startswith(keyed.url + "/send")


def test_a_nul_in_an_answer_is_logged_not_the_whole_attempt_lost(gateway_app, api, vendor_api):
    # PostgreSQL text holds no NUL: stored as U+FFFD rather than failing the attempt's rows
    answers = iter([Reply(503, b"busy\x00now"), Reply(201, b'{"id": "vend-2"}')])
    vendor_api.reply_with(lambda request: next(answers))
    message_id = send_and_work(gateway_app, api, loopback_channel(api, vendor_api.url))
    calls = calls_of(api, message_id)
    assert [(c["attempt"], c["response_excerpt"]) for c in calls] == [(1, "busy\ufffdnow"), (2, '{"id": "vend-2"}')]


def test_a_replayed_send_numbers_its_attempts_after_the_logged_ones(gateway_app, api):
    # a replay starts the job's attempts at 1 again; the log goes on from its last attempt
    gw = gateway_app.extensions["smshooks"]
    with FakeVendorAPI() as closed:
        url = closed.url
    message_id = send_and_work(gateway_app, api, loopback_channel(api, url))
    with gw.db.transaction() as session:
        (job_id,) = session.execute(select(Job.id).where(Job.kind == SEND_SMS, Job.state == jobs.DEAD)).scalars()
        assert jobs.replay(session, job_id)
    worker = Worker(gw, policies={SEND_SMS: at_once()})
    while worker.run_once():
        pass
    assert [c["attempt"] for c in calls_of(api, message_id)] == list(range(1, 17))


def test_sends_recorded_together_each_log_their_own_calls(gateway_app, api):
    # the worker's pool records its successes in batches: one write for several messages' logs
    with FakeVendorAPI() as keyed:
        keyed_api(keyed)
        channel_id = keyed_channel(api, keyed.url)
        recipients = [{"phone": f"+1415555{n:04d}"} for n in range(20)]
        body = {"channel_id": channel_id, "campaign_id": "c1", "text": "hello", "recipients": recipients}
        answer = api.post("/messages", body)
        assert answer.status_code == 202, answer.json
        ids = [item["message_execution_id"] for item in answer.json["messages"]]
        worker = Worker(gateway_app.extensions["smshooks"], concurrency=8, poll_interval=0.05)
        thread = worker.start_thread()
        try:
            deadline = time.monotonic() + 60
            while not all(api.get(f"/messages/{one}").json["vendor_message_id"] for one in ids):
                assert time.monotonic() < deadline, "the sends were not recorded"
                time.sleep(0.05)
        finally:
            worker.stop()
            thread.join(30)
    for one in ids:
        calls = calls_of(api, one)
        assert [(c["attempt"], c["number"], c["status_code"]) for c in calls] == [(1, 1, 200), (1, 2, 201)]
        assert calls[1]["url"].endswith("to=" + quote(api.get(f"/messages/{one}").json["recipient"], safe=""))
    assert raw_rows(gateway_app).count("\n") + 1 == 40


# -- who sees it --------------------------------------------------------------------


def test_another_organisation_or_sandbox_sees_nothing(gateway_app, api, vendor_api):
    message_id = send_and_work(gateway_app, api, loopback_channel(api, vendor_api.url))
    other = Api(api.client, create_api_key(gateway_app.extensions["smshooks"].db, "globex"))
    for stranger in (other, api.in_sandbox("staging")):
        answer = stranger.get(f"/messages/{message_id}/calls")
        assert answer.status_code == 404, answer.json
        assert answer.json["error"]["code"] == "not_found"
    assert api.get("/messages/no-such-message/calls").status_code == 404


def test_a_message_never_sent_has_an_empty_log(gateway_app, api, vendor_api):
    api.request("PUT", f"/consent/{SUBSCRIBER}", {"sender_number": OUR_NUMBER, "state": "opted_out"})
    message_id = send_and_work(gateway_app, api, loopback_channel(api, vendor_api.url))
    assert calls_of(api, message_id) == []


def test_a_read_key_reads_the_log(gateway_app, api, vendor_api):
    message_id = send_and_work(gateway_app, api, loopback_channel(api, vendor_api.url))
    key = create_api_key(gateway_app.extensions["smshooks"].db, "acme", scopes=("read",))
    assert len(calls_of(Api(api.client, key), message_id)) == 1


# -- the console --------------------------------------------------------------------


def signed_in(app, key: str):
    client = app.test_client()
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/admin/login").text).group(1)
    assert client.post("/admin/login", data={"api_key": key, "csrf_token": csrf}).status_code == 303
    return client


def test_the_console_message_page_shows_the_calls_without_a_secret(gateway_app, api):
    with FakeVendorAPI() as keyed:
        keyed_api(keyed, send_status=500)
        message_id = send_and_work(gateway_app, api, keyed_channel(api, keyed.url))
    page = signed_in(gateway_app, api.key).get(f"/admin/messages/{message_id}")
    assert page.status_code == 200
    html = page.text
    assert "Vendor calls" in html and "<details>" in html
    for header in ("Time (UTC)", "Method", "URL", "Status", "Duration", "Excerpt"):
        assert f'<th scope="col">{header}</th>' in html
    assert html.count(f"{keyed.url}/token") == 8 and ">500<" in html
    for secret in SECRETS:
        for form in forms(secret):
            assert form not in html, secret


def test_a_log_that_cannot_be_written_never_fails_the_send(gateway_app, api, vendor_api):
    engine = gateway_app.extensions["smshooks"].db.engine
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE vendor_calls RENAME TO vendor_calls_away"))
    try:
        message_id = send_and_work(gateway_app, api, loopback_channel(api, vendor_api.url))
    finally:
        with engine.begin() as connection:
            connection.execute(text("ALTER TABLE vendor_calls_away RENAME TO vendor_calls"))
    message = api.get(f"/messages/{message_id}").json
    assert (message["vendor_message_id"], message["retry_count"], message["error_code"]) == ("vend-1", 0, None)
    assert len(vendor_api.requests) == 1  # sent once: the failed log did not make the job retry
    assert calls_of(api, message_id) == []
