"""Send SMS: the transactional send of ``POST /api/v1/messages`` as a form.

The form is read with the API's ``SendIn`` schema and sent with the same service, so its rules and its
refusals are the API's; opted-out recipients are excluded as the API excludes them, and the page says so.
One recipient leads to its message's page; several to a summary of what each became.
"""

from __future__ import annotations

import json
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from marshmallow import ValidationError

import smshooks.replies.service as replies_service
from smshooks.errors import INVALID_FIELDS, DomainError, Invalid
from smshooks.messages import channels as channels_service
from smshooks.messages.send import EXCLUSION_REASONS, MAX_RECIPIENTS, MESSAGE_TYPES
from smshooks.replies.templates import MAX_REPLY_SEGMENTS, SAMPLE_CONTEXT
from smshooks.web.api.messages import SendIn, send_loaded
from smshooks.web.console.blueprint import bp
from smshooks.web.console.pages import FormErrors
from smshooks.web.console.replies import preview
from smshooks.web.console.session import scope
from smshooks.web.context import gateway
from smshooks.web.errors import domain_status

#: the form's fields; the text's field is ``template`` so the reply editor's live counter (console.js) reads
#: it; its refusals are the API's, under ``text``
FORM_FIELDS = ("channel_id", "recipients", "template", "reply_id", "campaign_id", "campaign_version_id", "profile")


@bp.route("/send", methods=["GET", "POST"])
def send_sms() -> Any:
    if request.method == "GET":
        values = dict.fromkeys(FORM_FIELDS, "")
        values.update(channel_id=request.args.get("channel_id", ""), message_type="transactional")
        return _form(values, FormErrors())
    values = {name: request.form.get(name, "") for name in FORM_FIELDS}
    values["message_type"] = request.form.get("message_type", "transactional")
    values["create_profiles"] = request.form.get("create_profiles") in ("on", "1", "true")
    if "preview" in request.form:  # the counter without JavaScript
        return _form(values, FormErrors())
    try:
        result = send_loaded(scope(), _request(values))
    except DomainError as exc:
        return _form(values, FormErrors.of(exc), domain_status(exc))
    if len(result.messages) == 1:
        [sent] = result.messages
        flash(_outcome(sent))
        return redirect(url_for("console.message", message_id=sent.message_execution_id), code=303)
    return render_template("console/send_result.html", result=result, reasons=EXCLUSION_REASONS)


def _outcome(sent: Any) -> str:
    if sent.state == "excluded":
        return f"Not sent to {sent.phone}: {EXCLUSION_REASONS.get(sent.exclusion, sent.exclusion)}."
    return f"SMS to {sent.phone} is queued; the page shows when the vendor takes it."


def _request(values: dict[str, Any]) -> dict[str, Any]:
    """The form as the API's request body, loaded by the API's schema (so refused with its messages)."""
    problems: dict[str, list[str]] = {}
    profile = None
    if values["profile"].strip():
        try:
            profile = json.loads(values["profile"])
        except json.JSONDecodeError as exc:
            problems["profile"] = [f"not valid JSON: {exc.msg}"]
        else:
            if not isinstance(profile, dict):
                problems["profile"] = ['a JSON object, e.g. {"first_name": "Ada"}']
    phones = [p.strip() for line in values["recipients"].splitlines() for p in line.split(",") if p.strip()]
    body: dict[str, Any] = {
        "channel_id": values["channel_id"],
        "campaign_id": values["campaign_id"].strip(),
        "recipients": [{"phone": phone, "profile": profile} for phone in phones],
        "create_profiles": values["create_profiles"],
        "message_type": values["message_type"],
    }
    if values["campaign_version_id"].strip():
        body["campaign_version_id"] = values["campaign_version_id"].strip()
    if values["template"].strip():
        body["text"] = values["template"]
    if values["reply_id"]:
        body["reply_id"] = values["reply_id"]
    body = {name: value for name, value in body.items() if value != ""}  # empty: missing, as in the API
    try:
        data = SendIn().load(body)
    except ValidationError as exc:
        problems.update(_readable(exc.messages, phones))
        data = {}
    if problems:
        raise Invalid(INVALID_FIELDS, details=problems)
    return data


def _readable(messages: dict[str, Any], phones: list[str]) -> dict[str, Any]:
    """The schema's messages with a recipient's refusal named by its number, not by its index."""
    shown = dict(messages)
    recipients = shown.get("recipients")
    if isinstance(recipients, dict):
        shown["recipients"] = [
            f"{phones[int(index)]}: {message}"
            for index, problem in recipients.items()
            for message in (problem.get("phone", []) if isinstance(problem, dict) else [problem])
        ]
    return shown


def _form(values: dict[str, Any], errors: FormErrors, status: int = 200) -> tuple[str, int]:
    gw = gateway()
    profile = None
    try:
        parsed = json.loads(values["profile"]) if values["profile"].strip() else None
        profile = parsed if isinstance(parsed, dict) else None
    except json.JSONDecodeError:
        pass
    page = render_template(
        "console/send.html",
        values=values,
        errors=errors,
        channels=channels_service.list_channels(gw, scope()),
        replies=replies_service.list_replies(gw, scope()),
        message_types=MESSAGE_TYPES,
        max_recipients=MAX_RECIPIENTS,
        shown=preview(values["template"], profile),
        max_segments=MAX_REPLY_SEGMENTS,
        sample_profile=json.dumps(SAMPLE_CONTEXT["profile"]),
        variables=sorted(SAMPLE_CONTEXT),
    )
    return page, status
