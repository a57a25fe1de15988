"""CSRF tokens for the console's forms.

Hand-written rather than Flask-WTF: the console has no WTForms forms, and the
rule is short — one random token per session, sent back in a hidden field
(``csrf_token``) or, from the page's scripts, an ``X-CSRF-Token`` header, and
compared in constant time on every state-changing request. The session cookie
is also ``SameSite=Strict``; the token is the defence that does not depend on
the browser.
"""

from __future__ import annotations

import hmac
import secrets

from flask import request, session

FIELD = "csrf_token"
HEADER = "X-CSRF-Token"
_KEY = "csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def token() -> str:
    """This session's token, made on first use (templates call it for each form)."""
    value = session.get(_KEY)
    if not value:
        value = secrets.token_urlsafe(32)
        session[_KEY] = value
    return value


def renew() -> None:
    """A new token (at sign-in and sign-out), so a token seen before cannot be replayed after."""
    session[_KEY] = secrets.token_urlsafe(32)


def request_is_forged() -> bool:
    """True when a state-changing request does not carry this session's token."""
    if request.method in SAFE_METHODS:
        return False
    expected = session.get(_KEY)
    sent = request.form.get(FIELD) or request.headers.get(HEADER) or ""
    return not expected or not hmac.compare_digest(str(sent), str(expected))
