"""The vendor conformance kit: subclass :class:`VendorConformance`, fill its tables.

Example (a plugin's ``tests/test_conformance.py``)::

    from smshooks.testing import VendorConformance
    from smshooks_acme import AcmeVendor
    from .cases import PARSE, VERIFY, STATUSES, SEND

    class TestAcme(VendorConformance):
        vendor = AcmeVendor()
        parse_cases = PARSE
        verify_cases = VERIFY
        status_cases = STATUSES
        send_cases = SEND

The smshooks pytest plugin turns every row into its own labelled test, and the
kit adds checks that the tables are complete: every contract method has
cases, every entry of the vendor's status map has a status case, a status
string nobody documented maps to ``unknown``, and both an accepted and a
refused signature are shown.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar

import pytest

from smshooks.events import DeliveryReport, Event, InboundMessage, Status
from smshooks.testing.cases import (
    REFUSED,
    TIMEOUT,
    ParseCase,
    SendCase,
    StatusCase,
    VendorReply,
    VerifyCase,
)
from smshooks.testing.fake_api import FakeVendorAPI, Reply
from smshooks.testing.hostile import HOSTILE_JSON_BODIES, HostileBody, wrong_type_variants
from smshooks.vendor import HttpSession, PayloadError, SendError, SignatureError, Vendor, WebhookRequest

#: the fixture name each table is offered under, and the class attribute holding it
TABLES = {
    "parse_case": "parse_cases",
    "verify_case": "verify_cases",
    "status_case": "status_cases",
    "send_case": "send_cases",
}

UNDOCUMENTED_STATUS = "SMSHOOKS_UNDOCUMENTED_STATUS"


class VendorConformance:
    """Base class of a plugin's conformance tests. Set ``vendor`` and the tables."""

    vendor: ClassVar[Vendor]
    parse_cases: ClassVar[Sequence[ParseCase]] = ()
    verify_cases: ClassVar[Sequence[VerifyCase]] = ()
    status_cases: ClassVar[Sequence[StatusCase]] = ()
    send_cases: ClassVar[Sequence[SendCase]] = ()
    #: seconds a send may wait for the fake API before it counts as timed out
    send_timeout: ClassVar[float] = 0.5
    #: True for a vendor whose webhooks carry JSON: every body of
    #: :data:`~smshooks.testing.hostile.HOSTILE_JSON_BODIES` must be refused
    hostile_json: ClassVar[bool] = False
    #: ``(label, JSON payload)`` rows, usually the real-format fixtures: each is
    #: sent with every value in turn replaced by a value of another JSON type
    type_confusion_payloads: ClassVar[Sequence[tuple[str, Any]]] = ()

    # -- the tables, one test per row ------------------------------------

    def test_parse(self, parse_case: ParseCase) -> None:
        if parse_case.error is not None:
            with pytest.raises(parse_case.error):
                self.vendor.parse(parse_case.request)
            return
        events = self.vendor.parse(parse_case.request)
        assert list(events) == list(parse_case.events)  # raw is left out of equality
        for event in events:
            assert event.vendor == self.vendor.name
            assert event.raw, "every event keeps the vendor's raw payload"
            assert event.org is None and event.webhook_id is None, "the host stamps the webhook context"

    def test_verify(self, verify_case: VerifyCase) -> None:
        if verify_case.accepted:
            self.vendor.verify(verify_case.request, verify_case.credentials)
        else:
            with pytest.raises(SignatureError):
                self.vendor.verify(verify_case.request, verify_case.credentials)

    def test_status(self, status_case: StatusCase) -> None:
        assert self.vendor.map_status(status_case.vendor_status) == status_case.status

    def test_send(self, send_case: SendCase) -> None:
        with FakeVendorAPI() as api:
            base = api.url
            if send_case.reply == REFUSED:
                api.__exit__()  # nothing listens on that port any more
            elif send_case.reply == TIMEOUT:
                api.reply_with(Reply(200, b"{}", delay=self.send_timeout * 4))
            else:
                assert isinstance(send_case.reply, VendorReply)
                api.reply_with(_reply(send_case.reply))
            credentials = _with_server(send_case.credentials, base)
            http = HttpSession(timeout=self.send_timeout)
            if send_case.message_id is not None:
                assert self.vendor.send(send_case.message, credentials, http) == send_case.message_id
            else:
                assert send_case.retryable is not None, f"{send_case.label}: give message_id or retryable"
                with pytest.raises(SendError) as raised:
                    self.vendor.send(send_case.message, credentials, http)
                assert raised.value.retryable is send_case.retryable, repr(raised.value)
                if send_case.error_code is not None:
                    assert raised.value.code == send_case.error_code, repr(raised.value)
            if send_case.request is not None:
                assert len(api.requests) == 1, f"expected one request, got {len(api.requests)}"
                _check_request(api.requests[0], send_case.request)

    def test_hostile_json_body(self, hostile_body: HostileBody) -> None:
        request = WebhookRequest(
            method="POST",
            url="https://gateway.example/hooks/wh_hostile",
            headers={"Content-Type": "application/json"},
            body=hostile_body.body,
        )
        with pytest.raises(PayloadError):
            self.vendor.parse(request)

    def test_wrong_json_types_are_payload_errors(self, type_confusion_payload: tuple[str, Any]) -> None:
        """Every value replaced by another JSON type: events fit for storing, or a PayloadError."""
        _, payload = type_confusion_payload
        failures = []
        for label, variant in wrong_type_variants(payload):
            request = WebhookRequest(
                method="POST",
                url="https://gateway.example/hooks/wh_types",
                headers={"Content-Type": "application/json"},
                body=json.dumps(variant).encode("utf-8"),
            )
            try:
                events = self.vendor.parse(request)
                for event in events:
                    _check_event_types(event)
            except PayloadError:
                continue
            except Exception as exc:  # the defect this test looks for
                failures.append(f"{label}: {type(exc).__name__}: {exc}")
        assert not failures, "\n".join(failures[:20])

    def test_max_events_per_request_is_declared(self) -> None:
        limit = self.vendor.max_events_per_request
        assert isinstance(limit, int) and limit >= 1, "set max_events_per_request to the vendor's documented batch size"

    # -- completeness of the tables ----------------------------------------

    def test_tables_cover_the_contract(self) -> None:
        missing = [attr for attr in TABLES.values() if not getattr(self, attr)]
        assert not missing, f"empty conformance tables: {missing}"
        labels = [case.label for attr in TABLES.values() for case in getattr(self, attr)]
        duplicated = sorted({label for label in labels if labels.count(label) > 1})
        assert not duplicated, f"case labels must be unique: {duplicated}"

    def test_verify_table_shows_accept_and_refuse(self) -> None:
        outcomes = {case.accepted for case in self.verify_cases}
        assert outcomes == {True, False}, "show at least one accepted and one refused request"

    def test_every_documented_status_has_a_case(self) -> None:
        covered = {case.vendor_status for case in self.status_cases}
        assert set(self.vendor.status_map) <= covered, sorted(set(self.vendor.status_map) - covered)

    def test_undocumented_status_is_unknown(self) -> None:
        assert self.vendor.map_status(UNDOCUMENTED_STATUS) is Status.UNKNOWN

    def test_final_statuses_are_documented(self) -> None:
        assert set(self.vendor.final_statuses) <= set(self.vendor.status_map)

    def test_parse_shows_inbound_and_reports(self) -> None:
        kinds = {type(event) for case in self.parse_cases for event in case.events}
        assert DeliveryReport in kinds and len(kinds) == 2, "show inbound messages and delivery reports"
        assert any(case.error for case in self.parse_cases), "show a malformed payload refused"

    def test_vendor_declares_itself(self) -> None:
        assert self.vendor.name and self.vendor.name == self.vendor.name.lower()
        assert self.vendor.title
        self.vendor.credentials_schema()


