"""Transactional sends: one request, up to 20 recipients, each a message in the outbox.

Everything a send request changes — profiles, messages, send jobs, the
exclusion feedback of opted-out recipients — is written in one transaction,
so the 202 answer means every message is either queued or excluded.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from smshooks.consent.ledger import ConsentState, scoped_state
from smshooks.consent.sandbox_policy import Policy, sandbox_settings
from smshooks.errors import INVALID_FIELDS, Invalid
from smshooks.events import Status
from smshooks.feedback import emit_message_status
from smshooks.gateway import Gateway
from smshooks.inbound.event_store import new_message_id
from smshooks.inbound.keyword_config import keyword_config
from smshooks.keywords import KeywordConfig
from smshooks.messages.send_job import enqueue_send, status_callback_url
from smshooks.phones import subscriber_number
from smshooks.replies.context import reply_context, reply_keywords
from smshooks.replies.templates import ReplyTemplateError, render, segments
from smshooks.scope import Scope
from smshooks.store.scoped import find_scoped
from smshooks.store.tables import Channel, Credential, OutboundMessageRow, Profile, ReplyTemplate, Webhook, utcnow
from smshooks.store.upsert import insert_once

MAX_RECIPIENTS = 20
#: the field message of a recipient that is not a phone number
NOT_A_RECIPIENT = "not an E.164 phone number, e.g. +14155550123"
MESSAGE_TYPES = ("transactional", "marketing")
EXCLUDED_OPTED_OUT = "opted_out"
#: a marketing send to a subscriber with no recorded opt-in (when the sandbox requires one)
EXCLUDED_NO_OPT_IN = "no_opt_in"
EXCLUSION_REASONS = {
    EXCLUDED_OPTED_OUT: "the recipient opted out; not sent",
    EXCLUDED_NO_OPT_IN: "marketing needs the recipient's opt-in, and none is recorded; not sent",
}


@dataclass(frozen=True)
class Recipient:
    phone: str
    profile: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Accepted:
    phone: str
    message_execution_id: str
    state: str  # queued or excluded
    exclusion: str | None = None
    #: where the vendor will report on the message; None: no webhook to report to
    status_callback_url: str | None = None


@dataclass(frozen=True)
class SendResult:
    """What a send request did: its id (the requestId of every feedback payload) and each recipient's message."""

    request_id: str
    messages: list[Accepted]


def new_request_id() -> str:
    return str(uuid.uuid4())


def too_many_recipients(count: int) -> str | None:
    """Why ``count`` recipients are too many for one request, or None."""
    return f"at most {MAX_RECIPIENTS} recipients per request, not {count}" if count > MAX_RECIPIENTS else None


def request_problems(*, has_text: bool, has_reply: bool, phones: Sequence[str]) -> dict[str, list[str]]:
    """Why a send request is refused, per field: it needs exactly one of ``text`` and ``reply_id``,
    and each recipient once (``phones`` in E.164, so "+1 415…" and "+1415…" are the same)."""
    problems: dict[str, list[str]] = {}
    if has_text == has_reply:
        problems["text"] = ["give either text or reply_id"]
    seen: set[str] = set()
    duplicates: set[str] = set()
    for phone in phones:
        if phone in seen:
            duplicates.add(phone)
        seen.add(phone)
    if duplicates:
        problems["recipients"] = [f"duplicate recipients: {', '.join(sorted(duplicates))}"]
    return problems


def send_messages(
    gw: Gateway,
    scope: Scope,
    *,
    channel_id: str,
    campaign_id: str,
    recipients: Sequence[Recipient],
    text: str | None = None,
    reply_id: str | None = None,
    campaign_version_id: str | None = None,
    create_profiles: bool = False,
    message_type: str = "transactional",
    callback_base_url: str | None = None,
) -> SendResult:
    """Send ``text`` (a template like a reply's) or the reply ``reply_id`` to up to 20 ``recipients``
    (phone numbers, normalised to E.164) through the channel ``channel_id`` of ``scope``, in one transaction.

    Opted-out recipients (and, for marketing where the sandbox requires it, those without an
    opt-in) are excluded, not sent. ``create_profiles`` stores unknown recipients' profiles.
    ``callback_base_url``: our base URL as the caller reached it, for the vendor's status callback.
    :class:`Invalid` for an unknown channel or reply, both or neither of text and reply, a
    recipient that is not a phone number or twice, too many, or a text that does not render
    (nothing is written then).
    """
    numbers = [subscriber_number(recipient.phone) for recipient in recipients]
    problems: dict[str, Any] = dict(
        request_problems(
            has_text=text is not None, has_reply=reply_id is not None, phones=[n for n in numbers if n is not None]
        )
    )
    not_phones = {i: {"phone": [NOT_A_RECIPIENT]} for i, number in enumerate(numbers) if number is None}
    if not_phones:
        problems["recipients"] = not_phones
    too_many = too_many_recipients(len(recipients))
    if too_many:
        problems["recipients"] = [too_many]
    if message_type not in MESSAGE_TYPES:
        problems["message_type"] = [f"Must be one of: {', '.join(MESSAGE_TYPES)}."]
    if problems:
        raise Invalid(INVALID_FIELDS, details=problems)
    recipients = [
        Recipient(number or "", recipient.profile) for number, recipient in zip(numbers, recipients, strict=True)
    ]
    with gw.db.transaction() as session:
        channel = find_scoped(session, Channel, channel_id, scope)
        if channel is None:
            raise Invalid("unknown channel", details={"channel_id": ["no such channel in this sandbox"]})
        template = None
        if reply_id is not None:
            reply = find_scoped(session, ReplyTemplate, reply_id, scope)
            if reply is None:
                raise Invalid("unknown reply", details={"reply_id": ["no such reply in this sandbox"]})
            template = reply.template
        try:
            request_id, accepted = send_request(
                session,
                org=scope.org,
                sandbox=scope.sandbox,
                channel=channel,
                recipients=recipients,
                campaign_id=campaign_id,
                campaign_version_id=campaign_version_id,
                text=text,
                reply_template=template,
                create_profiles=create_profiles,
                message_type=message_type,
                callback_base_url=callback_base_url,
            )
        except ReplyTemplateError as exc:
            field = "reply_id" if reply_id is not None else "text"
            raise Invalid(
                f"the {'reply' if field == 'reply_id' else 'text'} does not render", details={field: [str(exc)]}
            ) from None
    return SendResult(request_id, accepted)


