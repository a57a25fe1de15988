"""Sandbox settings: how far a subscriber's consent reaches (one of our numbers, or all of them) and
whether a marketing send needs a recorded opt-in — the page of ``/api/v1/sandbox-settings``.

The service is :mod:`smshooks.consent.sandbox_settings`, as for the API; a setting the form leaves out
takes its default there too (an unticked box is ``False``, since a browser sends nothing for it).
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for

from smshooks.consent import sandbox_settings as service
from smshooks.consent.sandbox_policy import CONSENT_SCOPES
from smshooks.errors import DomainError
from smshooks.web.console.blueprint import bp
from smshooks.web.console.pages import FormErrors
from smshooks.web.console.session import scope
from smshooks.web.context import gateway
from smshooks.web.errors import domain_status

#: each consent scope in plain words: what an opt-out (STOP) or an opt-in (START) to one number does
CONSENT_SCOPE_HELP = {
    "sandbox": (
        "All our numbers together. A subscriber who texts STOP to any of this sandbox's numbers gets no more"
        " messages from any of them, and START to one number opts in to all of them — as Twilio Messaging"
        " Services treat a pool of numbers. The safe choice when your numbers are one brand."
    ),
    "number": (
        "Each of our numbers on its own. STOP to one number stops only the messages from that number; the"
        " subscriber still gets messages from the others until they opt out of those too. For numbers that"
        " serve different brands or services."
    ),
}
CONSENT_SCOPE_TITLES = {"sandbox": "The whole sandbox", "number": "Per number"}


@bp.route("/sandbox-settings", methods=["GET", "POST"])
def sandbox_settings() -> Any:
    gw = gateway()
    if request.method == "GET":
        saved = service.get_sandbox_settings(gw, scope())
        return _page(vars(saved), FormErrors())
    values = {
        "consent_scope": request.form.get("consent_scope") or "",
        "marketing_requires_opt_in": request.form.get("marketing_requires_opt_in") == "on",
    }
    try:
        service.replace_sandbox_settings(gw, scope(), **values)
    except DomainError as exc:
        return _page(values, FormErrors.of(exc), domain_status(exc))
    flash(f"The settings of sandbox {scope().sandbox} are saved.")
    return redirect(url_for("console.sandbox_settings"), code=303)


def _page(values: dict[str, Any], errors: FormErrors, status: int = 200) -> tuple[str, int]:
    page = render_template(
        "console/sandbox_settings.html",
        values=values,
        defaults=vars(service.DEFAULTS),
        consent_scopes=CONSENT_SCOPES,
        scope_titles=CONSENT_SCOPE_TITLES,
        scope_help=CONSENT_SCOPE_HELP,
        errors=errors,
    )
    return page, status
