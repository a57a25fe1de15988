"""``register_console(app)``: the console's pages, session and assets on an app."""

from __future__ import annotations

import logging

from flask import Flask, redirect
from werkzeug.wrappers import Response

from smshooks.web.console import pages, session, signin
from smshooks.web.console.blueprint import bp

log = logging.getLogger(__name__)

#: the services whose pages wait for them to land (issue 9's branches): a page module whose import
#: misses one of these is left out, with a warning; any other import error is a bug and is raised
PENDING_SERVICES = frozenset(
    {
        "smshooks.credentials.service",
        "smshooks.inbound.webhooks",
        "smshooks.inbound.keyword_settings",
        "smshooks.replies.service",
        "smshooks.phones",
        "smshooks.consent.service",
        "smshooks.feedback.settings",
        "smshooks.feedback.rules",
        "smshooks.feedback.deliveries",
        "smshooks.inbound.queries",
        "smshooks.messages.queries",
        "smshooks.feedback.sample",
    }
)

#: the modules whose routes join the blueprint when imported
PAGE_MODULES: list[object] = [pages, signin]


def _waiting(exc: ModuleNotFoundError, pages_of: str) -> None:
    if exc.name not in PENDING_SERVICES:
        raise exc
    log.warning("console: the %s pages wait for the %s service", pages_of, exc.name)


try:
    from smshooks.web.console import credentials

    PAGE_MODULES.append(credentials)
except ModuleNotFoundError as exc:
    _waiting(exc, "credential")
try:
    from smshooks.web.console import replies

    PAGE_MODULES.append(replies)
except ModuleNotFoundError as exc:
    _waiting(exc, "reply")
try:
    from smshooks.web.console import webhooks

    PAGE_MODULES.append(webhooks)
except ModuleNotFoundError as exc:
    _waiting(exc, "SMS webhook")
try:
    from smshooks.web.console import consent

    PAGE_MODULES.append(consent)
except ModuleNotFoundError as exc:
    _waiting(exc, "consent")
try:
    from smshooks.web.console import deliveries, feedback

    PAGE_MODULES += [feedback, deliveries]
except ModuleNotFoundError as exc:
    _waiting(exc, "feedback webhook")
try:
    from smshooks.web.console import messages

    PAGE_MODULES.append(messages)
except ModuleNotFoundError as exc:
    _waiting(exc, "message")
try:
    from smshooks.web.console import feedback_test

    PAGE_MODULES.append(feedback_test)
except ModuleNotFoundError as exc:
    _waiting(exc, "test event")


def register_console(app: Flask) -> None:
    """Mount the console on ``app`` (once ``app.extensions["smshooks"]`` is set) and lead ``/`` to it."""
    session.install(app)
    app.register_blueprint(bp)
    app.add_url_rule("/", "console_root", _to_console)


def _to_console() -> Response:
    return redirect("/admin/")
