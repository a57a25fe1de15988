"""Logs every handled event: the default observer of the ``*_handled`` hooks."""

from __future__ import annotations

import logging

from smshooks.events import DeliveryReport, InboundMessage, Status
from smshooks.hookspecs import hookimpl

log = logging.getLogger("smshooks.events")


@hookimpl
def smshooks_inbound_handled(message: InboundMessage, duplicate: bool) -> None:
    log.info(
        "inbound %s %s webhook=%s vendor_id=%s%s",
        message.vendor,
        message.org,
        message.webhook_id,
        message.vendor_message_id,
        " (duplicate)" if duplicate else "",
    )


@hookimpl
def smshooks_delivery_report_handled(report: DeliveryReport, duplicate: bool, message_status: Status | None) -> None:
    log.info(
        "report %s %s vendor_id=%s status=%s (%s) message=%s%s",
        report.vendor,
        report.org,
        report.vendor_message_id,
        report.status,
        report.vendor_status,
        message_status,
        " (duplicate)" if duplicate else "",
    )
