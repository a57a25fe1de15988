"""Counts every handled event: the built-in metrics observer of the ``*_handled`` hooks.

``tryfirst``: pluggy calls the implementations one by one and stops at the first that
raises, so the count runs before any installed observer that might.
"""

from __future__ import annotations

from smshooks import metrics, observe
from smshooks.events import DeliveryReport, InboundMessage, Status
from smshooks.hookspecs import hookimpl


def _count(vendor: str, kind: str, duplicate: bool) -> None:
    counter = metrics.EVENTS_DUPLICATE if duplicate else metrics.EVENTS_STORED
    metrics.labelled(counter, vendor=vendor, kind=kind).inc()
    observe.note_event(kind, duplicate)


@hookimpl(tryfirst=True)
def smshooks_inbound_handled(message: InboundMessage, duplicate: bool) -> None:
    _count(message.vendor, "inbound", duplicate)


@hookimpl(tryfirst=True)
def smshooks_delivery_report_handled(report: DeliveryReport, duplicate: bool, message_status: Status | None) -> None:
    _count(report.vendor, "delivery_report", duplicate)
