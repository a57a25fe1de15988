"""Feedback webhook settings (one per organisation + sandbox): name, channels, URL, authentication
none/JWT, header parameters, enable/disable, secret rotation, delete."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from flask import flash, redirect, render_template, request, url_for

import smshooks.feedback.settings as service
from smshooks.errors import DomainError, NotFound
from smshooks.feedback.rules import CHANNELS, DEFAULT_GRACE, MAX_HEADERS
from smshooks.feedback.signing import ALGORITHMS
from smshooks.web.console.blueprint import bp
from smshooks.web.console.pages import FormErrors
from smshooks.web.console.session import scope
from smshooks.web.context import gateway
from smshooks.web.errors import domain_status

MASK = "********"


@bp.route("/feedback-webhook", methods=["GET", "POST"])
def feedback_webhook() -> Any:
    gw = gateway()
    current = current_view()
    if request.method == "GET":
        return _form(current, _values_of(current), FormErrors())
    values, problems = _values_from_form(request.form)
    if "add_header" in request.form or "remove_header" in request.form:
        return _form(current, values, FormErrors())
    if problems:
        return _form(current, values, FormErrors("Some fields cannot be read.", problems), 422)
    try:
        save = service.create if current is None else service.update
        saved = save(gw, scope(), values)
    except DomainError as exc:
        return _form(current, values, FormErrors.of(exc), domain_status(exc))
    if saved.signing_secret:  # shown this once: rendered, never put in a redirect or the session
        return _form(saved, _values_of(saved), FormErrors(), new_secret=saved.signing_secret)
    flash("The feedback webhook is saved.")
    return redirect(url_for("console.feedback_webhook"), code=303)


@bp.route("/feedback-webhook/rotate-secret", methods=["POST"])
def rotate_feedback_secret() -> Any:
    hours = request.form.get("grace_hours", type=float)
    grace = DEFAULT_GRACE if hours is None else timedelta(hours=hours)
    try:
        rotated = service.rotate_secret(gateway(), scope(), grace=grace)
    except DomainError as exc:
        current = current_view()
        return _form(current, _values_of(current), FormErrors.of(exc), domain_status(exc))
    return _form(rotated, _values_of(rotated), FormErrors(), new_secret=rotated.signing_secret)


@bp.route("/feedback-webhook/delete", methods=["GET", "POST"])
def delete_feedback_webhook() -> Any:
    current = current_view()
    if current is None:
        return redirect(url_for("console.feedback_webhook"))
    if request.method == "GET":
        return render_template(
            "console/confirm_delete.html",
            what="feedback webhook",
            name=current.name,
            error=None,
            consequence="No new feedback is written for this sandbox; past deliveries stay listed.",
            back=url_for("console.feedback_webhook"),
        )
    service.delete(gateway(), scope())
    flash(f"Feedback webhook {current.name} is deleted.")
    return redirect(url_for("console.feedback_webhook"), code=303)


def current_view() -> Any:
    """The scope's feedback webhook, or None."""
    try:
        return service.get(gateway(), scope())
    except NotFound:
        return None


def form_page(current: Any, errors: FormErrors, status: int = 200, **extra: Any) -> Any:
    """The settings page of ``current`` as saved, with ``errors`` and extra parts (a test event's answer)."""
    return _form(current, _values_of(current), errors, status, **extra)


def _values_of(view: Any) -> dict[str, Any]:
    if view is None:
        return {"name": "", "channels": ["sms"], "url": "", "auth": {"type": "none"}, "headers": {}, "enabled": True}
    return {
        "name": view.name,
        "channels": view.channels,
        "url": view.url,
        # never a stored secret: the form puts these values back into its inputs (see _form)
        "auth": {k: v for k, v in view.auth.items() if v is not None and k != "key"},
        "headers": dict.fromkeys(view.headers, MASK),
        "relay_inbound": view.relay_inbound,
        "enabled": view.enabled,
    }


def _values_from_form(form: Any) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The settings the form gives (the service's fields), and messages for what it cannot read."""
    problems: dict[str, list[str]] = {}
    auth: dict[str, Any] = {"type": form.get("auth_type") or "none"}
    if auth["type"] == "jwt":
        auth["algorithm"] = form.get("jwt_algorithm") or ALGORITHMS[0]
        if form.get("jwt_key", "").strip():
            auth["key"] = form["jwt_key"].strip()
        for name in ("issuer", "audience", "key_id"):
            auth[name] = (form.get(f"jwt_{name}") or "").strip() or None
        claims = (form.get("jwt_claims") or "").strip()
        if claims:
            try:
                auth["claims"] = json.loads(claims)
            except json.JSONDecodeError as exc:
                problems["claims"] = [f"not valid JSON: {exc.msg}"]
    headers: dict[str, str] = {}
    rows = []
    for index in range(MAX_HEADERS + 1):
        name = (form.get(f"header-{index}-name") or "").strip()
        if name or f"header-{index}-name" in form:
            rows.append((name, form.get(f"header-{index}-value") or ""))
    remove = form.get("remove_header")
    if remove and remove.isdigit() and int(remove) < len(rows):
        rows.pop(int(remove))
    for name, value in rows:
        if name:
            headers[name] = value  # a stored value comes back as the mask, which keeps it; a typed one as typed
    values = {
        "name": (form.get("name") or "").strip(),
        "channels": [c for c in CHANNELS if form.get(f"channel-{c}") == "on"],
        "url": (form.get("url") or "").strip(),
        "auth": auth,
        "headers": headers,
        "relay_inbound": form.get("relay_inbound") == "on",
        "enabled": form.get("enabled") == "on",
    }
    if "add_header" in form:
        values["_extra_header_row"] = True
    return values, problems


def _form(current: Any, values: dict[str, Any], errors: FormErrors, status: int = 200, **extra: Any) -> Any:
    """The settings page showing ``values``. A header value and the JWT key in ``values`` go back into
    their inputs: from this form they are what the user typed (or the mask of a stored value), which a
    re-render (add or remove a header, a refused save) must not lose; from :func:`_values_of` they are
    masks and no key, so a stored secret never reaches the page."""
    header_rows = list(values.get("headers", {}).items())
    if values.pop("_extra_header_row", False) or not header_rows:
        header_rows.append(("", ""))
    page = render_template(
        "console/feedback_webhook.html",
        current=current,
        values=values,
        header_rows=header_rows,
        channels=CHANNELS,
        algorithms=ALGORITHMS,
        errors=errors,
        mask=MASK,
        **extra,
    )
    return page, status
