"""What the conformance kit checks inside a row: requests a send made, event field types, statuses."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from smshooks.events import DeliveryReport, Event, InboundMessage, Status
from smshooks.testing.cases import VendorReply
from smshooks.testing.fake_api import Reply
from smshooks.vendor import Vendor


def mapped(vendor: Vendor, vendor_status: str, group: str | None) -> tuple[Status, bool]:
    """What the vendor's one mapping makes of a reported status: (status, final)."""
    if group is None:  # a plugin written before groups overrides map_status(vendor_status)
        return vendor.map_status(vendor_status), vendor.is_final(vendor_status)
    return vendor.map_status(vendor_status, group), vendor.is_final(vendor_status, group)


def check_mapped(vendor: Vendor, report: DeliveryReport) -> None:
    """A report's status and final are what the vendor's map_status / is_final say, not a second lookup."""
    status, final = mapped(vendor, report.vendor_status, report.vendor_status_group)
    group = report.vendor_status_group
    said = repr(report.vendor_status) + (f" (group {group!r})" if group else "")
    assert report.status == status, (
        f"parse made {said} {report.status.value!r}, but map_status says {status.value!r}: "
        "map every status in one place (status_map / map_status) and have parse use it"
    )
    assert report.final == final, (
        f"parse made {said} final={report.final}, but is_final says {final}: "
        "decide final in one place (final_statuses / is_final) and have parse use it"
    )


def fake_reply(reply: VendorReply) -> Reply:
    headers = dict(reply.headers)
    if reply.json is not None:
        headers.setdefault("Content-Type", "application/json")
        body = json.dumps(reply.json).encode()
    else:
        body = (reply.body or "").encode()
    return Reply(reply.status, body, headers)


def with_server(credentials: Mapping[str, Any], base: str) -> dict[str, Any]:
    return {
        key: value.replace("{server}", base) if isinstance(value, str) else value for key, value in credentials.items()
    }


def check_request(actual: Any, expected: Any) -> None:
    assert actual.method == expected.method
    assert actual.path == expected.path
    for name, value in expected.headers.items():
        assert actual.header(name) == value, f"header {name}: {actual.header(name)!r} != {value!r}"
    if expected.form:
        form = actual.form
        for name, value in expected.form.items():
            wanted = value if isinstance(value, list) else [value]
            assert form.get(name) == wanted, f"form {name}: {form.get(name)!r} != {wanted!r}"
    for name in expected.absent:
        assert name not in actual.form, f"form field {name} must be absent"
    if expected.json:
        body = actual.json()
        for name, value in expected.json.items():
            assert body.get(name) == value, f"json {name}: {body.get(name)!r} != {value!r}"


_TEXT_FIELDS = ("vendor", "vendor_message_id")


def check_event_types(event: Event) -> None:
    """The field types the store relies on (a number passed through as an id would be a defect)."""
    for name in _TEXT_FIELDS:
        assert isinstance(getattr(event, name), str), f"{name} is {getattr(event, name)!r}"
    when = event.received_at if isinstance(event, InboundMessage) else event.occurred_at
    assert isinstance(when, datetime) and when.tzinfo is not None, f"time is {when!r}"
    if isinstance(event, InboundMessage):
        for name in ("sender", "recipient", "text"):
            assert isinstance(getattr(event, name), str), f"{name} is {getattr(event, name)!r}"
        assert isinstance(event.segments, int) and not isinstance(event.segments, bool), repr(event.segments)
        assert all(isinstance(url, str) for url in event.media_urls), repr(event.media_urls)
    else:
        assert event.recipient is None or isinstance(event.recipient, str), repr(event.recipient)
        assert isinstance(event.status, Status) and isinstance(event.vendor_status, str), repr(event.vendor_status)
        for name in ("vendor_status_group", "error_code", "error_reason", "failure_category"):
            value = getattr(event, name)
            assert value is None or isinstance(value, str), f"{name} is {value!r}"
    assert isinstance(event.raw, Mapping), repr(event.raw)
