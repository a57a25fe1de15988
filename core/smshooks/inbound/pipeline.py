"""The keyword pipeline: classify → render the candidate reply → apply consent → record.

Two steps. :func:`prepare_inbound` runs *before* the write transaction: it
reads the consent state, classifies, and renders the reply that state calls
for, so a slow template (bounded, but up to 100 ms) never holds the write lock
other tenants wait on. :func:`handle_inbound` runs inside the transaction that
stores the inbound message: it re-reads the state under lock, decides, and
writes the consent change, the ledger entry and the reply job, which commit
together — the vendor's 2xx comes only after that. Nothing a template does can
stop the consent change: any failure to render is logged and the built-in
text goes out instead. ``decide`` holds the rules of keywords.md 6.6-6.7 as a
pure function.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import insert
from sqlalchemy.orm import Session

from smshooks.consent.decisions import DEFAULT_PENDING_HOURS, Decision, decide, depends_on_consent
from smshooks.consent.ledger import (
    ALL_NUMBERS,
    STOP_ALL_KEYWORDS,
    ConsentState,
    Evidence,
    Record,
    SubscriberRecords,
    awaits_confirmation,
    change,
    end_waits,
    ensure_pair,
    forget_new_pair,
    lock_subscriber,
    read_subscriber,
    sent_time,
    stamp,
)
from smshooks.consent.sandbox_policy import Policy, sandbox_settings
from smshooks.errors import Unavailable
from smshooks.events import InboundMessage, Status
from smshooks.inbound.event_store import Stored, new_message_id, store_inbound
from smshooks.inbound.keyword_config import classify_message, keyword_config
from smshooks.inbound.reply_text import PreparedReply, locked_reply_text
from smshooks.inbound.reply_text import reply_text as render_reply
from smshooks.keywords import Category, Classification, KeywordConfig, Match, canon
from smshooks.messages.send_job import enqueue_send
from smshooks.metrics import PIPELINE_DECISIONS, count_on_commit
from smshooks.store.driver import DriverStatement
from smshooks.store.tables import (
    OutboundMessageRow,
    Profile,
    Webhook,
    utcnow,
)
from smshooks.store.unit import Unit
from smshooks.store.upsert import insert_once

log = logging.getLogger(__name__)
T = TypeVar("T")
#: a reply's outbound message (on the driver's cursor: the vendor path writes it with no ORM session)
_REPLY_FIELDS = (
    "id",
    "org",
    "sandbox",
    "vendor",
    "vendor_message_id",
    "recipient",
    "sender",
    "text",
    "kind",
    "webhook_id",
    "credentials_id",
    "inbound_message_id",
    "status",
    "status_rank",
    "status_at",
    "created_at",
)
_INSERT_REPLY = DriverStatement(insert(OutboundMessageRow.__table__), _REPLY_FIELDS)


@dataclass(frozen=True)
class PipelineResult:
    classification: Classification
    decision: Decision
    reply_text: str | None
    #: the reply goes back in the vendor's answer (Twilio TwiML), not through the outbox
    inline: bool
    outbound_message_id: str | None = None


def renders_ahead(webhook: Webhook) -> bool:
    """Whether :func:`prepare_inbound` needs a database session for ``webhook``'s messages: only when
    an administrator's reply template is configured (it may take up to its time limit to render)."""
    return any(keyword_config(webhook).reply_ids.values())


def classify_inbound(message: InboundMessage, config: KeywordConfig, classify_hook: Any = None) -> Classification:
    """The message's classification: the keyword rules and plugins', or an exact opt-out when the
    vendor says it recorded one (``vendor_opt_out``): the vendor blocks sends from now on, so the
    ledger must too, even when our keywords do not list the word (Twilio's ARRET, a custom one)."""
    classification = classify_message(message.text, config, classify_hook)
    if message.vendor_opt_out and not (
        classification.category is Category.OPT_OUT and classification.match is Match.EXACT
    ):
        return Classification(Category.OPT_OUT, Match.EXACT, None, VENDOR_RULE, message.vendor)
    return classification


