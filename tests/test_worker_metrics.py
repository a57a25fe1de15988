"""``smshooks worker --metrics-port``: a worker on a host with no web process beside it serves its
own delivery metrics (a web process's ``/metrics`` shows them only through a shared
PROMETHEUS_MULTIPROC_DIR), read with prometheus_client's parser as the attempts are made."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import pytest
import requests
from support import loopback
from support.api import Api, make_webhook, new_org
from support.feedback import make_feedback_webhook, report
from support.metrics import parse, value
from support.receiver import Receiver

from smshooks.apikeys import create_api_key
from smshooks.web.app import create_app


@pytest.fixture
def receiver():
    with Receiver() as receiver:
        yield receiver


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_worker_serves_its_own_metrics_on_metrics_port(settings, tmp_path, receiver):
    """A worker on a host of its own: its delivery attempts on ``--metrics-port``, read by Prometheus's parser."""
    app = create_app(settings, plugins=[loopback])
    api = Api(app.test_client(), create_api_key(app.extensions["smshooks"].db, new_org()))
    make_feedback_webhook(api, receiver.url)
    hook = make_webhook(api)
    port = free_port()
    env = {
        **os.environ,
        "SMSHOOKS_DATABASE_URL": settings.database_url,
        "SMSHOOKS_DATA_DIR": str(tmp_path),
        "SMSHOOKS_SECRET_KEY": settings.secret_key,
        "SMSHOOKS_ALLOW_PRIVATE_TARGETS": "1",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    command = [sys.executable, "-m", "smshooks", "worker", "--poll-interval", "0.1", "--metrics-port", str(port)]
    log = tmp_path / "worker.log"
    with log.open("w") as out:
        worker = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)

    def samples() -> dict | None:
        try:
            return parse(requests.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text)
        except requests.ConnectionError:
            assert worker.poll() is None, log.read_text()
            return None

    def wait_for(condition, what: str) -> dict:
        deadline = time.monotonic() + 30
        while True:
            scraped = samples()
            if scraped is not None and condition(scraped):
                return scraped
            assert time.monotonic() < deadline, f"{what}:\n{log.read_text()}"
            time.sleep(0.1)

    success = {"kind": "feedback", "outcome": "success"}
    try:
        first = wait_for(lambda s: True, "the worker's metrics port never answered")
        assert value(first, "smshooks_delivery_attempts_total", **success) == 0
        report(api.client, hook, "v-1", "ok")
        report(api.client, hook, "v-2", "sent")
        after = wait_for(
            lambda s: value(s, "smshooks_delivery_attempts_total", **success) == 2, "two feedback attempts not counted"
        )
        assert value(after, "smshooks_delivery_duration_seconds_count", kind="feedback") == 2
        assert len(receiver.accepted()) == 2
    finally:
        worker.terminate()
        worker.wait(timeout=20)
        app.extensions["smshooks"].db.engine.dispose()
    assert f"smshooks worker metrics on http://127.0.0.1:{port}/metrics" in log.read_text()
