"""Sending stored outbound messages through their vendor (the ``send_sms`` job)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import Connection, and_, bindparam, select, update
from sqlalchemy.orm import Session

from smshooks import observe
from smshooks.consent.ledger import LATEST_FIRST, RECORD_COLUMNS, Record, SubscriberRecords, awaits_confirmation
from smshooks.consent.sandbox_policy import sandbox_settings
from smshooks.credentials.fields import open_credentials
from smshooks.events import OutboundMessage, Status
from smshooks.feedback import emit_message_status
from smshooks.messages import call_log
from smshooks.messages.redaction import secret_values
from smshooks.messages.status import fold_status, move_forward
from smshooks.outbox import jobs
from smshooks.outbox.retry import PermanentFailure, RetryPolicy, TryAgain
from smshooks.store.driver import DriverStatement, kept_reader
from smshooks.store.member_of import by_dialect, list_value, member_of
from smshooks.store.tables import (
    ConsentRecord,
    DeliveryReportRow,
    FeedbackDelivery,
    OutboundMessageRow,
    Webhook,
    utcnow,
)
from smshooks.targets import REFUSED, refusal_count
from smshooks.vendor import TARGET_REFUSED, HttpSession, SendError, Vendor

if TYPE_CHECKING:
    from smshooks.gateway import Gateway
    from smshooks.settings import Settings

log = logging.getLogger(__name__)

#: the outbox job that sends one stored message (replies and transactional sends)
SEND_SMS = "send_sms"


def enqueue_send(
    session: Session,
    message_id: str,
    *,
    org: str,
    sandbox: str,
    exempt: bool = False,
    callback_base_url: str | None = None,
    exempt_while_awaiting: bool = False,
) -> None:
    """Write the ``send_sms`` job of a stored message in the caller's transaction (the outbox).

    ``exempt``: the message may go to an opted-out number (an opt-out confirmation, help);
    ``callback_base_url``: the base URL of the request that created it, for the status callback
    when SMSHOOKS_PUBLIC_URL is unset. The worker hands both to :func:`send_message`.
    """
    payload: dict[str, object] = {"message_id": message_id}
    if exempt:
        payload["exempt"] = True
    if exempt_while_awaiting:
        # the request to confirm a double opt-in asked after an opt-out: it goes while the pair's
        # record still waits for the confirmation (a STOP sent meanwhile ends the wait)
        payload["exempt_while_awaiting"] = True
    if callback_base_url:
        payload["callback_base_url"] = callback_base_url
    jobs.enqueue(session, SEND_SMS, payload, org=org, sandbox=sandbox)


def retry_policy(settings: Settings) -> RetryPolicy:
    """The ``send_sms`` retry schedule: SMSHOOKS_RETRY_DELAYS (5 s, 30 s, 2 min, 10 min,
    30 min, 1 h, 2 h by default), ±20 % jitter, dead after 8 attempts."""
    return RetryPolicy(settings.retry_delays, max_attempts=jobs.DEFAULT_MAX_ATTEMPTS)


@dataclass(frozen=True)
class Sent:
    """A message the vendor accepted: its id and the calls of the attempt, to record (:func:`record_sent`)."""

    message_id: str
    vendor_message_id: str
    org: str
    sandbox: str
    vendor: str
    recipient: str
    calls: call_log.Log | None = None

    @property
    def key(self) -> tuple[str, str, str, str, str]:
        """The message's unique key once its vendor id is recorded (``uq_messages_vendor_message``)."""
        return (self.org, self.sandbox, self.vendor, self.vendor_message_id, self.recipient)


_messages = OutboundMessageRow.__table__
_consent = ConsentRecord.__table__
_MESSAGE_COLUMNS = (
    _messages.c.id,
    _messages.c.org,
    _messages.c.sandbox,
    _messages.c.vendor,
    _messages.c.vendor_message_id,
    _messages.c.sender,
    _messages.c.recipient,
    _messages.c.text,
    _messages.c.webhook_id,
    _messages.c.credentials_id,
)


