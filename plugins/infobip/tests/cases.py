"""Infobip's conformance tables: real-format requests in, the exact events out.

Payload fixtures are in ``fixtures/`` in the shapes vendors.md §2 documents:
the ``MO_JSON_2`` inbound example, the ``MO_MMS_2`` inbound MMS of Infobip's
Java SDK tests (``infobip/infobip-api-java-client``
``src/test/java/com/infobip/api/MmsApiTest.java``, ``shouldParseInboundMmsMessages``
@12ee68aa), the v3 delivery report of Infobip's Python SDK tests, the legacy
v2 ``SmsReport`` shape (``from``, ``smsCount``), and the v3 send answer and error
bodies. Variants are made by editing the
parsed fixture, so each case shows exactly what it changes.
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from smshooks.events import DeliveryReport, FailureType, InboundMessage, OutboundMessage, Status
from smshooks.testing import (
    RECEIVED_AT,
    REFUSED,
    TIMEOUT,
    AcknowledgeCase,
    ExpectedRequest,
    ParseCase,
    SendCase,
    StatusCase,
    VendorReply,
    VerifyCase,
    fixture_text,
    form_request,
    json_request,
    replace_event,
)
from smshooks.vendor import PartlyMalformed, PayloadError, WebhookRequest

HERE = Path(__file__).parent


def fixture(name: str) -> str:
    return fixture_text(HERE, name)


def fixture_json(name: str) -> Any:
    return json.loads(fixture(name))


def variant(name: str, change: Callable[[Any], object]) -> str:
    """The fixture's JSON after ``change`` edited a copy of it in place."""
    payload = copy.deepcopy(fixture_json(name))
    change(payload)
    return json.dumps(payload)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# -- shared values ------------------------------------------------------------

HOOK_URL = "https://sms.example.com/hooks/wh_7fQ2kL9xZp4rT1vB"
API_KEY = "0f1e2d3c4b5a69788796a5b4c3d2e1f0-8a7b6c5d-4e3f-2a1b-0c9d-8e7f6a5b4c3d"
CREDENTIALS = {"base_url": "https://x1y2z3.api.infobip.com", "api_key": API_KEY}
WEBHOOK_USER = "infobip-hooks"
WEBHOOK_PASSWORD = "c0rrect horse: battery staple"
BASIC_CREDENTIALS = {**CREDENTIALS, "webhook_username": WEBHOOK_USER, "webhook_password": WEBHOOK_PASSWORD}

INBOUND = "inbound_mo_json2.json"
INBOUND_BATCH = "inbound_batch.json"
DLR_V3 = "dlr_v3_delivered.json"
DLR_V2 = "dlr_v2_delivered.json"
DLR_BATCH = "dlr_v3_batch.json"


def request(body: str) -> Any:
    return json_request(HOOK_URL, body)


# -- parse --------------------------------------------------------------------

QUIZ = InboundMessage(
    vendor="infobip",
    vendor_message_id="817790313235066447",
    sender="+385916242493",
    recipient="+385921004026",
    # the full text, keyword included (cleanText drops it)
    text="QUIZ Correct answer is Paris",
    # 16:10 at +05:30
    received_at=utc(2023, 8, 1, 10, 40),
    segments=1,
)

STOP = InboundMessage(
    vendor="infobip",
    vendor_message_id="817790313235066448",
    sender="+41793026727",
    recipient="+41793026700",
    text="STOP",
    received_at=utc(2019, 11, 9, 16, 0),
)

BATCH = [
    STOP,
    InboundMessage(
        vendor="infobip",
        vendor_message_id="817790313235066449",
        sender="+447700900123",
        recipient="+41793026700",
        text=(
            "Bonjour, je voudrais changer l'heure de mon rendez-vous de demain matin à l'après-midi "
            "si c'est possible, merci beaucoup et à bientôt !"
        ),
        # 16:00:05.123 at +01:00
        received_at=datetime(2019, 11, 9, 15, 0, 5, 123000, tzinfo=UTC),
        segments=3,
    ),
    InboundMessage(
        vendor="infobip",
        vendor_message_id="817790313235066450",
        sender="+14155550123",
        # a short code stays a short code
        recipient="89687",
        text="help",
        received_at=utc(2019, 11, 9, 16, 1),
    ),
]

DELIVERED = DeliveryReport(
    vendor="infobip",
    vendor_message_id="MESSAGE-ID-123-xyz",
    recipient="+41793026727",
    status=Status.DELIVERED,
    vendor_status="DELIVERED_TO_HANDSET",
    vendor_status_group="DELIVERED",
    # doneAt 16:10 at +05:30
    occurred_at=utc(2023, 8, 1, 10, 40),
    final=True,
)

DELIVERED_V2 = replace_event(DELIVERED, occurred_at=utc(2019, 11, 9, 16, 0, 2))

UNKNOWN_SUBSCRIBER = DeliveryReport(
    vendor="infobip",
    vendor_message_id="MESSAGE-ID-789-xyz",
    recipient="+385981178123",
    status=Status.BOUNCE,
    vendor_status="UNDELIVERABLE_NOT_DELIVERED",
    vendor_status_group="UNDELIVERABLE",
    occurred_at=utc(2019, 11, 9, 16, 0, 9),
    final=True,
    error_code="1",
    error_reason="EC_UNKNOWN_SUBSCRIBER: Unknown Subscriber",
    failure_category="unknown_number",
    failure_type=FailureType.HARD,
)


