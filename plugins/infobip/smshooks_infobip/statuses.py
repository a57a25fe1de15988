"""Infobip's message statuses and delivery errors, as data.

Sources: vendors.md §2.2 — the status groups of the SDK's ``MessageGeneralStatus``
with Infobip's group ids, the general SMS status codes (id / name / group) of
https://www.infobip.com/docs/essentials/api-essentials/response-status-and-error-codes,
which of them are intermediate (https://www.infobip.com/docs/developer-resources/api-fundamentals/message-status-codes),
and the error groups and example error codes.

The table is keyed by the status ``name`` a report carries, not by its group:
the group cannot tell ``DELIVERED_TO_OPERATOR`` (intermediate, the handset
not reached yet) from ``DELIVERED_TO_HANDSET`` (final), and the REJECTED group
holds the ``UNDELIVERABLE_REJECTED_PLATFORM`` name. Infobip adds names to
existing groups over time, so a name missing here falls back to its
``groupName`` (:data:`GROUPS`), and only a report with neither is ``unknown``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from smshooks.events import Status


@dataclass(frozen=True)
class GroupInfo:
    """One of Infobip's status groups (``status.groupId`` / ``status.groupName``)."""

    id: int
    status: Status
    final: bool


@dataclass(frozen=True)
class StatusInfo:
    """One documented status name: its id, group, common status and failure category."""

    id: int
    group: str
    status: Status
    final: bool
    #: what went wrong, for statuses that are failures
    category: str | None = None


GROUPS: Mapping[str, GroupInfo] = MappingProxyType(
    {
        # Infobip took the message and has not passed it on yet.
        "ACCEPTED": GroupInfo(0, Status.QUEUED, final=False),
        # On its way to the operator; a final status follows.
        "PENDING": GroupInfo(1, Status.SENT, final=False),
        "UNDELIVERABLE": GroupInfo(2, Status.BOUNCE, final=True),
        "DELIVERED": GroupInfo(3, Status.DELIVERED, final=True),
        "EXPIRED": GroupInfo(4, Status.BOUNCE, final=True),
        # Refused by Infobip's platform before any carrier saw it.
        "REJECTED": GroupInfo(5, Status.ERROR, final=True),
    }
)


def _pending(status_id: int) -> StatusInfo:
    return StatusInfo(status_id, "PENDING", Status.SENT, final=False)


def _undeliverable(status_id: int, category: str) -> StatusInfo:
    return StatusInfo(status_id, "UNDELIVERABLE", Status.BOUNCE, final=True, category=category)


def _rejected(status_id: int, category: str) -> StatusInfo:
    return StatusInfo(status_id, "REJECTED", Status.ERROR, final=True, category=category)


