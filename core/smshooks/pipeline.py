"""The keyword pipeline: classify → apply consent → choose and render a reply → record.

Runs inside the transaction that stores the inbound message, so the message,
the consent change, the ledger entry and the reply job commit together — the
vendor's 2xx comes only after that. ``decide`` holds the rules of
keywords.md 6.6-6.7 as a pure function; ``handle_inbound`` applies them.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from smshooks import jobs
from smshooks.consent import ConsentState, Evidence, change, effective_state, record_for_update
from smshooks.events import InboundMessage, Status
from smshooks.ingest import new_message_id
from smshooks.keywords import Category, Classification, KeywordConfig, Match, canon, classify
from smshooks.outbound import SEND_SMS
from smshooks.replies import BUILTIN_REPLIES, ReplyTemplateError, render
from smshooks.store.tables import (
    InboundMessageRow,
    OutboundMessageRow,
    Profile,
    ReplyTemplate,
    Webhook,
    utcnow,
)
from smshooks.store.upsert import insert_once

log = logging.getLogger(__name__)

#: the fuzzy prompt and the default reply go to one number at most once in this time
REPLY_RATE_WINDOW = timedelta(hours=24)
DEFAULT_PENDING_HOURS = 72


@dataclass(frozen=True)
class Decision:
    """What one classified message does to consent and which reply it gets."""

    action: str
    new_state: ConsentState | None = None
    changes_state: bool = False
    #: BUILTIN_REPLIES key / reply_ids key of the reply, None for no reply
    reply: str | None = None
    #: the reply may go to an opted-out number (the opt-out confirmation, help)
    exempt: bool = False
    #: which rate-limit clock this reply restarts
    stamps: str | None = None


def decide(
    classification: Classification,
    state: ConsentState | None,
    config: KeywordConfig,
    *,
    text: str,
    last_fuzzy_prompt_at: datetime | None,
    last_default_reply_at: datetime | None,
    now: datetime,
) -> Decision:
    """The consent action and reply for a classified message (keywords.md 6.6-6.7)."""
    category, match = classification.category, classification.match
    opted_out = state is ConsentState.OPTED_OUT
    auto = config.fuzzy_action == "auto_opt_out"

    if category is Category.OPT_OUT and (match is Match.EXACT or auto):
        if opted_out:
            return Decision("already_opted_out")
        return Decision("opt_out", ConsentState.OPTED_OUT, True, reply="opt_out", exempt=True)
    if category is Category.OPT_OUT:  # fuzzy, action prompt: nothing changes
        if opted_out:
            return Decision("already_opted_out")
        if _recent(last_fuzzy_prompt_at, now):
            return Decision("fuzzy_prompt_suppressed")
        return Decision("fuzzy_prompt", reply="fuzzy", stamps="fuzzy")
    if category is Category.HELP:
        return Decision("help", reply="help", exempt=True)
    if category is Category.OPT_IN:
        if state is ConsentState.PENDING:
            return Decision("confirm_double_opt_in", ConsentState.OPTED_IN, True, reply="opt_in")
        if state is ConsentState.OPTED_IN:
            return Decision("already_opted_in", reply="opt_in")
        return Decision("opt_in", ConsentState.OPTED_IN, True, reply="opt_in")
    if category is Category.DOUBLE_OPT_IN:
        if state is ConsentState.OPTED_IN:
            return Decision("already_opted_in", reply="opt_in")
        return Decision("double_opt_in_pending", ConsentState.PENDING, True, reply="double_opt_in")
    if category is Category.CUSTOM:
        return Decision("custom_keyword", reply="custom" if config.reply_ids.get("custom") else None)
    # No keyword: the default reply, never to an opted-out number, never for an
    # empty body (a picture-only MMS), at most once per window.
    if opted_out or not text.strip() or not config.reply_ids.get("default"):
        return Decision("none")
    if _recent(last_default_reply_at, now):
        return Decision("default_reply_suppressed")
    return Decision("default_reply", reply="default", stamps="default")


def _recent(at: datetime | None, now: datetime) -> bool:
    return at is not None and now - at < REPLY_RATE_WINDOW


@lru_cache(maxsize=512)
def _config_from_json(settings_json: str) -> KeywordConfig:
    return KeywordConfig.from_settings(json.loads(settings_json))


def keyword_config(webhook: Webhook) -> KeywordConfig:
    """The webhook's keyword configuration (built once per distinct settings)."""
    if not webhook.keyword_settings:
        return KeywordConfig.default()
    return _config_from_json(json.dumps(webhook.keyword_settings, sort_keys=True))


@dataclass(frozen=True)
class PipelineResult:
    classification: Classification
    decision: Decision
    reply_text: str | None
    #: the reply goes back in the vendor's answer (Twilio TwiML), not through the outbox
    inline: bool
    outbound_message_id: str | None = None


