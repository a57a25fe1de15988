"""gunicorn settings of ``smshooks serve --workers N`` (``-c python:smshooks.web.gunicorn_config``).

The app is built once in gunicorn's master, before it binds the port and
forks (``preload_app``): a start-up error shows once, the processes fork
ready (the port answers only when they can serve), and they share the
loaded code. Each forked process then drops the database connections it
inherited and opens its own.
"""

from __future__ import annotations

from typing import Any

preload_app = True
worker_class = "gthread"


def post_fork(server: Any, worker: Any) -> None:
    from smshooks.web import processes

    processes.after_fork()
