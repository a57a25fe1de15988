"""Channels: which credential and number a message goes out from, and which webhooks the vendor reports to.

The form is read with the API's own schemas (``ChannelIn`` on create, ``ChannelPatch`` on edit), so a
field the API would refuse is refused here with the same message, beside the field; the rules that need
the database (the credential and webhooks are of this sandbox and of one vendor, a free name) are the
service's, as for the API.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from marshmallow import Schema, ValidationError

import smshooks.credentials.service as credentials_service
import smshooks.inbound.webhooks as webhooks_service
from smshooks.errors import INVALID_FIELDS, DomainError, Invalid
from smshooks.messages import channels as service
from smshooks.web.api.channels import ChannelIn, ChannelPatch
from smshooks.web.console.blueprint import bp
from smshooks.web.console.pages import FormErrors
from smshooks.web.console.session import scope
from smshooks.web.context import gateway
from smshooks.web.errors import domain_status
from smshooks.web.urls import public_base_url

CHANNEL_FIELDS = ("name", "credentials_id", "sender_number", "inbound_webhook_id", "feedback_webhook_id")
OPTIONAL = ("inbound_webhook_id", "feedback_webhook_id")


@bp.route("/channels")
def channels() -> Any:
    gw = gateway()
    rows = service.list_channels(gw, scope())
    credentials = {c.id: c.name for c in credentials_service.list_credentials(gw, scope())}
    hooks = {w.id: w.name for w in webhooks_service.list_webhooks(gw, scope(), base_url=public_base_url())}
    titles = {v.name: v.title for v in gw.plugins.vendors.values()}
    return render_template(
        "console/channels.html", channels=rows, credentials=credentials, webhooks=hooks, titles=titles
    )


@bp.route("/channels/new", methods=["GET", "POST"])
def new_channel() -> Any:
    if request.method == "GET":
        return _form(None, {"credentials_id": request.args.get("credentials_id", "")}, FormErrors())
    fields = _channel_fields(request.form)
    try:
        data = _load(ChannelIn(), fields)
        created = service.create_channel(gateway(), scope(), **data)
    except DomainError as exc:
        return _form(None, fields, FormErrors.of(exc), domain_status(exc))
    flash(f"Channel {created.name} is saved. Send an SMS from {created.sender_number} through it.")
    return redirect(url_for("console.edit_channel", channel_id=created.id), code=303)


@bp.route("/channels/<channel_id>", methods=["GET", "POST"])
def edit_channel(channel_id: str) -> Any:
    gw = gateway()
    current = service.get_channel(gw, scope(), channel_id)
    if request.method == "GET":
        return _form(current, {name: getattr(current, name) for name in CHANNEL_FIELDS}, FormErrors())
    fields = _channel_fields(request.form)
    try:
        changes = _load(ChannelPatch(), fields)
        saved = service.update_channel(gw, scope(), channel_id, changes)
    except DomainError as exc:
        return _form(current, fields, FormErrors.of(exc), domain_status(exc))
    flash(f"Channel {saved.name} is saved.")
    return redirect(url_for("console.edit_channel", channel_id=channel_id), code=303)


@bp.route("/channels/<channel_id>/delete", methods=["GET", "POST"])
def delete_channel(channel_id: str) -> Any:
    gw = gateway()
    current = service.get_channel(gw, scope(), channel_id)
    if request.method == "GET":
        return render_template(
            "console/confirm_delete.html",
            what="channel",
            name=current.name,
            error=None,
            consequence="Messages sent through it keep their history; a send that names it is refused.",
            back=url_for("console.edit_channel", channel_id=channel_id),
        )
    service.delete_channel(gw, scope(), channel_id)
    flash(f"Channel {current.name} is deleted.")
    return redirect(url_for("console.channels"), code=303)


def _channel_fields(form: Any) -> dict[str, Any]:
    """The form's values; an empty webhook choice is "none" (None), as the API's null."""
    fields: dict[str, Any] = {name: (form.get(name) or "").strip() for name in CHANNEL_FIELDS}
    for name in OPTIONAL:
        fields[name] = fields[name] or None
    return fields


def _load(schema: Schema, fields: dict[str, Any]) -> dict[str, Any]:
    """``fields`` read as the API reads its body: an empty required field is a missing one, so it gets
    the API's message; a refusal is the service's :class:`Invalid` with the API's field messages."""
    body = {name: value for name, value in fields.items() if value != ""}
    try:
        return schema.load(body)
    except ValidationError as exc:
        raise Invalid(INVALID_FIELDS, details=exc.messages) from None


def _form(current: Any, fields: dict[str, Any], errors: FormErrors, status: int = 200) -> tuple[str, int]:
    gw = gateway()
    hooks = webhooks_service.list_webhooks(gw, scope(), base_url=public_base_url())
    titles = {v.name: v.title for v in gw.plugins.vendors.values()}
    page = render_template(
        "console/channel_form.html",
        current=current,
        fields=fields,
        errors=errors,
        credentials=credentials_service.list_credentials(gw, scope()),
        inbound_webhooks=[w for w in hooks if w.type == "inbound"],
        feedback_webhooks=[w for w in hooks if w.type == "feedback"],
        titles=titles,
    )
    return page, status
