"""Sign-in with an API key, sign-out and the sandbox switcher."""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for

from smshooks.access import scopes
from smshooks.access.api_keys import EXPIRED, check_key
from smshooks.web.api.auth import SANDBOX_NAME, THROTTLE, client_address
from smshooks.web.console import session as console_session
from smshooks.web.console.blueprint import bp
from smshooks.web.console.pages import local_path
from smshooks.web.context import gateway

HOME = "console.home"


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """The sign-in form: one field, the organisation's API key (the key the API takes as Bearer)."""
    next_page = local_path(request.values.get("next"), "")
    if request.method == "GET":
        if console_session.load_signed_in():
            return redirect(next_page or url_for(HOME))
        return render_template("console/login.html", next_page=next_page, error=None)
    throttle = current_app.extensions[THROTTLE]  # the API's wrong-key throttle: guessing here counts too
    address = client_address()
    wait = throttle.retry_after(address)
    if wait:
        error = f"Too many wrong API keys from this address: try again in {wait} s."
        return render_template("console/login.html", next_page=next_page, error=error), 429, {"Retry-After": str(wait)}
    key = request.form.get("api_key", "").strip()
    if not key:
        return render_template("console/login.html", next_page=next_page, error="Enter an API key."), 401
    checked = check_key(gateway().db, key)
    if checked.caller is None:
        throttle.wrong_key(address)
        error = (
            "That API key expired." if checked.refusal == EXPIRED else "That API key is not valid, or it was revoked."
        )
        return render_template("console/login.html", next_page=next_page, error=error), 401
    if not scopes.allows(checked.caller.scopes, scopes.ADMIN):
        error = (
            "That API key lacks the admin scope the console needs (it has: " + ", ".join(checked.caller.scopes) + ")."
        )
        return render_template("console/login.html", next_page=next_page, error=error), 403
    console_session.sign_in(checked.caller)
    return redirect(next_page or url_for(HOME), code=303)


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    console_session.sign_out()
    flash("You are signed out.")
    return redirect(url_for("console.login"), code=303)


@bp.route("/sandbox", methods=["POST"])
def switch_sandbox() -> Any:
    """Open a sandbox: one chosen from the list, or a new name typed in the field beside it."""
    name = (request.form.get("new_sandbox") or "").strip() or (request.form.get("sandbox") or "").strip()
    back = local_path(request.form.get("next"), url_for(HOME))
    if not SANDBOX_NAME.match(name):
        flash("A sandbox name has letters, digits, '.', '_' and '-' (at most 64), and starts with a letter or digit.")
        return redirect(back, code=303)
    console_session.choose_sandbox(name)
    flash(f"Sandbox {name} is open.")
    return redirect(back, code=303)


@bp.route("")
@bp.route("/")
def home() -> Any:
    """The start page: what to set up, in order, with a link to each page."""
    return render_template("console/home.html")
