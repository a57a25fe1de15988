"""``/hooks/<webhook_id>``: the URL vendors call with inbound messages and delivery reports.

Answers: 404 unknown webhook, 403 unproven sender, 400 malformed payload, 413
too large, 503 when our database cannot store (the vendor retries), otherwise
the vendor's expected acknowledgement — only after the events committed.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from smshooks import feedback
from smshooks.credentials.fields import open_credentials
from smshooks.events import Event, stamp
from smshooks.gateway import Gateway
from smshooks.inbound.event_store import Stored, check_event_count, event_chunks, storable, store_events
from smshooks.inbound.pipeline import PreparedReply, handle_inbound, prepare_inbound
from smshooks.store.nonces import DatabaseReplayGuard, Replayed
from smshooks.store.tables import InboundMessageRow, OutboundMessageRow, Webhook
from smshooks.vendor import PayloadError, ReplayGuard, SignatureError, TooManyEvents, WebhookRequest
from smshooks.web.context import gateway
from smshooks.web.errors import ApiError
from smshooks.web.errors import storable as storable_text
from smshooks.web.urls import public_base_url

log = logging.getLogger(__name__)

blueprint = Blueprint("hooks", __name__)


def public_request_url() -> str:
    """The URL as the vendor called it: signatures sign it byte for byte.

    Behind a TLS-terminating proxy the app sees ``http://internal-host``;
    ``SMSHOOKS_PUBLIC_URL`` gives the scheme and host the vendor used. The
    path and the raw query string are kept exactly as received.
    """
    url = public_base_url() + request.script_root + request.path
    if request.query_string:
        url += "?" + request.query_string.decode("latin-1")
    return url


def webhook_request(replay_guard: ReplayGuard, credentials: Mapping[str, Any]) -> WebhookRequest:
    received_at = datetime.now(UTC)
    body = request.get_data(cache=True)  # over the size limit: 413 from Flask
    form = {key: request.form.getlist(key) for key in request.form} if request.method != "GET" else {}
    return WebhookRequest(
        method=request.method,
        url=public_request_url(),
        headers=dict(request.headers.items()),
        body=body,
        form=form,
        received_at=received_at,
        replay_guard=replay_guard,
        credentials=credentials,
    )


@blueprint.route("/hooks/<webhook_id>", methods=["GET", "POST"])
def receive(webhook_id: str) -> Response:
    gw = gateway()
    if not storable_text(webhook_id):
        raise ApiError(404, "no such webhook")
    with gw.db.session() as session:
        webhook = session.get(Webhook, webhook_id)
        if webhook is None:
            raise ApiError(404, "no such webhook")
        credential = open_credentials(session, gw.secrets, webhook.credentials_id)
    vendor = gw.plugins.vendor(webhook.vendor)
    if vendor is None:
        # The plugin is not installed (or failed to load): the vendor should
        # retry once an operator fixes it, so this is not the vendor's fault.
        log.error("webhook %s: vendor plugin %r is not loaded", webhook_id, webhook.vendor)
        raise ApiError(503, f"vendor plugin {webhook.vendor!r} is not available", headers={"Retry-After": "60"})

    replay_guard = DatabaseReplayGuard(gw.db, namespace=webhook.credentials_id)
    incoming = webhook_request(replay_guard, credential)
    try:
        vendor.verify(incoming, credential)
    except SignatureError as exc:
        log.warning("webhook %s: signature refused: %s", webhook_id, exc)
        raise ApiError(403, f"signature verification failed: {exc}") from None
    try:
        events = vendor.parse(incoming)
        check_event_count(vendor, events, gw.settings.max_events_per_request)
    except TooManyEvents as exc:
        raise ApiError(413, f"too many events for one {vendor.name} request: {exc}") from None
    except PayloadError as exc:
        raise ApiError(400, f"malformed {vendor.name} payload: {exc}") from None
    except Exception as exc:
        # A plugin bug on an odd payload is still a payload it cannot read;
        # the vendor gets a 400 and the traceback goes to our log.
        log.exception("webhook %s: %s plugin failed to parse the payload", webhook_id, vendor.name)
        raise ApiError(400, f"malformed {vendor.name} payload: {type(exc).__name__}") from None

    try:
        events = [storable(event) for event in events]
    except PayloadError as exc:
        raise ApiError(400, f"malformed {vendor.name} payload: {exc}") from None
    stamped = [stamp(event, org=webhook.org, sandbox=webhook.sandbox, webhook_id=webhook.id) for event in events]
    inline = vendor.replies_inline(credential)
    inline_replies: list[str] = []
    outcomes: list[Stored] = []
    # A large batch is stored in bounded chunks, one transaction each, so one
    # request never holds the write lock other webhooks wait for for long.
    # Each event is stored once whatever happens (dedupe), so a request that
    # fails after some chunks committed is answered 503, and the vendor's retry
    # stores only what is missing. The signature nonce is recorded with the
    # last chunk: a retry of a half-stored request must not look like a replay.
    chunks = list(event_chunks(stamped)) or [[]]
    for number, chunk in enumerate(chunks, start=1):
        # Replies are rendered before the write transaction, so a template (up
        # to its 100 ms limit) never holds the lock either.
        prepared = _prepare_replies(gw, webhook, chunk)
        # One transaction per chunk: its events, consent changes, ledger
        # entries, reply jobs and feedback deliveries commit together, before
        # the vendor hears 2xx.
        with gw.db.transaction() as session:
            if number == len(chunks):
                try:
                    replay_guard.record(session)
                except Replayed:
                    raise ApiError(403, "signature verification failed: nonce already used") from None
            stored = store_events(session, chunk)
            inline_replies += _apply(gw, session, webhook, vendor.name, inline, stored, prepared)
        outcomes += stored

    for outcome in outcomes:
        _notify(gw, outcome)
    answer = vendor.acknowledge(inline_replies)
    return Response(answer.body, status=answer.status, content_type=answer.content_type)


def _prepare_replies(gw: Gateway, webhook: Webhook, events: Sequence[Event]) -> dict[int, PreparedReply]:
    """The replies of a chunk's inbound messages, rendered outside any write transaction."""
    if webhook.type != "inbound" or not any(event.kind == "inbound" for event in events):
        return {}
    with gw.db.session() as session:
        hook = gw.plugins.hook.smshooks_classify
        return {
            id(event): prepare_inbound(session, webhook, event, hook) for event in events if event.kind == "inbound"
        }