#: the rule named when the vendor's own opt-out decided (``Classification.rule``, 8 characters at most)
VENDOR_RULE = "vendor"


def prepare_inbound(
    session: Session | None,
    webhook: Webhook,
    message: InboundMessage,
    classify_hook: Any = None,
    *,
    policy: Policy | None = None,
) -> PreparedReply:
    """Classify ``message`` and render the reply it would get, reading (not locking) the consent state.

    Call it before opening the write transaction. ``session`` may be None when
    :func:`renders_ahead` is False: then only the classification is made. It never
    raises: whatever goes wrong is logged, and :func:`handle_inbound` then sends the built-in text.
    """
    try:
        now = utcnow()
        config = keyword_config(webhook)
        classification = classify_inbound(message, config, classify_hook)
        if session is None or not any(config.reply_ids.values()):
            return PreparedReply(None, None, classification, rendered=False)
        records = read_subscriber(session, message.org, message.sandbox, message.sender)
        policy = policy or sandbox_settings(session, message.org, message.sandbox)
        state = _state(records, message, classification, policy, now)
        decision = _decide(
            classification, state, records, records.pair(message.recipient), config, message, now, policy
        )
        text = render_reply(session, message, config, classification, decision)
        return PreparedReply(decision.reply, text, classification)
    except Exception:
        log.exception("preparing the reply to an inbound message failed; the built-in text will be used")
        return PreparedReply(None, None)


