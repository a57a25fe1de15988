"""What an operator sees: ``/metrics`` (parsed with prometheus_client's parser, counters moving
as requests are made), the request id and JSON log lines with numbers masked, and the API docs page."""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import sys

import pytest
from prometheus_client.parser import text_string_to_metric_families
from support.api import Api
from support.one_app import shared_api, shared_app, shared_client, shared_settings  # noqa: F401

from smshooks import logs
from smshooks.feedback import JOB_KIND as FEEDBACK
from smshooks.messages.send_job import SEND_SMS
from smshooks.outbox.retry import RetryPolicy
from smshooks.outbox.worker import Worker
from smshooks.testing import FakeVendorAPI, Reply

OUR_NUMBER = "+14155550100"
_numbers = itertools.count(1000)


def subscriber() -> str:
    """A number no other test of the module texts from."""
    return f"+1415555{next(_numbers):04d}"


@pytest.fixture(scope="module")
def vendor_api():
    with FakeVendorAPI() as api:
        ids = itertools.count(1)

        def answer(request) -> Reply:
            if request.json().get("text") == "refuse me":
                return Reply(400, b'{"error": "no"}', {"Content-Type": "application/json"})
            return Reply(200, json.dumps({"id": f"v-{next(ids)}"}).encode(), {"Content-Type": "application/json"})

        api.reply_with(answer)
        yield api


class Tenant:
    """An organisation with an unsigned loopback inbound webhook and a channel on our number."""

    def __init__(self, app, api: Api, vendor_api: FakeVendorAPI):
        self.app, self.api, self.client = app, api, api.client
        credential = api.post(
            "/credentials", {"name": "lb", "vendor": "loopback", "account": "A", "api_url": vendor_api.url}
        )
        self.hook = api.post(
            "/webhooks",
            {"name": "in", "vendor": "loopback", "type": "inbound", "credentials_id": credential.json["id"]},
        ).json
        self.channel = api.post(
            "/channels", {"name": "ch", "credentials_id": credential.json["id"], "sender_number": OUR_NUMBER}
        ).json
        self.message_ids = itertools.count(1)

    def text(self, body: str, sender: str, *, message_id: str | None = None, headers=None):
        payload = {
            "messages": [
                {"id": message_id or f"in-{next(self.message_ids)}", "from": sender, "to": OUR_NUMBER, "text": body}
            ]
        }
        return self.client.post(f"/hooks/{self.hook['id']}", json=payload, headers=headers or {})

    def send(self, text: str, to: str):
        body = {"channel_id": self.channel["id"], "campaign_id": "c", "text": text, "recipients": [{"phone": to}]}
        answer = self.api.post("/messages", body)
        assert answer.status_code == 202, answer.json
        return answer

    def deliver(self) -> None:
        later = RetryPolicy((3600,))  # a failed attempt waits: the test sees each attempt once
        worker = Worker(self.app.extensions["smshooks"], policies={SEND_SMS: later, FEEDBACK: later})
        while worker.run_once():
            pass


@pytest.fixture
def tenant(app, api, vendor_api) -> Tenant:
    return Tenant(app, api, vendor_api)


def scrape(client) -> dict[tuple[str, tuple], float]:
    answer = client.get("/metrics")
    assert answer.status_code == 200
    assert answer.mimetype == "text/plain"
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(answer.get_data(as_text=True))
        for sample in family.samples
    }


