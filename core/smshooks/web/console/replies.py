"""Replies: the template editor with a live GSM-7/UCS-2 encoding and segment counter and a rendering
for a sample profile."""

from __future__ import annotations

import json
from typing import Any

from flask import flash, jsonify, redirect, render_template, request, url_for

import smshooks.inbound.webhooks as webhooks
import smshooks.replies.service as service
from smshooks.errors import DomainError
from smshooks.replies.templates import MAX_REPLY_SEGMENTS, SAMPLE_CONTEXT, ReplyTemplateError, render, segments
from smshooks.web.console.blueprint import bp
from smshooks.web.console.pages import FormErrors
from smshooks.web.console.session import scope
from smshooks.web.context import gateway
from smshooks.web.errors import domain_status

MAX_PREVIEW = 4000


def preview(template: str, profile: dict[str, Any] | None = None) -> dict[str, Any]:
    """The template rendered for the sample subscriber (with ``profile`` when given) and its SMS cost."""
    context = {**SAMPLE_CONTEXT, "profile": profile if profile is not None else SAMPLE_CONTEXT["profile"]}
    try:
        text = render(template[:MAX_PREVIEW], context)
    except ReplyTemplateError as exc:
        return {"error": str(exc)}
    cost = segments(text)
    return {
        "text": text,
        "encoding": cost.encoding,
        "characters": cost.characters,
        "segments": cost.segments,
        "too_long": cost.segments > MAX_REPLY_SEGMENTS,
    }


@bp.route("/replies")
def replies() -> Any:
    rows = service.list_replies(gateway(), scope())
    return render_template("console/replies.html", replies=rows, preview=preview)


@bp.route("/replies/new", methods=["GET", "POST"])
def new_reply() -> Any:
    if request.method == "GET":
        return _form(None, {"name": "", "template": "", "profile": ""}, FormErrors())
    values = _values(request.form)
    if "preview" in request.form:
        return _form(None, values, FormErrors())
    try:
        created = service.create_reply(gateway(), scope(), name=values["name"], template=values["template"])
    except DomainError as exc:
        return _form(None, values, FormErrors.of(exc), domain_status(exc))
    flash(f"Reply {created.name} is saved.")
    return redirect(url_for("console.replies"), code=303)


@bp.route("/replies/<reply_id>", methods=["GET", "POST"])
def edit_reply(reply_id: str) -> Any:
    current = service.get_reply(gateway(), scope(), reply_id)
    if request.method == "GET":
        return _form(current, {"name": current.name, "template": current.template, "profile": ""}, FormErrors())
    values = _values(request.form)
    if "preview" in request.form:
        return _form(current, values, FormErrors())
    try:
        saved = service.update_reply(
            gateway(), scope(), reply_id, {"name": values["name"], "template": values["template"]}
        )
    except DomainError as exc:
        return _form(current, values, FormErrors.of(exc), domain_status(exc))
    flash(f"Reply {saved.name} is saved.")
    return redirect(url_for("console.replies"), code=303)


@bp.route("/replies/<reply_id>/delete", methods=["GET", "POST"])
def delete_reply(reply_id: str) -> Any:
    current = service.get_reply(gateway(), scope(), reply_id)
    if request.method == "GET":
        return render_template("console/confirm_delete.html", what="reply", name=current.name, error=None)
    try:
        service.delete_reply(gateway(), scope(), reply_id)
    except DomainError as exc:
        users = _webhook_names(exc.details.get("webhooks", []))
        if users:
            noun, them = ("webhook", "it") if len(users) == 1 else ("webhooks", "them")
            message = f"The reply is used by {noun} {', '.join(users)}. Choose another reply on {them} first."
        else:
            message = exc.message
        page = render_template("console/confirm_delete.html", what="reply", name=current.name, error=message)
        return page, domain_status(exc)
    flash(f"Reply {current.name} is deleted.")
    return redirect(url_for("console.replies"), code=303)


@bp.route("/replies/preview", methods=["POST"])
def preview_reply() -> Any:
    """The live counter's answer: JSON ``{text, encoding, characters, segments}`` or ``{error}``."""
    body = request.get_json(silent=True) or {}
    profile, problem = _profile(str(body.get("profile") or ""))
    if problem:
        return jsonify({"error": problem})
    return jsonify(preview(str(body.get("template") or ""), profile))


def _webhook_names(webhook_ids: list[str]) -> list[str]:
    """The webhooks ``webhook_ids`` by name, quoted, for a person: an id is the secret part of a webhook's URL."""
    if not webhook_ids:
        return []
    wanted = set(webhook_ids)
    # one query of the scope's webhooks; the URL is not shown, so no base URL is needed
    return [repr(w.name) for w in webhooks.list_webhooks(gateway(), scope(), base_url="") if w.id in wanted]


def _values(form: Any) -> dict[str, str]:
    return {name: form.get(name, "") for name in ("name", "template", "profile")}


def _profile(text: str) -> tuple[dict[str, Any] | None, str | None]:
    if not text.strip():
        return None, None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, f"the sample profile is not valid JSON: {exc.msg}"
    if not isinstance(value, dict):
        return None, 'the sample profile is a JSON object, e.g. {"first_name": "Ada"}'
    return value, None


def _form(current: Any, values: dict[str, str], errors: FormErrors, status: int = 200) -> Any:
    profile, problem = _profile(values.get("profile", ""))
    shown = {"error": problem} if problem else preview(values.get("template", ""), profile)
    page = render_template(
        "console/reply_form.html",
        current=current,
        values=values,
        errors=errors,
        shown=shown,
        sample_profile=json.dumps(SAMPLE_CONTEXT["profile"]),
        max_segments=MAX_REPLY_SEGMENTS,
        variables=sorted(SAMPLE_CONTEXT),
    )
    return page, status
