"""Twilio webhook requests → common events.

Twilio posts one message (inbound) or one status change (status callback) per
request, form-encoded, or as query parameters when the number is configured for
GET. Both kinds may arrive on the same URL, so the kind is read from the
parameters: a ``MessageStatus`` (or an ``SmsStatus`` other than ``received``)
is a status callback, anything with ``SmsStatus=received`` or a ``Body`` is an
inbound message. The parameter set grows without notice, so unknown parameters
are kept in ``raw`` and never refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from smshooks.events import DeliveryReport, Event, InboundMessage, Status
from smshooks.vendor import PayloadError, WebhookRequest, to_e164
from smshooks_twilio.statuses import (
    FINAL_STATUSES,
    INBOUND_STATUSES,
    STATUS_MAP,
    UNKNOWN_CATEGORY,
    error_info,
)

VENDOR = "twilio"

#: the message id under its current name, then its deprecated aliases
_MESSAGE_ID_PARAMS = ("MessageSid", "SmsMessageSid", "SmsSid")
#: Twilio error codes are positive; ``0`` would mean "no error"
_NO_ERROR_CODES = frozenset({"", "0"})
_MAX_MEDIA = 100

Params = Mapping[str, list[str]]


def parse_request(request: WebhookRequest) -> list[Event]:
    """The single event a Twilio webhook request carries."""
    params = request_params(request)
    status = _first(params, "MessageStatus", "SmsStatus")
    if status is not None and status not in INBOUND_STATUSES:
        return [delivery_report(params, status, request)]
    if status in INBOUND_STATUSES or "Body" in params or "NumMedia" in params:
        return [inbound_message(params, request)]
    raise PayloadError("neither a status callback (MessageStatus) nor an inbound message (Body)")


def request_params(request: WebhookRequest) -> Params:
    """The request's parameters: the form, or for GET the query string."""
    if request.form:
        return request.form
    if request.method.upper() == "GET":
        query = request.query
        if query:
            return query
        raise PayloadError("GET request without query parameters")
    kind = request.content_type or "no content type"
    raise PayloadError(f"Twilio sends form-encoded parameters; got {kind} without form fields")


def inbound_message(params: Params, request: WebhookRequest) -> InboundMessage:
    return InboundMessage(
        vendor=VENDOR,
        vendor_message_id=_message_id(params),
        sender=to_e164(_required(params, "From")),
        recipient=to_e164(_required(params, "To")),
        text=_first(params, "Body") or "",
        # Twilio's inbound request has no timestamp of its own.
        received_at=request.received_at,
        segments=_count(params, "NumSegments", default=1),
        media_urls=_media_urls(params),
        raw=raw_params(params),
        # Advanced Opt-Out (a Messaging Service) names the keyword message it acted on: STOP, START
        # or HELP (vendors.md 1.1). On STOP Twilio blocks the number (error 21610) whatever word the
        # service lists (ARRET, a custom one): our ledger must say so too. START and HELP are left to
        # the keyword rules: a START we did not recognise leaves the opt-out in force, the safe side.
        vendor_opt_out=(_first(params, "OptOutType") or "").strip().upper() == "STOP",
    )


def delivery_report(params: Params, vendor_status: str, request: WebhookRequest) -> DeliveryReport:
    status = STATUS_MAP.get(vendor_status, Status.UNKNOWN)
    code = _first(params, "ErrorCode")
    error_code = None if code is None or code.strip() in _NO_ERROR_CODES else code.strip()
    info = error_info(error_code)
    failed = error_code is not None or status in (Status.BOUNCE, Status.ERROR)
    to = _first(params, "To")
    return DeliveryReport(
        vendor=VENDOR,
        vendor_message_id=_message_id(params),
        # The report is linked by MessageSid; a callback without To is still a
        # usable report, and refusing it would make Twilio drop it.
        recipient=to_e164(to) if to else None,
        status=status,
        vendor_status=vendor_status,
        # RawDlrDoneDate has minute precision and no time zone (the offset
        # varies by carrier), so it stays in raw; the arrival time is exact.
        occurred_at=request.received_at,
        final=vendor_status in FINAL_STATUSES,
        error_code=error_code,
        error_reason=info.reason if info else (_first(params, "ErrorMessage") if error_code else None),
        failure_category=info.category if info else (UNKNOWN_CATEGORY if failed else None),
        failure_type=info.failure_type if info else None,
        raw=raw_params(params),
    )


def raw_params(params: Params) -> dict[str, Any]:
    """The parameters as stored: a single value as a string, a repeated one as a list."""
    return {name: values[0] if len(values) == 1 else list(values) for name, values in params.items() if values}


def _first(params: Params, *names: str) -> str | None:
    """The first non-empty value among ``names``."""
    for name in names:
        for value in params.get(name, ()):
            if value:
                return value
    return None


def _required(params: Params, name: str) -> str:
    value = _first(params, name)
    if value is None or not value.strip():
        raise PayloadError(f"missing {name}")
    return value


def _message_id(params: Params) -> str:
    value = _first(params, *_MESSAGE_ID_PARAMS)
    if value is None or not value.strip():
        raise PayloadError("missing MessageSid")
    return value.strip()


def _count(params: Params, name: str, *, default: int) -> int:
    value = _first(params, name)
    if value is None:
        return default
    try:
        count = int(value.strip())
    except ValueError:
        raise PayloadError(f"{name} is not an integer: {value!r}") from None
    if count < 0:
        raise PayloadError(f"{name} is negative: {value!r}")
    return count


def _media_urls(params: Params) -> tuple[str, ...]:
    count = _count(params, "NumMedia", default=0)
    # A bound far above Twilio's 10 media per MMS, so an absurd NumMedia costs nothing.
    urls = (_first(params, f"MediaUrl{index}") for index in range(min(count, _MAX_MEDIA)))
    return tuple(url for url in urls if url)
