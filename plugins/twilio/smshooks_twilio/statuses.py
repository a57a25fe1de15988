"""Twilio's message statuses and error codes, as data.

Sources: vendors.md §1.2 (the Message ``status`` enum of twilio-python, the
meaning of each status) and the carrier / API error codes of Twilio's error
dictionary (https://www.twilio.com/docs/api/errors).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from smshooks.events import FailureType, Status

#: every status a Twilio status callback can carry, mapped to the common status.
#: ``receiving`` / ``received`` are left out on purpose: they describe inbound
#: messages, so a status callback carrying one has no outbound outcome (unknown).
STATUS_MAP: Mapping[str, Status] = MappingProxyType(
    {
        # Initial statuses: Twilio holds the message; nothing has left yet.
        "accepted": Status.QUEUED,
        "scheduled": Status.QUEUED,
        "queued": Status.QUEUED,
        "sending": Status.QUEUED,
        "sent": Status.SENT,
        "delivered": Status.DELIVERED,
        # A delivery receipt said the handset was not reached.
        "undelivered": Status.BOUNCE,
        # Twilio could not send it at all (queue overflow, suspension, media error).
        "failed": Status.ERROR,
        "read": Status.READ,
        # A scheduled message canceled before sending never reaches the carrier.
        "canceled": Status.ERROR,
        # The carrier accepted the message but did not confirm delivery of every
        # part; that is what ``sent`` means, and it leaves room for a later
        # ``delivered`` / ``undelivered`` to settle the outcome.
        "partially_delivered": Status.SENT,
    }
)

#: statuses after which Twilio sends no further callback for the message
FINAL_STATUSES: frozenset[str] = frozenset({"delivered", "undelivered", "failed", "read", "canceled"})

#: statuses of an inbound (MO) request rather than of a message we sent
INBOUND_STATUSES: frozenset[str] = frozenset({"received", "receiving"})


@dataclass(frozen=True)
class ErrorInfo:
    """What a Twilio error code means for the message it is reported on."""

    reason: str
    category: str
    failure_type: FailureType


_HARD, _SOFT = FailureType.HARD, FailureType.SOFT

ERROR_CODES: Mapping[str, ErrorInfo] = MappingProxyType(
    {
        # Carrier / delivery errors seen in status callbacks.
        "30001": ErrorInfo("Queue overflow", "queue_overflow", _SOFT),
        "30002": ErrorInfo("Account suspended", "account_suspended", _HARD),
        "30003": ErrorInfo("Unreachable destination handset", "unreachable", _HARD),
        "30004": ErrorInfo("Message blocked", "blocked", _HARD),
        "30005": ErrorInfo("Unknown destination handset", "unknown_number", _HARD),
        "30006": ErrorInfo("Landline or unreachable carrier", "landline", _HARD),
        "30007": ErrorInfo("Message filtered (carrier violation)", "filtered", _HARD),
        "30008": ErrorInfo("Unknown error", "unknown", _SOFT),
        # API errors: a send refused outright.
        "21610": ErrorInfo("Attempt to send to unsubscribed recipient (opted out)", "opted_out", _HARD),
        "21211": ErrorInfo("Invalid 'To' phone number", "invalid_number", _HARD),
        "21614": ErrorInfo("'To' number is not a valid mobile number", "invalid_number", _HARD),
    }
)

#: the error code of a recipient who replied STOP (the send API answers HTTP 400)
OPTED_OUT_CODE = "21610"

UNKNOWN_CATEGORY = "unknown"


def error_info(code: str | None) -> ErrorInfo | None:
    """The table entry for a Twilio error code, ``None`` when it is not in the table."""
    return ERROR_CODES.get(code) if code else None
