"""Credentials: per-vendor forms generated from each plugin's ``credentials_schema``; secrets write-only."""

from __future__ import annotations

import json
from typing import Any

from flask import abort, flash, jsonify, redirect, render_template, request, url_for

import smshooks.credentials.payload_trial as payload_trial
import smshooks.credentials.service as service
from smshooks.credentials.fields import MASK
from smshooks.credentials.payload_trial import JSON
from smshooks.errors import DomainError, Invalid
from smshooks.vendor import Vendor
from smshooks.web.console.blueprint import bp
from smshooks.web.console.pages import FormErrors
from smshooks.web.console.schema_form import form_fields, form_sections, shown_value, values_from_form
from smshooks.web.console.session import scope
from smshooks.web.context import gateway
from smshooks.web.errors import domain_status


def _vendors() -> list[Any]:
    return sorted(gateway().plugins.vendors.values(), key=lambda v: v.title.lower())


@bp.route("/credentials")
def credentials() -> Any:
    gw = gateway()
    rows = service.list_credentials(gw, scope())
    titles = {v.name: v.title for v in _vendors()}
    return render_template("console/credentials.html", credentials=rows, vendors=_vendors(), titles=titles)


@bp.route("/credentials/new", methods=["GET", "POST"])
def new_credential() -> Any:
    vendor = gateway().plugins.vendor(request.values.get("vendor", ""))
    if vendor is None:
        return redirect(url_for("console.credentials"))
    specs = form_fields(vendor.credentials_schema())
    if request.method == "GET":
        return _form(vendor, specs, None, {}, FormErrors())
    name = request.form.get("name", "").strip()
    values, problems = values_from_form(specs, request.form, editing=False)
    if problems:
        return _form(vendor, specs, None, request.form, FormErrors("Some fields cannot be read.", problems), 422)
    try:
        created = service.create_credential(gateway(), scope(), name=name, vendor=vendor.name, values=values)
    except DomainError as exc:
        return _form(vendor, specs, None, request.form, FormErrors.of(exc), domain_status(exc))
    flash(f"Credential {created.name} is saved. Its secrets are stored encrypted and are never shown again.")
    return redirect(url_for("console.credentials"), code=303)


@bp.route("/credentials/<credential_id>", methods=["GET", "POST"])
def edit_credential(credential_id: str) -> Any:
    gw = gateway()
    current = service.get_credential(gw, scope(), credential_id)
    vendor = gw.plugins.vendor(current.vendor)
    if vendor is None:
        abort(404)
    specs = form_fields(vendor.credentials_schema())
    if request.method == "GET":
        return _form(vendor, specs, current, _stored(specs, current.fields), FormErrors())
    values, problems = values_from_form(specs, request.form, editing=True)
    if problems:
        return _form(vendor, specs, current, request.form, FormErrors("Some fields cannot be read.", problems), 422)
    try:
        saved = service.update_credential(gw, scope(), credential_id, {"name": request.form.get("name", ""), **values})
    except DomainError as exc:
        return _form(vendor, specs, current, request.form, FormErrors.of(exc), domain_status(exc))
    flash(f"Credential {saved.name} is saved.")
    return redirect(url_for("console.credentials"), code=303)


@bp.route("/credentials/<credential_id>/delete", methods=["GET", "POST"])
def delete_credential(credential_id: str) -> Any:
    gw = gateway()
    current = service.get_credential(gw, scope(), credential_id)
    if request.method == "GET":
        return render_template("console/confirm_delete.html", what="credential", name=current.name, error=None)
    try:
        service.delete_credential(gw, scope(), credential_id)
    except DomainError as exc:
        # the service's message names the webhooks and channels that use it (ids mean nothing here)
        users = [*exc.details.get("webhooks", []), *exc.details.get("channels", [])] if exc.code == "conflict" else []
        them = "it" if len(users) == 1 else "them"
        message = exc.message[:1].upper() + exc.message[1:]
        if users:
            message += f". Give {them} another credential or delete {them} first."
        return render_template(
            "console/confirm_delete.html", what="credential", name=current.name, error=message
        ), domain_status(exc)
    flash(f"Credential {current.name} is deleted.")
    return redirect(url_for("console.credentials"), code=303)


