"""End-to-end fixtures: the real ``smshooks serve`` process on a free loopback port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    url: str
    env: dict[str, str]
    process: subprocess.Popen
    log: Path

    def cli(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "smshooks", *args], env=self.env, capture_output=True, text=True, check=True
        )
        return done.stdout.strip()

    def api(self, key: str) -> requests.Session:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {key}"
        return session


@pytest.fixture
def server(smshooks_database_url: str, tmp_path: Path) -> Iterator[Server]:
    port = free_port()
    env = {
        **os.environ,
        "SMSHOOKS_DATA_DIR": str(tmp_path / "data"),
        "SMSHOOKS_DATABASE_URL": smshooks_database_url,
        "SMSHOOKS_SECRET_KEY": "e2e-secret",
    }
    env.pop("SMSHOOKS_PUBLIC_URL", None)
    log = tmp_path / "server.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "smshooks", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if requests.get(url + "/healthz", timeout=1).status_code == 200:
                break
        except requests.ConnectionError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail("server did not start:\n" + log.read_text())
        time.sleep(0.1)
    try:
        yield Server(url=url, env=env, process=process, log=log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