def _report(message_id: str, to: str, done_at: datetime, **fields: Any) -> DeliveryReport:
    return DeliveryReport(vendor="infobip", vendor_message_id=message_id, recipient=to, occurred_at=done_at, **fields)


DLR_BATCH_EVENTS = [
    _report(
        "2250be2d4219-3af1-78856-aabe-1362af1edfd2",
        "+41793026727",
        utc(2024, 3, 1, 9, 0, 1),
        status=Status.SENT,
        vendor_status="PENDING_ENROUTE",
        vendor_status_group="PENDING",
        final=False,
    ),
    _report(
        "3350be2d4219-3af1-23343-bbbb-1362af1edfd3",
        "+41793026834",
        utc(2024, 3, 1, 9, 0, 3),
        status=Status.SENT,
        vendor_status="DELIVERED_TO_OPERATOR",
        vendor_status_group="DELIVERED",
        final=False,
    ),
    _report(
        "4450be2d4219-3af1-12345-cccc-1362af1edfd4",
        "+41793026700",
        utc(2024, 3, 1, 9, 5),
        status=Status.BOUNCE,
        vendor_status="UNDELIVERABLE_NOT_DELIVERED",
        vendor_status_group="UNDELIVERABLE",
        final=True,
        error_code="6",
        error_reason="EC_ABSENT_SUBSCRIBER_SM: Absent Subscriber",
        failure_category="unreachable",
        failure_type=FailureType.SOFT,
    ),
    _report(
        "5550be2d4219-3af1-67890-dddd-1362af1edfd5",
        "+41793026701",
        datetime(2024, 3, 1, 9, 0, 0, 500000, tzinfo=UTC),
        status=Status.ERROR,
        vendor_status="REJECTED_DESTINATION_BLOCKLISTED",
        vendor_status_group="REJECTED",
        final=True,
        failure_category="opted_out",
    ),
    _report(
        "6650be2d4219-3af1-13579-eeee-1362af1edfd6",
        "+41793026702",
        utc(2024, 3, 3, 9, 0),
        status=Status.BOUNCE,
        vendor_status="EXPIRED_EXPIRED",
        vendor_status_group="EXPIRED",
        final=True,
        failure_category="expired",
    ),
]


def _first(change: Callable[[dict], object]) -> Callable[[Any], object]:
    """A change applied to ``results[0]``."""
    return lambda payload: change(payload["results"][0])


def _status(name: str | None, group: str, group_id: int, status_id: int = 999) -> Callable[[Any], object]:
    def change(item: dict) -> None:
        item["status"] = {"groupId": group_id, "groupName": group, "id": status_id, "description": "…"}
        if name is not None:
            item["status"]["name"] = name

    return _first(change)


def _set(**fields: Any) -> Callable[[Any], object]:
    return _first(lambda item: item.update(fields))


def _drop(*names: str) -> Callable[[Any], object]:
    return _first(lambda item: [item.pop(name) for name in names])


MMS = InboundMessage(
    vendor="infobip",
    vendor_message_id="817790313235066447",
    sender="+385916242493",
    recipient="+385921004026",
    text="This is message text",
    received_at=utc(2016, 10, 6, 9, 28, 39, 220000),
    media_urls=("https://examplelink.com/123456",),
)


def _mms_parts(*parts: dict[str, Any]) -> Callable[[Any], object]:
    return _set(message=list(parts))


