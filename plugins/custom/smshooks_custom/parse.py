"""A provider's webhook request → common events, through the credential's payload mappings.

Both kinds may arrive on one URL, so each request is matched against both
mappings and an event is of the kind whose **required** placeholders it holds
(inbound: message, sender, recipient, id; feedback: message id or client
reference, and status). When an event satisfies both mappings, the one that
binds more placeholders is the more specific description and wins; a tie is
refused as ambiguous (add a condition such as ``"type": "mo_text"`` to one
mapping). A payload that matches a mapping's shape but whose iterated array is
empty is a batch of nothing: no events, 200.

A batch (a mapping iterating an array) is read item by item (``parse_items``).
When both mappings describe the batch's items (both iterate the same array, so
item *i* of one is item *i* of the other) and each completes some of them, the
kind is chosen per item: a batch may mix an inbound STOP with delivery reports,
and reading it all with the reports' mapping would refuse — and so lose — the
opt-out. Otherwise (a single-kind payload, or mappings that cut the payload
into different items) one mapping reads the whole request, the one completing
items, or binding more placeholders when both do. Either way an item that no
mapping completes, or that holds a value of the wrong type, is refused alone
(with the reason of the mapping that came closest to it), and the host stores
the others — a provider does not retry a 4xx, and an opt-out in the batch must
not be lost. The request is refused whole when it matches neither mapping, both
alike, or when none of its items can be read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from smshooks.events import DeliveryReport, Event, InboundMessage, Status
from smshooks.vendor import PayloadError, WebhookRequest, parse_items, to_e164
from smshooks.vendor import TooManyEvents as TooManyRequestEvents
from smshooks_custom.mapping import (
    DEFAULT_FEEDBACK_MAPPING,
    DEFAULT_INBOUND_MAPPING,
    FEEDBACK,
    INBOUND,
    MAX_EVENTS,
    Binding,
    CompiledMapping,
    MappingError,
    TooManyEvents,
    canonical,
    compile_mapping,
)
from smshooks_custom.statuses import (
    NO_ERROR_CODES,
    PROGRESS_STATUSES,
    UNKNOWN_CATEGORY,
    FailureInfo,
    StatusTable,
)
from smshooks_custom.timestamps import parse_timestamp

VENDOR = "custom"

_NO_INFO = FailureInfo()


@dataclass(frozen=True)
class WebhookConfig:
    """What parsing needs from a credential."""

    inbound: CompiledMapping
    feedback: CompiledMapping
    statuses: StatusTable
    failure_codes: Mapping[str, FailureInfo]

    @classmethod
    def from_credentials(cls, credentials: Mapping[str, Any]) -> WebhookConfig:
        """The credential's mappings (the seed's defaults where it sets none)."""
        try:
            inbound = compile_mapping(credentials.get("inbound_mapping") or DEFAULT_INBOUND_MAPPING, INBOUND)
            feedback = compile_mapping(credentials.get("feedback_mapping") or DEFAULT_FEEDBACK_MAPPING, FEEDBACK)
            statuses = StatusTable.build(credentials.get("status_map"), credentials.get("final_statuses"))
            codes = {
                str(code): FailureInfo.load(info) for code, info in (credentials.get("failure_codes") or {}).items()
            }
        except (MappingError, ValueError) as exc:
            # Saved credentials were validated; this is one edited behind the API's back.
            raise PayloadError(f"the credential's mapping is invalid: {exc}") from None
        return cls(inbound, feedback, statuses, codes)


def parse_request(request: WebhookRequest, config: WebhookConfig) -> list[Event]:
    payload = request.json()
    inbound = _match(config.inbound, payload)
    feedback = _match(config.feedback, payload)
    items = _choose(config, inbound, feedback)

    def parse_one(numbered: tuple[int, _Item]) -> Event:
        index, item = numbered
        if item.problem:
            raise PayloadError(item.problem)
        _check_complete(item.mapping, item.binding, index, len(items))
        if item.mapping.kind is INBOUND:
            return inbound_message(item.binding.values, _raw(item.binding.raw), request)
        return delivery_report(item.binding.values, _raw(item.binding.raw), request, config)

    return parse_items(list(enumerate(items)), parse_one)


@dataclass(frozen=True)
class _Item:
    """One item of the request and the mapping it is read with (which refuses it when it is incomplete)."""

    mapping: CompiledMapping
    binding: Binding
    #: why the item is refused before it is read (both mappings fit it alike)
    problem: str | None = None


_AMBIGUOUS = (
    "matches both the inbound and the feedback mapping; add a condition "
    '(a literal value such as "type": "mo_text") to tell them apart'
)


def _match(mapping: CompiledMapping, payload: Any) -> list[Binding] | None:
    try:
        return mapping.match(payload)
    except TooManyEvents:
        # Counted while matching, before any event is built; answered 413.
        raise TooManyRequestEvents(None, MAX_EVENTS) from None


def _choose(
    config: WebhookConfig,
    inbound: list[Binding] | None,
    feedback: list[Binding] | None,
) -> list[_Item]:
    """The payload's items, each with the mapping it is an instance of."""
    candidates = [
        (mapping, bindings)
        for mapping, bindings in ((config.inbound, inbound), (config.feedback, feedback))
        if bindings and any(_completes(mapping, b) for b in bindings)
    ]
    if len(candidates) == 2:
        pairs = _pairs(inbound or [], feedback or [])
        if pairs is not None:
            return _choose_each(config, pairs)
        # The mappings cut the payload into different items: no item of one is an
        # item of the other, so the request is one kind, the more specific mapping's.
        scores = [_score(bindings) for _, bindings in candidates]
        if scores[0] == scores[1]:
            raise PayloadError(f"the payload {_AMBIGUOUS}")
        candidates = [candidates[0] if scores[0] > scores[1] else candidates[1]]
    if candidates:
        mapping, bindings = candidates[0]
        return [_Item(mapping, binding) for binding in bindings]
    if inbound == [] or feedback == []:
        return []  # a batch of nothing in a shape we know
    reasons = [_why_not(config.inbound, inbound), _why_not(config.feedback, feedback)]
    raise PayloadError("the payload matches neither mapping: " + "; ".join(reasons))


