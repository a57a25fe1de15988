"""A real ``smshooks serve`` process on a free loopback port, for end-to-end tests."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
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


def start_server(env: dict[str, str], log: Path, *extra: str) -> Server:
    """Start ``smshooks serve`` and wait until it answers /healthz."""
    port = free_port()
    with log.open("a") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "smshooks", "serve", "--host", "127.0.0.1", "--port", str(port), *extra],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if requests.get(url + "/healthz", timeout=1).status_code == 200:
                return Server(url=url, env=env, process=process, log=log)
        except requests.ConnectionError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail("server did not start:\n" + log.read_text())
        time.sleep(0.1)


def stop_server(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