PARSE = [
    # -- inbound MMS (MO_MMS_2: message[] of text and media parts) --------------
    ParseCase("inbound-mms-example-text-and-media", request(fixture("inbound_mms.json")), [MMS]),
    ParseCase(
        "inbound-mms-text-parts-joined-in-order",
        request(
            variant(
                "inbound_mms.json",
                _mms_parts(
                    {"contentType": "text/plain", "value": "STOP"},
                    {"contentType": "image/png", "url": " https://examplelink.com/a "},
                    {"contentType": "text/plain", "value": "please"},
                    {"contentType": "video/mp4", "url": "https://examplelink.com/b"},
                ),
            )
        ),
        [
            replace_event(
                MMS, text="STOP\nplease", media_urls=("https://examplelink.com/a", "https://examplelink.com/b")
            )
        ],
    ),
    ParseCase(
        "inbound-mms-media-only",
        request(variant("inbound_mms.json", _mms_parts({"contentType": "image/jpeg", "url": "https://e.com/1"}))),
        [replace_event(MMS, text="", media_urls=("https://e.com/1",))],
    ),
    ParseCase(
        "inbound-mms-no-parts",
        request(variant("inbound_mms.json", _mms_parts())),
        [replace_event(MMS, text="", media_urls=())],
    ),
    ParseCase(
        "inbound-mms-pull-shape-message-string",
        request(variant("inbound_mms.json", _set(message="YES"))),
        [replace_event(MMS, text="YES", media_urls=())],
    ),
    ParseCase(
        "error-mms-part-not-an-object",
        request(variant("inbound_mms.json", _mms_parts("image"))),  # type: ignore[arg-type]
        error=PayloadError,
    ),
    ParseCase(
        "error-mms-part-value-not-a-string",
        request(variant("inbound_mms.json", _mms_parts({"contentType": "text/plain", "value": ["x"]}))),
        error=PayloadError,
    ),
    ParseCase(
        "error-mms-part-url-not-a-string",
        request(variant("inbound_mms.json", _mms_parts({"contentType": "image/png", "url": {"href": "x"}}))),
        error=PayloadError,
    ),
    # -- wrong JSON types -------------------------------------------------------
    ParseCase("error-results-is-an-object", request('{"results": {"messageId": "1"}}'), error=PayloadError),
    ParseCase("error-result-is-a-string", request('{"results": ["817790313235066447"]}'), error=PayloadError),
    ParseCase("error-inbound-from-is-a-list", request(variant(INBOUND, _set(**{"from": ["1"]}))), error=PayloadError),
    ParseCase("error-inbound-text-is-an-object", request(variant(INBOUND, _set(text={"t": 1}))), error=PayloadError),
    ParseCase("error-inbound-sms-count-is-a-bool", request(variant(INBOUND, _set(smsCount=True))), error=PayloadError),
    ParseCase("error-inbound-sms-count-is-a-float", request(variant(INBOUND, _set(smsCount=1.5))), error=PayloadError),
    ParseCase("error-inbound-id-is-null", request(variant(INBOUND, _set(messageId=None))), error=PayloadError),
    ParseCase("error-dlr-status-is-a-string", request(variant(DLR_V3, _set(status="DELIVERED"))), error=PayloadError),
    ParseCase(
        "error-dlr-status-name-is-a-list", request(variant(DLR_V3, _set(status={"name": ["x"]}))), error=PayloadError
    ),
    ParseCase("error-dlr-error-is-a-list", request(variant(DLR_V3, _set(error=[1]))), error=PayloadError),
    ParseCase("error-dlr-done-at-is-a-number", request(variant(DLR_V3, _set(doneAt=1700000000))), error=PayloadError),
    # -- inbound --------------------------------------------------------------
    ParseCase("inbound-mo-json-2-example", request(fixture(INBOUND)), [QUIZ]),
    ParseCase("inbound-batch-three-messages", request(fixture(INBOUND_BATCH)), BATCH),
    ParseCase(
        "inbound-minimal-fields",
        request(fixture("inbound_minimal.json")),
        [replace_event(QUIZ, vendor_message_id="ABC-1-xyz", text="START", received_at=RECEIVED_AT)],
    ),
    ParseCase(
        "inbound-extra-and-cpaas-fields-ignored",
        request(fixture("inbound_cpaas_fields.json")),
        [
            replace_event(
                QUIZ,
                vendor_message_id="817790313235066451",
                text="YES",
                received_at=datetime(2024, 2, 29, 23, 59, 59, 999000, tzinfo=UTC),
            )
        ],
    ),
    ParseCase(
        "inbound-without-received-at-uses-arrival",
        request(variant(INBOUND, _drop("receivedAt"))),
        [replace_event(QUIZ, received_at=RECEIVED_AT)],
    ),
    ParseCase(
        "inbound-received-at-without-offset-is-utc",
        request(variant(INBOUND, _set(receivedAt="2023-08-01T16:10:00.000"))),
        [replace_event(QUIZ, received_at=utc(2023, 8, 1, 16, 10))],
    ),
    ParseCase(
        "inbound-received-at-z",
        request(variant(INBOUND, _set(receivedAt="2023-08-01T16:10:00Z"))),
        [replace_event(QUIZ, received_at=utc(2023, 8, 1, 16, 10))],
    ),
    ParseCase(
        "inbound-without-sms-count-is-one-segment",
        request(variant(INBOUND, _drop("smsCount"))),
        [QUIZ],
    ),
    ParseCase(
        "inbound-multipart-sms-count",
        request(variant(INBOUND, _set(smsCount=4))),
        [replace_event(QUIZ, segments=4)],
    ),
    ParseCase(
        "inbound-without-text-is-empty-not-clean-text",
        request(variant(INBOUND, _drop("text"))),
        [replace_event(QUIZ, text="")],
    ),
    ParseCase(
        "inbound-text-kept-verbatim",
        request(variant(INBOUND, _set(text=" Stop\n"))),
        [replace_event(QUIZ, text=" Stop\n")],
    ),
    ParseCase(
        "inbound-text-null-is-empty",
        request(variant(INBOUND, _set(text=None))),
        [replace_event(QUIZ, text="")],
    ),
    ParseCase(
        "inbound-numbers-with-plus-kept",
        request(variant(INBOUND, _set(**{"from": "+385916242493", "to": "+385921004026"}))),
        [QUIZ],
    ),
    ParseCase(
        "inbound-alphanumeric-recipient-kept",
        request(variant(INBOUND, _set(to="InfoSMS"))),
        [replace_event(QUIZ, recipient="InfoSMS")],
    ),
    ParseCase(
        "inbound-numeric-message-id",
        request(variant(INBOUND, _set(messageId=817790313235066447))),
        [QUIZ],
    ),
    ParseCase("inbound-empty-results", request('{"results": [], "messageCount": 0}'), []),
    # -- delivery reports ------------------------------------------------------
    ParseCase("dlr-v3-delivered-example", request(fixture(DLR_V3)), [DELIVERED]),
    ParseCase("dlr-v2-legacy-from-sms-count", request(fixture(DLR_V2)), [DELIVERED_V2]),
    ParseCase("dlr-v3-batch-every-group", request(fixture(DLR_BATCH)), DLR_BATCH_EVENTS),
    ParseCase(
        "dlr-v2-unknown-subscriber-permanent",
        request(fixture("dlr_v2_unknown_subscriber.json")),
        [UNKNOWN_SUBSCRIBER],
    ),
    ParseCase(
        "dlr-not-permanent-error-is-soft",
        request(variant("dlr_v2_unknown_subscriber.json", _first(lambda item: item["error"].update(permanent=False)))),
        [replace_event(UNKNOWN_SUBSCRIBER, failure_type=FailureType.SOFT)],
    ),
    ParseCase(
        "dlr-error-without-permanent-has-no-type",
        request(variant("dlr_v2_unknown_subscriber.json", _first(lambda item: item["error"].pop("permanent")))),
        [replace_event(UNKNOWN_SUBSCRIBER, failure_type=None)],
    ),
    ParseCase(
        "dlr-unlisted-error-name-uses-error-group",
        request(
            variant(
                "dlr_v2_unknown_subscriber.json",
                _first(
                    lambda item: item["error"].update(
                        groupId=3, groupName="OPERATOR_ERRORS", id=4001, name="EC_SOMETHING_NEW", description="New"
                    )
                ),
            )
        ),
        [
            replace_event(
                UNKNOWN_SUBSCRIBER,
                error_code="4001",
                error_reason="EC_SOMETHING_NEW: New",
                failure_category="not_delivered",
            )
        ],
    ),
    ParseCase(
        "dlr-unlisted-error-on-rejected-without-category",
        request(
            variant(
                DLR_V3,
                lambda payload: (
                    _status("REJECTED_SOMETHING_NEW", "REJECTED", 5)(payload),
                    payload["results"][0]["error"].update(
                        groupId=2, groupName="USER_ERRORS", id=4002, name="EC_USER_THING", description=None
                    ),
                ),
            )
        ),
        [
            replace_event(
                DELIVERED,
                status=Status.ERROR,
                vendor_status="REJECTED_SOMETHING_NEW",
                vendor_status_group="REJECTED",
                error_code="4002",
                error_reason="EC_USER_THING",
                failure_category="user_error",
                failure_type=FailureType.SOFT,
            )
        ],
    ),
    ParseCase(
        "dlr-without-error-object",
        request(variant(DLR_V3, _drop("error"))),
        [DELIVERED],
    ),
    ParseCase(
        "dlr-error-null",
        request(variant(DLR_V3, _set(error=None))),
        [DELIVERED],
    ),
    ParseCase(
        "dlr-failed-without-error-category-unknown",
        request(variant(DLR_V3, _status("UNDELIVERABLE_SOMETHING_NEW", "UNDELIVERABLE", 2))),
        [
            replace_event(
                DELIVERED,
                status=Status.BOUNCE,
                vendor_status="UNDELIVERABLE_SOMETHING_NEW",
                vendor_status_group="UNDELIVERABLE",
                failure_category="unknown",
            )
        ],
    ),
    ParseCase(
        "dlr-undocumented-name-falls-back-to-group",
        # the status name of Infobip's own SDK test, in the PENDING group
        request(variant(DLR_V3, _status("MESSAGE_ACCEPTED", "PENDING", 1, 26))),
        [
            replace_event(
                DELIVERED,
                status=Status.SENT,
                vendor_status="MESSAGE_ACCEPTED",
                vendor_status_group="PENDING",
                final=False,
            )
        ],
    ),
    ParseCase(
        "dlr-undocumented-name-in-accepted-group-is-queued",
        request(variant(DLR_V3, _status("ACCEPTED_SOMETHING", "ACCEPTED", 0))),
        [
            replace_event(
                DELIVERED,
                status=Status.QUEUED,
                vendor_status="ACCEPTED_SOMETHING",
                vendor_status_group="ACCEPTED",
                final=False,
            )
        ],
    ),
    ParseCase(
        "dlr-undocumented-name-and-group-is-unknown-not-refused",
        request(variant(DLR_V3, _status("TELEPORTED", "TELEPORTATION", 9))),
        [
            replace_event(
                DELIVERED,
                status=Status.UNKNOWN,
                vendor_status="TELEPORTED",
                vendor_status_group="TELEPORTATION",
                final=False,
            )
        ],
    ),
    ParseCase(
        "dlr-group-name-only",
        request(variant(DLR_V3, _status(None, "EXPIRED", 4))),
        [
            replace_event(
                DELIVERED,
                status=Status.BOUNCE,
                vendor_status="EXPIRED",
                vendor_status_group="EXPIRED",
                failure_category="unknown",
            )
        ],
    ),
    ParseCase(
        "dlr-name-decides-over-group",
        # DELIVERED_TO_OPERATOR is in the DELIVERED group but not delivered yet
        request(variant(DLR_V3, _status("DELIVERED_TO_OPERATOR", "DELIVERED", 3, 2))),
        [
            replace_event(
                DELIVERED,
                status=Status.SENT,
                vendor_status="DELIVERED_TO_OPERATOR",
                vendor_status_group="DELIVERED",
                final=False,
            )
        ],
    ),
    ParseCase(
        "dlr-expired-dlr-unknown-is-final-unknown",
        request(variant(DLR_V3, _status("EXPIRED_DLR_UNKNOWN", "EXPIRED", 4, 29))),
        [
            replace_event(
                DELIVERED,
                status=Status.UNKNOWN,
                vendor_status="EXPIRED_DLR_UNKNOWN",
                vendor_status_group="EXPIRED",
                final=True,
            )
        ],
    ),
    ParseCase(
        "dlr-rejected-in-rejected-group-named-undeliverable",
        request(variant(DLR_V3, _status("UNDELIVERABLE_REJECTED_PLATFORM", "REJECTED", 5, 100))),
        [
            replace_event(
                DELIVERED,
                status=Status.ERROR,
                vendor_status="UNDELIVERABLE_REJECTED_PLATFORM",
                vendor_status_group="REJECTED",
                failure_category="platform_rejected",
            )
        ],
    ),
    ParseCase(
        "dlr-without-done-at-uses-sent-at",
        request(variant(DLR_V2, _drop("doneAt"))),
        [replace_event(DELIVERED_V2, occurred_at=utc(2019, 11, 9, 16, 0))],
    ),
    ParseCase(
        "dlr-without-timestamps-uses-arrival",
        request(variant(DLR_V2, _drop("doneAt", "sentAt"))),
        [replace_event(DELIVERED_V2, occurred_at=RECEIVED_AT)],
    ),
    ParseCase(
        "dlr-without-to-keeps-report",
        request(variant(DLR_V3, _drop("to"))),
        [replace_event(DELIVERED, recipient=None)],
    ),
    ParseCase(
        "dlr-unknown-extra-fields-ignored",
        request(variant(DLR_V3, _set(channel="SMS", entityId="e", newThing={"a": [1]}))),
        [DELIVERED],
    ),
    ParseCase(
        "mixed-inbound-and-report-in-one-request",
        request(json.dumps({"results": fixture_json(INBOUND)["results"] + fixture_json(DLR_V2)["results"]})),
        [QUIZ, DELIVERED_V2],
    ),
    # -- refused ----------------------------------------------------------------
    ParseCase("error-not-json", request("results=[]"), error=PayloadError),
    ParseCase(
        "error-xml-report",
        json_request(HOOK_URL, "<reportResponse><results/></reportResponse>", {"Content-Type": "application/xml"}),
        error=PayloadError,
    ),
    ParseCase("error-form-encoded", form_request(HOOK_URL, {"messageId": "1", "text": "hi"}), error=PayloadError),
    ParseCase("error-empty-body", request(""), error=PayloadError),
    ParseCase("error-json-array", request("[]"), error=PayloadError),
    ParseCase("error-without-results", request('{"messageCount": 0}'), error=PayloadError),
    ParseCase("error-results-not-a-list", request('{"results": {"messageId": "1"}}'), error=PayloadError),
    ParseCase("error-result-not-an-object", request('{"results": ["817790313235066447"]}'), error=PayloadError),
    ParseCase("error-inbound-missing-message-id", request(variant(INBOUND, _drop("messageId"))), error=PayloadError),
    ParseCase("error-inbound-blank-message-id", request(variant(INBOUND, _set(messageId=" "))), error=PayloadError),
    ParseCase("error-report-missing-message-id", request(variant(DLR_V3, _drop("messageId"))), error=PayloadError),
    ParseCase("error-inbound-missing-from", request(variant(INBOUND, _drop("from"))), error=PayloadError),
    ParseCase("error-inbound-missing-to", request(variant(INBOUND, _drop("to"))), error=PayloadError),
    ParseCase(
        "error-one-bad-item-refuses-the-batch",
        request(variant(INBOUND_BATCH, lambda payload: payload["results"][2].pop("messageId"))),
        error=PayloadError,
    ),
    ParseCase(
        "error-neither-report-nor-inbound",
        request('{"results": [{"messageId": "1", "from": "385916242493", "to": "385921004026"}]}'),
        error=PayloadError,
    ),
    ParseCase("error-status-not-an-object", request(variant(DLR_V3, _set(status="DELIVERED"))), error=PayloadError),
    ParseCase(
        "error-status-without-name-or-group",
        request(variant(DLR_V3, _set(status={"groupId": 3, "id": 5}))),
        error=PayloadError,
    ),
    ParseCase("error-error-not-an-object", request(variant(DLR_V3, _set(error="NO_ERROR"))), error=PayloadError),
    ParseCase("error-bad-received-at", request(variant(INBOUND, _set(receivedAt="yesterday"))), error=PayloadError),
    ParseCase("error-date-only-done-at", request(variant(DLR_V3, _set(doneAt="2023-08-01"))), error=PayloadError),
    ParseCase("error-sms-count-not-integer", request(variant(INBOUND, _set(smsCount="two"))), error=PayloadError),
    ParseCase("error-sms-count-negative", request(variant(INBOUND, _set(smsCount=-1))), error=PayloadError),
    ParseCase("error-text-not-a-string", request(variant(INBOUND, _set(text=["STOP"]))), error=PayloadError),
]

