"""Infobip webhook requests → common events.

Infobip posts JSON ``{"results": [...]}`` for inbound messages (the
``MO_JSON_2`` renderer for SMS; ``MO_MMS_2`` for MMS, whose ``message`` is a
list of parts: ``{"contentType": "text/plain", "value": …}`` for text,
``{"contentType": "image/jpeg", "url": …}`` for media) and delivery reports, and a request may carry several
items, so one request becomes one event per item. An item with a ``status``
object is a delivery report — in the v3 shape (``sender``, ``messageCount``) or
the legacy v2 shape (``from``, ``smsCount``), which differ only in fields the
common event does not use — and an item with ``text``, ``cleanText``,
``keyword`` or ``receivedAt`` is an inbound message. Fields Infobip adds later
are kept in ``raw`` and never refused.

Each item is read on its own (``parse_items``): an item that is not Infobip's
(no ``from``, a ``text`` that is a number, neither a report nor a message) is
refused alone, and the host stores the batch's other items — Infobip does not
retry a 4xx, so refusing the whole batch would lose an opt-out in it. A request
whose body is not an Infobip body (not an object, no ``results`` list, more
items than Infobip batches) is refused whole, as is one none of whose items
can be read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from smshooks.events import DeliveryReport, Event, FailureType, InboundMessage, Status
from smshooks.vendor import PayloadError, TooManyEvents, WebhookRequest, parse_items, to_e164
from smshooks_infobip.statuses import (
    ERROR_CATEGORIES,
    ERROR_GROUP_CATEGORIES,
    NO_ERROR_ID,
    NO_ERROR_NAME,
    UNKNOWN_CATEGORY,
    resolve_status,
)

VENDOR = "infobip"

#: fields only an inbound (MO) item carries (``message``: an MMS's parts)
_INBOUND_FIELDS = ("text", "cleanText", "keyword", "receivedAt", "message")
#: an MMS has at most this many parts we keep as media; a bound far above what
#: carriers deliver (a few hundred KB in total), so an absurd list costs nothing
_MAX_MEDIA = 100
#: Infobip documents the batch of a delivery-report webhook as 100 by default,
#: configurable with the subscription's maxBucketSize ("Receive outbound SMS
#: message report", infobip.com/docs/api); its pull endpoints (GET /sms/1/reports,
#: /sms/1/inbox/reports) answer at most 1000 per call, the largest batch it documents
MAX_RESULTS = 1000
# Infobip writes ``yyyy-MM-dd'T'HH:mm:ss.SSSZ``; ISO 8601 offsets also occur.
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")

Item = Mapping[str, Any]


def parse_request(request: WebhookRequest) -> list[Event]:
    """Every inbound message and delivery report the request's ``results`` carry.

    Raises :class:`~smshooks.vendor.PartlyMalformed` (the events of the items it
    could read, the index and reason of the others) when only some could be read.
    """
    return parse_items(results(request), lambda item: parse_item(item, request))


def results(request: WebhookRequest) -> list[Any]:
    """The ``results`` list, its items as sent (each is checked by :func:`parse_item`)."""
    payload = request.json()
    if not isinstance(payload, dict):
        raise PayloadError("an Infobip webhook body is a JSON object")
    items = payload.get("results")
    if not isinstance(items, list):
        raise PayloadError("no results list")
    if len(items) > MAX_RESULTS:
        raise TooManyEvents(len(items), MAX_RESULTS)
    return items


def parse_item(item: Any, request: WebhookRequest) -> Event:
    if not isinstance(item, dict):
        raise PayloadError("a result is not an object")
    if "status" in item:
        return delivery_report(item, request)
    if any(name in item for name in _INBOUND_FIELDS):
        return inbound_message(item, request)
    raise PayloadError("a result is neither a delivery report (status) nor an inbound message (text)")


def inbound_message(item: Item, request: WebhookRequest) -> InboundMessage:
    if isinstance(item.get("message"), list):
        text, media_urls = mms_parts(item["message"])
    else:
        # The full text: cleanText lacks the keyword, which the keyword pipeline needs.
        # (Infobip's MMS inbox pull API gives an MMS's text as a ``message`` string.)
        text = _message_text(item, "text") if "text" in item else _message_text(item, "message")
        media_urls = ()
    return InboundMessage(
        vendor=VENDOR,
        vendor_message_id=_message_id(item),
        sender=to_e164(_required_text(item, "from")),
        recipient=to_e164(_required_text(item, "to")),
        text=text,
        received_at=_timestamp(item, "receivedAt") or request.received_at,
        segments=_count(item, "smsCount", default=1),
        media_urls=media_urls,
        raw=dict(item),
    )


def mms_parts(parts: list[Any]) -> tuple[str, tuple[str, ...]]:
    """An MMS's text (its text parts, in order, one per line) and its media URLs.

    A part with a ``value`` is text; one with a ``url`` is media (Infobip's
    ``MmsInboundMessageSegment``: ``contentType``, ``value``, ``url``).
    """
    texts: list[str] = []
    urls: list[str] = []
    for index, part in enumerate(parts):
        if not isinstance(part, dict):
            raise PayloadError(f"message[{index}] is not an object")
        value = part.get("value")
        url = part.get("url")
        if value is not None and not isinstance(value, str):
            raise PayloadError(f"message[{index}].value is not a string: {value!r}")
        if url is not None and not isinstance(url, str):
            raise PayloadError(f"message[{index}].url is not a string: {url!r}")
        if value is not None:
            texts.append(value)
        elif url and url.strip() and len(urls) < _MAX_MEDIA:
            urls.append(url.strip())
    return "\n".join(texts), tuple(urls)


def delivery_report(item: Item, request: WebhookRequest) -> DeliveryReport:
    status = item.get("status")
    if not isinstance(status, dict):
        raise PayloadError("status is not an object")
    name = _optional_text(status, "name")
    group_name = _optional_text(status, "groupName")
    vendor_status = name or group_name
    if vendor_status is None:
        raise PayloadError("status has neither a name nor a groupName")
    resolved = resolve_status(name, group_name)
    error = _error(item)
    failed = resolved.status in (Status.BOUNCE, Status.ERROR)
    to = _optional_text(item, "to")
    return DeliveryReport(
        vendor=VENDOR,
        vendor_message_id=_message_id(item),
        # The report is linked by messageId; one without ``to`` is still usable.
        recipient=to_e164(to) if to else None,
        status=resolved.status,
        vendor_status=vendor_status,
        vendor_status_group=group_name,
        occurred_at=_timestamp(item, "doneAt") or _timestamp(item, "sentAt") or request.received_at,
        final=resolved.final,
        error_code=error.code if error else None,
        error_reason=error.reason if error else None,
        failure_category=_failure_category(error, resolved.category) if (failed or error) else None,
        failure_type=error.failure_type if error else None,
        raw=dict(item),
    )


@dataclass(frozen=True)
class DeliveryError:
    """A report's ``error`` object when it names an error."""

    code: str
    name: str | None
    group_name: str | None
    reason: str | None
    failure_type: FailureType | None


