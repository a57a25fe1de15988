"""Sinch's delivery statuses and delivery-report codes, as data.

Sources: vendors.md §3.3 — the status table of Sinch's Delivery-reports
reference and the REST API custom codes (400-412) of its delivery-report error
code page; 413-418 are named by Sinch's Java/.NET SDK enums; 257 is the
toll-free STOP code of §3.6.

Sinch writes statuses capitalised (``Delivered``) while its Python SDK's
literals are upper case (``DELIVERED``), so statuses are looked up without
regard to case; the event keeps the string exactly as Sinch sent it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from smshooks.events import FailureType, Status

STATUS_MAP: Mapping[str, Status] = MappingProxyType(
    {
        # Intermediate: only per_recipient reports carry them.
        "Queued": Status.QUEUED,
        # Dispatched and accepted for delivery by the SMSC: the carrier has it.
        "Dispatched": Status.SENT,
        # Aborted / Cancelled never reached the SMSC: failed before the carrier.
        "Aborted": Status.ERROR,
        "Cancelled": Status.ERROR,
        # Rejected / Deleted (invalid MSISDN, opted-out subscriber) / Failed come
        # from the SMSC or the remote network: the handset was not reached.
        "Rejected": Status.BOUNCE,
        "Deleted": Status.BOUNCE,
        "Failed": Status.BOUNCE,
        # Sinch's text says "expired before delivery to the SMSC", but an expiry
        # inside Sinch is reported as Aborted with code 406 (Internal Expiry), so
        # Expired is the validity period running out at the carrier (SMPP
        # message_state EXPIRED) — the design's "expired" bounce.
        "Expired": Status.BOUNCE,
        "Delivered": Status.DELIVERED,
        # Reached the SMSC, but no receipt (or an unreadable one) came back:
        # final, with no usable outcome.
        "Unknown": Status.UNKNOWN,
    }
)

#: statuses after which Sinch reports nothing more for that recipient
FINAL_STATUSES: frozenset[str] = frozenset(
    {"Aborted", "Cancelled", "Rejected", "Deleted", "Delivered", "Failed", "Expired", "Unknown"}
)

_BY_FOLDED = {name.casefold(): name for name in STATUS_MAP}


def documented_status(vendor_status: str) -> str | None:
    """The documented spelling of a Sinch status in any case, ``None`` when undocumented."""
    return _BY_FOLDED.get(vendor_status.strip().casefold())


def map_status(vendor_status: str) -> Status:
    """The common status of a Sinch status string (``unknown`` when undocumented)."""
    name = documented_status(vendor_status)
    return STATUS_MAP[name] if name else Status.UNKNOWN


def is_final(vendor_status: str) -> bool:
    return documented_status(vendor_status) in FINAL_STATUSES


@dataclass(frozen=True)
class CodeInfo:
    """What a Sinch delivery-report code means for the message it is reported on."""

    reason: str
    category: str
    failure_type: FailureType


_HARD, _SOFT = FailureType.HARD, FailureType.SOFT

#: hard: the same message to the same number fails again unless someone changes
#: the message, the number or the account; soft: a later attempt may succeed as is.
DELIVERY_CODES: Mapping[int, CodeInfo] = MappingProxyType(
    {
        # Sinch: "SMSC rejected message. Retrying is likely to cause the same error."
        402: CodeInfo("Message unroutable", "unroutable", _HARD),
        # An unexpected error inside Sinch, not about this recipient.
        403: CodeInfo("Internal error", "internal_error", _SOFT),
        # Sinch: "temporary delivery failure. Message can be retried."
        404: CodeInfo("Temporary delivery failure", "temporary_failure", _SOFT),
        # A message parameter has no value for this recipient: the same
        # message renders the same way every time.
        405: CodeInfo("Unmatched parameter", "unmatched_parameter", _HARD),
        # Expired inside Sinch (a very short expiry, a queue behind the account's
        # rate): a new attempt gets a new expiry.
        406: CodeInfo("Internal expiry", "expired", _SOFT),
        # Cancelled on purpose before it reached the SMSC; nothing is wrong with
        # the number, so a new send can succeed.
        407: CodeInfo("Cancelled", "cancelled", _SOFT),
        # Sinch: "SMSC rejected the message. Retrying is likely to cause the same error."
        408: CodeInfo("Internal reject", "rejected", _HARD),
        # Sent without a sender and no default originator serves this number:
        # account configuration must change first.
        410: CodeInfo("Unmatched default originator", "no_originator", _HARD),
        # Longer than max_number_of_message_parts: the same text is always too long.
        411: CodeInfo("Exceeded parts limit", "too_many_parts", _HARD),
        # The service plan is not provisioned for the destination's region.
        412: CodeInfo("Unprovisioned region", "unprovisioned_region", _HARD),
        # Named by Sinch's SDKs only; their statuses are unconfirmed (vendors.md §6).
        413: CodeInfo("Account blocked or out of credits", "account_blocked", _HARD),
        414: CodeInfo("Bad media URL", "bad_media", _HARD),
        415: CodeInfo("MMS rejected by the gateway or network", "rejected", _HARD),
        416: CodeInfo("MMS not supported", "not_supported", _HARD),
        417: CodeInfo("MMS destination unreachable", "unreachable", _SOFT),
        418: CodeInfo("MMS content not recognized by the handset", "not_supported", _HARD),
        # US toll-free: the subscriber replied STOP; sends stay blocked until START.
        257: CodeInfo("User opted out (STOP)", "opted_out", _HARD),
    }
)

#: codes that report progress or success, never a failure (0 accompanies Delivered)
NON_FAILURE_CODES: frozenset[int] = frozenset({0, 400, 401})

UNKNOWN_CATEGORY = "unknown"


def code_info(code: int | None) -> CodeInfo | None:
    """The table entry for a Sinch delivery-report code, ``None`` when it is not in the table."""
    return DELIVERY_CODES.get(code) if code is not None else None
