"""The use case "a vendor called us": find the webhook, prove the sender, read the payload,
store each event once, run the keyword pipeline and the feedback emitter, answer the vendor.

Framework-free: the web layer hands over a :class:`VendorCall` (what arrived on the wire)
and turns the :class:`~smshooks.vendor.WebhookResponse` or the raised
:mod:`smshooks.errors` refusal into HTTP. Refusals: :class:`~smshooks.errors.NotFound`
(unknown webhook), :class:`~smshooks.errors.Forbidden` (unproven sender, nonce reused),
:class:`~smshooks.errors.Malformed` (a payload the plugin cannot read, none of its items),
:class:`~smshooks.errors.TooLarge` (more events than one request may carry),
:class:`~smshooks.errors.Unavailable` (the vendor's plugin is not loaded: the vendor
should retry). A database that cannot store raises the driver's error, which the web
layer answers 503 — the vendor retries, and nothing was acknowledged.

A batch with items the plugin could not read (:class:`~smshooks.vendor.PartlyMalformed`)
or that do not fit the columns is not refused whole: the other items are stored and
the vendor answered as usual (vendors do not retry a 4xx, and an opt-out among them
must not be lost); each refused item is logged, counted, and listed in a JSON answer.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from smshooks import observe
from smshooks.consent.sandbox_policy import Policy, sandbox_settings
from smshooks.credentials.fields import open_credentials
from smshooks.errors import Forbidden, Malformed, NotFound, TooLarge, Unavailable
from smshooks.events import Event, InboundMessage
from smshooks.feedback.emit import FindEndpoint, active_webhook, emit_for_report, relay_inbound
from smshooks.gateway import Gateway
from smshooks.inbound.column_fit import fit_to_columns
from smshooks.inbound.event_store import Stored, check_event_count, event_chunks, store_report
from smshooks.inbound.pipeline import PreparedReply, handle_inbound, prepare_inbound, renders_ahead
from smshooks.metrics import REFUSED_ITEMS, labelled
from smshooks.store.db import is_retryable_conflict
from smshooks.store.nonces import DatabaseReplayGuard, Replayed
from smshooks.store.tables import InboundMessageRow, OutboundMessageRow, Webhook
from smshooks.store.text import is_storable
from smshooks.store.unit import Unit
from smshooks.vendor import (
    PartlyMalformed,
    PayloadError,
    SignatureError,
    TooManyEvents,
    Vendor,
    WebhookRequest,
    WebhookResponse,
)

log = logging.getLogger(__name__)

#: how often a chunk's transaction is tried when the database aborts it for a lock conflict
CHUNK_ATTEMPTS = 3
#: a refused item's reason is cut to this length in the log and the answer (it is the plugin's text)
MAX_REASON_LENGTH = 300

#: an item of a batch not stored, and why: ``(index in the batch, reason)``
Refusal = tuple[int, str]


@dataclass(frozen=True)
class VendorCall:
    """One HTTP request as the vendor sent it: the URL as the vendor called it (signatures sign it
    byte for byte), the raw body, and the form fields when the body was a form."""

    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes
    form: Mapping[str, list[str]]
    received_at: datetime


def receive(gw: Gateway, webhook_id: str, read_call: Callable[[], VendorCall], *, base_url: str) -> WebhookResponse:
    """Handle one vendor request to ``/hooks/<webhook_id>`` and return the vendor's acknowledgement.

    ``read_call`` reads the request (the web layer's size limit applies there); it is
    called only once the webhook is known. ``base_url`` is our public base URL, from
    which the status-callback URL of each reply is made. The acknowledgement is
    returned only after every event of the request committed.
    """
    webhook, credential = _find_webhook(gw, webhook_id)
    observe.note_webhook(webhook.vendor, webhook.type, webhook.id)  # for the request's log line and metrics
    vendor = gw.plugins.vendor(webhook.vendor)
    if vendor is None:
        # The plugin is not installed (or failed to load): the vendor should
        # retry once an operator fixes it, so this is not the vendor's fault.
        log.error("webhook %s: vendor plugin %r is not loaded", webhook_id, webhook.vendor)
        raise Unavailable(f"vendor plugin {webhook.vendor!r} is not available", retry_after=60)

    replay_guard = DatabaseReplayGuard(gw.db, namespace=webhook.credentials_id)
    call = read_call()
    incoming = WebhookRequest(
        method=call.method,
        url=call.url,
        headers=dict(call.headers),
        body=call.body,
        form=dict(call.form),
        received_at=call.received_at,
        replay_guard=replay_guard,
        credentials=credential,
    )
    try:
        vendor.verify(incoming, credential)
    except SignatureError as exc:
        log.warning("webhook %s: signature refused: %s", webhook_id, exc)
        raise Forbidden(f"signature verification failed: {exc}") from None
    stamped, refused = _parse(gw, vendor, incoming, webhook)

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
    # the sandbox's consent policy, read once per request (from the config cache) for every message in it
    policy = _policy(gw, webhook) if any(event.kind == "inbound" for event in stamped) else None
    feedback_endpoint = _feedback_endpoint(gw)
    for number, chunk in enumerate(chunks, start=1):
        # Replies are rendered before the write transaction, so a template (up
        # to its 100 ms limit) never holds the lock either.
        prepared = _prepare_replies(gw, webhook, chunk, policy)
        # One transaction per chunk: its events, consent changes, ledger
        # entries, reply jobs and feedback deliveries commit together, before
        # the vendor hears 2xx. PostgreSQL may abort it for a deadlock with a
        # batch locking the same subscribers in another order: it is done
        # again here, so the vendor is not made to retry for it.
        for attempt in range(1, CHUNK_ATTEMPTS + 1):
            try:
                # a Core connection (store.unit): an ORM session's begin and commit cost more than
                # the few prebuilt statements of an inbound message; one is joined only if needed
                with gw.db.unit() as unit:
                    if number == len(chunks):
                        try:
                            replay_guard.record(unit)
                        except Replayed:
                            raise Forbidden("signature verification failed: nonce already used") from None
                    stored, replies = _store_and_apply(
                        gw, unit, webhook, vendor.name, inline, chunk, prepared, base_url, policy, feedback_endpoint
                    )
                break
            except DBAPIError as exc:
                if attempt == CHUNK_ATTEMPTS or not is_retryable_conflict(exc):
                    raise
                log.warning("webhook %s: %s; storing the chunk again (attempt %d)", webhook_id, exc.orig, attempt + 1)
                # apart in time, so the two transactions do not meet in the same order again
                time.sleep(random.uniform(0.05, 0.25) * attempt)
        inline_replies += replies
        outcomes += stored

    for outcome in outcomes:
        _notify(gw, outcome)
    if refused:
        labelled(REFUSED_ITEMS, vendor=vendor.name).inc(len(refused))
    return _with_refused(vendor.acknowledge(inline_replies), refused)


def _find_webhook(gw: Gateway, webhook_id: str) -> tuple[Webhook, dict[str, Any]]:
    """The webhook and its opened credential, else :class:`NotFound`."""
    if not is_storable(webhook_id):
        raise NotFound("no such webhook")
    found = gw.config.get(("webhook", webhook_id), lambda: _load_webhook(gw, webhook_id))
    if found is None:
        raise NotFound("no such webhook")
    webhook, credential = found
    return webhook, dict(credential)  # a plugin may not change the cached copy


def _load_webhook(gw: Gateway, webhook_id: str) -> tuple[Webhook, dict[str, Any]] | None:
    with gw.db.session() as session:
        webhook = session.get(Webhook, webhook_id)
        if webhook is None:
            return None
        return webhook, open_credentials(session, gw.secrets, webhook.credentials_id)


def _parse(
    gw: Gateway, vendor: Vendor, incoming: WebhookRequest, webhook: Webhook
) -> tuple[list[Event], list[Refusal]]:
    """The request's events, fit for the columns and stamped with the webhook's context (as
    :func:`smshooks.events.stamp` does), and the items refused; or the refusal the vendor should
    see when nothing in the request can be stored."""
    refused: list[Refusal] = []
    try:
        try:
            events = vendor.parse(incoming)
            indexes = list(range(len(events)))
        except PartlyMalformed as exc:
            events, indexes, refused = exc.events, exc.indexes, list(exc.problems)
            if len(indexes) != len(events) or not all(
                isinstance(index, int) and isinstance(reason, str) for index, reason in refused
            ):
                # a plugin's own PartlyMalformed that does not add up: nothing in it can be trusted
                raise PayloadError("the plugin's account of the batch's items does not add up") from None
        check_event_count(vendor, events, gw.settings.max_events_per_request)
    except TooManyEvents as exc:
        raise TooLarge(f"too many events for one {vendor.name} request: {exc}") from None
    except PayloadError as exc:
        raise Malformed(f"malformed {vendor.name} payload: {exc}") from None
    except Exception as exc:
        # A plugin bug on an odd payload is still a payload it cannot read;
        # the vendor gets a 400 and the traceback goes to our log.
        log.exception("webhook %s: %s plugin failed to parse the payload", webhook.id, vendor.name)
        raise Malformed(f"malformed {vendor.name} payload: {type(exc).__name__}") from None
    context = {"org": webhook.org, "sandbox": webhook.sandbox, "webhook_id": webhook.id}
    fitted: list[Event] = []
    # Each event on its own: one that does not fit (an id longer than its column)
    # is refused alone, not with the batch's other items.
    for index, event in zip(indexes, events, strict=True):
        try:
            fitted.append(fit_to_columns(event, **context))
        except PayloadError as exc:
            refused.append((index, str(exc)))
    refused = sorted((index, _short(reason)) for index, reason in refused)
    if refused and not fitted:
        raise Malformed(f"malformed {vendor.name} payload: {refused[0][1]}")
    for index, reason in refused:
        # the reason only: an item's numbers and text stay out of the log
        log.warning("webhook %s: %s item %d refused, the others taken: %s", webhook.id, vendor.name, index, reason)
    return fitted, refused


def _short(reason: str) -> str:
    return reason if len(reason) <= MAX_REASON_LENGTH else reason[: MAX_REASON_LENGTH - 1] + "…"


def _with_refused(answer: WebhookResponse, refused: Sequence[Refusal]) -> WebhookResponse:
    """The vendor's answer, naming the items that were not stored where the answer can say it.

    The default acknowledgement (an empty body: the vendor reads only the status)
    becomes a JSON object, and a JSON object answer gains the key; an answer in a
    vendor's own format (Twilio's TwiML) is left as the vendor expects it.
    """
    if not refused:
        return answer
    listed = [{"index": index, "error": reason} for index, reason in refused]
    if not answer.body:
        body: dict[str, Any] = {"refused": listed}
    elif answer.content_type.split(";")[0].strip().lower() == "application/json":
        try:
            body = json.loads(answer.body)
        except ValueError:
            return answer
        if not isinstance(body, dict) or "refused" in body:
            return answer
        body["refused"] = listed
    else:
        return answer
    return dataclasses.replace(answer, body=json.dumps(body), content_type="application/json")


def _prepare_replies(
    gw: Gateway, webhook: Webhook, events: Sequence[Event], policy: Policy | None
) -> dict[int, PreparedReply]:
    """The replies of a chunk's inbound messages, rendered outside any write transaction."""
    if not any(event.kind == "inbound" for event in events):
        return {}
    hook = gw.plugins.hook.smshooks_classify
    inbound = [event for event in events if event.kind == "inbound"]
    if not renders_ahead(webhook):  # built-in texts only: classified here, rendered under the lock
        return {id(event): prepare_inbound(None, webhook, event, hook, policy=policy) for event in inbound}
    with gw.db.session() as session:
        return {id(event): prepare_inbound(session, webhook, event, hook, policy=policy) for event in inbound}


