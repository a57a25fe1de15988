"""``register_console(app)``: the console's pages, session and assets on an app."""

from __future__ import annotations

from flask import Flask, redirect
from werkzeug.wrappers import Response

from smshooks.web.console import (
    api_keys,
    channels,
    consent,
    credentials,
    deliveries,
    feedback,
    feedback_test,
    messages,
    pages,
    replies,
    sandbox_settings,
    send,
    session,
    signin,
    webhooks,
)
from smshooks.web.console.blueprint import bp

#: the modules whose routes join the blueprint when imported (each page module calls its services directly)
PAGE_MODULES: list[object] = [
    pages,
    signin,
    credentials,
    replies,
    webhooks,
    consent,
    feedback,
    deliveries,
    messages,
    feedback_test,
    sandbox_settings,
    api_keys,
    channels,
    send,
]


def register_console(app: Flask) -> None:
    """Mount the console on ``app`` (once ``app.extensions["smshooks"]`` is set) and lead ``/`` to it."""
    session.install(app)
    app.register_blueprint(bp)
    app.add_url_rule("/", "console_root", _to_console)


def _to_console() -> Response:
    return redirect("/admin/")