def send_request(
    session: Session,
    *,
    org: str,
    sandbox: str,
    channel: Channel,
    recipients: Sequence[Recipient],
    campaign_id: str,
    campaign_version_id: str | None,
    text: str | None,
    reply_template: str | None,
    create_profiles: bool,
    message_type: str,
    callback_base_url: str | None = None,
) -> tuple[str, list[Accepted]]:
    """Write the messages of one send request in ``session``; returns its request id.
    Raises ReplyTemplateError (nothing written) when ``text`` or the reply does not render
    (or renders empty) for a recipient. ``callback_base_url`` is the base URL of the
    creating request, kept in each send job for the status callback (SMSHOOKS_PUBLIC_URL wins)."""
    credential = session.get(Credential, channel.credentials_id)
    request_id = new_request_id()
    now = utcnow()
    accepted: list[Accepted] = []
    # the vendor webhook the vendor reports delivery on: the channel's webhook of type "feedback"
    # (delivery reports in; not the customer's feedback webhook), else its inbound one
    report_webhook = channel.feedback_webhook_id or channel.inbound_webhook_id
    keywords = _channel_keywords(session, channel)
    callback_url = status_callback_url(session, callback_base_url, report_webhook)
    policy = sandbox_settings(session, org, sandbox)
    template = text if text is not None else reply_template or ""
    for recipient in recipients:
        profile = _profile(session, org, sandbox, recipient, create=create_profiles)
        attributes = dict(profile.attributes) if profile else dict(recipient.profile or {})
        # ``text`` is a template like a reply's: "Hi {{ profile.first_name }}" is filled in, never sent with braces.
        body = render(
            template,
            reply_context(
                subscriber=recipient.phone, number=channel.sender_number, keywords=keywords, profile=attributes
            ),
        )
        if not body:
            raise ReplyTemplateError(f"renders empty for {recipient.phone}")
        cost = segments(body)
        excluded = _exclusion(session, org, sandbox, channel.sender_number, recipient.phone, message_type, policy)
        status = Status.ERROR if excluded else Status.QUEUED
        row = OutboundMessageRow(
            id=new_message_id(),
            org=org,
            sandbox=sandbox,
            vendor=credential.vendor,
            vendor_message_id=None,
            recipient=recipient.phone,
            sender=channel.sender_number,
            text=body,
            kind="transactional",
            webhook_id=report_webhook,
            credentials_id=channel.credentials_id,
            request_id=request_id,
            channel_id=channel.id,
            campaign_id=campaign_id,
            campaign_version_id=campaign_version_id,
            message_type=message_type,
            profile_id=profile.id if profile else None,
            exclusion=excluded,
            error_code=excluded,
            error_reason=EXCLUSION_REASONS[excluded] if excluded else None,
            encoding="GSM" if cost.encoding == "GSM-7" else "UNICODE",
            segments=cost.segments,
            status=status.value,
            status_rank=status.rank,
            status_at=now,
            created_at=now,
        )
        session.add(row)
        session.flush()
        if excluded:
            # Never sent: the customer learns why through an `error` feedback.
            emit_message_status(session, row, Status.ERROR)
            accepted.append(Accepted(recipient.phone, row.id, "excluded", excluded))
        else:
            enqueue_send(session, row.id, org=org, sandbox=sandbox, callback_base_url=callback_base_url)
            accepted.append(Accepted(recipient.phone, row.id, "queued", status_callback_url=callback_url))
    return request_id, accepted


def _exclusion(
    session: Session, org: str, sandbox: str, sender: str, phone: str, message_type: str, policy: Policy
) -> str | None:
    """Why the message must not be sent, or None: opted out (under the sandbox's consent scope), or a
    marketing message to someone who never opted in (transactional messages need no opt-in)."""
    state = scoped_state(session, org, sandbox, sender, phone, policy.consent_scope)
    if state is ConsentState.OPTED_OUT:
        return EXCLUDED_OPTED_OUT
    if message_type == "marketing" and policy.marketing_requires_opt_in and state is not ConsentState.OPTED_IN:
        return EXCLUDED_NO_OPT_IN
    return None


def _channel_keywords(session: Session, channel: Channel) -> dict[str, str]:
    """STOP, START, HELP … as the channel's inbound webhook configures them (the defaults without one),
    so "Reply {{ opt_out_keyword }} to stop" names the keyword that really works on this number."""
    webhook = session.get(Webhook, channel.inbound_webhook_id) if channel.inbound_webhook_id else None
    config = keyword_config(webhook) if webhook is not None else KeywordConfig.default()
    return reply_keywords(config)


def _profile(session: Session, org: str, sandbox: str, recipient: Recipient, *, create: bool) -> Profile | None:
    key = {"org": org, "sandbox": sandbox, "phone": recipient.phone}
    if create:
        now = utcnow()
        values = {**key, "attributes": dict(recipient.profile or {}), "created_at": now, "updated_at": now}
        insert_once(session, Profile, values, key=list(key))
    return session.execute(select(Profile).filter_by(**key)).scalar()
