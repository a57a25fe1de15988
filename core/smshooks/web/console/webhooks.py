"""SMS webhooks: the list, create, edit, delete, the keyword categories editor and "try a message"."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from flask import flash, jsonify, redirect, render_template, request, url_for

import smshooks.credentials.service as credentials_service
import smshooks.inbound.keyword_settings as keyword_settings
import smshooks.inbound.webhooks as service
import smshooks.replies.service as replies_service
from smshooks.errors import DomainError, Invalid
from smshooks.store.last_events import last_event_at
from smshooks.web.console.blueprint import bp
from smshooks.web.console.keyword_form import editor_context, is_editor_action, settings_from_form
from smshooks.web.console.pages import FormErrors
from smshooks.web.console.session import scope
from smshooks.web.context import gateway
from smshooks.web.errors import domain_status
from smshooks.web.urls import public_base_url

WEBHOOK_FIELDS = ("name", "vendor", "type", "credentials_id", "sender_number")


@bp.route("/webhooks")
def webhooks() -> Any:
    gw = gateway()
    rows = service.list_webhooks(gw, scope(), base_url=public_base_url())
    last = last_event_at(gw.db, scope())
    titles = {v.name: v.title for v in gw.plugins.vendors.values()}
    return render_template("console/webhooks.html", webhooks=rows, last=last, titles=titles, **public_url_notice())


def vendor_title(name: str) -> str:
    """A vendor's display name ("Twilio"), as its plugin gives it; a vendor no plugin serves, capitalised."""
    vendor = gateway().plugins.vendors.get(name)
    return vendor.title if vendor is not None and getattr(vendor, "title", "") else name.capitalize()


def public_url_notice() -> dict[str, Any]:
    """What the "no public URL" banner needs: without SMSHOOKS_PUBLIC_URL every webhook URL shown is built
    from the host this page was requested at, which is often not the address vendors reach."""
    return {"public_url_set": bool(gateway().settings.public_url), "request_base": request.host_url.rstrip("/")}


@bp.route("/webhooks/new", methods=["GET", "POST"])
def new_webhook() -> Any:
    if request.method == "GET":
        fields = {"type": "inbound", "vendor": request.args.get("vendor", "")}
        return _form(None, fields, keyword_settings.parse_keyword_settings({}), FormErrors())
    fields = _webhook_fields(request.form)
    settings = settings_from_form(request.form)
    if is_editor_action(request.form):
        return _form(None, fields, settings, FormErrors())
    try:
        keyword_settings.parse_keyword_settings(settings)  # refuse bad keywords before a webhook exists
        created = service.create_webhook(gateway(), scope(), base_url=public_base_url(), **fields)
        keyword_settings.replace_keyword_settings(gateway(), scope(), created.id, settings)
    except DomainError as exc:
        return _form(None, fields, settings, FormErrors.of(exc), domain_status(exc))
    flash(f"Webhook {created.name} is saved. Give its URL to {vendor_title(created.vendor)}.")
    return redirect(url_for("console.edit_webhook", webhook_id=created.id), code=303)


@bp.route("/webhooks/<webhook_id>", methods=["GET", "POST"])
def edit_webhook(webhook_id: str) -> Any:
    gw = gateway()
    current = service.get_webhook(gw, scope(), webhook_id, base_url=public_base_url())
    if request.method == "GET":
        settings = _saved_settings(current) or keyword_settings.parse_keyword_settings({})
        return _form(current, _fields_of(current), settings, FormErrors())
    fields = _webhook_fields(request.form)
    fields.pop("vendor", None)  # a webhook's vendor does not change
    settings = settings_from_form(request.form)
    if is_editor_action(request.form):
        return _form(current, {**fields, "vendor": current.vendor}, settings, FormErrors())
    try:
        keyword_settings.parse_keyword_settings(settings)
        saved = service.update_webhook(gw, scope(), webhook_id, fields, base_url=public_base_url())
        keyword_settings.replace_keyword_settings(gw, scope(), webhook_id, settings)
    except DomainError as exc:
        return _form(current, {**fields, "vendor": current.vendor}, settings, FormErrors.of(exc), domain_status(exc))
    flash(f"Webhook {saved.name} is saved.")
    return redirect(url_for("console.edit_webhook", webhook_id=webhook_id), code=303)


@bp.route("/webhooks/<webhook_id>/delete", methods=["GET", "POST"])
def delete_webhook(webhook_id: str) -> Any:
    gw = gateway()
    current = service.get_webhook(gw, scope(), webhook_id, base_url=public_base_url())
    if request.method == "GET":
        return render_template(
            "console/confirm_delete.html",
            what="webhook",
            name=current.name,
            error=None,
            consequence=f"Its URL will answer 404 to {vendor_title(current.vendor)}; the messages it received stay.",
            back=url_for("console.edit_webhook", webhook_id=webhook_id),
        )
    service.delete_webhook(gw, scope(), webhook_id)
    flash(f"Webhook {current.name} is deleted.")
    return redirect(url_for("console.webhooks"), code=303)


@bp.route("/webhooks/<webhook_id>/try", methods=["POST"])
def try_message(webhook_id: str) -> Any:
    """What a text would match under this webhook's saved keywords, and why (the classify service)."""
    text = (request.get_json(silent=True) or {}).get("text") if request.is_json else request.form.get("text", "")
    text = str(text or "")[:1600]
    result = asdict(keyword_settings.classify_text(gateway(), scope(), text, webhook_id=webhook_id))
    if request.is_json:
        return jsonify(result)
    current = service.get_webhook(gateway(), scope(), webhook_id, base_url=public_base_url())
    settings = _saved_settings(current) or keyword_settings.parse_keyword_settings({})
    return _form(current, _fields_of(current), settings, FormErrors(), tried={"text": text, **result})


def _webhook_fields(form: Any) -> dict[str, Any]:
    fields = {name: (form.get(name) or "").strip() for name in WEBHOOK_FIELDS}
    fields["sender_number"] = fields["sender_number"] or None
    return fields


def _fields_of(webhook: Any) -> dict[str, Any]:
    return {name: getattr(webhook, name) for name in WEBHOOK_FIELDS}


def _saved_settings(webhook: Any) -> dict[str, Any] | None:
    """The webhook's keyword settings as saved (without the computed ``effective``)."""
    saved = keyword_settings.get_keyword_settings(gateway(), scope(), webhook.id)
    return {key: value for key, value in saved.items() if key != "effective"}


def _form(
    current: Any, fields: dict[str, Any], settings: dict[str, Any], errors: FormErrors, status: int = 200, **extra: Any
) -> tuple[str, int]:
    gw = gateway()
    try:
        effective = keyword_settings.with_effective(keyword_settings.parse_keyword_settings(settings))["effective"]
    except Invalid:  # settings the rules refuse: the editor still shows them, without the effective view
        effective = {}
    page = render_template(
        "console/webhook_form.html",
        current=current,
        fields=fields,
        settings=settings,
        errors=errors,
        vendors=sorted(gw.plugins.vendors.values(), key=lambda v: v.title.lower()),
        credentials=credentials_service.list_credentials(gw, scope()),
        replies=replies_service.list_replies(gw, scope()),
        url=current.url if current else None,
        vendor_title=vendor_title(current.vendor) if current else "",
        **public_url_notice(),
        **editor_context(settings, effective),
        **extra,
    )
    return page, status
