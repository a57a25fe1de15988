"""What a request handler reads from Flask: the app's gateway and the caller's scope."""

from __future__ import annotations

from flask import current_app, g

from smshooks.gateway import Gateway
from smshooks.scope import Scope


def gateway() -> Gateway:
    """The gateway of the app handling the current request."""
    return current_app.extensions["smshooks"]


def current_scope() -> Scope:
    """The organisation (from the API key) and sandbox (``X-Sandbox-Name``) of the current request."""
    return Scope(g.org, g.sandbox)
