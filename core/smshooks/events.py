"""The common events every vendor plugin produces, the common statuses, and what hooks see of a feedback delivery.

Plugins build these from a vendor's payload; the host stamps the webhook
context (organisation, sandbox, webhook id) onto them before storing, so a
plugin never needs to know which tenant a request belongs to.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


class Status(enum.StrEnum):
    """The common delivery statuses, in the order a message moves through them."""

    QUEUED = "queued"
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    #: did not reach the handset: unknown or unreachable number, expired, carrier refused
    BOUNCE = "bounce"
    #: refused or failed before the carrier: invalid request, auth, blocked, opted out
    ERROR = "error"
    #: a report without a usable outcome (an undocumented vendor status string)
    UNKNOWN = "unknown"

    @property
    def rank(self) -> int:
        """Position in the forward-only order a message's status follows."""
        return _RANK[self]

    def supersedes(self, current: Status | None) -> bool:
        """True when a message at ``current`` should move to this status.

        Statuses only move forward: a late ``sent`` never overwrites
        ``delivered``; the first final outcome wins over a later one of the
        same rank; ``read`` follows ``delivered``. ``unknown`` carries no
        outcome, so it only fills a message that has no status beyond queued.
        """
        if current is None:
            return True
        return self.rank > current.rank


_RANK = {
    Status.UNKNOWN: 0,
    Status.QUEUED: 1,
    Status.SENT: 2,
    Status.BOUNCE: 3,
    Status.ERROR: 3,
    Status.DELIVERED: 3,
    Status.READ: 4,
}


class FailureType(enum.StrEnum):
    """Whether retrying the same message to the same number can succeed."""

    HARD = "hard"
    SOFT = "soft"


@dataclass(frozen=True, kw_only=True)
class InboundMessage:
    """An SMS a subscriber sent to one of our numbers."""

    vendor: str
    vendor_message_id: str
    sender: str
    recipient: str
    text: str
    received_at: datetime
    segments: int = 1
    media_urls: tuple[str, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False)
    #: the vendor itself recorded this message as an opt-out and now blocks sends to the number
    #: (Twilio Advanced Opt-Out's ``OptOutType=STOP``, whatever word the service lists): the
    #: pipeline opts the subscriber out as for an exact opt-out keyword, whatever the text and the
    #: webhook's keyword configuration say
    vendor_opt_out: bool = False
    org: str | None = None
    sandbox: str | None = None
    webhook_id: str | None = None

    kind = "inbound"


@dataclass(frozen=True, kw_only=True)
class DeliveryReport:
    """What a vendor reports about a message we sent.

    ``vendor_status`` (and ``vendor_status_group``, for a vendor whose statuses
    belong to groups) is what the vendor said; ``status`` and ``final`` are what
    its one mapping, :meth:`smshooks.vendor.Vendor.map_status` and
    :meth:`~smshooks.vendor.Vendor.is_final`, make of it. The conformance kit
    fails a plugin whose parse decides them any other way.
    """

    vendor: str
    vendor_message_id: str
    recipient: str | None
    status: Status
    vendor_status: str
    occurred_at: datetime
    #: the group the vendor files ``vendor_status`` under, when its reports say
    #: (Infobip's ``status.groupName``): the mapping falls back to it for a name
    #: it does not list
    vendor_status_group: str | None = None
    final: bool = False
    error_code: str | None = None
    error_reason: str | None = None
    failure_category: str | None = None
    failure_type: FailureType | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False)
    org: str | None = None
    sandbox: str | None = None
    webhook_id: str | None = None

    kind = "delivery_report"


Event = InboundMessage | DeliveryReport


def stamp(event: Event, *, org: str, sandbox: str, webhook_id: str) -> Event:
    """Return ``event`` with the webhook context it arrived through."""
    return dataclasses.replace(event, org=org, sandbox=sandbox, webhook_id=webhook_id)


@dataclass(frozen=True, kw_only=True)
class OutboundMessage:
    """One SMS to send through a vendor's API."""

    sender: str | None
    recipient: str
    text: str
    #: where the vendor should report delivery of this message (our webhook URL)
    status_callback_url: str | None = None
    media_urls: tuple[str, ...] = ()
    #: our own id for the message, for vendors that echo a client reference
    reference: str | None = None
    #: the subscriber's profile attributes, for vendors whose payload is a template
    profile: Mapping[str, Any] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class FeedbackEvent:
    """What a ``smshooks_feedback_payload`` hook learns about the delivery it may add fields to.

    The host builds one per attempt to deliver a payload to a customer's
    feedback webhook (``smshooks.feedback.delivery``); ``id`` is the ``webhook-id``.
    """

    id: str
    org: str
    sandbox: str
    event_type: str
    message_id: str | None
    url: str
    attempt: int