# -- one malformed item in a batch ---------------------------------------------
# Each item is read on its own: a bad one beside a STOP is refused alone
# (PartlyMalformed carries the STOP, which the host stores: Infobip does not
# retry a 4xx); a batch of nothing but bad items is refused whole (PayloadError).

BATCH_STOP_ITEM = {
    **fixture_json(INBOUND)["results"][0],
    "messageId": "817790313235066501",
    "text": "STOP",
    "cleanText": "",
    "keyword": "STOP",
}
BATCH_STOP = replace_event(QUIZ, vendor_message_id="817790313235066501", text="STOP")
_BAD_BASE = {**BATCH_STOP_ITEM, "messageId": "817790313235066502"}

#: (label, a malformed item, what its reason says)
BAD_ITEMS: list[tuple[str, Any, str]] = [
    ("missing-from", {key: value for key, value in _BAD_BASE.items() if key != "from"}, "missing from"),
    ("text-a-number", {**_BAD_BASE, "text": 42}, "text is not a string"),
    (
        "neither-report-nor-message",
        {"messageId": "817790313235066502", "from": "385916242493", "to": "385921004026"},
        "neither a delivery report",
    ),
    ("not-an-object", "817790313235066502", "not an object"),
    (
        "report-status-a-string",
        {**fixture_json(DLR_V3)["results"][0], "status": "DELIVERED"},
        "status is not an object",
    ),
]