def value(samples: dict, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def moved(before: dict, after: dict, name: str, **labels: str) -> float:
    return value(after, name, **labels) - value(before, name, **labels)


def test_metrics_count_vendor_requests_events_decisions_and_consent(client, tenant):
    before = scrape(client)
    stop = tenant.text("STOP", subscriber(), message_id="stop-1")
    assert stop.status_code == 200
    assert tenant.text("STOP", "+14155550000", message_id="stop-1").status_code == 200  # the vendor's retry
    assert client.post(f"/hooks/{tenant.hook['id']}", data=b"[", content_type="application/json").status_code == 400
    assert client.post("/hooks/whk_unknown", json={}).status_code == 404
    assert tenant.api.get("/webhooks").status_code == 200
    after = scrape(client)

    inbound = {"vendor": "loopback", "webhook_type": "inbound"}
    assert moved(before, after, "smshooks_vendor_requests_total", **inbound, status="200") == 2
    assert moved(before, after, "smshooks_vendor_requests_total", **inbound, status="400") == 1
    assert (
        moved(before, after, "smshooks_vendor_requests_total", vendor="unknown", webhook_type="unknown", status="404")
        == 1
    )
    assert moved(before, after, "smshooks_vendor_request_duration_seconds_count", **inbound) == 3
    assert moved(before, after, "smshooks_events_stored_total", vendor="loopback", kind="inbound") == 1
    assert moved(before, after, "smshooks_events_duplicate_total", vendor="loopback", kind="inbound") == 1
    assert moved(before, after, "smshooks_pipeline_decisions_total", category="opt_out", action="opt_out") == 1
    assert moved(before, after, "smshooks_consent_changes_total", new_state="opted_out", action="opt_out") == 1
    route = {"method": "GET", "route": "/api/v1/webhooks"}
    assert moved(before, after, "smshooks_api_requests_total", **route, status="200") == 1
    assert moved(before, after, "smshooks_api_request_duration_seconds_count", **route) == 1
    # the opt-out confirmation waits in the outbox
    assert value(after, "smshooks_outbox_jobs", kind="send_sms", state="pending") >= 1
    assert value(after, "smshooks_outbox_oldest_due_age_seconds", kind="send_sms") >= 0
    assert value(after, "smshooks_database_up") == 1


def test_no_tenant_data_in_metric_labels(client, tenant):
    number = subscriber()
    assert tenant.text("HELP", number).status_code == 200
    text = client.get("/metrics").get_data(as_text=True)
    for private in (number, number[1:], tenant.hook["id"], tenant.channel["id"], tenant.api.key[:12]):
        assert private not in text
    families = [family for family in text_string_to_metric_families(text) if family.name.startswith("smshooks_")]
    labels = {key for family in families for sample in family.samples for key in sample.labels}
    assert labels <= {
        "vendor",
        "webhook_type",
        "status",
        "method",
        "route",
        "reason",
        "kind",
        "outcome",
        "category",
        "action",
        "new_state",
        "state",
        "le",
    }


def test_delivery_attempts_are_counted_by_outcome_and_the_outbox_drains(client, tenant):
    tenant.send("hello", subscriber())
    tenant.send("refuse me", subscriber())
    before = scrape(client)
    assert value(before, "smshooks_outbox_jobs", kind="send_sms", state="pending") >= 2
    tenant.deliver()
    after = scrape(client)
    assert moved(before, after, "smshooks_delivery_attempts_total", kind="send_sms", outcome="success") >= 1
    assert moved(before, after, "smshooks_delivery_attempts_total", kind="send_sms", outcome="failed") == 1
    assert moved(before, after, "smshooks_delivery_duration_seconds_count", kind="send_sms") >= 2
    assert value(after, "smshooks_outbox_jobs", kind="send_sms", state="pending") == 0
    assert value(after, "smshooks_outbox_oldest_due_age_seconds", kind="send_sms") == 0


def test_json_log_lines_carry_the_request_id_and_mask_numbers(tenant, log_lines):
    buffer = log_lines(SMSHOOKS_LOG_FORMAT="json")
    number = subscriber()
    answer = tenant.text("hello there", number, headers={"X-Request-Id": "op-test-1"})
    assert answer.status_code == 200
    assert answer.headers["X-Request-Id"] == "op-test-1"
    forged = tenant.text("hi", subscriber(), headers={"X-Request-Id": 'bad id " INFO forged'})
    assert re.fullmatch(r"[0-9a-f]{32}", forged.headers["X-Request-Id"])
    tenant.send("hello", number)
    tenant.deliver()

    lines = [json.loads(line) for line in buffer.getvalue().splitlines()]
    assert all({"time", "level", "logger", "message", "request_id"} <= set(line) for line in lines)
    [vendor_line] = [
        line for line in lines if line["request_id"] == "op-test-1" and line["logger"] == "smshooks.requests"
    ]
    assert vendor_line["message"].startswith("vendor request loopback inbound")
    assert (vendor_line["vendor"], vendor_line["webhook_type"], vendor_line["status"]) == ("loopback", "inbound", 200)
    assert (vendor_line["inbound"], vendor_line["reports"], vendor_line["duplicates"]) == (1, 0, 0)
    assert vendor_line["webhook_id"] == tenant.hook["id"] and vendor_line["duration_ms"] >= 0
    api_lines = [line for line in lines if line.get("route") == "/api/v1/messages"]
    assert api_lines and api_lines[0]["method"] == "POST" and api_lines[0]["status"] == 202
    attempts = [line for line in lines if line["message"].startswith("delivery attempt send_sms success")]
    masked = number[:-4] + "****"
    assert any(line["to"] == masked and masked in line["message"] for line in attempts)
    assert number not in buffer.getvalue()


def test_text_logs_show_numbers_when_asked(tenant, log_lines):
    buffer = log_lines(SMSHOOKS_LOG_PHONE_NUMBERS="1")
    number = subscriber()
    assert tenant.text("hi", number, headers={"X-Request-Id": "op-test-2"}).status_code == 200
    tenant.send("hello", number)
    tenant.deliver()
    text = buffer.getvalue()
    assert re.search(r" INFO smshooks\.requests \[op-test-2\]: vendor request loopback inbound .*status=200", text)
    assert f"to={number}" in text


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("to +14155550123.", "to +1415555****."),
        ("From=%2B447700900123&To=x", "From=%2B44770090****&To=x"),
        ("tel:+33612345678, whatsapp:+4915112345678", "tel:+3361234****, whatsapp:+491511234****"),
        ("+1234", "+1234"),  # too short for a number
        ("+1234567890123456", "+1234567890123456"),  # too long
        ("id 14155550123 and a1+14155550123", "id 14155550123 and a1+14155550123"),  # no +, or inside a word
    ],
)
def test_masking(text, shown):
    assert logs.mask_phone_numbers(text) == shown