def _policy(gw: Gateway, webhook: Webhook) -> Policy:
    """The consent policy of the webhook's sandbox (cached for at most a second)."""

    def load() -> Policy:
        with gw.db.session() as session:
            return sandbox_settings(session, webhook.org, webhook.sandbox)

    return gw.config.get(("policy", webhook.org, webhook.sandbox), load)


def _feedback_endpoint(gw: Gateway) -> FindEndpoint:
    """The organisation's enabled feedback webhook, from the config cache (at most a second old:
    the feedback job checks it is still enabled when it runs). It reads no session of the caller's."""

    def find(_session: Session | None, org: str, sandbox: str) -> Any:
        def load() -> Any:
            with gw.db.session() as session:
                return active_webhook(session, org, sandbox)

        return gw.config.get(("feedback", org, sandbox), load)

    return find


def _store_and_apply(
    gw: Gateway,
    unit: Unit,
    webhook: Webhook,
    vendor_name: str,
    inline: bool,
    events: Sequence[Event],
    prepared: Mapping[int, PreparedReply],
    base_url: str,
    policy: Policy | None,
    feedback_endpoint: FindEndpoint,
) -> tuple[list[Stored], list[str]]:
    """Store a chunk's events in order and apply their consequences, in their transaction:
    what was stored (or found a duplicate), and the replies to send inline."""
    stored: list[Stored] = []
    inline_replies: list[str] = []
    for event in events:
        # the feedback webhook, if any, from the cache: without one, no ORM session is made for it
        endpoint = feedback_endpoint(None, event.org or "", event.sandbox or "")
        if not isinstance(event, InboundMessage):
            outcome = store_report(unit, event)
            if endpoint is not None:
                emit_for_report(unit.session, outcome, feedback_endpoint)
            stored.append(outcome)
            continue
        classification, action = None, None
        # The pipeline stores the message itself, with its classification and decision, on a
        # webhook of either type: a vendor that posts messages and reports to one URL (Sinch)
        # may be set up with a delivery-report webhook, and a STOP must not be stored unheard.
        outcome, result = handle_inbound(
            unit,
            webhook,
            event,
            vendor_name=vendor_name,
            inline_replies=inline,
            prepared=prepared.get(id(event)),
            callback_base_url=base_url,
            classify_hook=gw.plugins.hook.smshooks_classify,
            policy=policy,
        )
        if result is not None:
            classification, action = result.classification, result.decision.action
            if result.inline and result.reply_text:
                inline_replies.append(result.reply_text)
        stored.append(outcome)
        if outcome.duplicate:
            # A vendor's retry changes nothing and sends nothing; an inline reply is
            # answered again as the first time (the vendor may never have seen it).
            if inline:
                repeated = _stored_inline_reply(unit, webhook, event)
                if repeated:
                    inline_replies.append(repeated)
            continue
        if endpoint is not None and endpoint.relay_inbound:
            relay_inbound(unit.session, event, outcome.row_id, classification, feedback_endpoint, action)
    return stored, inline_replies


def _stored_inline_reply(unit: Unit, webhook: Webhook, event: Event) -> str | None:
    """The reply the first delivery of ``event`` was answered with inline, if it was: stored on its
    inbound row, and not sent through the outbox (then it went out already and must not go again)."""
    row = unit.execute(
        select(InboundMessageRow.id, InboundMessageRow.reply_text).where(
            InboundMessageRow.webhook_id == webhook.id,
            InboundMessageRow.vendor_message_id == event.vendor_message_id,
        )
    ).first()
    if row is None or not row.reply_text:
        return None
    through_outbox = unit.execute(
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