#: the sample profile of the payload preview until one is typed
SAMPLE_PROFILE = '{"first_name": "Ada", "last_name": "Lovelace"}'


def previewable(vendor: Any) -> bool:
    """True when the vendor's send request is configured (it implements ``preview_send``: the Custom vendor)."""
    return type(vendor).preview_send is not Vendor.preview_send


@bp.route("/credentials/<credential_id>/preview", methods=["POST"])
def preview_credential(credential_id: str) -> Any:
    """The exact request this credential's saved payload template makes for a sample message (JSON for the
    live preview; without JavaScript the credential's page comes back with it)."""
    sample = (request.get_json(silent=True) or {}) if request.is_json else request.form
    answer = _preview(credential_id, sample)
    if request.is_json:
        return jsonify(answer)
    return edit_credential_page(credential_id, preview=answer, sample=sample)


def _preview(credential_id: str, sample: Any) -> dict[str, Any]:
    try:
        profile = json.loads(sample.get("profile") or SAMPLE_PROFILE)
        if not isinstance(profile, dict):
            raise ValueError
    except ValueError:
        return {"error": 'the sample profile is a JSON object, e.g. {"first_name": "Ada"}'}
    try:
        request_ = service.preview_send(
            gateway(),
            scope(),
            credential_id,
            text=str(sample.get("text") or service.SAMPLE_TEXT)[:1600],
            to=str(sample.get("to") or service.SAMPLE_RECIPIENT)[:32],
            sender=(str(sample.get("from") or "")[:32] or None),
            profile=profile,
        )
    except Invalid as exc:
        return {"error": exc.message}
    return {"request": request_}


@bp.route("/credentials/<credential_id>/try", methods=["POST"])
def try_credential_payload(credential_id: str) -> Any:
    """What the credential's vendor makes of a pasted webhook payload (the Custom vendor's mappings)."""
    sample = {"payload": request.form.get("payload", ""), "content_type": request.form.get("content_type", JSON)}
    try:
        events = payload_trial.try_payload(gateway(), scope(), credential_id, sample["payload"], sample["content_type"])
        trial = {"events": events}
    except Invalid as exc:
        trial = {"error": exc.message}
    return edit_credential_page(credential_id, trial=trial, trial_sample=sample)


def edit_credential_page(credential_id: str, **extra: Any) -> Any:
    gw = gateway()
    current = service.get_credential(gw, scope(), credential_id)
    vendor = gw.plugins.vendor(current.vendor)
    if vendor is None:
        abort(404)
    specs = form_fields(vendor.credentials_schema())
    return _form(vendor, specs, current, _stored(specs, current.fields), FormErrors(), **extra)


def _stored(specs: list[Any], stored: dict[str, Any]) -> dict[str, Any]:
    return {spec.name: shown_value(spec, stored) for spec in specs}


def _form(
    vendor: Any, specs: list[Any], current: Any, shown: Any, errors: FormErrors, status: int = 200, **extra: Any
) -> tuple[str, int]:
    values = {spec.name: shown.get(spec.name, shown_value(spec, {})) for spec in specs}
    if request.method == "POST":  # a refused form shows what was typed, never a secret
        values = {spec.name: "" if spec.secret else shown.get(spec.name, "") for spec in specs}
        for spec in specs:
            if spec.kind == "checkbox":
                values[spec.name] = shown.get(spec.name) in ("on", "true", "1")
    secrets_set = {name for name, value in (current.fields if current else {}).items() if value == MASK}
    if current and current.secrets_readable and previewable(vendor) and "preview" not in extra:
        extra["preview"] = _preview(current.id, {})
    page = render_template(
        "console/credential_form.html",
        vendor=vendor,
        specs=specs,
        sections=form_sections(specs),
        current=current,
        name=shown.get("name", current.name if current else ""),
        values=values,
        secrets_set=secrets_set,
        errors=errors,
        previewable=bool(current) and previewable(vendor),
        sample=extra.pop("sample", {}),
        sample_text=service.SAMPLE_TEXT,
        sample_to=service.SAMPLE_RECIPIENT,
        sample_profile=SAMPLE_PROFILE,
        **extra,
    )
    return page, status