def _pairs(inbound: list[Binding], feedback: list[Binding]) -> list[tuple[Binding, Binding]] | None:
    """The two mappings' bindings item by item, or ``None`` when they are not the same items.

    A binding's ``raw`` is the payload cut down to its element of every iterated
    array, so two bindings are one item exactly when their ``raw`` is the same.
    """
    if len(inbound) != len(feedback):
        return None
    pairs = list(zip(inbound, feedback, strict=True))
    if any(a.raw != b.raw for a, b in pairs):
        return None
    return pairs


def _choose_each(config: WebhookConfig, pairs: list[tuple[Binding, Binding]]) -> list[_Item]:
    """Each item with the mapping it completes; the more specific one when it completes both."""
    items = []
    count = len(pairs)
    for index, (inbound, feedback) in enumerate(pairs):
        complete = [
            _Item(mapping, binding)
            for mapping, binding in ((config.inbound, inbound), (config.feedback, feedback))
            if _completes(mapping, binding)
        ]
        if len(complete) == 2:
            # Today's rule for a whole request, applied to the item: more bound placeholders win.
            scores = [len(inbound.values), len(feedback.values)]
            if scores[0] == scores[1]:
                which = f"event {index + 1} of {count}" if count > 1 else "the payload"
                items.append(_Item(config.inbound, inbound, f"{which} {_AMBIGUOUS}"))
            else:
                items.append(complete[0] if scores[0] > scores[1] else complete[1])
        elif complete:
            items.append(complete[0])
        else:
            # Read (and so refused) with the mapping it came closer to: its reason is the useful one.
            items.append(_Item(*max(((config.inbound, inbound), (config.feedback, feedback)), key=_closeness)))
    if all(item.problem for item in items):
        raise PayloadError(f"the payload {_AMBIGUOUS}")  # the request as a whole is ambiguous
    return items


def _completes(mapping: CompiledMapping, binding: Binding) -> bool:
    return not binding.unmatched and not mapping.missing(binding.values)


def _closeness(candidate: tuple[CompiledMapping, Binding]) -> tuple[bool, int, int]:
    # Of the shape, then fewer required values missing, then more values bound; an item of
    # neither shape, or a tie, keeps the inbound mapping (max returns the first): an opt-out's reason.
    mapping, binding = candidate
    if binding.unmatched:
        return (False, 0, 0)
    return (True, -len(mapping.missing(binding.values)), len(binding.values))


def _check_complete(mapping: CompiledMapping, binding: Binding, index: int, count: int) -> None:
    """A :class:`PayloadError` naming the first required placeholder ``binding`` lacks."""
    which = f"event {index + 1} of {count}" if count > 1 else "the payload"
    if binding.unmatched:
        raise PayloadError(f"{which} is not of the {mapping.kind.name} mapping's shape (or a condition is not met)")
    missing = mapping.missing(binding.values)
    if missing:
        group = missing[0]
        raise PayloadError(
            f"{which} lacks {mapping.kind.describe(group)} of the {mapping.kind.name} mapping"
            f" (expected at {mapping.where(group)})"
        )