STATUSES: Mapping[str, StatusInfo] = MappingProxyType(
    {
        "PENDING_WAITING_DELIVERY": _pending(3),
        "PENDING_ENROUTE": _pending(7),
        "PENDING_ACCEPTED": _pending(26),
        "UNDELIVERABLE_REJECTED_OPERATOR": _undeliverable(4, "carrier_rejected"),
        "UNDELIVERABLE_NOT_DELIVERED": _undeliverable(9, "not_delivered"),
        "UNDELIVERABLE_NOT_SENT": _undeliverable(31, "not_sent"),
        # The operator has it; a report from the handset may still follow.
        "DELIVERED_TO_OPERATOR": StatusInfo(2, "DELIVERED", Status.SENT, final=False),
        "DELIVERED_TO_HANDSET": StatusInfo(5, "DELIVERED", Status.DELIVERED, final=True),
        "EXPIRED_EXPIRED": StatusInfo(15, "EXPIRED", Status.BOUNCE, final=True, category="expired"),
        # The operator never reported back within the validity period: nothing
        # says whether the handset got it (vendors.md §5, "unknown-final"). A
        # bounce would tell the customer a possibly delivered message failed;
        # ``unknown`` leaves the message at ``sent``.
        "EXPIRED_DLR_UNKNOWN": StatusInfo(29, "EXPIRED", Status.UNKNOWN, final=True),
        "REJECTED_NETWORK": _rejected(6, "network_not_allowed"),
        "REJECTED_PREFIX_MISSING": _rejected(8, "invalid_number"),
        "REJECTED_DND": _rejected(10, "do_not_disturb"),
        "REJECTED_SOURCE": _rejected(11, "invalid_sender"),
        "REJECTED_NOT_ENOUGH_CREDITS": _rejected(12, "insufficient_credit"),
        "REJECTED_SENDER": _rejected(13, "invalid_sender"),
        # Infobip's blocklist ("Do Not Contact"), fed by opt-out keywords.
        "REJECTED_DESTINATION_BLOCKLISTED": _rejected(14, "opted_out"),
        "REJECTED_PREPAID_PACKAGE_EXPIRED": _rejected(17, "insufficient_credit"),
        "REJECTED_DESTINATION_NOT_REGISTERED": _rejected(18, "destination_not_registered"),
        "REJECTED_ROUTE_NOT_AVAILABLE": _rejected(19, "no_route"),
        "REJECTED_FLOODING_FILTER": _rejected(20, "flooding"),
        "REJECTED_SYSTEM_ERROR": _rejected(21, "system_error"),
        "REJECTED_DUPLICATE_MESSAGE_ID": _rejected(23, "duplicate"),
        "REJECTED_INVALID_UDH": _rejected(24, "invalid_message"),
        "REJECTED_MESSAGE_TOO_LONG": _rejected(25, "message_too_long"),
        "MISSING_TO": _rejected(51, "invalid_number"),
        "REJECTED_DESTINATION": _rejected(52, "destination_rejected"),
        "SIGNALS_BLOCKED": _rejected(87, "blocked"),
        "UNDELIVERABLE_REJECTED_PLATFORM": _rejected(100, "platform_rejected"),
    }
)

#: every documented status name mapped to the common status
STATUS_MAP: Mapping[str, Status] = MappingProxyType({name: info.status for name, info in STATUSES.items()})

#: status names after which Infobip sends no further report for the message
FINAL_STATUSES: frozenset[str] = frozenset(name for name, info in STATUSES.items() if info.final)


@dataclass(frozen=True)
class ResolvedStatus:
    """What a report's status object means, whichever of its fields decided it."""

    status: Status
    final: bool
    category: str | None


def resolve_status(name: str | None, group_name: str | None) -> ResolvedStatus:
    """The status name's entry, else its group's, else ``unknown`` and not final."""
    info = STATUSES.get(name) if name else None
    if info is not None:
        return ResolvedStatus(info.status, info.final, info.category)
    group = GROUPS.get(group_name) if group_name else None
    if group is not None:
        return ResolvedStatus(group.status, group.final, None)
    return ResolvedStatus(Status.UNKNOWN, False, None)


# -- delivery errors ----------------------------------------------------------

#: the error object of a report without an error (``groupId`` 0 / ``id`` 0)
NO_ERROR_NAME = "NO_ERROR"
NO_ERROR_ID = 0

#: documented error names (vendors.md §2.2) → failure category
ERROR_CATEGORIES: Mapping[str, str] = MappingProxyType(
    {
        "EC_UNKNOWN_SUBSCRIBER": "unknown_number",
        "EC_ABSENT_SUBSCRIBER_SM": "unreachable",
        "EC_ILLEGAL_SUBSCRIBER": "invalid_number",
        # The subscriber blocked the short code at the operator.
        "EC_SC_BLOCKED_BY_END_USER": "blocked",
    }
)

#: ``error.groupName`` (``MessageErrorGroup``) → failure category, for error names not listed above
ERROR_GROUP_CATEGORIES: Mapping[str, str] = MappingProxyType(
    {
        "HANDSET_ERRORS": "handset_error",
        "USER_ERRORS": "user_error",
        "OPERATOR_ERRORS": "operator_error",
    }
)

UNKNOWN_CATEGORY = "unknown"
