"""Labelled conformance cases: what a vendor plugin's tables are made of."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from smshooks.events import Event, OutboundMessage, Status
from smshooks.vendor import WebhookRequest, WebhookResponse


@dataclass(frozen=True)
class ParseCase:
    """A real-format request in, exactly these events out (or ``error`` raised)."""

    label: str
    request: WebhookRequest
    events: Sequence[Event] = ()
    error: type[Exception] | None = None


@dataclass(frozen=True)
class VerifyCase:
    """A request and the credential it is checked with; accepted or refused."""

    label: str
    request: WebhookRequest
    credentials: Mapping[str, Any]
    accepted: bool


@dataclass(frozen=True)
class StatusCase:
    """One vendor status string (in ``group``, for a vendor whose statuses have
    groups) and the common status it must map to, through ``map_status`` and
    through ``parse`` (see :meth:`VendorConformance.status_report_request`)."""

    vendor_status: str
    status: Status
    #: the report's ``vendor_status_group`` (Infobip's ``status.groupName``)
    group: str | None = None

    @property
    def label(self) -> str:
        return self.vendor_status if self.group is None else f"{self.group}.{self.vendor_status}"


@dataclass(frozen=True)
class AcknowledgeCase:
    """The replies the host hands ``acknowledge`` and the answer the vendor expects."""

    label: str
    replies: Sequence[str] = ()
    answer: WebhookResponse = field(default_factory=WebhookResponse)


@dataclass(frozen=True)
class VendorReply:
    """What the fake vendor API answers to a send."""

    status: int = 200
    json: Any = None
    body: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


#: the fake vendor API never answers (the send must time out)
TIMEOUT = "timeout"
#: nothing listens where the send goes (connection refused)
REFUSED = "refused"


@dataclass(frozen=True)
class ExpectedRequest:
    """What the send must put on the wire. ``headers``, ``form`` and ``json``
    are checked as subsets; ``json`` compares whole values of the keys given."""

    method: str
    path: str
    headers: Mapping[str, str] = field(default_factory=dict)
    form: Mapping[str, str | list[str]] = field(default_factory=dict)
    json: Mapping[str, Any] = field(default_factory=dict)
    #: form fields that must be absent
    absent: Sequence[str] = ()


@dataclass(frozen=True)
class SendCase:
    """A send against a local fake of the vendor API.

    String values in ``credentials`` may contain ``{server}``, replaced by the
    fake API's base URL (``http://127.0.0.1:PORT``). Either ``message_id`` is
    returned or a :class:`~smshooks.vendor.SendError` with ``retryable`` (and
    ``error_code`` when given) is raised.
    """

    label: str
    message: OutboundMessage
    credentials: Mapping[str, Any]
    reply: VendorReply | str = field(default_factory=VendorReply)
    request: ExpectedRequest | None = None
    message_id: str | None = None
    retryable: bool | None = None
    error_code: str | None = None
