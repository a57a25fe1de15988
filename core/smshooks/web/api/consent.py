"""``/api/v1/consent``: subscribers' consent and its ledger (read, export, administrator change)."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Response, g
from marshmallow import Schema, ValidationError, fields, validate, validates
from sqlalchemy import select

from smshooks.consent.ledger import ConsentState, Evidence, change, effective_state, record_for_update
from smshooks.store.tables import ConsentLedgerEntry, ConsentRecord
from smshooks.vendor import to_e164
from smshooks.web.api.base import ApiBlueprint
from smshooks.web.api.pagination import PageArgs, page
from smshooks.web.api.phones import E164_PATTERN, PHONE_PATH_PARAMETER, phone_from_path
from smshooks.web.api.scope import scoped
from smshooks.web.context import gateway

blp = ApiBlueprint(
    "consent",
    __name__,
    url_prefix="/api/v1/consent",
    description="Consent per subscriber and sender number, with an append-only ledger of every change.",
)

STATES = [s.value for s in ConsentState]


class LedgerOut(Schema):
    id = fields.Integer()
    at = fields.DateTime()
    sender_number = fields.String()
    previous_state = fields.String(allow_none=True)
    new_state = fields.String(allow_none=True)
    action = fields.String()
    inbound_message_id = fields.Integer(allow_none=True)
    keyword = fields.String(allow_none=True)
    category = fields.String(allow_none=True)
    match = fields.String(allow_none=True)
    rule = fields.String(allow_none=True)
    decided_by = fields.String(allow_none=True, metadata={"description": "the plugin that decided; null: the rules"})
    reply_text = fields.String(allow_none=True)
    actor = fields.String()
    note = fields.String(allow_none=True)


class RecordOut(Schema):
    id = fields.Integer()
    subscriber = fields.String()
    sender_number = fields.String()
    state = fields.Method("current_state", allow_none=True)
    pending_expires_at = fields.DateTime(allow_none=True)
    updated_at = fields.DateTime()

    def current_state(self, record: ConsentRecord) -> str | None:
        state = effective_state(record)
        return state.value if state else None


class SubscriberOut(Schema):
    subscriber = fields.String()
    senders = fields.List(fields.Nested(RecordOut), metadata={"description": "state per sender number"})
    history = fields.List(fields.Nested(LedgerOut), metadata={"description": "every change, oldest first"})


class ConsentFilter(PageArgs):
    state = fields.String(validate=validate.OneOf(STATES))
    sender_number = fields.String()
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "csv"]))


class ConsentPage(Schema):
    items = fields.List(fields.Nested(RecordOut))
    next_cursor = fields.Integer(allow_none=True)


class ConsentChange(Schema):
    sender_number = fields.String(
        required=True, metadata={"description": "our number the consent is for", "pattern": E164_PATTERN}
    )
    state = fields.String(required=True, validate=validate.OneOf([*STATES, "none"]))
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1000))

    @validates("sender_number")
    def check_sender(self, value: str, **_: Any) -> None:
        if not to_e164(value):
            raise ValidationError("our sender number")


def _subscriber(phone: str) -> dict[str, Any]:
    number = phone_from_path(phone)
    with gateway().db.session() as session:
        records = session.execute(
            select(ConsentRecord)
            .where(*scoped(ConsentRecord), ConsentRecord.subscriber == number)
            .order_by(ConsentRecord.sender_number)
        ).scalars()
        history = session.execute(
            select(ConsentLedgerEntry)
            .where(*scoped(ConsentLedgerEntry), ConsentLedgerEntry.subscriber == number)
            .order_by(ConsentLedgerEntry.id)
        ).scalars()
        return {"subscriber": number, "senders": list(records), "history": list(history)}


@blp.route("/<phone>", methods=["GET"], parameters=[PHONE_PATH_PARAMETER])
@blp.response(200, SubscriberOut)
def get_subscriber(phone: str) -> dict[str, Any]:
    """A subscriber's consent per sender number, and its whole history."""
    return _subscriber(phone)


@blp.route("/<phone>", methods=["PUT"], parameters=[PHONE_PATH_PARAMETER])
@blp.arguments(ConsentChange)
@blp.response(200, SubscriberOut)
def put_subscriber(data: dict[str, Any], phone: str) -> dict[str, Any]:
    """An administrator's change of consent, recorded in the ledger with who made it."""
    number = phone_from_path(phone)
    sender = to_e164(data["sender_number"])
    new_state = None if data["state"] == "none" else ConsentState(data["state"])
    with gateway().db.transaction() as session:
        record = record_for_update(session, g.org, g.sandbox, sender, number)
        if effective_state(record) != new_state:
            change(
                session,
                record,
                new_state,
                Evidence(action="admin_change", actor=f"admin:{g.api_key_prefix}", note=data["note"]),
            )
    return _subscriber(phone)


CSV_EXPORT = {
    "text/csv": {
        "schema": {"type": "string"},
        "example": "subscriber,sender_number,state,pending_expires_at,updated_at\r\n",
    }
}


@blp.route("", methods=["GET"])
@blp.arguments(ConsentFilter, location="query")
@blp.response(200, ConsentPage, description="a page of records (JSON), or every match as CSV (format=csv)")
@blp.doc(responses={200: {"content": CSV_EXPORT}})
def list_consent(args: dict[str, Any]) -> Any:
    """Consent records, newest first; ``?state=opted_out``; ``?format=csv`` exports every match."""
    query = select(ConsentRecord).where(*scoped(ConsentRecord))
    if args.get("state"):
        query = query.where(ConsentRecord.state == args["state"])
    if args.get("sender_number"):
        query = query.where(ConsentRecord.sender_number == to_e164(args["sender_number"]))
    with gateway().db.session() as session:
        if args["format"] == "csv":
            return _csv(session.execute(query.order_by(ConsentRecord.id)).scalars())
        return page(session, query, ConsentRecord.id, args["limit"], args["cursor"])


def _csv(records: Any) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["subscriber", "sender_number", "state", "pending_expires_at", "updated_at"])
    for record in records:
        state = effective_state(record)
        writer.writerow(
            [
                record.subscriber,
                record.sender_number,
                state.value if state else "",
                record.pending_expires_at.isoformat() if record.pending_expires_at else "",
                record.updated_at.isoformat(),
            ]
        )
    return Response(
        out.getvalue(),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="consent.csv"'},
    )
