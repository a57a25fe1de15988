"""What operators see of the gateway's work besides the database: one log line and the metrics
for each vendor request and each delivery attempt. No Flask.

- A vendor request: ``smshooks.web.request_log`` opens a :class:`VendorCall` for it; the
  use case notes the webhook's vendor and type (:func:`note_webhook`), the built-in metrics
  plugin each stored event (:func:`note_event`); the web layer writes the line and counts.
- A delivery attempt: the send job calls the vendor through :func:`vendor_send`, the feedback
  job reports each POST with :func:`delivery_attempt`.
"""

from __future__ import annotations

import contextvars
import logging
import time
from dataclasses import dataclass
from typing import Any

from smshooks import metrics
from smshooks.events import OutboundMessage
from smshooks.vendor import HttpSession, SendError, Vendor

log = logging.getLogger("smshooks.delivery")

SEND_SMS, FEEDBACK = "send_sms", "feedback"
#: delivery outcomes (the ``outcome`` label)
SUCCESS, RETRY, FAILED, DISABLED, ERROR = "success", "retry", "failed", "disabled", "error"


@dataclass
class VendorCall:
    """What one vendor request to ``/hooks/<id>`` turned out to be, for its log line and metrics."""

    vendor: str = "unknown"
    webhook_type: str = "unknown"
    webhook_id: str | None = None
    inbound: int = 0
    reports: int = 0
    duplicates: int = 0


_vendor_call: contextvars.ContextVar[VendorCall | None] = contextvars.ContextVar("smshooks_vendor_call", default=None)


def begin_vendor_call() -> contextvars.Token:
    return _vendor_call.set(VendorCall())


def end_vendor_call(token: contextvars.Token) -> VendorCall | None:
    call = _vendor_call.get()
    _vendor_call.reset(token)
    return call


def note_webhook(vendor: str, webhook_type: str, webhook_id: str) -> None:
    """The request reached a known webhook (called by the use case; nothing outside a vendor request)."""
    call = _vendor_call.get()
    if call is not None:
        call.vendor, call.webhook_type, call.webhook_id = vendor, webhook_type, webhook_id


def note_event(kind: str, duplicate: bool) -> None:
    """One event of the request was stored (or was a duplicate)."""
    call = _vendor_call.get()
    if call is None:
        return
    if duplicate:
        call.duplicates += 1
    elif kind == "inbound":
        call.inbound += 1
    else:
        call.reports += 1


#: a feedback delivery's state after an attempt -> the attempt's outcome
FEEDBACK_OUTCOMES = {"delivered": SUCCESS, "pending": RETRY, "dead": FAILED, "disabled": DISABLED}


def delivery_attempt(
    kind: str,
    outcome: str,
    *,
    ms: int | float,
    status: int | None = None,
    error: str | None = None,
    **ids: Any,
) -> None:
    """Log and count one delivery attempt that took ``ms`` milliseconds (``ids``: delivery_id,
    message_id, vendor, ...). ``outcome``: one of the outcomes above, or a feedback delivery's new state."""
    outcome = FEEDBACK_OUTCOMES.get(outcome, outcome)
    duration_ms = ms
    metrics.DELIVERY_ATTEMPTS.labels(kind=kind, outcome=outcome).inc()
    metrics.DELIVERY_SECONDS.labels(kind=kind).observe(duration_ms / 1000)
    fields = " ".join(f"{key}={value}" for key, value in ids.items())
    log.log(
        logging.INFO if outcome == SUCCESS else logging.WARNING,
        "delivery attempt %s %s status=%s duration_ms=%d %s%s",
        kind,
        outcome,
        status if status is not None else "-",
        duration_ms,
        fields,
        f" error={error}" if error else "",
        extra={"kind": kind, "outcome": outcome, "status": status, "duration_ms": int(duration_ms), **ids},
    )


def feedback_attempt(state: str, answer: Any, *, delivery_id: str) -> None:
    """One feedback POST: ``state`` is the delivery's state after it, ``answer`` has ``status_code``,
    ``duration_ms`` and ``error`` (``feedback.delivery``'s record of the attempt)."""
    delivery_attempt(
        FEEDBACK, state, ms=answer.duration_ms, status=answer.status_code, error=answer.error, delivery_id=delivery_id
    )


def vendor_send(vendor: Vendor, message: OutboundMessage, credentials: Any, http: HttpSession) -> str:
    """``vendor.send(...)``, logged and counted as one ``send_sms`` delivery attempt; raises what it raises."""
    started = time.monotonic()
    ids = {"vendor": vendor.name, "message_id": message.reference, "to": message.recipient}  # masked in the log
    try:
        vendor_message_id = vendor.send(message, credentials, http)
    except SendError as exc:
        outcome = RETRY if exc.retryable else FAILED
        delivery_attempt(SEND_SMS, outcome, ms=_ms(started), status=exc.status, error=exc.reason, **ids)
        raise
    except Exception as exc:
        delivery_attempt(SEND_SMS, ERROR, ms=_ms(started), error=type(exc).__name__, **ids)
        raise
    delivery_attempt(SEND_SMS, SUCCESS, ms=_ms(started), vendor_message_id=vendor_message_id, **ids)
    return vendor_message_id


def _ms(started: float) -> float:
    return (time.monotonic() - started) * 1000