def batch(*items: Any) -> str:
    return json.dumps({"results": list(items)})


PARSE += [
    *(
        ParseCase(f"partly-{label}-beside-a-stop", request(batch(BATCH_STOP_ITEM, bad)), error=PartlyMalformed)
        for label, bad, _ in BAD_ITEMS
    ),
    ParseCase(
        "error-every-item-of-a-batch-malformed",
        request(batch(*(bad for _, bad, _ in BAD_ITEMS))),
        error=PayloadError,
    ),
    # Longer than the host's column, but an Infobip item: the host refuses it alone when storing.
    ParseCase(
        "batch-long-message-id-is-the-hosts-to-refuse",
        request(batch(BATCH_STOP_ITEM, {**_BAD_BASE, "messageId": "9" * 201})),
        [BATCH_STOP, replace_event(BATCH_STOP, vendor_message_id="9" * 201)],
    ),
]

# -- verify -------------------------------------------------------------------


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode("ascii")


GOOD_BASIC = basic(WEBHOOK_USER, WEBHOOK_PASSWORD)
INBOUND_BODY = fixture(INBOUND)


def authorized(value: str | None, body: str = INBOUND_BODY, name: str = "Authorization") -> Any:
    return json_request(HOOK_URL, body, {name: value} if value is not None else {})


