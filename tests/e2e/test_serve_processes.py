"""``smshooks serve --workers 2``: two gunicorn web processes and one outbox worker process."""

from __future__ import annotations

import itertools
import json
import os
import time
from pathlib import Path

import requests
from sqlalchemy import create_engine, text
from support.server import start_server, stop_server

from smshooks.testing import FakeVendorAPI, Reply

ACCOUNT_SID = "AC0123456789abcdef0123456789abcdef"


def children(pid: int) -> dict[int, str]:
    """The live child processes of ``pid``: their command lines."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found[int(entry.name)] = cmdline
    return found


def test_two_web_processes_and_one_outbox_worker(server_env, tmp_path):
    sids = itertools.count()
    with FakeVendorAPI() as twilio_api:
        twilio_api.reply_with(
            lambda _request: Reply(201, json.dumps({"sid": f"SM{next(sids):032x}", "status": "queued"}).encode(), {})
        )
        server = start_server(server_env, tmp_path / "server.log", "--workers", "2", "--threads", "2")
        engine = create_engine(server_env["SMSHOOKS_DATABASE_URL"])
        try:
            processes = children(server.process.pid)
            [gunicorn] = [pid for pid, command in processes.items() if "gunicorn" in command]
            assert len([c for c in processes.values() if "smshooks worker" in c]) == 1
            assert len(processes) == 2  # gunicorn's master and the outbox worker
            # the web processes: gunicorn forks them one after another, and the first may answer alone
            deadline = time.monotonic() + 20
            while len(children(gunicorn)) < 2 and time.monotonic() < deadline:
                time.sleep(0.1)
            assert len(children(gunicorn)) == 2

            api = server.api(server.cli("apikey", "create", "--org", "acme"))
            base = server.url + "/api/v1"
            credential = api.post(
                base + "/credentials",
                json={
                    "name": "twilio",
                    "vendor": "twilio",
                    "account_sid": ACCOUNT_SID,
                    "auth_token": "0123456789abcdef0123456789abcdef",
                    "api_base_url": twilio_api.url,
                },
                timeout=10,
            ).json()
            channel = api.post(
                base + "/channels",
                json={"name": "main", "credentials_id": credential["id"], "sender_number": "+14155550100"},
                timeout=10,
            ).json()
            for batch in range(3):  # spread over the web processes' threads
                recipients = [{"phone": f"+1415555{batch}{n:03d}"} for n in range(10)]
                body = {"channel_id": channel["id"], "campaign_id": "c", "text": "hi", "recipients": recipients}
                answer = api.post(base + "/messages", json=body, timeout=10)
                assert answer.status_code == 202, answer.text
            assert all(requests.get(server.url + "/healthz", timeout=5).ok for _ in range(20))

            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                with engine.connect() as conn:
                    done = conn.execute(text("SELECT count(*) FROM jobs WHERE state = 'done'")).scalar()
                if done == 30:
                    break
                time.sleep(0.1)
            with engine.connect() as conn:
                assert conn.execute(text("SELECT state, count(*) FROM jobs GROUP BY state")).all() == [("done", 30)]
                workers = set(conn.execute(text("SELECT worker FROM jobs")).scalars())
            # one worker process sent them all, not one per web process
            assert {name.split(":")[1] for name in workers} == {
                str(pid) for pid, command in processes.items() if "smshooks worker" in command
            }
            # the worker process's counters show on a web process's /metrics: one multi-process directory
            metrics = requests.get(server.url + "/metrics", timeout=10).text
            attempts = [
                float(line.rsplit(" ", 1)[1])
                for line in metrics.splitlines()
                if line.startswith("smshooks_delivery_attempts_total{") and 'kind="send_sms"' in line
            ]
            assert sum(attempts) == 30
            # the web processes write their request lines too (gunicorn runs them, not the smshooks command)
            deadline = time.monotonic() + 10
            while "api request POST /api/v1/messages status=202" not in server.log.read_text():
                assert time.monotonic() < deadline, server.log.read_text()[-2000:]
                time.sleep(0.1)
            assert sorted(r.form["To"][0] for r in twilio_api.requests) == sorted(
                f"+1415555{b}{n:03d}" for b in range(3) for n in range(10)
            )
        finally:
            stop_server(server)
            engine.dispose()
    assert all(not os.path.exists(f"/proc/{pid}") for pid in processes)
