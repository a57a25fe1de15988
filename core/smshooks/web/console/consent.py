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

STATE_LABELS = {
    "opted_in": "Opted in",
    "opted_out": "Opted out",
    "pending": "Pending double opt-in",
    None: "No consent recorded",
}
#: the states an administrator may set here, as the form offers them. Not "pending": a double opt-in is
#: the subscriber's to start (the pipeline sends the confirmation request and sets its expiry); set by
#: hand it would wait for a confirmation nobody asked for, with no expiry, in place of what was stated.
CHOICES = (
    ("opted_out", "Opted out"),
    ("opted_in", "Opted in"),
    ("none", "No consent recorded (forget the stated consent)"),
)
CHOOSE_A_STATE = "Choose the new state: opted out, opted in or no consent recorded."


@bp.route("/consent")
def consent() -> Any:
    phone = (request.args.get("phone") or "").strip()
    state = request.args.get("state") or None
    cursor = request.args.get("cursor", type=int)
    return _page(phone, state, cursor, FormErrors())


@bp.route("/consent/change", methods=["POST"])
def change_consent() -> Any:
    phone = (request.form.get("phone") or "").strip()
    typed = {key: request.form.get(key, "") for key in ("sender_number", "state", "note")}
    subscriber = subscriber_number(phone)
    if subscriber is None:
        return _page(phone, None, None, FormErrors("Not a phone number.", {"phone": ["e.g. +14155550123"]}), 422)
    # never a default: a careless submit must not opt anyone in (or out)
    state = typed["state"]
    if state not in dict(CHOICES):
        errors = FormErrors("Choose the new state.", {"state": [CHOOSE_A_STATE]})
        return _page(phone, None, None, errors, 422, typed)
    note = typed["note"].strip() or None
    gw = gateway()
    before = service.subscriber_consent(gw, scope(), subscriber)
    try:
        after = service.change_consent(
            gw,
            scope(),
            subscriber,
            sender_number=typed["sender_number"],
            state=state,
            admin=g.api_key_prefix,
            note=note,
        )
    except DomainError as exc:
        return _page(phone, None, None, FormErrors.of(exc), domain_status(exc), typed)
    label = STATE_LABELS[None if state == "none" else state]
    if len(after.history) == len(before.history):
        sender = typed["sender_number"].strip()
        flash(f"Nothing is recorded: the consent of {subscriber} for {sender} already is “{label}”.")
    else:
        recorded = after.history[-1]
        flash(
            f"Consent of {subscriber} for {recorded.sender_number} is changed to “{label}”; "
            f"the ledger records it{' with your note' if note else ''}."
        )
    return redirect(url_for("console.consent", phone=subscriber), code=303)


@bp.route("/consent.csv")
def consent_csv() -> Response:
    text = service.export_csv(gateway(), scope(), state=request.args.get("state") or None)
    filename = f"consent-{scope().sandbox}.csv"
    return Response(text, mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def _page(
    phone: str,
    state: str | None,
    cursor: int | None,
    errors: FormErrors,
    status: int = 200,
    typed: dict[str, str] | None = None,
) -> Any:
    """The page; ``typed``: the change form's values as sent, shown again beside its errors."""
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
        choices=CHOICES,
        typed=typed,
        errors=errors,
    )
    return page, status