VERIFY = [
    # Infobip signs nothing by default: without configured credentials the URL is the secret.
    VerifyCase("no-credentials-configured-accepts", authorized(None), CREDENTIALS, True),
    VerifyCase("no-credentials-configured-ignores-header", authorized("Bearer whatever"), CREDENTIALS, True),
    VerifyCase(
        "blank-credentials-are-not-configured",
        authorized(None),
        {**CREDENTIALS, "webhook_username": "", "webhook_password": None},
        True,
    ),
    # The password holds a colon: only the first one separates the username.
    VerifyCase("basic-matches", authorized(GOOD_BASIC), BASIC_CREDENTIALS, True),
    VerifyCase("basic-matches-on-report", authorized(GOOD_BASIC, body=fixture(DLR_V3)), BASIC_CREDENTIALS, True),
    VerifyCase("basic-scheme-case-insensitive", authorized("basic " + GOOD_BASIC[6:]), BASIC_CREDENTIALS, True),
    VerifyCase("header-name-case-insensitive", authorized(GOOD_BASIC, name="authorization"), BASIC_CREDENTIALS, True),
    VerifyCase(
        "unicode-password",
        authorized(basic("ünïcode", "pässwörd€")),
        {**CREDENTIALS, "webhook_username": "ünïcode", "webhook_password": "pässwörd€"},
        True,
    ),
    # Refused.
    VerifyCase("basic-missing-header", authorized(None), BASIC_CREDENTIALS, False),
    VerifyCase("basic-empty-header", authorized(""), BASIC_CREDENTIALS, False),
    VerifyCase(
        "basic-wrong-password", authorized(basic(WEBHOOK_USER, WEBHOOK_PASSWORD + "!")), BASIC_CREDENTIALS, False
    ),
    VerifyCase("basic-wrong-username", authorized(basic("infobip-hook", WEBHOOK_PASSWORD)), BASIC_CREDENTIALS, False),
    VerifyCase("basic-swapped", authorized(basic(WEBHOOK_PASSWORD, WEBHOOK_USER)), BASIC_CREDENTIALS, False),
    VerifyCase("basic-empty-credentials", authorized(basic("", "")), BASIC_CREDENTIALS, False),
    VerifyCase("bearer-scheme", authorized("Bearer " + GOOD_BASIC[6:]), BASIC_CREDENTIALS, False),
    VerifyCase("app-key-instead-of-basic", authorized("App " + API_KEY), BASIC_CREDENTIALS, False),
    VerifyCase("basic-not-base64", authorized("Basic not*base64!"), BASIC_CREDENTIALS, False),
    VerifyCase(
        "basic-without-colon",
        authorized("Basic " + base64.b64encode(WEBHOOK_USER.encode()).decode()),
        BASIC_CREDENTIALS,
        False,
    ),
    VerifyCase(
        "basic-not-utf8",
        authorized("Basic " + base64.b64encode(b"infobip-hooks:\xff\xfe").decode()),
        BASIC_CREDENTIALS,
        False,
    ),
    VerifyCase("basic-scheme-only", authorized("Basic "), BASIC_CREDENTIALS, False),
    # Half a configuration (stored before validation, or edited by hand) still fails closed.
    VerifyCase(
        "only-password-configured-requires-header",
        authorized(None),
        {**CREDENTIALS, "webhook_password": WEBHOOK_PASSWORD},
        False,
    ),
    VerifyCase(
        "only-username-configured-requires-header",
        authorized(None),
        {**CREDENTIALS, "webhook_username": WEBHOOK_USER},
        False,
    ),
]

