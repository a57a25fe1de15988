"""Consent: look a number up (its state per sender number, the ledger as a timeline), an administrator's
change with a note, the list of records and its CSV export."""

from __future__ import annotations

from typing import Any

from flask import Response, flash, g, redirect, render_template, request, url_for

import smshooks.consent.service as service
from smshooks.errors import DomainError
from smshooks.phones import subscriber_number
from smshooks.web.console.blueprint import bp
from smshooks.web.console.pages import FormErrors
from smshooks.web.console.session import scope
from smshooks.web.context import gateway
from smshooks.web.errors import domain_status

STATE_LABELS = {"opted_in": "Opted in", "opted_out": "Opted out", "pending": "Pending double opt-in", None: "None"}


@bp.route("/consent")
def consent() -> Any:
    phone = (request.args.get("phone") or "").strip()
    state = request.args.get("state") or None
    cursor = request.args.get("cursor", type=int)
    return _page(phone, state, cursor, FormErrors())


@bp.route("/consent/change", methods=["POST"])
def change_consent() -> Any:
    phone = (request.form.get("phone") or "").strip()
    subscriber = subscriber_number(phone)
    if subscriber is None:
        return _page(phone, None, None, FormErrors("Not a phone number.", {"phone": ["e.g. +14155550123"]}), 422)
    try:
        service.change_consent(
            gateway(),
            scope(),
            subscriber,
            sender_number=request.form.get("sender_number", ""),
            state=request.form.get("state") or "none",
            admin=g.api_key_prefix,
            note=(request.form.get("note") or "").strip() or None,
        )
    except DomainError as exc:
        return _page(phone, None, None, FormErrors.of(exc), domain_status(exc))
    flash(f"Consent of {subscriber} is changed; the ledger records it with your note.")
    return redirect(url_for("console.consent", phone=subscriber), code=303)


@bp.route("/consent.csv")
def consent_csv() -> Response:
    text = service.export_csv(gateway(), scope(), state=request.args.get("state") or None)
    filename = f"consent-{scope().sandbox}.csv"
    return Response(text, mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _page(phone: str, state: str | None, cursor: int | None, errors: FormErrors, status: int = 200) -> Any:
    gw = gateway()
    subscriber = subscriber_number(phone) if phone else None
    if phone and subscriber is None and not errors:
        errors = FormErrors("Not a phone number.", {"phone": ["e.g. +14155550123"]})
        status = 422
    found = service.subscriber_consent(gw, scope(), subscriber) if subscriber else None
    listing = service.list_consent(gw, scope(), state=state, cursor=cursor)
    page = render_template(
        "console/consent.html",
        phone=phone,
        subscriber=subscriber,
        found=found,
        listing=listing,
        state=state,
        states=service.STATES,
        labels=STATE_LABELS,
        errors=errors,
    )
    return page, status