def _score(bindings: list[Binding]) -> int:
    return sum(len(binding.values) for binding in bindings)


def _why_not(mapping: CompiledMapping, bindings: list[Binding] | None) -> str:
    name = mapping.kind.name
    if bindings is None:
        return f"{name}: a different shape or a condition not met"
    binding = next((b for b in bindings if not b.unmatched), bindings[0])
    group = mapping.missing(binding.values)[0]
    return f"{name}: no {mapping.kind.describe(group)} at {mapping.where(group)}"


def _raw(raw: Any) -> dict[str, Any]:
    return raw if isinstance(raw, dict) else {"payload": raw}


# -- events -------------------------------------------------------------------


def inbound_message(values: Mapping[str, Any], raw: dict[str, Any], request: WebhookRequest) -> InboundMessage:
    return InboundMessage(
        vendor=VENDOR,
        vendor_message_id=_identifier(values, "requestId"),
        sender=to_e164(_identifier(values, "profileNumber")),
        recipient=to_e164(_identifier(values, "inboundNumber")),
        text=_text(values, "inboundMessage"),
        received_at=_timestamp(values, request),
        segments=_count(values, "segmentCount"),
        raw=raw,
    )


def delivery_report(
    values: Mapping[str, Any], raw: dict[str, Any], request: WebhookRequest, config: WebhookConfig
) -> DeliveryReport:
    message_id = _optional_identifier(values, "messageId") or _identifier(values, "client_reference")
    vendor_status = _identifier(values, "feedbackStatus")
    status = config.statuses.status(vendor_status)
    code = _optional_identifier(values, "failureCode")
    failed = status not in PROGRESS_STATUSES and code is not None and code not in NO_ERROR_CODES
    info = config.failure_codes.get(code, _NO_INFO) if failed and code is not None else _NO_INFO
    bounced = status in (Status.BOUNCE, Status.ERROR)
    profile_number = _optional_identifier(values, "profileNumber")
    return DeliveryReport(
        vendor=VENDOR,
        vendor_message_id=message_id,
        # Reports are linked by message id; one without the number is still usable.
        recipient=to_e164(profile_number) if profile_number else None,
        status=status,
        vendor_status=vendor_status,
        occurred_at=_timestamp(values, request),
        final=config.statuses.is_final(vendor_status),
        error_code=code if failed else None,
        error_reason=info.reason or (_optional_text(values, "failureReason") if failed or bounced else None),
        failure_category=info.category or (UNKNOWN_CATEGORY if failed or bounced else None),
        failure_type=info.failure_type,
        raw=raw,
    )


# -- values -------------------------------------------------------------------


def _value(values: Mapping[str, Any], name: str) -> Any:
    return values.get(canonical(name))


def _optional_identifier(values: Mapping[str, Any], name: str) -> str | None:
    """An id, number or status: text or an integer, stripped; ``None`` when absent or blank."""
    value = _value(values, name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise PayloadError(f"{{{{{name}}}}} is not text or a number: {value!r}")
    if isinstance(value, float):
        value = int(value) if value.is_integer() else value
    return str(value).strip() or None


def _identifier(values: Mapping[str, Any], name: str) -> str:
    value = _optional_identifier(values, name)
    if value is None:
        raise PayloadError(f"missing {{{{{name}}}}}")
    return value


def _optional_text(values: Mapping[str, Any], name: str) -> str | None:
    value = _value(values, name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise PayloadError(f"{{{{{name}}}}} is not text: {value!r}")
    return str(value)


def _text(values: Mapping[str, Any], name: str) -> str:
    value = _optional_text(values, name)
    if value is None:
        raise PayloadError(f"missing {{{{{name}}}}}")
    return value


def _count(values: Mapping[str, Any], name: str) -> int:
    value = _value(values, name)
    if value is None:
        return 1
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    raise PayloadError(f"{{{{{name}}}}} is not a non-negative integer: {value!r}")


def _timestamp(values: Mapping[str, Any], request: WebhookRequest) -> datetime:
    value = _value(values, "originTimestamp")
    if value is None or (isinstance(value, str) and not value.strip()):
        return request.received_at
    try:
        return parse_timestamp(value)
    except ValueError as exc:
        raise PayloadError(f"{{{{originTimestamp}}}}: {exc}") from None