class _Message(NamedTuple):
    """The columns of a message a send reads."""

    id: str
    org: str
    sandbox: str
    vendor: str
    vendor_message_id: str | None
    sender: str
    recipient: str
    text: str | None
    webhook_id: str | None
    credentials_id: str | None


#: what a send reads: its message and, beside it, the recipient's consent records (latest first, none
#: for a new subscriber), in one statement on the driver's cursor (store/driver.py), so the opt-out
#: check costs no statement of its own and the read no SQLAlchemy execution
_READ = DriverStatement(
    select(*_MESSAGE_COLUMNS, *(column.label(f"consent_{column.name}") for column in RECORD_COLUMNS))
    .select_from(
        _messages.outerjoin(
            _consent,
            and_(
                _consent.c.org == _messages.c.org,
                _consent.c.sandbox == _messages.c.sandbox,
                _consent.c.subscriber == _messages.c.recipient,
            ),
        )
    )
    .where(_messages.c.id == bindparam("message_id"))
    .order_by(*LATEST_FIRST),
    ["message_id"],
    [*_MESSAGE_COLUMNS, *RECORD_COLUMNS],
)


def send_message(
    gw: Gateway,
    http: HttpSession,
    message_id: str,
    *,
    exempt: bool = False,
    callback_base_url: str | None = None,
    exempt_while_awaiting: bool = False,
) -> Sent | None:
    """Send one stored message (the ``send_sms`` job's handler); None when it is not sent (opted
    out, already sent). Raises TryAgain or PermanentFailure. The vendor's id is not recorded
    here: the worker records it with its other successes (:func:`record_sent`).

    ``exempt``: the message may go to an opted-out number (an opt-out confirmation, help);
    ``callback_base_url`` is the base URL of the request that created the message (kept in its
    job): the status callback's base when SMSHOOKS_PUBLIC_URL is unset."""
    with kept_reader(gw.db.engine) as conn:  # one statement: no BEGIN and ROLLBACK round trips
        rows = _READ.rows(conn, {"message_id": message_id})
    if not rows:
        raise PermanentFailure(f"message {message_id} does not exist")
    message = _Message(*rows[0][:_CONSENT_AT])
    if message.vendor_message_id:
        return None  # sent by an earlier attempt whose completion was lost
    if not exempt and _opted_out(gw, message, rows, exempt_while_awaiting):
        # Refused before the vendor sees it: the subscriber said STOP.
        _mark_error(gw, message_id, "opted_out", "the recipient opted out; not sent", excluded=True)
        return None
    vendor = gw.plugins.vendor(message.vendor)
    if vendor is None:
        raise TryAgain(f"vendor plugin {message.vendor!r} is not loaded")
    credentials, secret_names = _credentials(gw, vendor, message.credentials_id or "")
    callback_url = _callback_url(gw, gw.settings.public_url or callback_base_url, message.webhook_id)
    if not credentials:
        _mark_error(gw, message_id, "no_credentials", "the credential of this message was deleted")
        raise PermanentFailure("credential missing")
    outbound = OutboundMessage(
        sender=message.sender,
        recipient=message.recipient,
        text=message.text or "",
        status_callback_url=callback_url,
        reference=message.id,
    )
    refused_before = refusal_count(http)
    try:
        # each HTTP call logged, secrets masked: stored at once when the send raises, else with its outcome
        with call_log.recording(gw, http, message, lambda: secret_values(secret_names, credentials)) as attempt:
            vendor_message_id = observe.vendor_send(vendor, outbound, credentials, http)  # logged and counted
    except Exception as exc:
        if refusal_count(http) > refused_before:
            # The session would not connect where the credential points. However the
            # plugin reported it (retryable, its own wording), the message fails for
            # good with the one fixed error: nothing about the address may show.
            _mark_error(gw, message_id, TARGET_REFUSED, REFUSED)
            raise PermanentFailure(REFUSED) from None
        if not isinstance(exc, SendError):
            raise
        if exc.retryable:
            with gw.db.begin() as conn:
                # Counted for the feedback payload's retryCount.
                conn.execute(
                    update(_messages)
                    .where(_messages.c.id == message_id)
                    .values(retry_count=_messages.c.retry_count + 1)
                )
            raise TryAgain(f"{exc.code or exc.status or ''} {exc.reason}".strip(), exc.retry_after) from None
        _mark_error(gw, message_id, exc.code or "send_refused", exc.reason)
        raise PermanentFailure(exc.reason) from None
    return Sent(
        message_id, vendor_message_id, message.org, message.sandbox, message.vendor, message.recipient, attempt.log
    )


