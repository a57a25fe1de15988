"""The vendor adapter contract: what a plugin implements, what it receives, what it raises.

:class:`Vendor` is the base class of an adapter; this module also re-exports
every name of the contract's other modules a plugin uses, so ``from
smshooks.vendor import X`` is the one import a plugin needs:

- :mod:`smshooks.contract.errors`: ``SignatureError``, ``PayloadError``, ``TooManyEvents``,
  ``SendError``;
- :mod:`smshooks.contract.webhook_request`: ``WebhookRequest``, ``WebhookResponse``,
  ``ReplayGuard``, ``MemoryReplayGuard``;
- :mod:`smshooks.contract.jsonsafe`: ``parse_json`` and its bounds;
- :mod:`smshooks.contract.send_http`: ``HttpSession``, ``vendor_request``,
  ``is_retryable_status``, ``retry_after_seconds``.

It also defines :class:`PartlyMalformed` and :func:`parse_items`, with which a
vendor that batches reads its items one by one: one item it cannot read no
longer refuses the others (an opt-out among them would be lost, since vendors
do not retry a 4xx).

Nothing here touches Flask.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, TypeVar

import marshmallow
import phonenumbers
import requests

from smshooks.contract.errors import PayloadError, SendError, SignatureError, TooManyEvents, VendorError
from smshooks.contract.jsonsafe import MAX_JSON_DEPTH, MAX_JSON_NUMBER_LENGTH, parse_json
from smshooks.contract.send_http import (
    TARGET_REFUSED,
    HttpSession,
    is_retryable_status,
    retry_after_seconds,
    vendor_request,
)
from smshooks.contract.webhook_request import MemoryReplayGuard, ReplayGuard, WebhookRequest, WebhookResponse
from smshooks.events import Event, OutboundMessage, Status

__all__ = [
    "DEFAULT_MAX_EVENTS_PER_REQUEST",
    "MAX_JSON_DEPTH",
    "MAX_JSON_NUMBER_LENGTH",
    "TARGET_REFUSED",
    "HttpSession",
    "MemoryReplayGuard",
    "PartlyMalformed",
    "PayloadError",
    "ReplayGuard",
    "SendError",
    "SignatureError",
    "TooManyEvents",
    "Vendor",
    "VendorError",
    "WebhookRequest",
    "WebhookResponse",
    "is_retryable_status",
    "parse_items",
    "parse_json",
    "retry_after_seconds",
    "secret_field",
    "target_url_field",
    "to_e164",
    "vendor_request",
]


log = logging.getLogger(__name__)

#: the host's cap on the events of one webhook request (``SMSHOOKS_MAX_EVENTS_PER_REQUEST``)
DEFAULT_MAX_EVENTS_PER_REQUEST = 1000

Item = TypeVar("Item")


class PartlyMalformed(PayloadError):
    """Some items of a batch could be read and others not (what :func:`parse_items` raises).

    The host stores ``events`` and answers the vendor its usual 2xx, logging each
    of ``problems`` (and listing them as ``"refused"`` in a JSON answer): a 4xx would
    lose the good items too, an opt-out among them, since vendors do not retry it.
    ``problems`` are ``(index, reason)`` pairs, ``index`` being the item's position
    in the batch; ``indexes`` gives the position of each of ``events`` (by default,
    the positions not in ``problems``, in order: one event per item).
    """

    def __init__(
        self,
        events: Sequence[Event],
        problems: Sequence[tuple[int, str]],
        indexes: Sequence[int] | None = None,
    ):
        self.events: list[Event] = list(events)
        self.problems: list[tuple[int, str]] = list(problems)
        if indexes is None:
            refused = {index for index, _ in self.problems}
            positions = (index for index in range(len(self.events) + len(self.problems)) if index not in refused)
            indexes = [next(positions) for _ in self.events]
        self.indexes: list[int] = list(indexes)
        first = f"; the first, item {self.problems[0][0]}: {self.problems[0][1]}" if self.problems else ""
        total = len(self.events) + len(self.problems)
        super().__init__(f"{len(self.problems)} of {total} items could not be read{first}")


def parse_items(items: Sequence[Item], parse_one: Callable[[Item], Event]) -> list[Event]:
    """``parse_one`` of each item of a batch, each on its own.

    Returns the events when every item was read. Raises :class:`PayloadError`
    (the first item's reason) when none was, and :class:`PartlyMalformed` with
    the events read and the ``(index, reason)`` of the others otherwise. An
    exception other than :class:`PayloadError` out of ``parse_one`` is that
    item's problem too (a plugin bug on an odd item must not cost the others),
    logged with its traceback. :class:`TooManyEvents` concerns the whole
    request and passes through.
    """
    events: list[Event] = []
    indexes: list[int] = []
    problems: list[tuple[int, str]] = []
    for index, item in enumerate(items):
        try:
            event = parse_one(item)
        except TooManyEvents:
            raise
        except PayloadError as exc:
            problems.append((index, str(exc) or type(exc).__name__))
            continue
        except Exception as exc:
            log.exception("a plugin failed to parse item %d of a batch of %d", index, len(items))
            problems.append((index, f"unreadable item ({type(exc).__name__})"))
            continue
        events.append(event)
        indexes.append(index)
    if not problems:
        return events
    if not events:
        raise PayloadError(problems[0][1])
    raise PartlyMalformed(events, problems, indexes)


def secret_field(**kwargs: Any) -> marshmallow.fields.String:
    """A credential field holding a secret: encrypted at rest, never returned by the API."""
    metadata = {"secret": True, **kwargs.pop("metadata", {})}
    return marshmallow.fields.String(metadata=metadata, **kwargs)


def target_url_field(**kwargs: Any) -> marshmallow.fields.Url:
    """A credential field holding a URL smshooks will call (an API base URL, a token URL).

    The host checks every such field when a credential is saved: unless
    ``SMSHOOKS_ALLOW_PRIVATE_TARGETS`` is set, only HTTPS to public addresses
    is accepted (422 naming the field), and the session :meth:`Vendor.send`
    gets refuses to connect anywhere else. The schema itself accepts http(s)
    to any host, so a plugin's own tests can point it at a local fake API.
    """
    metadata = {"target": True, **kwargs.pop("metadata", {})}
    kwargs.setdefault("require_tld", False)
    kwargs.setdefault("schemes", {"http", "https"})
    return marshmallow.fields.Url(metadata=metadata, **kwargs)


class Vendor:
    """Base class of a vendor adapter. Subclasses set the class attributes and methods.

    ``status_map`` maps each documented vendor status string to a common
    :class:`~smshooks.events.Status`; :meth:`map_status` answers ``unknown``
    for anything else, so an undocumented status is stored, never refused.
    :meth:`map_status` and :meth:`is_final` are the vendor's one mapping: a
    report's ``status`` and ``final`` must be what they answer for its
    ``vendor_status`` (the conformance kit checks every report ``parse``
    returns, and that every ``status_map`` entry is proven through ``parse``).
    """

    name: ClassVar[str]
    title: ClassVar[str]
    credentials_schema: ClassVar[type[marshmallow.Schema]]
    status_map: ClassVar[Mapping[str, Status]] = {}
    #: vendor statuses after which no further report is expected
    final_statuses: ClassVar[frozenset[str]] = frozenset()
    #: the most events one webhook request of this vendor can carry: the batch
    #: size the vendor documents (cite the source where you set it). The host
    #: answers 413 to a request whose parse yields more, and also applies its
    #: own cap (``SMSHOOKS_MAX_EVENTS_PER_REQUEST``), whichever is lower. The
    #: default is that cap's default, so a plugin written before this attribute
    #: existed keeps working; a vendor posting one event per request sets 1.
    max_events_per_request: ClassVar[int] = DEFAULT_MAX_EVENTS_PER_REQUEST

    def verify(self, request: WebhookRequest, credentials: Mapping[str, Any]) -> None:
        """Prove ``request`` came from the vendor, or raise :class:`SignatureError`.

        Fails closed: when the credential configures a secret, a request
        without the matching proof is refused.
        """
        raise NotImplementedError

    def parse(self, request: WebhookRequest) -> list[Event]:
        """The inbound messages and delivery reports the request carries.

        Raises :class:`PayloadError` for a body this vendor would never send. A
        batch whose items are read with :func:`parse_items` raises
        :class:`PartlyMalformed` when only some of them could be read: the host
        stores the others.
        """
        raise NotImplementedError

    def acknowledge(self, replies: Sequence[str]) -> WebhookResponse:
        """The answer the vendor expects; ``replies`` are texts to send back inline
        where the vendor supports it. The default is an empty 200."""
        return WebhookResponse()

    def replies_inline(self, credentials: Mapping[str, Any]) -> bool:
        """True when replies to an inbound message go back in :meth:`acknowledge`'s
        answer (Twilio TwiML) instead of through :meth:`send`. Default: no."""
        return False

    def send(self, message: OutboundMessage, credentials: Mapping[str, Any], http: requests.Session) -> str:
        """Send one SMS through the vendor's API and return the vendor's message id.

        Raises :class:`SendError`, retryable or not, when the vendor refuses.
        """
        raise NotImplementedError

    def preview_send(self, message: OutboundMessage, credentials: Mapping[str, Any]) -> Mapping[str, Any]:
        """What :meth:`send` would put on the wire, without sending: ``{"method",
        "url", "headers", "body"}`` with secrets masked. For vendors whose request
        is configured (a payload template); raise :class:`PayloadError` with the
        reason when it cannot be rendered. Others need not implement it."""
        raise NotImplementedError

    def map_status(self, vendor_status: str, group: str | None = None) -> Status:
        """The common status for a vendor status string (``unknown`` when undocumented).

        ``group`` is the report's ``vendor_status_group``, for a vendor whose
        statuses fall back to their group (Infobip); the default ignores it.
        Override this (and :meth:`is_final`) for rules a table cannot hold —
        any case, a group fallback, a configured map — and have ``parse`` use
        the same rules, never a second lookup of its own.
        """
        return self.status_map.get(vendor_status, Status.UNKNOWN)

    def is_final(self, vendor_status: str, group: str | None = None) -> bool:
        """Whether no further report follows ``vendor_status``: by default, whether it is in ``final_statuses``."""
        return vendor_status in self.final_statuses

    def secret_fields(self) -> frozenset[str]:
        """Names of the credential fields that hold secrets."""
        schema = self.credentials_schema()
        return frozenset(name for name, fld in schema.fields.items() if fld.metadata.get("secret"))

    def target_fields(self) -> frozenset[str]:
        """Names of the credential fields holding URLs smshooks calls (:func:`target_url_field`)."""
        schema = self.credentials_schema()
        return frozenset(name for name, fld in schema.fields.items() if fld.metadata.get("target"))


def to_e164(number: str, default_region: str | None = None) -> str:
    """A phone number in E.164 (``+14155550123``) where it is one (:func:`_to_e164`).

    Memoised: every vendor request names two numbers, mostly the same few of ours and
    subscribers seen before, and parsing one with phonenumbers costs ~50 us. Bounded,
    and vendor input longer than a phone number is not kept.
    """
    if not isinstance(number, str) or len(number) > 64:
        return _to_e164(number, default_region)
    return _to_e164_cached(number, default_region)


def _to_e164(number: str, default_region: str | None = None) -> str:
    """A phone number in E.164 (``+14155550123``) where it is one.

    Vendors write numbers with or without ``+`` (Infobip: ``385916242493``),
    with spaces, or with a channel prefix (``sms:``). Values that are not
    phone numbers — alphanumeric sender ids, short codes — come back
    stripped but otherwise unchanged, because they are still the address
    the vendor routes on.
    """
    value = number.strip()
    if ":" in value and not value.startswith("+"):
        value = value.split(":", 1)[1].strip()
    digits = "".join(ch for ch in value if ch.isdigit())
    if not digits or any(ch.isalpha() for ch in value):
        return value
    candidate = value if value.startswith("+") else None
    if candidate is None and len(digits) > 6:
        candidate = "+" + digits
    if candidate is None:
        return digits  # a short code
    try:
        parsed = phonenumbers.parse(candidate, default_region)
    except phonenumbers.NumberParseException:
        return value
    if not phonenumbers.is_possible_number(parsed):
        return value if value.startswith("+") else digits
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


_to_e164_cached = functools.lru_cache(maxsize=16384)(_to_e164)
