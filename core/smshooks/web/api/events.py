"""``/api/v1/inbound-messages``, ``/delivery-reports``, ``/messages``: the stored events."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate
from sqlalchemy import or_, select

from smshooks.store.tables import DeliveryReportRow, InboundMessageRow, OutboundMessageRow
from smshooks.vendor import to_e164
from smshooks.web.api.base import ApiBlueprint
from smshooks.web.api.pagination import PageArgs, page
from smshooks.web.api.scope import get_scoped, scoped
from smshooks.web.context import gateway

blp = ApiBlueprint("events", __name__, url_prefix="/api/v1", description="Normalized events, newest first.")


class InboundFilter(PageArgs):
    webhook_id = fields.String()
    phone = fields.String(metadata={"description": "sender or recipient number"})
    category = fields.String(
        validate=validate.OneOf(["opt_out", "opt_in", "double_opt_in", "help", "custom", "none"]),
        metadata={"description": "keyword events of one category (custom: the custom keyword matches)"},
    )


class ReportFilter(PageArgs):
    webhook_id = fields.String()
    phone = fields.String(metadata={"description": "recipient number"})
    vendor_message_id = fields.String()
    status = fields.String()


class InboundOut(Schema):
    id = fields.Integer()
    webhook_id = fields.String()
    vendor = fields.String()
    vendor_message_id = fields.String()
    sender = fields.String()
    recipient = fields.String()
    text = fields.String()
    segments = fields.Integer()
    media_urls = fields.List(fields.String())
    received_at = fields.DateTime()
    stored_at = fields.DateTime()
    raw = fields.Dict()
    keyword_event = fields.Method("keyword_event_of", metadata={"description": "what the keyword pipeline did"})

    def keyword_event_of(self, row: InboundMessageRow) -> dict[str, Any] | None:
        if row.category is None:
            return None
        return {
            "category": row.category,
            "match": row.match,
            "keyword": row.keyword,
            "rule": row.rule,
            "decided_by": row.decided_by,
            "action": row.action,
            "reply_text": row.reply_text,
            "canonical_text": row.canonical_text,
        }


class ReportOut(Schema):
    id = fields.Integer()
    webhook_id = fields.String()
    vendor = fields.String()
    vendor_message_id = fields.String()
    message_id = fields.String(allow_none=True)
    recipient = fields.String()
    status = fields.String()
    vendor_status = fields.String()
    final = fields.Boolean()
    error_code = fields.String(allow_none=True)
    error_reason = fields.String(allow_none=True)
    failure_category = fields.String(allow_none=True)
    failure_type = fields.String(allow_none=True)
    occurred_at = fields.DateTime()
    stored_at = fields.DateTime()
    raw = fields.Dict()


class InboundPage(Schema):
    items = fields.List(fields.Nested(InboundOut))
    next_cursor = fields.Integer(allow_none=True)


class ReportPage(Schema):
    items = fields.List(fields.Nested(ReportOut))
    next_cursor = fields.Integer(allow_none=True)


class MessageOut(Schema):
    id = fields.String()
    kind = fields.String(metadata={"description": "reply, transactional, or reported (not sent by smshooks)"})
    vendor = fields.String()
    vendor_message_id = fields.String(allow_none=True)
    sender = fields.String(allow_none=True)
    recipient = fields.String()
    text = fields.String(allow_none=True)
    error_code = fields.String(allow_none=True)
    error_reason = fields.String(allow_none=True)
    inbound_message_id = fields.Integer(allow_none=True)
    request_id = fields.String(allow_none=True, metadata={"description": "the send request (transactional)"})
    channel_id = fields.String(allow_none=True)
    campaign_id = fields.String(allow_none=True)
    campaign_version_id = fields.String(allow_none=True)
    message_type = fields.String(allow_none=True)
    exclusion = fields.String(allow_none=True, metadata={"description": "why it was not sent (opted_out)"})
    retry_count = fields.Integer()
    encoding = fields.String(allow_none=True)
    segments = fields.Integer(allow_none=True)
    history = fields.List(
        fields.Dict(),
        metadata={"description": "every status the message went through: {status, at, source, vendor_status}"},
    )
    status = fields.String()
    status_at = fields.DateTime()
    created_at = fields.DateTime()
    reports = fields.List(fields.Nested(ReportOut), metadata={"description": "every report, oldest first"})


@blp.route("/inbound-messages")
@blp.arguments(InboundFilter, location="query")
@blp.response(200, InboundPage)
def list_inbound(args: dict[str, Any]) -> dict[str, Any]:
    """Inbound messages, newest first; filter by webhook and phone number."""
    query = select(InboundMessageRow).where(*scoped(InboundMessageRow))
    if args.get("webhook_id"):
        query = query.where(InboundMessageRow.webhook_id == args["webhook_id"])
    if args.get("category"):
        query = query.where(InboundMessageRow.category == args["category"])
    if args.get("phone"):
        phone = to_e164(args["phone"])
        query = query.where(or_(InboundMessageRow.sender == phone, InboundMessageRow.recipient == phone))
    with gateway().db.session() as session:
        return page(session, query, InboundMessageRow.id, args["limit"], args["cursor"])


@blp.route("/delivery-reports")
@blp.arguments(ReportFilter, location="query")
@blp.response(200, ReportPage)
def list_reports(args: dict[str, Any]) -> dict[str, Any]:
    """Delivery reports, newest first; filter by webhook, phone, vendor message id, status."""
    query = select(DeliveryReportRow).where(*scoped(DeliveryReportRow))
    for name in ("webhook_id", "vendor_message_id", "status"):
        if args.get(name):
            query = query.where(getattr(DeliveryReportRow, name) == args[name])
    if args.get("phone"):
        query = query.where(DeliveryReportRow.recipient == to_e164(args["phone"]))
    with gateway().db.session() as session:
        return page(session, query, DeliveryReportRow.id, args["limit"], args["cursor"])


@blp.route("/messages/<message_id>")
@blp.response(200, MessageOut)
def get_message(message_id: str) -> dict[str, Any]:
    """A message, its current (forward-only) status and every report on it."""
    with gateway().db.session() as session:
        message = get_scoped(session, OutboundMessageRow, message_id, "message")
        reports = session.execute(
            select(DeliveryReportRow).where(DeliveryReportRow.message_id == message.id).order_by(DeliveryReportRow.id)
        ).scalars()
        columns = {c.name: getattr(message, c.name) for c in OutboundMessageRow.__table__.columns}
        reports = list(reports)
        return {**columns, "reports": reports, "history": _history(message, reports)}


def _history(message: OutboundMessageRow, reports: list[DeliveryReportRow]) -> list[dict[str, Any]]:
    """The statuses in the order they happened: smshooks' own (queued, or the
    error of an excluded or refused send) and then the vendor's reports."""
    history: list[dict[str, Any]] = []
    if message.kind != "reported":
        history.append({"status": "queued", "at": message.created_at.isoformat(), "source": "smshooks"})
    if message.error_code and not any(r.status == "error" for r in reports):
        at = message.status_at.isoformat()
        history.append({"status": "error", "at": at, "source": "smshooks", "reason": message.error_reason})
    for report in reports:
        history.append(
            {
                "status": report.status,
                "at": report.occurred_at.isoformat(),
                "source": "vendor",
                "vendor_status": report.vendor_status,
            }
        )
    return history
