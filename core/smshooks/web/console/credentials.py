"""Credentials: per-vendor forms generated from each plugin's ``credentials_schema``; secrets write-only."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for

import smshooks.credentials.service as service
from smshooks.credentials.fields import MASK
from smshooks.errors import DomainError
from smshooks.web.console.blueprint import bp
from smshooks.web.console.pages import FormErrors
from smshooks.web.console.schema_form import form_fields, shown_value, values_from_form
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
        users = ", ".join(exc.details.get("webhooks", []))
        message = f"{exc.message}: {users}. Delete or change those webhooks first." if users else exc.message
        return render_template(
            "console/confirm_delete.html", what="credential", name=current.name, error=message
        ), domain_status(exc)
    flash(f"Credential {current.name} is deleted.")
    return redirect(url_for("console.credentials"), code=303)


def _stored(specs: list[Any], stored: dict[str, Any]) -> dict[str, Any]:
    return {spec.name: shown_value(spec, stored) for spec in specs}


def _form(
    vendor: Any, specs: list[Any], current: Any, shown: Any, errors: FormErrors, status: int = 200
) -> tuple[str, int]:
    values = {spec.name: shown.get(spec.name, shown_value(spec, {})) for spec in specs}
    if request.method == "POST":  # a refused form shows what was typed, never a secret
        values = {spec.name: "" if spec.secret else shown.get(spec.name, "") for spec in specs}
        for spec in specs:
            if spec.kind == "checkbox":
                values[spec.name] = shown.get(spec.name) in ("on", "true", "1")
    secrets_set = {name for name, value in (current.fields if current else {}).items() if value == MASK}
    page = render_template(
        "console/credential_form.html",
        vendor=vendor,
        specs=specs,
        current=current,
        name=shown.get("name", current.name if current else ""),
        values=values,
        secrets_set=secrets_set,
        errors=errors,
    )
    return page, status