_CONSENT_AT = len(_MESSAGE_COLUMNS)


def _opted_out(gw: Gateway, message: Any, rows: list[Any], exempt_while_awaiting: bool = False) -> bool:
    """Whether the recipient opted out of this message's sender, from the consent records read with
    it, under the sandbox's consent scope (from the config cache, as the vendor-facing path reads it).
    ``exempt_while_awaiting``: not while the pair's record waits for a double opt-in's confirmation."""

    def policy() -> Any:
        with gw.db.session() as session:
            return sandbox_settings(session, message.org, message.sandbox)

    records = SubscriberRecords(
        message.org,
        message.sandbox,
        message.recipient,
        [Record(*row[_CONSENT_AT:]) for row in rows if row[_CONSENT_AT] is not None],
    )
    scope = gw.config.get(("policy", message.org, message.sandbox), policy).consent_scope if message.sender else ""
    # every opt-out that reaches the pair ends its wait (ledger.end_waits): its own record tells
    if exempt_while_awaiting and message.sender and awaits_confirmation(records.pair(message.sender), utcnow()):
        return False
    return records.opted_out(message.sender, scope)


def _credentials(gw: Gateway, vendor: Vendor, credential_id: str) -> tuple[dict[str, Any], frozenset[str]]:
    """The opened credential, a copy the plugin may change, and the vendor's secret field names:
    from the config cache (at most a second old), so a credential is decrypted (and the vendor's
    schema built) once per change, not per send."""

    def load() -> tuple[dict[str, Any], frozenset[str]]:
        with gw.db.session() as session:
            return open_credentials(session, gw.secrets, credential_id), vendor.secret_fields()

    opened, names = gw.config.get(("send-credential", vendor.name, credential_id), load)
    return dict(opened), names


def _callback_url(gw: Gateway, base_url: str | None, webhook_id: str | None) -> str | None:
    if not webhook_id or not base_url:
        return None

    def load() -> str | None:
        with gw.db.session() as session:
            return status_callback_url(session, base_url, webhook_id)

    return gw.config.get(("status-callback", base_url, webhook_id), load)


#: the messages of one (org, sandbox, vendor) that already carry one of these vendor ids: a fast
#: vendor's report made them before the send recorded its id (the unique key's index serves it)
_EARLY = by_dialect(
    lambda dialect: select(_messages.c.vendor_message_id, _messages.c.recipient).where(
        _messages.c.org == bindparam("org"),
        _messages.c.sandbox == bindparam("sandbox"),
        _messages.c.vendor == bindparam("vendor"),
        member_of(dialect, _messages.c.vendor_message_id, "vendor_ids"),
    )
)
_RECORD_ID = (
    update(_messages).where(_messages.c.id == bindparam("b_id")).values(vendor_message_id=bindparam("b_vendor_id"))
)


def record_sent(gw: Gateway, conn: Connection, sent: list[Sent]) -> None:
    """Record the vendors' ids of messages sent, in the transaction that marks their jobs done
    (the worker's ``send_sms`` record): one UPDATE for the lot, unless a fast vendor already
    reported on one of them, whose early message is folded into ours (:func:`attach_vendor_id`).
    The calls of their attempts are logged in it too (:func:`call_log.write`)."""
    call_log.write(conn, [one.calls for one in sent])
    by_vendor: dict[tuple[str, str, str], list[Sent]] = {}
    for one in sent:
        by_vendor.setdefault((one.org, one.sandbox, one.vendor), []).append(one)
    early: set[tuple[str, str, str, str, str]] = set()
    for (org, sandbox, vendor), group in by_vendor.items():  # mostly one: a batch is mostly one tenant's
        values = {
            "org": org,
            "sandbox": sandbox,
            "vendor": vendor,
            "vendor_ids": list_value(conn, [one.vendor_message_id for one in group]),
        }
        early.update((org, sandbox, vendor, *row) for row in conn.execute(_EARLY[conn.dialect.name], values))
    folded = [one for one in sent if one.key in early]
    plain = [one for one in sent if one.key not in early]
    if plain:
        conn.execute(_RECORD_ID, [{"b_id": one.message_id, "b_vendor_id": one.vendor_message_id} for one in plain])
    if folded:
        with Session(bind=conn) as session:
            for one in folded:
                attach_vendor_id(session, one.message_id, one.vendor_message_id)
            session.flush()


