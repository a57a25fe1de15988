"""API keys of the organisation: the list (never a key itself), create (the new key shown once), revoke.

The same service and rules as ``/api/v1/api-keys``: every operation needs the ``admin`` scope, which
every console session has (sign-in refuses any other key, and each request re-checks it). The key
this session signed in with cannot be revoked here, as a key cannot revoke itself through the API:
an organisation does not lock itself out by mistake, and a session never ends under the user's feet.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import flash, g, redirect, render_template, request, url_for

from smshooks.access import api_keys as service
from smshooks.access.scopes import ADMIN, READ, SCOPES, SEND
from smshooks.errors import DomainError, NotFound
from smshooks.web.console.blueprint import bp
from smshooks.web.console.pages import FormErrors
from smshooks.web.context import gateway
from smshooks.web.errors import domain_status

#: what each scope lets a key do, in plain words (the API's rule: smshooks.access.scopes)
SCOPE_HELP = {
    ADMIN: "Everything: change configuration, manage API keys, sign in to this console. Includes send and read.",
    SEND: "Send transactional messages (POST /api/v1/messages) — for the system that sends your SMS.",
    READ: "Read only: every GET of the API (not the API keys), e.g. for a dashboard or a report.",
}


@bp.route("/api-keys", methods=["GET", "POST"])
def api_keys() -> Any:
    if request.method == "GET":
        return _page({"name": "", "scopes": list(service.DEFAULT_SCOPES), "expires_at": ""}, FormErrors())
    values = {
        "name": (request.form.get("name") or "").strip(),
        "scopes": [s for s in SCOPES if request.form.get(f"scope-{s}") == "on"],
        "expires_at": (request.form.get("expires_at") or "").strip(),
    }
    expires_at, problem = _expiry(values["expires_at"])
    if problem:
        return _page(values, FormErrors("Some fields cannot be read.", {"expires_at": [problem]}), 422)
    try:
        made = service.create_key(
            gateway().db, g.org, name=values["name"], scopes=values["scopes"], expires_at=expires_at, create_org=False
        )
    except DomainError as exc:
        return _page(values, FormErrors.of(exc), domain_status(exc))
    # shown this once: rendered into this answer, never put in a redirect, a flash or the session
    fresh = {"name": "", "scopes": list(service.DEFAULT_SCOPES), "expires_at": ""}
    return _page(fresh, FormErrors(), 201, new_key=made.key, new_info=made.info)


@bp.route("/api-keys/<key_id>/revoke", methods=["GET", "POST"])
def api_keys_revoke(key_id: str) -> Any:
    # not an <int:> route: an address that matches no key is the sign-in redirect without a
    # session (tests/test_console_security.py) and a 404 page with one, never a bare 404
    key = _key(int(key_id) if key_id.isdigit() else -1)
    own = key.id == g.api_key_id
    if request.method == "GET" or own:
        page = render_template("console/api_key_revoke.html", key=key, own=own, error=None)
        return page, (409 if own and request.method == "POST" else 200)
    try:
        service.revoke_key(gateway().db, g.org, key.id, by_key_id=g.api_key_id)
    except DomainError as exc:
        page = render_template("console/api_key_revoke.html", key=key, own=False, error=exc.message)
        return page, domain_status(exc)
    flash(f"API key {_label(key)} is revoked: the API refuses it from now on.")
    return redirect(url_for("console.api_keys"), code=303)


def _key(key_id: int) -> service.ApiKeyInfo:
    """The organisation's key ``key_id`` not revoked yet; NotFound (a 404 page) otherwise."""
    for key in service.list_keys(gateway().db, g.org):
        if key.id == key_id:
            return key
    raise NotFound("no such API key (it may be revoked already)")


def _label(key: service.ApiKeyInfo) -> str:
    return f"“{key.name}” ({key.prefix}…)" if key.name else f"{key.prefix}…"


def _expiry(text: str) -> tuple[datetime | None, str]:
    """The form's expiry (a datetime-local value, read as UTC), or why it cannot be read."""
    if not text:
        return None, ""
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None, "a date and time, e.g. 2030-01-31T12:00"
    return (when if when.tzinfo else when.replace(tzinfo=UTC)), ""


def _page(values: dict[str, Any], errors: FormErrors, status: int = 200, **extra: Any) -> tuple[str, int]:
    page = render_template(
        "console/api_keys.html",
        keys=service.list_keys(gateway().db, g.org),
        own_key_id=g.api_key_id,
        values=values,
        scopes=SCOPES,
        scope_help=SCOPE_HELP,
        errors=errors,
        max_name=service.MAX_NAME,
        **extra,
    )
    return page, status