def handle_inbound(
    session: Session,
    webhook: Webhook,
    message: InboundMessage,
    inbound_row_id: int,
    *,
    vendor_name: str,
    inline_replies: bool,
) -> PipelineResult:
    """Classify one stored inbound message and apply the consequences in ``session``."""
    now = utcnow()
    config = keyword_config(webhook)
    classification = classify(message.text, config)
    our_number = message.recipient
    record = record_for_update(session, message.org, message.sandbox, our_number, message.sender)
    state = effective_state(record, now)
    decision = decide(
        classification,
        state,
        config,
        text=message.text,
        last_fuzzy_prompt_at=record.last_fuzzy_prompt_at,
        last_default_reply_at=record.last_default_reply_at,
        now=now,
    )
    reply_text = _reply_text(session, message, config, classification, decision)
    if decision.reply and reply_text is None:
        decision = replace(decision, reply=None)

    if decision.changes_state:
        hours = (webhook.keyword_settings or {}).get("double_opt_in_expiry_hours") or DEFAULT_PENDING_HOURS
        change(
            session,
            record,
            decision.new_state,
            Evidence(
                action=decision.action,
                inbound_message_id=inbound_row_id,
                keyword=classification.keyword,
                category=classification.category.value,
                match=classification.match.value,
                rule=classification.rule,
                reply_text=reply_text,
            ),
            pending_expires_at=now + timedelta(hours=hours),
        )
        if decision.new_state is ConsentState.OPTED_IN:
            _ensure_profile(session, message)
    if decision.stamps == "fuzzy" and reply_text:
        record.last_fuzzy_prompt_at = now
    elif decision.stamps == "default" and reply_text:
        record.last_default_reply_at = now

    session.execute(
        update(InboundMessageRow)
        .where(InboundMessageRow.id == inbound_row_id)
        .values(
            canonical_text=canon(message.text),
            category=classification.category.value,
            match=classification.match.value,
            keyword=classification.keyword,
            rule=classification.rule,
            action=decision.action,
            reply_text=reply_text,
        )
    )

    outbound_id = None
    if reply_text and not inline_replies:
        outbound_id = enqueue_reply(session, webhook, message, inbound_row_id, reply_text, vendor_name, decision.exempt)
    return PipelineResult(
        classification,
        decision,
        reply_text,
        inline=bool(reply_text and inline_replies),
        outbound_message_id=outbound_id,
    )


def enqueue_reply(
    session: Session,
    webhook: Webhook,
    message: InboundMessage,
    inbound_row_id: int,
    text: str,
    vendor_name: str,
    exempt: bool,
) -> str:
    """Write the reply as an outbound message and its send job (the outbox)."""
    now = utcnow()
    row = OutboundMessageRow(
        id=new_message_id(),
        org=message.org,
        sandbox=message.sandbox,
        vendor=vendor_name,
        vendor_message_id=None,
        recipient=message.sender,
        sender=message.recipient,
        text=text,
        kind="reply",
        webhook_id=webhook.id,
        credentials_id=webhook.credentials_id,
        inbound_message_id=inbound_row_id,
        status=Status.QUEUED.value,
        status_rank=Status.QUEUED.rank,
        status_at=now,
        created_at=now,
    )
    session.add(row)
    session.flush()
    jobs.enqueue(session, SEND_SMS, {"message_id": row.id, "exempt": exempt}, org=message.org, sandbox=message.sandbox)
    return row.id


def _reply_text(
    session: Session,
    message: InboundMessage,
    config: KeywordConfig,
    classification: Classification,
    decision: Decision,
) -> str | None:
    """The rendered reply: the configured template, else the built-in text.
    A broken or deleted template never blocks an opt-out: it falls back."""
    if decision.reply is None:
        return None
    reply_id = config.reply_ids.get(decision.reply)
    context = _context(session, message, config, classification)
    if reply_id:
        template = session.execute(
            select(ReplyTemplate.template).where(
                ReplyTemplate.id == reply_id,
                ReplyTemplate.org == message.org,
                ReplyTemplate.sandbox == message.sandbox,
            )
        ).scalar()
        if template is not None:
            try:
                return render(template, context) or None
            except ReplyTemplateError as exc:
                log.error("reply %s does not render (%s); using the built-in text", reply_id, exc)
        else:
            log.error("reply %s is configured but does not exist; using the built-in text", reply_id)
    builtin = BUILTIN_REPLIES.get(decision.reply)
    return render(builtin, context) if builtin else None


def _context(
    session: Session, message: InboundMessage, config: KeywordConfig, classification: Classification
) -> dict[str, Any]:
    attributes = session.execute(
        select(Profile.attributes).where(
            Profile.org == message.org, Profile.sandbox == message.sandbox, Profile.phone == message.sender
        )
    ).scalar()
    return {
        "keyword": classification.keyword or "",
        "category": classification.category.value,
        "subscriber": message.sender,
        "number": message.recipient,
        "opt_out_keyword": _first_keyword(config, Category.OPT_OUT, "STOP"),
        "opt_in_keyword": _first_keyword(config, Category.OPT_IN, "START"),
        "help_keyword": _first_keyword(config, Category.HELP, "HELP"),
        "profile": attributes or {},
    }


def _first_keyword(config: KeywordConfig, category: Category, conventional: str) -> str:
    """The keyword a reply tells subscribers to send: the conventional one
    (STOP, START, HELP) when the category has it, else its first keyword."""
    keywords = [keyword.upper() for keyword in config.keywords(category)]
    if conventional in keywords or not keywords:
        return conventional
    return keywords[0]


def _ensure_profile(session: Session, message: InboundMessage) -> None:
    """A confirmed opt-in creates the subscriber's profile if none exists (as the seed does)."""
    now = utcnow()
    insert_once(
        session,
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