def _apply(
    gw: Gateway,
    session: Session,
    webhook: Webhook,
    vendor_name: str,
    inline: bool,
    outcomes: Sequence[Stored],
    prepared: Mapping[int, PreparedReply],
) -> list[str]:
    """The consequences of stored events, in their transaction; the replies to send inline."""
    inline_replies = []
    callback_base_url = public_base_url()
    for outcome in outcomes:
        if outcome.event.kind != "inbound":
            feedback.emit_for_report(session, outcome)
            continue
        if outcome.duplicate:
            # A vendor's retry changes nothing and sends nothing; an inline reply is
            # answered again as the first time (the vendor may never have seen it).
            if inline and webhook.type == "inbound":
                repeated = _stored_inline_reply(session, webhook, outcome.event)
                if repeated:
                    inline_replies.append(repeated)
            continue
        classification = None
        if webhook.type == "inbound":
            result = handle_inbound(
                session,
                webhook,
                outcome.event,
                outcome.row_id,
                vendor_name=vendor_name,
                inline_replies=inline,
                prepared=prepared.get(id(outcome.event)),
                callback_base_url=callback_base_url,
                classify_hook=gw.plugins.hook.smshooks_classify,
            )
            classification = result.classification
            if result.inline and result.reply_text:
                inline_replies.append(result.reply_text)
        feedback.relay_inbound(session, outcome.event, outcome.row_id, classification)
    return inline_replies


def _stored_inline_reply(session: Session, webhook: Webhook, event: Event) -> str | None:
    """The reply the first delivery of ``event`` was answered with inline, if it was: stored on its
    inbound row, and not sent through the outbox (then it went out already and must not go again)."""
    row = session.execute(
        select(InboundMessageRow.id, InboundMessageRow.reply_text).where(
            InboundMessageRow.webhook_id == webhook.id,
            InboundMessageRow.vendor_message_id == event.vendor_message_id,
        )
    ).first()
    if row is None or not row.reply_text:
        return None
    through_outbox = session.execute(
        select(OutboundMessageRow.id)
        .where(
            OutboundMessageRow.org == webhook.org,
            OutboundMessageRow.sandbox == webhook.sandbox,
            OutboundMessageRow.inbound_message_id == row.id,
        )
        .limit(1)
    ).first()
    return None if through_outbox else row.reply_text


def _notify(gw: Gateway, outcome: Stored) -> None:
    try:
        if outcome.event.kind == "inbound":
            gw.plugins.hook.smshooks_inbound_handled(message=outcome.event, duplicate=outcome.duplicate)
        else:
            gw.plugins.hook.smshooks_delivery_report_handled(
                report=outcome.event, duplicate=outcome.duplicate, message_status=outcome.message_status
            )
    except Exception:
        # Observers see committed events; their failure must not turn a stored
        # event into an error the vendor would retry.
        log.exception("an observer hook failed")