# -- statuses -----------------------------------------------------------------

# Infobip's group ids (vendors.md §2.2); the names of each group as its docs list them.
GROUP_IDS = {"ACCEPTED": 0, "PENDING": 1, "UNDELIVERABLE": 2, "DELIVERED": 3, "EXPIRED": 4, "REJECTED": 5}


def _in(group: str, status: Status, *names: str) -> list[StatusCase]:
    return [StatusCase(name, status, group=group) for name in names]


STATUSES = [
    *_in("PENDING", Status.SENT, "PENDING_WAITING_DELIVERY", "PENDING_ENROUTE", "PENDING_ACCEPTED"),
    *_in(
        "UNDELIVERABLE",
        Status.BOUNCE,
        "UNDELIVERABLE_REJECTED_OPERATOR",
        "UNDELIVERABLE_NOT_DELIVERED",
        "UNDELIVERABLE_NOT_SENT",
    ),
    # The operator has it; the handset may not yet.
    *_in("DELIVERED", Status.SENT, "DELIVERED_TO_OPERATOR"),
    *_in("DELIVERED", Status.DELIVERED, "DELIVERED_TO_HANDSET"),
    *_in("EXPIRED", Status.BOUNCE, "EXPIRED_EXPIRED"),
    *_in("EXPIRED", Status.UNKNOWN, "EXPIRED_DLR_UNKNOWN"),
    *_in(
        "REJECTED",
        Status.ERROR,
        "REJECTED_NETWORK",
        "REJECTED_PREFIX_MISSING",
        "REJECTED_DND",
        "REJECTED_SOURCE",
        "REJECTED_NOT_ENOUGH_CREDITS",
        "REJECTED_SENDER",
        "REJECTED_DESTINATION_BLOCKLISTED",
        "REJECTED_PREPAID_PACKAGE_EXPIRED",
        "REJECTED_DESTINATION_NOT_REGISTERED",
        "REJECTED_ROUTE_NOT_AVAILABLE",
        "REJECTED_FLOODING_FILTER",
        "REJECTED_SYSTEM_ERROR",
        "REJECTED_DUPLICATE_MESSAGE_ID",
        "REJECTED_INVALID_UDH",
        "REJECTED_MESSAGE_TOO_LONG",
        "MISSING_TO",
        "REJECTED_DESTINATION",
        "SIGNALS_BLOCKED",
        # in the REJECTED group despite its name
        "UNDELIVERABLE_REJECTED_PLATFORM",
    ),
    # A report whose status has only a group name stores the group name.
    *(
        StatusCase(group, status, group=group)
        for group, status in [
            ("ACCEPTED", Status.QUEUED),
            ("PENDING", Status.SENT),
            ("UNDELIVERABLE", Status.BOUNCE),
            ("DELIVERED", Status.DELIVERED),
            ("EXPIRED", Status.BOUNCE),
            ("REJECTED", Status.ERROR),
        ]
    ),
    # A name Infobip added later maps as its group; the name decides when listed.
    StatusCase("PENDING_SOMETHING_NEW", Status.SENT, group="PENDING"),
    StatusCase("DELIVERED_TO_OPERATOR", Status.SENT, group="REJECTED"),
    # Infobip's names are upper case; another spelling is not documented.
    StatusCase("delivered_to_handset", Status.UNKNOWN),
    # An undocumented name cannot be placed without its group.
    StatusCase("PENDING_SOMETHING_NEW", Status.UNKNOWN),
    StatusCase("TELEPORTED", Status.UNKNOWN, group="TELEPORTATION"),
]


def status_report(case: StatusCase) -> WebhookRequest:
    """The v3 delivery report example carrying the row's status name (in its group, when the row has one)."""
    status: dict[str, Any] = {"id": 999, "description": "…"}
    if case.group is not None:
        status |= {"groupId": GROUP_IDS.get(case.group, 9), "groupName": case.group}
    if case.vendor_status != case.group:
        status["name"] = case.vendor_status
    return request(variant(DLR_V3, _set(status=status)))


# -- acknowledge ----------------------------------------------------------------

# Infobip expects a 2xx and nothing in it; replies go out through the send API.
ACKNOWLEDGE = [
    AcknowledgeCase("ack-report-empty-200"),
    AcknowledgeCase("ack-replies-not-inline", replies=["Reply STOP to opt out"]),
]

# -- send ---------------------------------------------------------------------

SERVER_CREDENTIALS = {**CREDENTIALS, "base_url": "{server}"}
MESSAGES_PATH = "/sms/3/messages"
DELIVERY_URL = "https://sms.example.com/hooks/wh_3mN8bV5cX2zL6kJ4"
SENT_ID = "2250be2d4219-3af1-78856-aabe-1362af1edfd2"

OTP = OutboundMessage(
    sender="InfoSMS",
    recipient="+41793026727",
    text="Your code is 1234",
    status_callback_url=DELIVERY_URL,
    reference="msg_0f1e2d3c4b5a69788796a5b4",
)
BARE = OutboundMessage(sender=None, recipient="+41793026727", text="Your code is 1234")
PENDING = VendorReply(200, json=fixture_json("send_pending.json"))