def attach_vendor_id(session: Session, message_id: str, vendor_message_id: str) -> None:
    """Record the vendor's id on our message.

    A fast vendor may report on the message before we stored its id; that
    report created a ``reported`` message of its own, which is folded into
    ours here (its reports move over, the furthest status wins).
    """
    message = session.get(OutboundMessageRow, message_id)
    early = session.execute(
        select(OutboundMessageRow).where(
            OutboundMessageRow.org == message.org,
            OutboundMessageRow.sandbox == message.sandbox,
            OutboundMessageRow.vendor == message.vendor,
            OutboundMessageRow.vendor_message_id == vendor_message_id,
            OutboundMessageRow.recipient == message.recipient,
        )
    ).scalar()
    if early is not None and early.id != message.id:
        session.execute(
            update(DeliveryReportRow).where(DeliveryReportRow.message_id == early.id).values(message_id=message.id)
        )
        # Its feedback events move too, so a later report of the same status
        # on the merged message is not emitted a second time.
        session.execute(
            update(FeedbackDelivery).where(FeedbackDelivery.message_id == early.id).values(message_id=message.id)
        )
        fold_status(message, early)
        session.delete(early)
        session.flush()
    message.vendor_message_id = vendor_message_id


#: the error code of a message whose send was given up: every attempt failed (or crashed)
RETRIES_EXHAUSTED = "retries_exhausted"


def gave_up(gw: Gateway, job: Any, error: str) -> None:
    """The worker gave the send up (its last attempt failed or crashed): a message never sent is in
    ``error`` with its error feedback, so the customer learns it will not arrive (it stayed
    ``queued`` for good before). One whose vendor id was recorded meanwhile was sent: left as it is."""
    _mark_error(gw, str(job.payload.get("message_id")), RETRIES_EXHAUSTED, error, unsent_only=True)


def _mark_error(
    gw: Gateway, message_id: str, code: str, reason: str, *, excluded: bool = False, unsent_only: bool = False
) -> None:
    """The message failed for good: status ``error`` (forward only) and, in the
    same transaction, its ``error`` feedback — with messageExclusion when it was
    never sent because the recipient opted out, else messageFailure.
    ``unsent_only``: only while no vendor id is recorded on it."""
    with gw.db.transaction() as session:
        values = {"error_code": code, "error_reason": reason}
        if excluded:
            values["exclusion"] = code
        where = [OutboundMessageRow.id == message_id]
        if unsent_only:
            where.append(OutboundMessageRow.vendor_message_id.is_(None))
        if move_forward(session, where, Status.ERROR, utcnow(), **values):
            message = session.get(OutboundMessageRow, message_id)
            failure = None if excluded else {"category": "send", "type": "hard", "code": code, "reason": reason}
            emit_message_status(session, message, Status.ERROR, failure=failure)


def status_callback_url(session: Session, base_url: str | None, webhook_id: str | None) -> str | None:
    """Where the vendor should report on a message: its webhook's URL under ``base_url``
    (SMSHOOKS_PUBLIC_URL, else the base URL of the request that created the message —
    a worker has no request of its own). None without a webhook or a base."""
    if not webhook_id or not base_url:
        return None
    if session.get(Webhook, webhook_id) is None:
        return None
    return f"{base_url.rstrip('/')}/hooks/{webhook_id}"
