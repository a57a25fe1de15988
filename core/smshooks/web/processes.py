"""``smshooks serve --workers N``: N web processes (gunicorn) and one outbox worker process.

Threads of one Python process take turns on the GIL, so one process keeps
one core busy at most; gunicorn forks N processes that share the listening
socket. The outbox worker runs once, in a process of its own (``smshooks
worker``) beside them, not once per web process: it already keeps many
deliveries in flight, and N of them would only compete for the same cores.

This module's process supervises both: it creates the schema once (so N
processes do not race to migrate an empty database), starts gunicorn and the
worker, restarts the worker if it dies, and stops both on SIGTERM or SIGINT.
On Linux the children also get SIGTERM if the supervisor itself is killed.
Unless ``PROMETHEUS_MULTIPROC_DIR`` is set, it gives the children a fresh
one for the run, so any process's ``/metrics`` adds up all of them.
"""

from __future__ import annotations

import ctypes
import gc
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from smshooks import logs
from smshooks.settings import Settings

if TYPE_CHECKING:
    from flask import Flask

log = logging.getLogger(__name__)

#: seconds to wait for the children after SIGTERM before killing them
STOP_GRACE = 20.0
_PR_SET_PDEATHSIG = 1


#: the app gunicorn's master built (see gunicorn_config)
_app: Flask | None = None


def wsgi_app() -> Flask:
    """The app gunicorn serves (``smshooks.web.processes:wsgi_app()``), built once in its master."""
    from smshooks.web.app import create_app

    global _app
    # gunicorn runs this, not the smshooks command: its log lines as every smshooks process writes them
    # (the level the command was given comes in SMSHOOKS_LOG_LEVEL), configured before the fork
    logs.configure(level=os.environ.get("SMSHOOKS_LOG_LEVEL", "INFO"))
    _app = create_app(Settings.from_env(), create_schema=False)
    freeze_startup_objects()  # before the fork: the processes also keep sharing these pages
    return _app


def freeze_startup_objects() -> None:
    """Leave the objects made so far (modules, the app, tables, word lists: the process's lifetime) out of
    the garbage collector's full collections, which otherwise walk all of them now and then while serving
    (profile_inbound.py: ~150,000 objects, ~4 % of a vendor request's CPU)."""
    gc.collect()
    gc.freeze()


def after_fork() -> None:
    """In a forked web process: connections inherited from the master are not its own to use."""
    if _app is not None:
        _app.extensions["smshooks"].db.engine.dispose(close=False)


def gunicorn_command(host: str, port: int, workers: int, threads: int) -> list[str]:
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--config",
        "python:smshooks.web.gunicorn_config",
        "--bind",
        bind,
        "--graceful-timeout",
        "10",
        "--log-level",
        "warning",
        "smshooks.web.processes:wsgi_app()",
    ]


def worker_command(poll_interval: float) -> list[str]:
    return [sys.executable, "-m", "smshooks", "worker", "--poll-interval", str(poll_interval)]


def serve_processes(
    settings: Settings, *, host: str, port: int, workers: int, threads: int, outbox: bool = True
) -> int:
    """Run until SIGTERM/SIGINT or until gunicorn exits; returns the exit status."""
    if not sys.platform.startswith("linux"):
        raise RuntimeError("--workers above 1 runs gunicorn, which needs Linux; use --workers 1 (waitress)")
    _create_schema(settings)
    metrics_dir = None
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        metrics_dir = os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="smshooks-metrics-")
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    web = _start(gunicorn_command(host, port, workers, threads))
    # SQLite has no NOTIFY: the worker polls its file often instead (a cheap indexed read)
    poll = 1.0 if settings.database_url.startswith("postgresql") else 0.2
    worker = _start(worker_command(poll)) if outbox else None
    restarts = 0
    try:
        while not stopping:
            if web.poll() is not None:
                log.error("gunicorn exited with status %s", web.returncode)
                return web.returncode or 1
            if worker is not None and worker.poll() is not None:
                restarts += 1
                log.error("the outbox worker exited with status %s; restarting it", worker.returncode)
                time.sleep(min(10.0, 0.5 * restarts))
                worker = _start(worker_command(poll))
            time.sleep(0.2)
        return 0
    finally:
        _stop([p for p in (web, worker) if p is not None])
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def _create_schema(settings: Settings) -> None:
    from smshooks.store.db import Database, has_schema, upgrade

    database = Database.from_url(settings.database_url)
    try:
        if not has_schema(database.engine):
            upgrade(database.engine)
    finally:
        database.engine.dispose()


def _start(command: list[str]) -> subprocess.Popen[bytes]:
    # preexec_fn is unsafe with threads running; the supervisor starts none
    return subprocess.Popen(command, preexec_fn=_die_with_parent())


def _die_with_parent() -> Callable[[], None] | None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None

    def set_death_signal() -> None:
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)

    return set_death_signal


def _stop(children: list[subprocess.Popen[bytes]]) -> None:
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
