"""``/api/v1/consent``: subscribers' consent and its ledger (read, export, administrator change).

The queries and the change are :mod:`smshooks.consent.service`; this module parses and answers.
"""

from __future__ import annotations

from typing import Any

from flask import Response, g
from marshmallow import Schema, fields, validate

from smshooks.consent import service
from smshooks.consent.service import STATES, SenderConsent, SubscriberConsent
from smshooks.store.pages import Page
from smshooks.web.api.base import ApiBlueprint
from smshooks.web.api.pagination import PageArgs
from smshooks.web.api.phones import PHONE_PATH_PARAMETER
from smshooks.web.context import current_scope, gateway

blp = ApiBlueprint(
    "consent",
    __name__,
    url_prefix="/api/v1/consent",
    description="Consent per subscriber and sender number, with an append-only ledger of every change.",
)


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
    # a Method field, as when it computed the state: the OpenAPI document stays as it was
    state = fields.Method("current_state", allow_none=True)
    pending_expires_at = fields.DateTime(
        allow_none=True,
        metadata={
            "description": "until when a double opt-in asked for waits for its confirmation: on a pending "
            "record, or on an opted-out one, whose opt-out stands until the subscriber confirms"
        },
    )
    updated_at = fields.DateTime()

    def current_state(self, record: SenderConsent) -> str | None:
        return record.state


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
    # checked by the service alone (service.sender_of_change): besides our sender addresses it takes
    # "*" and the sender of a record the subscriber already has, which only the database knows of
    sender_number = fields.String(
        required=True,
        metadata={
            "description": "our number, short code or alphanumeric sender id the consent is for; "
            '"*": every number (the record a STOPALL writes); or the sender number of one of the '
            "subscriber's records as stored"
        },
    )
    state = fields.String(required=True, validate=validate.OneOf([*STATES, "none"]))
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=1000))


@blp.route("/<phone>", methods=["GET"], parameters=[PHONE_PATH_PARAMETER])
@blp.response(200, SubscriberOut)
def get_subscriber(phone: str) -> SubscriberConsent:
    """A subscriber's consent per sender number, and its whole history."""
    return service.subscriber_consent(gateway(), current_scope(), phone)


@blp.route("/<phone>", methods=["PUT"], parameters=[PHONE_PATH_PARAMETER])
@blp.arguments(ConsentChange)
@blp.response(200, SubscriberOut)
def put_subscriber(data: dict[str, Any], phone: str) -> SubscriberConsent:
    """An administrator's change of consent, recorded in the ledger with who made it."""
    return service.change_consent(
        gateway(),
        current_scope(),
        phone,
        sender_number=data["sender_number"],
        state=data["state"],
        admin=g.api_key_prefix,
        note=data["note"],
    )


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
def list_consent(args: dict[str, Any]) -> Page[SenderConsent] | Response:
    """Consent records, newest first; ``?state=opted_out``; ``?format=csv`` exports every match."""
    filters = {"state": args.get("state"), "sender_number": args.get("sender_number")}
    if args["format"] == "csv":
        return Response(
            service.export_csv(gateway(), current_scope(), **filters),
            content_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'attachment; filename="consent.csv"'},
        )
    return service.list_consent(gateway(), current_scope(), **filters, limit=args["limit"], cursor=args["cursor"])