def _reply(reply: VendorReply) -> Reply:
    headers = dict(reply.headers)
    if reply.json is not None:
        headers.setdefault("Content-Type", "application/json")
        body = json.dumps(reply.json).encode()
    else:
        body = (reply.body or "").encode()
    return Reply(reply.status, body, headers)


def _with_server(credentials: Mapping[str, Any], base: str) -> dict[str, Any]:
    return {
        key: value.replace("{server}", base) if isinstance(value, str) else value for key, value in credentials.items()
    }


def _check_request(actual: Any, expected: Any) -> None:
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


def parametrize_tables(metafunc: pytest.Metafunc) -> None:
    """Offer each table row of a :class:`VendorConformance` subclass as its own test."""
    cls = metafunc.cls
    if cls is None or not issubclass(cls, VendorConformance):
        return
    for fixture, attr in TABLES.items():
        if fixture in metafunc.fixturenames:
            cases = list(getattr(cls, attr))
            metafunc.parametrize(fixture, cases, ids=[case.label for case in cases])
    if "type_confusion_payload" in metafunc.fixturenames:
        rows = list(cls.type_confusion_payloads)
        metafunc.parametrize("type_confusion_payload", rows, ids=[label for label, _ in rows])
    if "hostile_body" in metafunc.fixturenames:
        bodies = list(HOSTILE_JSON_BODIES) if cls.hostile_json else []
        metafunc.parametrize("hostile_body", bodies, ids=[body.label for body in bodies])


_TEXT_FIELDS = ("vendor", "vendor_message_id")


def _check_event_types(event: Event) -> None:
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
        for name in ("error_code", "error_reason", "failure_category"):
            value = getattr(event, name)
            assert value is None or isinstance(value, str), f"{name} is {value!r}"
    assert isinstance(event.raw, Mapping), repr(event.raw)


def replace_event(event: Event, **changes: Any) -> Event:
    """A copy of an expected event with some fields changed (for case variants)."""
    return dataclasses.replace(event, **changes)