def handle_inbound(
    unit: Unit,
    webhook: Webhook,
    message: InboundMessage,
    *,
    vendor_name: str,
    inline_replies: bool,
    prepared: PreparedReply | None = None,
    callback_base_url: str | None = None,
    classify_hook: Any = None,
    policy: Policy | None = None,
) -> tuple[Stored, PipelineResult | None]:
    """Store one inbound message and apply its consequences in ``unit``'s transaction; for a message stored
    before (a vendor's retry), nothing but the finding (``Stored.duplicate``, and no result).

    Under the subscriber's consent lock the decision is made first, so the message is stored
    with its classification and decision in one statement; its consent change, ledger entry
    and reply follow only when that statement stored it. ``prepared`` is :func:`prepare_inbound`'s
    answer for ``message``, made before the transaction; without it the reply is rendered here, inside it.
    ``callback_base_url`` (the vendor request's base URL) goes with a reply job,
    for the reply's status callback when SMSHOOKS_PUBLIC_URL is unset. ``policy``
    is the sandbox's (read here when not given).
    """
    if prepared is None:
        prepared = prepare_inbound(unit.session, webhook, message, classify_hook)
    now = utcnow()
    config = keyword_config(webhook)
    classification = prepared.classification or classify_inbound(message, config, classify_hook)
    our_number = message.recipient
    policy = policy or sandbox_settings(unit.session, message.org, message.sandbox)
    records, record, new_pair, decision = None, None, None, None
    if not depends_on_consent(classification, config, message.text):
        # help, a custom keyword, everyday text: decided alike in every consent state, and
        # nothing about consent changes, so nothing is read or locked
        decision = _decide(classification, None, None, None, config, message, now, policy)
        if decision.changes_state or decision.stamps:  # never (tests/test_consent_decisions.py)
            decision = None
    if decision is None:
        # the pair's record is created now if new, so that it is locked while the message is decided;
        # ``created`` only when this transaction inserted it (a concurrent delivery may have made it)
        records = lock_subscriber(unit, message.org, message.sandbox, message.sender, our_number)
        new_pair = records.created
        record = records.pair(our_number)
        state = _state(records, message, classification, policy, now)
        decision = _decide(classification, state, records, record, config, message, now, policy)
        if _undoes_a_later_opt_out(decision, records, message, policy, now):
            decision = Decision(OLDER_THAN_OPT_OUT)
    reply_text = locked_reply_text(message, config, classification, decision, prepared)
    if decision.reply and reply_text is None:
        decision = replace(decision, reply=None)
    outcome = {
        "canonical_text": canon(message.text),
        "category": classification.category.value,
        "match": classification.match.value,
        "keyword": classification.keyword,
        "rule": classification.rule,
        "decided_by": classification.decided_by,
        "action": decision.action,
        "reply_text": reply_text,
    }
    stored = store_inbound(unit, message, outcome)
    if stored.duplicate:
        if new_pair is not None:  # a retry naming a pair never seen (a vendor's odd replay) leaves no record
            forget_new_pair(unit, new_pair)
        return stored, None
    inbound_row_id = stored.row_id

    if decision.changes_state:
        records, record = _held(records), _held(record)
        hours = (webhook.keyword_settings or {}).get("double_opt_in_expiry_hours") or DEFAULT_PENDING_HOURS
        evidence = Evidence(
            action=decision.action,
            inbound_message_id=inbound_row_id,
            keyword=classification.keyword,
            category=classification.category.value,
            match=classification.match.value,
            rule=classification.rule,
            decided_by=classification.decided_by,
            reply_text=reply_text,
        )
        if _stops_all(classification, decision) and policy.consent_scope == "number":
            # STOPALL means every one of our numbers, whatever the scope: under number scope
            # it is recorded once more, for all numbers (sends check that record too).
            every = _held(ensure_pair(unit, records, ALL_NUMBERS).pair(ALL_NUMBERS))
            change(unit, every, decision.new_state, evidence, stated_at=message.received_at)
        if decision.new_state is ConsentState.OPTED_OUT and not decision.pending:
            # an opt-out ends every double opt-in request waiting where it reaches (6.7.3), each
            # record keeping its own opt-out's time
            stop_all = _is_stop_all(classification)
            waiting = records.waiting(message.recipient, policy.consent_scope, now, every_number=stop_all)
            end_waits(unit, [other for other in waiting if other is not record], evidence)
        expires = now + timedelta(hours=hours) if decision.pending else None
        # a request to join kept beside an opt-out is no new opt-out: the opt-out keeps its own time
        beside_opt_out = decision.pending and decision.new_state is ConsentState.OPTED_OUT
        opt_out_at = records.opt_out_stated_at(message.recipient, policy.consent_scope) if beside_opt_out else None
        stated_at = opt_out_at or message.received_at
        change(unit, record, decision.new_state, evidence, pending_expires_at=expires, stated_at=stated_at)
        if decision.new_state is ConsentState.OPTED_IN:
            _ensure_profile(unit, message)
    if decision.stamps and reply_text:
        record = _held(record)
    if decision.stamps == "fuzzy" and reply_text:
        stamp(unit, record, "last_fuzzy_prompt_at", now)
    elif decision.stamps == "default" and reply_text:
        stamp(unit, record, "last_default_reply_at", now)

    outbound_id = None
    if reply_text and not inline_replies:
        outbound_id = enqueue_reply(
            unit,
            webhook,
            message,
            inbound_row_id,
            reply_text,
            vendor_name,
            decision.exempt,
            callback_base_url=callback_base_url,
            exempt_while_awaiting=decision.exempt_while_awaiting,
        )
    count_on_commit(unit, PIPELINE_DECISIONS, category=classification.category.value, action=decision.action)
    return stored, PipelineResult(
        classification,
        decision,
        reply_text,
        inline=bool(reply_text and inline_replies),
        outbound_message_id=outbound_id,
    )


def _held(value: T | None) -> T:
    """``value``, read under the lock; never None there, but if it were, the vendor is asked to retry
    (503) rather than answered 500, which some vendors (Twilio) do not retry: the message is not lost."""
    if value is None:
        raise Unavailable("the subscriber's consent record could not be read under its lock; retry", retry_after=1)
    return value


def _is_stop_all(classification: Classification) -> bool:
    return canon(classification.keyword or "") in STOP_ALL_KEYWORDS


def _stops_all(classification: Classification, decision: Decision) -> bool:
    return decision.new_state is ConsentState.OPTED_OUT and _is_stop_all(classification)