def test_the_api_docs_are_served_from_this_host(client):
    page = client.get("/api/v1/docs")  # no key needed
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "SwaggerUIBundle" in html and '"/api/v1/openapi.json"' in html
    assert not re.search(r"(https?:)?//[\w.-]+\.\w", html), "the page names another host"
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert len(assets) >= 3
    for asset in assets:
        assert client.get(asset).status_code == 200, asset
    assert "Apache License" in client.get("/api/v1/docs/LICENSE").get_data(as_text=True)
    assert client.get("/api/v1/docs/../../secret.key").status_code == 404


CHILD = """
import os
from smshooks.settings import Settings
from smshooks.web.app import create_app

client = create_app(Settings.from_env()).test_client()
pid = os.fork()  # a second process, as serve --workers N starts them
if pid == 0:
    client.application.extensions["smshooks"].db.engine.dispose(close=False)  # its own connections
for _ in range(2 if pid == 0 else 1):
    assert client.post("/hooks/whk_none", json={}).status_code == 404
if pid == 0:
    os._exit(0)
os.waitpid(pid, 0)
print(client.get("/metrics").get_data(as_text=True))
"""


def test_with_a_multiprocess_directory_metrics_add_up_across_processes(tmp_path):
    """What ``serve --workers N`` relies on: each process writes to PROMETHEUS_MULTIPROC_DIR, any one scrapes all."""
    shared = tmp_path / "prometheus"
    shared.mkdir()
    env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(shared),
        "SMSHOOKS_DATA_DIR": str(tmp_path / "data"),
        "SMSHOOKS_PLUGINS": "none",  # no vendor plugin needed: every request is to an unknown webhook
    }
    scraped = subprocess.run(
        [sys.executable, "-c", CHILD], env=env, check=True, capture_output=True, text=True, timeout=120
    )
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(scraped.stdout)
        for sample in family.samples
    }
    unknown = {"vendor": "unknown", "webhook_type": "unknown", "status": "404"}
    assert value(samples, "smshooks_vendor_requests_total", **unknown) == 3
    assert value(samples, "smshooks_outbox_jobs", kind="send_sms", state="pending") == 0
    assert len(list(shared.glob("counter_*.db"))) == 2  # one file per process
