"""Messages: inbound (filters by number, webhook, keyword category) and outbound (number, webhook, status,
date), and one outbound message with its status history and its vendor call log."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import render_template, request

import smshooks.inbound.queries as inbound
import smshooks.inbound.webhooks as webhooks
import smshooks.messages.channels as channels
import smshooks.messages.queries as outbound
from smshooks.errors import Invalid
from smshooks.events import Status
from smshooks.messages import call_log
from smshooks.web.console.blueprint import bp
from smshooks.web.console.pages import FormErrors
from smshooks.web.console.session import scope
from smshooks.web.context import gateway
from smshooks.web.urls import public_base_url

STATUSES = tuple(status.value for status in Status)
#: the outbound list (messages.queries.list_messages) lands after the other queries: until then, inbound only
LIST_OUTBOUND = getattr(outbound, "list_messages", None)
KINDS = ("reply", "transactional", "reported")


@bp.route("/messages")
def messages() -> Any:
    gw = gateway()
    wants_outbound = request.args.get("direction") == "outbound" and LIST_OUTBOUND is not None
    direction = "outbound" if wants_outbound else "inbound"
    filters = {name: (request.args.get(name) or "").strip() for name in ("phone", "webhook_id", "category", "status")}
    filters.update(
        since=request.args.get("since") or "",
        until=request.args.get("until") or "",
        kind=request.args.get("kind") or "",
    )
    errors = FormErrors()
    hooks = webhooks.list_webhooks(gw, scope(), base_url=public_base_url())
    page = None
    try:
        if direction == "inbound":
            page = inbound.list_inbound(
                gw,
                scope(),
                webhook_id=filters["webhook_id"] or None,
                phone=filters["phone"] or None,
                category=filters["category"] if filters["category"] in inbound.CATEGORIES else None,
                cursor=request.args.get("cursor", type=int),
            )
        else:
            page = LIST_OUTBOUND(
                gw,
                scope(),
                status=filters["status"] if filters["status"] in STATUSES else None,
                recipient=filters["phone"] or None,
                webhook_id=filters["webhook_id"] or None,
                kind=filters["kind"] if filters["kind"] in KINDS else None,
                since=_when(filters["since"]),
                until=_when(filters["until"]),
                cursor=request.args.get("cursor") or None,
            )
    except (Invalid, ValueError) as exc:
        errors = FormErrors(getattr(exc, "message", "Dates are written 2026-12-01T09:30."))
    return render_template(
        "console/messages.html",
        direction=direction,
        page=page,
        filters=filters,
        webhooks=hooks,
        names={hook.id: hook.name for hook in hooks},
        channel_names=_channel_names(gw) if direction == "outbound" else {},
        categories=inbound.CATEGORIES,
        statuses=STATUSES,
        kinds=KINDS,
        keyword_event=inbound.keyword_event,
        errors=errors,
        has_outbound=LIST_OUTBOUND is not None,
    )


@bp.route("/messages/<message_id>")
def message(message_id: str) -> Any:
    gw = gateway()
    detail = outbound.get_message(gw, scope(), message_id)
    calls = call_log.list_calls(gw, scope(), message_id)
    m = detail.message
    hooks = {hook.id: hook.name for hook in webhooks.list_webhooks(gw, scope(), base_url=public_base_url())}
    vendor = gw.plugins.vendors.get(m.vendor)
    return render_template(
        "console/message.html",
        detail=detail,
        calls=calls,
        max_calls=call_log.MAX_CALLS_PER_MESSAGE,
        attempts=_attempts(calls),
        channel_name=_channel_names(gw).get(m.channel_id) if m.channel_id else None,
        webhook_name=hooks.get(m.webhook_id) if m.webhook_id else None,
        vendor_title=vendor.title if vendor is not None else m.vendor.capitalize(),
    )


def _channel_names(gw: Any) -> dict[str, str]:
    return {channel.id: channel.name for channel in channels.list_channels(gw, scope())}


def _attempts(calls: list[Any]) -> dict[str, Any] | None:
    """The send attempts the call log shows and the last one's failure, for the status line: a message
    whose vendor calls fail (and are retried) would otherwise just read "queued". None without a call."""
    if not calls:
        return None
    last_attempt = max(call.attempt for call in calls)
    last = [call for call in calls if call.attempt == last_attempt][-1]
    error = None
    if last.error:
        error = last.error
    elif last.status_code is None:
        error = "no answer"
    elif last.status_code >= 300:
        # the vendor's own words (secrets already masked in the stored excerpt), shortened by the template
        error = f"HTTP {last.status_code} {last.response_excerpt or ''}".strip()
    return {"count": last_attempt, "last_error": error}


def _when(value: str) -> datetime | None:
    """A datetime-local input, read as UTC (every time the console shows is UTC)."""
    return datetime.fromisoformat(value).replace(tzinfo=UTC) if value else None