def _error(item: Item) -> DeliveryError | None:
    """The report's error; ``None`` when absent or ``NO_ERROR`` (``groupId`` 0 / ``id`` 0)."""
    fields = item.get("error")
    if fields is None:
        return None
    if not isinstance(fields, dict):
        raise PayloadError("error is not an object")
    name = _optional_text(fields, "name")
    code = _optional_text(fields, "id") or name
    if code is None or code == str(NO_ERROR_ID) or name == NO_ERROR_NAME:
        return None
    description = _optional_text(fields, "description")
    reason = ": ".join(dict.fromkeys(part for part in (name, description) if part)) or None
    # ``permanent`` says whether a retry can ever succeed.
    permanent = fields.get("permanent")
    failure_type = None if not isinstance(permanent, bool) else FailureType.HARD if permanent else FailureType.SOFT
    return DeliveryError(code, name, _optional_text(fields, "groupName"), reason, failure_type)


def _failure_category(error: DeliveryError | None, status_category: str | None) -> str:
    """The most specific word available: the error's, the status's, the error group's."""
    if error is not None and error.name in ERROR_CATEGORIES:
        return ERROR_CATEGORIES[error.name]
    if status_category is not None:
        return status_category
    if error is not None and error.group_name in ERROR_GROUP_CATEGORIES:
        return ERROR_GROUP_CATEGORIES[error.group_name]
    return UNKNOWN_CATEGORY


def _optional_text(fields: Mapping[str, Any], name: str) -> str | None:
    """A string field, stripped; numbers are accepted as their decimal text.

    ``None`` when absent, null or blank; a :class:`PayloadError` for any other type.
    """
    value = fields.get(name)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise PayloadError(f"{name} is not a string: {value!r}")
    return value.strip() or None


def _message_text(item: Item, name: str) -> str:
    """Message text exactly as sent (white space is content); ``""`` when absent or null."""
    value = item.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise PayloadError(f"{name} is not a string: {value!r}")
    return value


def _required_text(item: Item, name: str) -> str:
    value = _optional_text(item, name)
    if value is None:
        raise PayloadError(f"missing {name}")
    return value


def _message_id(item: Item) -> str:
    return _required_text(item, "messageId")


def _count(item: Item, name: str, *, default: int) -> int:
    value = item.get(name)
    if value is None:
        return default
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise PayloadError(f"{name} is not a non-negative integer: {value!r}")
    return value


def _timestamp(item: Item, name: str) -> datetime | None:
    """An Infobip timestamp (``2019-11-09T16:00:00.000+0000``) in UTC; ``None`` when absent.

    A time without an offset is taken as UTC, the zone Infobip's API works in.
    """
    value = _optional_text(item, name)
    if value is None:
        return None
    try:
        if not _TIMESTAMP.match(value):
            raise ValueError
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise PayloadError(f"{name} is not a timestamp: {value!r}") from None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