def _state(
    records: SubscriberRecords,
    message: InboundMessage,
    classification: Classification,
    policy: Policy,
    now: datetime,
) -> ConsentState | None:
    """The consent the message is decided on: for our number under the sandbox's scope; for a STOPALL
    under number scope, the every-number record's (so it is not 'already opted out' of one number only)."""
    if policy.consent_scope == "number" and _is_stop_all(classification):
        return ConsentState.OPTED_OUT if records.opted_out_everywhere(now) else None
    return records.state(message.recipient, policy.consent_scope, now)


def _decide(
    classification: Classification,
    state: ConsentState | None,
    records: SubscriberRecords | None,
    record: Record | None,
    config: KeywordConfig,
    message: InboundMessage,
    now: datetime,
    policy: Policy,
) -> Decision:
    reach = (
        records.waiting(message.recipient, policy.consent_scope, now, every_number=_is_stop_all(classification))
        if records is not None and state is ConsentState.OPTED_OUT
        else []
    )
    return decide(
        classification,
        state,
        config,
        text=message.text,
        last_fuzzy_prompt_at=record.last_fuzzy_prompt_at if record else None,
        last_default_reply_at=record.last_default_reply_at if record else None,
        now=now,
        awaiting_confirmation=state is ConsentState.OPTED_OUT and awaits_confirmation(record, now),
        waits_in_reach=bool(reach),
    )


#: the action of an opt-in (or double opt-in) sent before an opt-out that arrived first
OLDER_THAN_OPT_OUT = "older_than_opt_out"


def _undoes_a_later_opt_out(
    decision: Decision, records: SubscriberRecords, message: InboundMessage, policy: Policy, now: datetime
) -> bool:
    """The decision would end an opt-out the subscriber sent after this message (a vendor's retry of
    an old START arriving after a STOP, batches out of order): it is left in force, with no reply.
    An opt-out is applied whenever it arrives (the safe side: the subscriber can opt in again)."""
    # a double opt-in request kept beside an opt-out counts as an opt-in here: older than the
    # opt-out, it would start a wait the opt-out's own message came after
    if not decision.changes_state or (decision.new_state is ConsentState.OPTED_OUT and not decision.pending):
        return False
    opt_out_at = records.opt_out_stated_at(message.recipient, policy.consent_scope)
    return opt_out_at is not None and opt_out_at > sent_time(message.received_at, now)


def enqueue_reply(
    unit: Unit,
    webhook: Webhook,
    message: InboundMessage,
    inbound_row_id: int,
    text: str,
    vendor_name: str,
    exempt: bool,
    *,
    callback_base_url: str | None = None,
    exempt_while_awaiting: bool = False,
) -> str:
    """Write the reply as an outbound message and its send job (the outbox)."""
    now = utcnow()
    message_id = new_message_id()
    _INSERT_REPLY.rows(
        unit.conn,
        {
            "id": message_id,
            "org": message.org,
            "sandbox": message.sandbox,
            "vendor": vendor_name,
            "vendor_message_id": None,
            "recipient": message.sender,
            "sender": message.recipient,
            "text": text,
            "kind": "reply",
            "webhook_id": webhook.id,
            "credentials_id": webhook.credentials_id,
            "inbound_message_id": inbound_row_id,
            "status": Status.QUEUED.value,
            "status_rank": Status.QUEUED.rank,
            "status_at": now,
            "created_at": now,
        },
    )
    enqueue_send(
        unit.session,
        message_id,
        org=message.org,
        sandbox=message.sandbox,
        exempt=exempt,
        callback_base_url=callback_base_url,
        exempt_while_awaiting=exempt_while_awaiting,
    )
    return message_id


def _ensure_profile(unit: Unit, message: InboundMessage) -> None:
    """A confirmed opt-in creates the subscriber's profile if none exists (as the seed does)."""
    now = utcnow()
    insert_once(
        unit,
        Profile,
        {
            "org": message.org,
            "sandbox": message.sandbox,
            "phone": message.sender,
            "attributes": {},
            "created_at": now,
            "updated_at": now,
        },
        key=["org", "sandbox", "phone"],
    )
