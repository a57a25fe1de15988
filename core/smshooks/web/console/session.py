"""The console's signed session cookie and who is signed in.

The cookie holds the signed-in API key's row id, its organisation and the
chosen sandbox — never the key itself. It is signed with a key derived from
``SMSHOOKS_SECRET_KEY`` (a different key from the one sealing secrets), is
``HttpOnly``, ``SameSite=Strict``, ``Secure`` when the request came over https
(or the public URL is https), and scoped to ``/admin``. Each request re-checks
that the key is still in force (not revoked, not expired, still ``admin``), so revoking a key ends its
console sessions.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta
from typing import Any

from flask import Flask, g, request, session
from flask.sessions import SecureCookieSessionInterface

from smshooks.access import scopes
from smshooks.access.api_keys import Caller, key_in_force
from smshooks.scope import Scope
from smshooks.web.api.auth import DEFAULT_SANDBOX
from smshooks.web.console import csrf
from smshooks.web.context import gateway

COOKIE_NAME = "smshooks_console"
COOKIE_PATH = "/admin"
LIFETIME = timedelta(hours=12)


class ConsoleSessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie session with the console's cookie attributes."""

    def get_cookie_name(self, app: Flask) -> str:
        return COOKIE_NAME

    def get_cookie_path(self, app: Flask) -> str:
        return COOKIE_PATH

    def get_cookie_httponly(self, app: Flask) -> bool:
        return True

    def get_cookie_samesite(self, app: Flask) -> str:
        return "Strict"

    def get_cookie_secure(self, app: Flask) -> bool:
        public_url = app.extensions["smshooks"].settings.public_url or ""
        return request.is_secure or public_url.startswith("https://")

    def open_session(self, app: Flask, req: Any) -> Any:
        if not req.path.startswith(COOKIE_PATH):
            return None  # the API and the vendor endpoint have no session (Flask answers a null one)
        return super().open_session(app, req)


def install(app: Flask) -> None:
    settings = app.extensions["smshooks"].settings
    app.secret_key = hmac.new(settings.secret_key.encode(), b"smshooks console session", hashlib.sha256).hexdigest()
    app.permanent_session_lifetime = LIFETIME
    app.session_interface = ConsoleSessionInterface()


def sign_in(owner: Caller) -> None:
    session.clear()
    session.permanent = True
    session.update(key_id=owner.key_id, org=owner.org, sandbox=DEFAULT_SANDBOX)
    csrf.renew()


def sign_out() -> None:
    session.clear()
    csrf.renew()


def load_signed_in() -> bool:
    """Set ``g.org``, ``g.sandbox``, ``g.api_key_prefix`` from a session whose key is in force; False without."""
    key_id, org = session.get("key_id"), session.get("org")
    if not isinstance(key_id, int) or not isinstance(org, str):
        return False
    owner = key_in_force(gateway().db, key_id, org)
    if owner is None or not scopes.allows(owner.scopes, scopes.ADMIN):
        session.clear()
        return False
    g.org, g.sandbox = org, session.get("sandbox") or DEFAULT_SANDBOX
    g.api_key_prefix = owner.prefix  # who an administrator's change names (as through the API)
    g.api_key_id = owner.key_id
    return True


def choose_sandbox(name: str) -> None:
    session["sandbox"] = name


def scope() -> Scope:
    """The signed-in organisation and chosen sandbox."""
    return Scope(g.org, g.sandbox)
