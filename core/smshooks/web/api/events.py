"""``/api/v1/inbound-messages``, ``/delivery-reports``, ``/messages``: the stored events.

The queries are :mod:`smshooks.inbound.queries` and :mod:`smshooks.messages.queries`;
this module parses and answers.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

from marshmallow import Schema, fields, validate

from smshooks.events import Status
from smshooks.inbound import queries as inbound_queries
from smshooks.messages import call_log
from smshooks.messages import queries as message_queries
from smshooks.messages.redaction import EXCERPT_LIMIT, MASK
from smshooks.store.pages import DEFAULT_LIMIT, MAX_LIMIT, Page
from smshooks.store.tables import DeliveryReportRow, InboundMessageRow, OutboundMessageRow
from smshooks.web.api.base import ApiBlueprint
from smshooks.web.api.pagination import PageArgs
from smshooks.web.context import current_scope, gateway

blp = ApiBlueprint("events", __name__, url_prefix="/api/v1", description="Normalized events, newest first.")


class InboundFilter(PageArgs):
    webhook_id = fields.String()
    phone = fields.String(metadata={"description": "sender or recipient number"})
    category = fields.String(
        validate=validate.OneOf(inbound_queries.CATEGORIES),
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
        return inbound_queries.keyword_event(row)


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


class VendorCallOut(Schema):
    attempt = fields.Integer(metadata={"description": "the send attempt (1, 2, …) the call belongs to"})
    number = fields.Integer(metadata={"description": "the call's place in its attempt (a token fetch, then the send)"})
    at = fields.DateTime(metadata={"description": "when the request started (UTC)"})
    method = fields.String()
    url = fields.String(metadata={"description": f"secret query values and credential secrets read {MASK}"})
    status_code = fields.Integer(allow_none=True, metadata={"description": "null when there was no answer"})
    error = fields.String(allow_none=True, metadata={"description": "the transport error, when there was no answer"})
    duration_ms = fields.Integer()
    request_excerpt = fields.String(
        allow_none=True, metadata={"description": f"the request body: at most {EXCERPT_LIMIT} characters, redacted"}
    )
    response_excerpt = fields.String(
        allow_none=True, metadata={"description": f"the answer's body: at most {EXCERPT_LIMIT} characters, redacted"}
    )


class VendorCallList(Schema):
    items = fields.List(fields.Nested(VendorCallOut), metadata={"description": "oldest first"})
    max_calls = fields.Integer(metadata={"description": "the calls kept per message (the newest)"})


class MessageFilter(Schema):
    limit = fields.Integer(load_default=DEFAULT_LIMIT, validate=validate.Range(1, MAX_LIMIT))
    cursor = fields.String(
        load_default=None,
        validate=validate.Length(1, 200),
        metadata={"description": "next_cursor of the previous page"},
    )
    status = fields.String(validate=validate.OneOf([s.value for s in Status]), metadata={"description": "current"})
    phone = fields.String(metadata={"description": "recipient number"})
    webhook_id = fields.String(metadata={"description": "the vendor webhook reporting on it"})
    channel_id = fields.String()
    campaign_id = fields.String()
    kind = fields.String(validate=validate.OneOf(["reply", "transactional", "reported"]))
    since = fields.AwareDateTime(default_timezone=UTC, metadata={"description": "created at or after"})
    until = fields.AwareDateTime(default_timezone=UTC, metadata={"description": "created before"})


class MessageListItem(MessageOut):
    """A message in a list: without its reports and history (``GET /messages/<id>`` has them)."""

    class Meta:
        exclude = ("reports", "history")


class MessagePage(Schema):
    items = fields.List(fields.Nested(MessageListItem))
    next_cursor = fields.String(allow_none=True, metadata={"description": "opaque: pass it as cursor"})


@blp.route("/inbound-messages")
@blp.arguments(InboundFilter, location="query")
@blp.response(200, InboundPage)
def list_inbound(args: dict[str, Any]) -> Page[InboundMessageRow]:
    """Inbound messages, newest first; filter by webhook and phone number."""
    return inbound_queries.list_inbound(gateway(), current_scope(), **args)


@blp.route("/delivery-reports")
@blp.arguments(ReportFilter, location="query")
@blp.response(200, ReportPage)
def list_reports(args: dict[str, Any]) -> Page[DeliveryReportRow]:
    """Delivery reports, newest first; filter by webhook, phone, vendor message id, status."""
    return message_queries.list_reports(gateway(), current_scope(), **args)


@blp.route("/messages", methods=["GET"])
@blp.arguments(MessageFilter, location="query")
@blp.response(200, MessagePage)
def list_messages(args: dict[str, Any]) -> Page[OutboundMessageRow]:
    """Outbound messages, newest first; filter by status, recipient, webhook, channel, campaign, kind, date."""
    filters = {name: value for name, value in args.items() if name != "phone"}
    return message_queries.list_messages(gateway(), current_scope(), recipient=args.get("phone"), **filters)


@blp.route("/messages/<message_id>")
@blp.response(200, MessageOut)
def get_message(message_id: str) -> dict[str, Any]:
    """A message, its current (forward-only) status and every report on it."""
    detail = message_queries.get_message(gateway(), current_scope(), message_id)
    columns = {c.name: getattr(detail.message, c.name) for c in OutboundMessageRow.__table__.columns}
    return {**columns, "reports": detail.reports, "history": detail.history}


@blp.route("/messages/<message_id>/calls")
@blp.response(200, VendorCallList)
def list_vendor_calls(message_id: str) -> dict[str, Any]:
    """Every HTTP call the vendor plugin made to send the message, across attempts: method, URL, status or
    error, duration, and redacted excerpts of both bodies (no headers, no secrets)."""
    calls = call_log.list_calls(gateway(), current_scope(), message_id)
    return {"items": calls, "max_calls": call_log.MAX_CALLS_PER_MESSAGE}