def _error(status: int, name: str, **headers: str) -> VendorReply:
    return VendorReply(status, json=fixture_json(name), headers=headers)


SEND = [
    SendCase(
        "send-v3-with-delivery-url",
        OTP,
        SERVER_CREDENTIALS,
        PENDING,
        ExpectedRequest(
            "POST",
            MESSAGES_PATH,
            headers={"Authorization": "App " + API_KEY, "Content-Type": "application/json"},
            json={
                "messages": [
                    {
                        "sender": "InfoSMS",
                        "destinations": [{"to": "41793026727"}],
                        "content": {"text": "Your code is 1234"},
                        "webhooks": {
                            "delivery": {"url": DELIVERY_URL},
                            "contentType": "application/json",
                            "callbackData": "msg_0f1e2d3c4b5a69788796a5b4",
                        },
                    }
                ]
            },
        ),
        message_id=SENT_ID,
    ),
    SendCase(
        "send-numeric-sender-without-plus",
        OutboundMessage(sender="+41793026700", recipient="+385 91 624 2493", text="Hi ✓"),
        SERVER_CREDENTIALS,
        PENDING,
        ExpectedRequest(
            "POST",
            MESSAGES_PATH,
            json={
                "messages": [
                    {
                        "sender": "41793026700",
                        "destinations": [{"to": "385916242493"}],
                        "content": {"text": "Hi ✓"},
                    }
                ]
            },
        ),
        message_id=SENT_ID,
    ),
    SendCase(
        "send-without-sender-uses-account-default",
        BARE,
        SERVER_CREDENTIALS,
        PENDING,
        ExpectedRequest(
            "POST",
            MESSAGES_PATH,
            json={"messages": [{"destinations": [{"to": "41793026727"}], "content": {"text": "Your code is 1234"}}]},
        ),
        message_id=SENT_ID,
    ),
    SendCase(
        "send-base-url-trailing-slash",
        BARE,
        {**CREDENTIALS, "base_url": "{server}/"},
        PENDING,
        ExpectedRequest("POST", MESSAGES_PATH),
        message_id=SENT_ID,
    ),
    SendCase(
        "send-rejected-in-answer",
        OTP,
        SERVER_CREDENTIALS,
        VendorReply(200, json=fixture_json("send_rejected.json")),
        ExpectedRequest("POST", MESSAGES_PATH),
        retryable=False,
        error_code="REJECTED_NOT_ENOUGH_CREDITS",
    ),
    SendCase(
        "send-2xx-without-message-id",
        OTP,
        SERVER_CREDENTIALS,
        VendorReply(200, json={"bulkId": "1", "messages": []}),
        retryable=False,
    ),
    SendCase(
        "send-2xx-not-json",
        OTP,
        SERVER_CREDENTIALS,
        VendorReply(200, body="OK", headers={"Content-Type": "text/plain"}),
        retryable=False,
    ),
    SendCase(
        "send-bad-request-400",
        OTP,
        SERVER_CREDENTIALS,
        _error(400, "send_error_400.json"),
        retryable=False,
        error_code="E400",
    ),
    SendCase(
        "send-bad-api-key-401-legacy-body",
        OTP,
        SERVER_CREDENTIALS,
        _error(401, "send_error_401_legacy.json"),
        retryable=False,
        error_code="UNAUTHORIZED",
    ),
    SendCase(
        "send-forbidden-403",
        OTP,
        SERVER_CREDENTIALS,
        VendorReply(403, json={"errorCode": "E403", "description": "Forbidden"}),
        retryable=False,
        error_code="E403",
    ),
    SendCase("send-not-found-404", OTP, SERVER_CREDENTIALS, VendorReply(404, body=""), retryable=False),
    SendCase(
        "send-rate-limited-429",
        OTP,
        SERVER_CREDENTIALS,
        _error(429, "send_error_429.json", **{"Retry-After": "30"}),
        retryable=True,
        error_code="E429",
    ),
    SendCase("send-request-timeout-408", OTP, SERVER_CREDENTIALS, VendorReply(408, body=""), retryable=True),
    SendCase(
        "send-server-error-500-legacy-body",
        OTP,
        SERVER_CREDENTIALS,
        _error(500, "send_error_500_legacy.json"),
        retryable=True,
        error_code="GENERAL_ERROR",
    ),
    SendCase(
        "send-gateway-error-502-html",
        OTP,
        SERVER_CREDENTIALS,
        VendorReply(502, body="<html><body>Bad Gateway</body></html>", headers={"Content-Type": "text/html"}),
        retryable=True,
    ),
    SendCase(
        "send-unavailable-503",
        OTP,
        SERVER_CREDENTIALS,
        VendorReply(503, body="", headers={"Retry-After": "120"}),
        retryable=True,
    ),
    SendCase("send-timeout", OTP, SERVER_CREDENTIALS, TIMEOUT, retryable=True),
    SendCase("send-connection-refused", OTP, SERVER_CREDENTIALS, REFUSED, retryable=True),
]


# -- every shape with each value replaced by another JSON type -----------------------

TYPE_CONFUSION = [
    (name.removesuffix(".json"), fixture_json(name))
    for name in ("inbound_mo_json2.json", "inbound_mms.json", "dlr_v3_delivered.json", "dlr_v2_unknown_subscriber.json")
]
