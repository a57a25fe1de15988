"""The feedback delivery log: every delivery with its attempts, replay of one, of a selection, or of a window."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import flash, redirect, render_template, request, url_for

import smshooks.feedback.deliveries as service
from smshooks.errors import DomainError
from smshooks.feedback.emit import STATES
from smshooks.web.console.blueprint import bp
from smshooks.web.console.pages import error_page, local_path
from smshooks.web.console.session import scope
from smshooks.web.context import gateway

#: the most ticked deliveries one press replays
MAX_SELECTED = 200


@bp.route("/deliveries")
def deliveries() -> Any:
    state = request.args.get("state") or None
    event_type = request.args.get("event_type") or None
    message_id = (request.args.get("message_id") or "").strip() or None
    page = service.list_deliveries(
        gateway(),
        scope(),
        state=state if state in STATES else None,
        event_type=event_type if event_type in service.EVENT_TYPES else None,
        message_id=message_id,
        cursor=request.args.get("cursor", type=int),
    )
    return render_template(
        "console/deliveries.html",
        page=page,
        state=state,
        event_type=event_type,
        message_id=message_id or "",
        states=STATES,
        event_types=service.EVENT_TYPES,
        recipient_of=recipient_of,
    )


@bp.route("/deliveries/<delivery_id>")
def delivery(delivery_id: str) -> Any:
    d = service.get_delivery(gateway(), scope(), delivery_id)
    return render_template("console/delivery.html", d=d, recipient_of=recipient_of)


def recipient_of(delivery: service.DeliveryView) -> str | None:
    """The subscriber's number a delivery is about, as its payload names it (the message's recipient, or the
    sender of a relayed inbound SMS); None when the payload names none."""
    context = delivery.payload.get("channelContext") if isinstance(delivery.payload, dict) else None
    number = context.get("profileNumber") if isinstance(context, dict) else None
    return str(number) if number else None


@bp.route("/deliveries/replay", methods=["POST"])
def replay_deliveries() -> Any:
    """Replay one row's delivery (its own button), the deliveries ticked in the list, or every one
    created in a window."""
    gw = gateway()
    # A row's button sits in the form of the ticks: it names its delivery apart, so pressing it
    # replays that one row and not what happens to be ticked.
    one = request.form.get("replay_one")
    ids = [one] if one else request.form.getlist("delivery_id")[:MAX_SELECTED]
    try:
        if ids:
            for delivery_id in ids:
                service.replay_delivery(gw, scope(), delivery_id)
            flash(f"{_deliveries(len(ids), 'is', 'are')} sent again.")
        else:
            since, until = _when(request.form.get("since")), _when(request.form.get("until"))
            if since is None:
                flash("Tick deliveries to replay, or give the start of a window.")
                return redirect(url_for("console.deliveries"), code=303)
            state = request.form.get("state") or None
            done = service.replay_deliveries(gw, scope(), since=since, until=until, state=state)
            more = " (the most at once: narrow the window for the rest)" if done.limit_reached else ""
            flash(
                f"{_deliveries(done.replayed, 'is', 'are')} sent again{more};"
                f" {done.in_progress} {'was' if done.in_progress == 1 else 'were'} being attempted."
            )
    except DomainError as exc:
        return error_page(409 if exc.code == "conflict" else 422, exc.message)
    except ValueError:
        flash("Dates are written 2026-12-01T09:30.")
    # a path of ours only: a crafted form must not send the browser elsewhere
    return redirect(local_path(request.form.get("back"), url_for("console.deliveries")), code=303)


def _deliveries(count: int, one: str, many: str) -> str:
    """``1 delivery is`` / ``3 deliveries are``: ``count`` with the noun and the verb agreeing."""
    return f"1 delivery {one}" if count == 1 else f"{count} deliveries {many}"


def _when(value: str | None) -> datetime | None:
    """A datetime-local input (UTC, as every time the console shows)."""
    if not value:
        return None
    return datetime.fromisoformat(value).replace(tzinfo=UTC)
