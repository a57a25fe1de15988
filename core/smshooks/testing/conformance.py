"""The vendor conformance kit: subclass :class:`VendorConformance`, fill its tables.

Example (a plugin's ``tests/test_conformance.py``)::

    from smshooks.testing import VendorConformance
    from smshooks_acme import AcmeVendor
    from . import cases

    class TestAcme(VendorConformance):
        vendor = AcmeVendor()
        parse_cases = cases.PARSE
        verify_cases = cases.VERIFY
        status_cases = cases.STATUSES
        send_cases = cases.SEND
        acknowledge_cases = cases.ACKNOWLEDGE

        def status_report_request(self, case):
            return cases.status_report(case)

The smshooks pytest plugin turns every row into its own labelled test, and the
kit adds checks that the tables are complete: every contract method has
cases, every entry of the vendor's status map is proven through ``parse``, a
status string nobody documented maps to ``unknown``, both an accepted and a
refused signature are shown, and the answer without replies is shown.

A status is mapped in one place: every report ``parse`` returns must have the
``status`` and ``final`` that :meth:`~smshooks.vendor.Vendor.map_status` and
:meth:`~smshooks.vendor.Vendor.is_final` give its ``vendor_status``.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

import pytest

from smshooks.events import DeliveryReport, Event, Status
from smshooks.testing.cases import (
    REFUSED,
    TIMEOUT,
    AcknowledgeCase,
    ParseCase,
    SendCase,
    StatusCase,
    VendorReply,
    VerifyCase,
)
from smshooks.testing.checks import (
    check_event_types,
    check_mapped,
    check_request,
    fake_reply,
    mapped,
    with_server,
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
    "acknowledge_case": "acknowledge_cases",
}

UNDOCUMENTED_STATUS = "SMSHOOKS_UNDOCUMENTED_STATUS"


class VendorConformance:
    """Base class of a plugin's conformance tests. Set ``vendor`` and the tables."""

    vendor: ClassVar[Vendor]
    parse_cases: ClassVar[Sequence[ParseCase]] = ()
    verify_cases: ClassVar[Sequence[VerifyCase]] = ()
    status_cases: ClassVar[Sequence[StatusCase]] = ()
    send_cases: ClassVar[Sequence[SendCase]] = ()
    acknowledge_cases: ClassVar[Sequence[AcknowledgeCase]] = ()
    #: seconds a send may wait for the fake API before it counts as timed out
    send_timeout: ClassVar[float] = 0.5
    #: True for a vendor whose webhooks carry JSON: every body of
    #: :data:`~smshooks.testing.hostile.HOSTILE_JSON_BODIES` must be refused
    hostile_json: ClassVar[bool] = False
    #: ``(label, JSON payload)`` rows, usually the real-format fixtures: each is
    #: sent with every value in turn replaced by a value of another JSON type
    type_confusion_payloads: ClassVar[Sequence[tuple[str, Any]]] = ()

    def status_report_request(self, case: StatusCase) -> WebhookRequest | None:
        """A real-format delivery report carrying ``case.vendor_status`` (in ``case.group``).

        Override it (usually: a report fixture with its status replaced) and
        every status row is proven through ``parse`` as well as ``map_status``.
        Return None for a row no report can carry (a status that makes the
        request an inbound message, a blank status that parse refuses). Without
        it, every ``status_map`` entry needs a parse case reporting it.
        """
        return None

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
            if isinstance(event, DeliveryReport):
                check_mapped(self.vendor, event)

    def test_verify(self, verify_case: VerifyCase) -> None:
        if verify_case.accepted:
            self.vendor.verify(verify_case.request, verify_case.credentials)
        else:
            with pytest.raises(SignatureError):
                self.vendor.verify(verify_case.request, verify_case.credentials)

    def test_status(self, status_case: StatusCase) -> None:
        """The row's status through map_status and, given a status_report_request, through parse."""
        status, _ = mapped(self.vendor, status_case.vendor_status, status_case.group)
        assert status == status_case.status, f"map_status says {status.value!r}"
        request = self.status_report_request(status_case)
        if request is None:
            return
        report = _report(self.vendor.parse(request), status_case)
        assert report.status == status_case.status, f"parse says {report.status.value!r}"
        check_mapped(self.vendor, report)

    def test_send(self, send_case: SendCase) -> None:
        with FakeVendorAPI() as api:
            base = api.url
            if send_case.reply == REFUSED:
                api.__exit__()  # nothing listens on that port any more
            elif send_case.reply == TIMEOUT:
                api.reply_with(Reply(200, b"{}", delay=self.send_timeout * 4))
            else:
                assert isinstance(send_case.reply, VendorReply)
                api.reply_with(fake_reply(send_case.reply))
            credentials = with_server(send_case.credentials, base)
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
                check_request(api.requests[0], send_case.request)

    def test_acknowledge(self, acknowledge_case: AcknowledgeCase) -> None:
        assert self.vendor.acknowledge(list(acknowledge_case.replies)) == acknowledge_case.answer

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
                    check_event_types(event)
                    if isinstance(event, DeliveryReport):
                        check_mapped(self.vendor, event)
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

    def test_every_documented_status_is_proven_through_parse(self) -> None:
        """Each status_map entry comes out of parse somewhere: a parse case, or a status row's report request."""
        proven = {report.vendor_status for report in _parsed_reports(self.parse_cases)}
        proven |= {case.vendor_status for case in self.status_cases if self.status_report_request(case) is not None}
        unproven = sorted(set(self.vendor.status_map) - proven)
        assert not unproven, (
            f"no parse case reports {unproven}: define status_report_request(case) "
            "(a report fixture carrying case.vendor_status) or add parse cases"
        )

    def test_undocumented_status_is_unknown(self) -> None:
        assert self.vendor.map_status(UNDOCUMENTED_STATUS) is Status.UNKNOWN
        request = self.status_report_request(StatusCase(UNDOCUMENTED_STATUS, Status.UNKNOWN))
        if request is not None:  # stored as unknown, never refused
            report = _report(self.vendor.parse(request), StatusCase(UNDOCUMENTED_STATUS, Status.UNKNOWN))
            assert report.status is Status.UNKNOWN, repr(report)

    def test_final_statuses_are_documented(self) -> None:
        assert set(self.vendor.final_statuses) <= set(self.vendor.status_map)

    def test_parse_shows_inbound_and_reports(self) -> None:
        kinds = {type(event) for case in self.parse_cases for event in case.events}
        assert DeliveryReport in kinds and len(kinds) == 2, "show inbound messages and delivery reports"
        assert any(case.error for case in self.parse_cases), "show a malformed payload refused"

    def test_acknowledge_table_shows_the_plain_answer(self) -> None:
        """The answer to a request without replies (every delivery report's), and replies where they go inline."""
        assert any(not case.replies for case in self.acknowledge_cases), "show the answer without replies"
        if self.vendor.replies_inline({}):
            assert any(case.replies for case in self.acknowledge_cases), "show replies answered inline"

    def test_vendor_declares_itself(self) -> None:
        assert self.vendor.name and self.vendor.name == self.vendor.name.lower()
        assert self.vendor.title
        self.vendor.credentials_schema()


def _parsed_reports(cases: Sequence[ParseCase]) -> Iterator[DeliveryReport]:
    for case in cases:
        if case.error is None:
            yield from (event for event in case.events if isinstance(event, DeliveryReport))


def _report(events: Sequence[Event], case: StatusCase) -> DeliveryReport:
    """The one report a status row's request parsed into, carrying the row's status as sent."""
    assert len(events) == 1 and isinstance(events[0], DeliveryReport), (
        f"status_report_request must give one delivery report; parse gave {events!r}"
    )
    report = events[0]
    assert report.vendor_status.strip() == case.vendor_status.strip(), (
        f"the report carries {report.vendor_status!r}, not the row's {case.vendor_status!r}"
    )
    if case.group is not None:
        assert report.vendor_status_group == case.group, f"the report's group is {report.vendor_status_group!r}"
    return report


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


def replace_event(event: Event, **changes: Any) -> Event:
    """A copy of an expected event with some fields changed (for case variants)."""
    return dataclasses.replace(event, **changes)
