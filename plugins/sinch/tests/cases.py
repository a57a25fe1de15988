"""Sinch's conformance tables: real-format callbacks in, the exact events out.

Payload fixtures are in ``fixtures/``: the examples of vendors.md §3 verbatim
(``mo_text.json``, ``delivery_report_full.json``,
``recipient_report_aborted_412.json``) and variants in the shape of Sinch's
SDK models. Known-good signatures are literals: Sinch's documented test vector
(vendors.md §3.4) and, for our fixtures, values computed once with the Sinch
Python SDK's ``calculate_sinch_event_signature`` — never with the code under test.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta
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
    json_request,
    replace_event,
)
from smshooks.vendor import PayloadError, WebhookRequest

HERE = Path(__file__).parent


def fixture(name: str) -> str:
    return fixture_text(HERE, name)


def fixture_json(name: str) -> dict[str, Any]:
    return json.loads(fixture(name))


def changed(name: str, drop: tuple[str, ...] = (), **values: Any) -> str:
    """A fixture's payload with fields dropped or set, as a JSON body."""
    payload = fixture_json(name)
    for key in drop:
        del payload[key]
    payload.update(values)
    return json.dumps(payload, ensure_ascii=False)


# -- shared values ------------------------------------------------------------

HOOK_URL = "https://sms.example.com/hooks/wh_Sn7cH4kQ2xV9bM3p"
SERVICE_PLAN_ID = "4a1f0c9e8d7b6a5f4e3d2c1b0a9f8e7d"
API_TOKEN = "7d3f9a1c5e2b4d6f8a0c1e3b5d7f9a2c"
WEBHOOK_SECRET = "sinch-hmac-secret-4b1f9e2a"
CREDENTIALS = {"service_plan_id": SERVICE_PLAN_ID, "api_token": API_TOKEN, "region": "us"}
SIGNED_CREDENTIALS = {**CREDENTIALS, "webhook_secret": WEBHOOK_SECRET}
#: RECEIVED_AT in Unix seconds: a request signed "now"
NOW = int(RECEIVED_AT.timestamp())

MO_TEXT = fixture("mo_text.json")
REPORT_412 = fixture("recipient_report_aborted_412.json")
FULL_MIXED = fixture("delivery_report_full_mixed.json")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def request(body: str, headers: dict[str, str] | None = None, **kwargs: Any) -> WebhookRequest:
    return json_request(HOOK_URL, body, headers, **kwargs)


# -- parse --------------------------------------------------------------------

HELLO = InboundMessage(
    vendor="sinch",
    vendor_message_id="01W4FFL35P4NC4K35SMSBATCH8",
    sender="+12015555555",
    recipient="+12017777777",
    text="Hello John! \N{WAVING HAND SIGN}",
    received_at=at("2024-06-06T07:52:37.386Z"),
)

STOP = InboundMessage(
    vendor="sinch",
    vendor_message_id="01HZX3V8K2Q4T6Y8A0C2E4G6J8",
    sender="+447700900123",
    recipient="+447520650600",
    text="STOP",
    received_at=at("2025-11-13T12:44:59.004Z"),
)

BINARY = InboundMessage(
    vendor="sinch",
    vendor_message_id="01HZX3V8K2Q4T6Y8A0C2E4G6M2",
    sender="+33612345678",
    recipient="+33644630000",
    text="Arrêt STOP",
    received_at=at("2025-11-13T12:46:00.250Z"),
)

MEDIA_BASE = "https://media.sinch.com/mms/01HZX3V8K2Q4T6Y8A0C2E4G6P6/"
MMS = InboundMessage(
    vendor="sinch",
    vendor_message_id="01HZX3V8K2Q4T6Y8A0C2E4G6P6",
    sender="+12015555555",
    recipient="+12017777777",
    text="Here are the photos \N{CAMERA}",
    received_at=at("2025-11-13T12:47:00Z"),
    media_urls=(MEDIA_BASE + "1.jpg", MEDIA_BASE + "2.png"),
)

ABORTED_412 = DeliveryReport(
    vendor="sinch",
    vendor_message_id="01W4FFL35P4NC4K35SMSBATCH9",
    recipient="+12010000000",
    status=Status.ERROR,
    vendor_status="Aborted",
    occurred_at=at("2024-06-06T08:17:15.603Z"),
    final=True,
    error_code="412",
    error_reason="Unprovisioned region",
    failure_category="unprovisioned_region",
    failure_type=FailureType.HARD,
)

DELIVERED = DeliveryReport(
    vendor="sinch",
    vendor_message_id="01HZX4A1B2C3D4E5F6G7H8J9K2",
    recipient="+447700900123",
    status=Status.DELIVERED,
    vendor_status="Delivered",
    occurred_at=at("2025-11-13T12:45:03.118Z"),
    final=True,
)

NO_ERROR = {"error_code": None, "error_reason": None, "failure_category": None, "failure_type": None}


def _full(recipient: str, **changes: Any) -> DeliveryReport:
    report = DeliveryReport(
        vendor="sinch",
        vendor_message_id="01HZX4A1B2C3D4E5F6G7H8J9K0",
        recipient=recipient,
        status=Status.DELIVERED,
        vendor_status="Delivered",
        # Batch reports carry no time of their own.
        occurred_at=RECEIVED_AT,
        final=True,
    )
    return dataclasses.replace(report, **changes)


def _recipient(vendor_status: str, code: int | None) -> str:
    """The 412 example with another status and code (``None``: no code field)."""
    values: dict[str, Any] = {"status": vendor_status}
    if code is not None:
        values["code"] = code
    return changed("recipient_report_aborted_412.json", drop=() if code is not None else ("code",), **values)


PARSE = [
    # -- inbound -----------------------------------------------------------------
    ParseCase("mo-text-vendors-md-example", request(MO_TEXT), [HELLO]),
    ParseCase(
        "mo-text-without-optional-fields-dated-on-arrival",
        request(changed("mo_text.json", drop=("operator_id", "received_at"))),
        [replace_event(HELLO, received_at=RECEIVED_AT)],
    ),
    ParseCase(
        "mo-text-every-optional-and-unknown-fields",
        request(fixture("mo_text_stop_all_fields.json")),
        [STOP],
    ),
    ParseCase(
        "mo-text-short-code-recipient",
        request(fixture("mo_text_short_code.json")),
        [
            InboundMessage(
                vendor="sinch",
                vendor_message_id="01HZX3V8K2Q4T6Y8A0C2E4G6K0",
                sender="+14155550123",
                recipient="89687",
                text="help",
                received_at=at("2025-11-13T12:45:10.500Z"),
            )
        ],
    ),
    ParseCase(
        "mo-text-numbers-already-with-plus",
        request(changed("mo_text.json", **{"from": "+12015555555", "to": "+12017777777"})),
        [HELLO],
    ),
    ParseCase(
        "mo-text-received-at-with-offset-becomes-utc",
        request(changed("mo_text.json", received_at="2024-06-06T09:52:37.386+02:00")),
        [HELLO],
    ),
    ParseCase(
        "mo-text-received-at-without-zone-is-utc",
        request(changed("mo_text.json", received_at="2024-06-06T07:52:37")),
        [replace_event(HELLO, received_at=datetime(2024, 6, 6, 7, 52, 37, tzinfo=UTC))],
    ),
    ParseCase("mo-text-empty-body", request(changed("mo_text.json", body="")), [replace_event(HELLO, text="")]),
    ParseCase("mo-binary-utf8-text-decoded", request(fixture("mo_binary_text.json")), [BINARY]),
    ParseCase(
        "mo-binary-wap-push-has-no-text",
        request(fixture("mo_binary_wap_push.json")),
        [
            replace_event(
                BINARY,
                vendor_message_id="01HZX3V8K2Q4T6Y8A0C2E4G6N4",
                text="",
                received_at=at("2025-11-13T12:46:30Z"),
            )
        ],
    ),
    ParseCase(
        "mo-binary-not-base64-kept-without-text",
        request(changed("mo_binary_text.json", body="not base64!")),
        [replace_event(BINARY, text="")],
    ),
    ParseCase(
        "mo-binary-latin1-bytes-are-not-text",
        request(changed("mo_binary_text.json", body="QXJy6nQ=")),  # b"Arr\xeat"
        [replace_event(BINARY, text="")],
    ),
    ParseCase("mo-media-urls-of-uploaded-parts", request(fixture("mo_media.json")), [MMS]),
    ParseCase(
        "mo-media-failed-part-url-not-used",
        request(
            changed(
                "mo_media.json",
                body={
                    "message": "Here are the photos \N{CAMERA}",
                    "media": [
                        {"url": MEDIA_BASE + "1.jpg", "content_type": "image/jpeg", "status": "Uploaded", "code": 0},
                        {"url": MEDIA_BASE + "3.mp4", "content_type": "video/mp4", "status": "Failed", "code": 1001},
                        {"url": MEDIA_BASE + "2.png", "content_type": "image/png", "code": 0},
                    ],
                },
            )
        ),
        [MMS],
    ),
    ParseCase(
        "mo-media-without-message-or-media",
        request(changed("mo_media.json", body={"subject": "Photos"})),
        [replace_event(MMS, text="", media_urls=())],
    ),
    # -- batch delivery reports -----------------------------------------------------
    ParseCase(
        "full-report-vendors-md-example-one-report-per-recipient",
        request(fixture("delivery_report_full.json")),
        [
            _full("+12017777777", vendor_message_id="01W4FFL35P4NC4K35SMSBATCH8"),
            _full("+33612345678", vendor_message_id="01W4FFL35P4NC4K35SMSBATCH8"),
        ],
    ),
    ParseCase(
        "full-report-several-statuses-and-recipients",
        request(FULL_MIXED),
        [
            _full("+447700900123"),
            _full("+447700900124"),
            _full(
                "+447700900125",
                status=Status.ERROR,
                vendor_status="Aborted",
                error_code="402",
                error_reason="Message unroutable",
                failure_category="unroutable",
                failure_type=FailureType.HARD,
            ),
            # An operator's code that is not in our table: kept, reason unknown.
            _full(
                "+447700900126",
                status=Status.BOUNCE,
                vendor_status="Failed",
                error_code="60",
                failure_category="unknown",
            ),
        ],
    ),
    ParseCase(
        "summary-report-one-report-per-status-without-recipient",
        request(fixture("delivery_report_summary.json")),
        [
            _full(None, vendor_message_id="01HZX4A1B2C3D4E5F6G7H8J9K1"),
            _full(
                None,
                vendor_message_id="01HZX4A1B2C3D4E5F6G7H8J9K1",
                status=Status.ERROR,
                vendor_status="Aborted",
                error_code="406",
                error_reason="Internal expiry",
                failure_category="expired",
                failure_type=FailureType.SOFT,
            ),
        ],
    ),
    ParseCase(
        "full-report-mms-type",
        request(changed("delivery_report_full.json", type="delivery_report_mms")),
        [
            _full("+12017777777", vendor_message_id="01W4FFL35P4NC4K35SMSBATCH8"),
            _full("+33612345678", vendor_message_id="01W4FFL35P4NC4K35SMSBATCH8"),
        ],
    ),
    ParseCase(
        "full-report-empty-recipients-list-like-summary",
        request(changed("delivery_report_full.json", statuses=[{"code": 0, "status": "Delivered", "count": 2}])),
        [_full(None, vendor_message_id="01W4FFL35P4NC4K35SMSBATCH8")],
    ),
    ParseCase(
        "batch-report-without-statuses-has-no-events",
        request(changed("delivery_report_full.json", statuses=[])),
        [],
    ),
    # -- recipient delivery reports -------------------------------------------------
    ParseCase("recipient-aborted-412-vendors-md-example", request(REPORT_412), [ABORTED_412]),
    ParseCase(
        "recipient-delivered-at-wins-over-operator-status-at",
        request(fixture("recipient_report_delivered_all_fields.json")),
        [DELIVERED],
    ),
    ParseCase(
        "recipient-without-at-uses-operator-status-at",
        request(changed("recipient_report_delivered_all_fields.json", drop=("at",))),
        [replace_event(DELIVERED, occurred_at=at("2025-11-13T12:45:01Z"))],
    ),
    ParseCase(
        "recipient-without-any-time-dated-on-arrival",
        request(changed("recipient_report_aborted_412.json", drop=("at", "client_reference"))),
        [replace_event(ABORTED_412, occurred_at=RECEIVED_AT)],
    ),
    ParseCase(
        "recipient-dispatched-401-is-sent-not-final",
        request(fixture("recipient_report_dispatched.json")),
        [
            replace_event(
                DELIVERED,
                status=Status.SENT,
                vendor_status="Dispatched",
                final=False,
                occurred_at=at("2025-11-13T12:45:00.412Z"),
            )
        ],
    ),
    ParseCase(
        "recipient-queued-400-not-final",
        request(_recipient("Queued", 400)),
        [replace_event(ABORTED_412, status=Status.QUEUED, vendor_status="Queued", final=False, **NO_ERROR)],
    ),
    ParseCase(
        "recipient-status-upper-case",
        request(_recipient("DELIVERED", 0)),
        [replace_event(ABORTED_412, status=Status.DELIVERED, vendor_status="DELIVERED", **NO_ERROR)],
    ),
    ParseCase(
        "recipient-deleted-257-opted-out",
        request(_recipient("Deleted", 257)),
        [
            replace_event(
                ABORTED_412,
                status=Status.BOUNCE,
                vendor_status="Deleted",
                error_code="257",
                error_reason="User opted out (STOP)",
                failure_category="opted_out",
            )
        ],
    ),
    ParseCase(
        "recipient-cancelled-407-soft",
        request(_recipient("Cancelled", 407)),
        [
            replace_event(
                ABORTED_412,
                vendor_status="Cancelled",
                error_code="407",
                error_reason="Cancelled",
                failure_category="cancelled",
                failure_type=FailureType.SOFT,
            )
        ],
    ),
    ParseCase(
        "recipient-expired-without-code",
        request(_recipient("Expired", None)),
        [
            replace_event(
                ABORTED_412,
                status=Status.BOUNCE,
                vendor_status="Expired",
                **{**NO_ERROR, "failure_category": "unknown"},
            )
        ],
    ),
    ParseCase(
        "recipient-unknown-status-final-without-outcome",
        request(_recipient("Unknown", 0)),
        [replace_event(ABORTED_412, status=Status.UNKNOWN, vendor_status="Unknown", final=True, **NO_ERROR)],
    ),
    ParseCase(
        "recipient-undocumented-status-is-unknown-not-refused",
        request(_recipient("Bounced", 0)),
        [replace_event(ABORTED_412, status=Status.UNKNOWN, vendor_status="Bounced", final=False, **NO_ERROR)],
    ),
    ParseCase(
        # 400 / 401 name progress (queued / dispatched), whatever the status says.
        "recipient-undocumented-status-with-progress-code-401",
        request(_recipient("Enroute", 401)),
        [replace_event(ABORTED_412, status=Status.UNKNOWN, vendor_status="Enroute", final=False, **NO_ERROR)],
    ),
    ParseCase(
        "recipient-undocumented-status-keeps-failure-code",
        request(_recipient("Bounced", 402)),
        [
            replace_event(
                ABORTED_412,
                status=Status.UNKNOWN,
                vendor_status="Bounced",
                final=False,
                error_code="402",
                error_reason="Message unroutable",
                failure_category="unroutable",
            )
        ],
    ),
    ParseCase(
        "recipient-code-as-numeric-string",
        request(changed("recipient_report_aborted_412.json", code="412")),
        [ABORTED_412],
    ),
    ParseCase(
        "recipient-mms-failed-417-soft",
        request(fixture("recipient_report_mms_failed.json")),
        [
            DeliveryReport(
                vendor="sinch",
                vendor_message_id="01HZX4A1B2C3D4E5F6G7H8J9K3",
                recipient="+12015555555",
                status=Status.BOUNCE,
                vendor_status="Failed",
                occurred_at=at("2025-11-13T13:00:00Z"),
                final=True,
                error_code="417",
                error_reason="MMS destination unreachable",
                failure_category="unreachable",
                failure_type=FailureType.SOFT,
            )
        ],
    ),
    ParseCase(
        "recipient-without-recipient-keeps-report",
        request(changed("recipient_report_aborted_412.json", drop=("recipient",))),
        [replace_event(ABORTED_412, recipient=None)],
    ),
    # -- refused ----------------------------------------------------------------
    ParseCase("error-not-json", request("type=mo_text&id=1"), error=PayloadError),
    ParseCase("error-json-array", request("[" + MO_TEXT + "]"), error=PayloadError),
    ParseCase("error-missing-type", request(changed("mo_text.json", drop=("type",))), error=PayloadError),
    ParseCase("error-unknown-type", request(changed("mo_text.json", type="mo_rcs")), error=PayloadError),
    # -- wrong JSON types (each used to escape as TypeError or AttributeError) ------
    ParseCase("error-type-is-a-list", request(changed("mo_text.json", type=["mo_text"])), error=PayloadError),
    ParseCase("error-type-is-an-object", request(changed("mo_text.json", type={"mo": "text"})), error=PayloadError),
    ParseCase("error-type-is-a-number", request(changed("mo_text.json", type=1)), error=PayloadError),
    ParseCase("error-type-is-null", request(changed("mo_text.json", type=None)), error=PayloadError),
    ParseCase("error-mo-id-is-a-number", request(changed("mo_text.json", id=17)), error=PayloadError),
    ParseCase(
        "error-mo-from-is-a-list", request(changed("mo_text.json", **{"from": ["12015555555"]})), error=PayloadError
    ),
    ParseCase("error-mo-body-is-a-bool", request(changed("mo_text.json", body=True)), error=PayloadError),
    ParseCase(
        "error-report-statuses-is-an-object",
        request(changed("delivery_report_full_mixed.json", statuses={"status": "Delivered"})),
        error=PayloadError,
    ),
    ParseCase(
        "error-report-code-is-a-float",
        request(changed("recipient_report_aborted_412.json", code=412.5)),
        error=PayloadError,
    ),
    ParseCase(
        "error-report-recipient-is-a-number",
        request(changed("recipient_report_aborted_412.json", recipient=12010000000)),
        error=PayloadError,
    ),
    ParseCase("error-mo-missing-id", request(changed("mo_text.json", drop=("id",))), error=PayloadError),
    ParseCase("error-mo-missing-from", request(changed("mo_text.json", drop=("from",))), error=PayloadError),
    ParseCase("error-mo-blank-to", request(changed("mo_text.json", to=" ")), error=PayloadError),
    ParseCase("error-mo-text-missing-body", request(changed("mo_text.json", drop=("body",))), error=PayloadError),
    ParseCase("error-mo-text-body-not-string", request(changed("mo_text.json", body=42)), error=PayloadError),
    ParseCase(
        "error-mo-received-at-not-a-time", request(changed("mo_text.json", received_at="yesterday")), error=PayloadError
    ),
    ParseCase("error-mo-media-body-string", request(changed("mo_media.json", body="photo")), error=PayloadError),
    ParseCase(
        "error-mo-media-media-not-list",
        request(changed("mo_media.json", body={"media": {"url": "https://m.example/1.jpg"}})),
        error=PayloadError,
    ),
    ParseCase(
        "error-recipient-missing-batch-id",
        request(changed("recipient_report_aborted_412.json", drop=("batch_id",))),
        error=PayloadError,
    ),
    ParseCase(
        "error-recipient-missing-status",
        request(changed("recipient_report_aborted_412.json", drop=("status",))),
        error=PayloadError,
    ),
    ParseCase(
        "error-recipient-code-not-integer",
        request(changed("recipient_report_aborted_412.json", code="unroutable")),
        error=PayloadError,
    ),
    ParseCase(
        "error-recipient-code-boolean",
        request(changed("recipient_report_aborted_412.json", code=True)),
        error=PayloadError,
    ),
    ParseCase(
        "error-batch-statuses-not-list",
        request(changed("delivery_report_full.json", statuses={"status": "Delivered"})),
        error=PayloadError,
    ),
    ParseCase(
        "error-batch-recipients-not-list",
        request(changed("delivery_report_full.json", statuses=[{"status": "Delivered", "recipients": "12017777777"}])),
        error=PayloadError,
    ),
    ParseCase(
        "error-batch-recipient-not-string",
        request(changed("delivery_report_full.json", statuses=[{"status": "Delivered", "recipients": [12017777777]}])),
        error=PayloadError,
    ),
    ParseCase(
        "error-batch-bucket-missing-status",
        request(changed("delivery_report_full.json", statuses=[{"code": 0, "count": 2}])),
        error=PayloadError,
    ),
]

# -- verify -------------------------------------------------------------------

SIGNATURE = "x-sinch-webhook-signature"
NONCE = "x-sinch-webhook-signature-nonce"
TIMESTAMP = "x-sinch-webhook-signature-timestamp"
ALGORITHM = "x-sinch-webhook-signature-algorithm"

# vendors.md §3.4: Sinch python SDK tests (Conversation API event, same function as SMS)
VECTOR_SECRET = {**CREDENTIALS, "webhook_secret": "foo_secret1234"}
VECTOR_BODY = (
    '{"app_id":"01EB37HMH1M6SV18BSNS3G135H","accepted_time":"2020-11-17T15:09:11.659Z",'
    '"project_id":"c36f3d3d-1513-2edd-ae42-11995557ff61","message_delivery_report":'
    '{"message_id":"01EQBC1A3BEK731GY4YXEN0C2R","conversation_id":"01EPYATA64TMNZ1FV02JKF12JF",'
    '"status":"QUEUED_ON_CHANNEL","contact_id":"01EXA07N79THJ20WSN6AS30TMW"}}'
)
VECTOR_NONCE = "01FJA8B4A7BM43YGWSG9GBV067"
VECTOR_TIMESTAMP = "1634579353"
VECTOR_SIGNATURE = "Yc+3R1pIS78xLASybulhs8BsSo9BPB3Pr92QCUoczfk="
VECTOR_RECEIVED_AT = datetime.fromtimestamp(int(VECTOR_TIMESTAMP), UTC) + timedelta(seconds=2)

#: mo_text.json signed at NOW with MO_NONCE (Sinch SDK); the ±300/301 s variants likewise
MO_NONCE = "01JCB6Q0W2Y4A6C8E0G2J4L6N8"
MO_SIGNATURE = "tlfe2iDKvBa/9XM7ACY+SnI1zvCZRS4K1vQdEUFrgEc="
MO_SIGNATURES_AT_OFFSET = {
    -300: "6JGJJX5QelQYA0gD0mtto7tlCePo589UeRyx6e6RyOI=",
    -301: "OAewybHdIVIXrzI9qKpNLZEoee3k8/M2PKaV46JLTlE=",
    300: "nMQo4B320EtDA8jWreIvDrEJhN1FLzIOy3l06c4ezJE=",
    301: "wizAQ3cuEuOu7KCNVua+lg2MgGHrdwcrJiC2F6B9MhU=",
}
#: mo_text.json signed at NOW with HMAC-SHA512 (hashlib), for the algorithm header
MO_SIGNATURE_SHA512 = "uIho3lAVFB766d2NWb+gWLAGffJd+LcM6yPy43sJDK2F426BfiHIpj/EofU23L63Wb/bLe6/ydlMWnfhmck1GA=="
REPORT_NONCE, REPORT_TIMESTAMP = "01JCB6Q0W2Y4A6C8E0G2J4L6P0", NOW - 120
REPORT_SIGNATURE = "/o5qexJ0a6CV3RhcE9kBxbL0VQxggsV1jnztQTU8mJU="
FULL_NONCE, FULL_TIMESTAMP = "01JCB6Q0W2Y4A6C8E0G2J4L6Q2", NOW + 60
FULL_SIGNATURE = "jq5PZ3yKKDcC0l+9C/uVUXOw4aD+nEe4UQVft9hus+I="


def sinch_headers(signature: str, nonce: str, timestamp: int | str, **extra: str) -> dict[str, str]:
    return {SIGNATURE: signature, NONCE: nonce, TIMESTAMP: str(timestamp), **extra}


def signed(body: str, signature: str, nonce: str, timestamp: int | str, **kwargs: Any) -> WebhookRequest:
    return request(body, sinch_headers(signature, nonce, timestamp), **kwargs)


def without(req: WebhookRequest, header: str) -> WebhookRequest:
    headers = {name: value for name, value in req.headers.items() if name.lower() != header}
    return dataclasses.replace(req, headers=headers)


class SeenEverything:
    """A replay guard that has seen every key: the request is a replay, whatever it carries."""

    def first_use(self, key: str, ttl: timedelta) -> bool:
        return False


MO_SIGNED = signed(MO_TEXT, MO_SIGNATURE, MO_NONCE, NOW)

VERIFY = [
    VerifyCase(
        "sinch-documented-vector",
        signed(VECTOR_BODY, VECTOR_SIGNATURE, VECTOR_NONCE, VECTOR_TIMESTAMP, received_at=VECTOR_RECEIVED_AT),
        VECTOR_SECRET,
        True,
    ),
    VerifyCase("mo-text-signed", MO_SIGNED, SIGNED_CREDENTIALS, True),
    VerifyCase(
        "recipient-report-signed-two-minutes-ago",
        signed(REPORT_412, REPORT_SIGNATURE, REPORT_NONCE, REPORT_TIMESTAMP),
        SIGNED_CREDENTIALS,
        True,
    ),
    VerifyCase(
        "full-report-signed-one-minute-ahead",
        signed(FULL_MIXED, FULL_SIGNATURE, FULL_NONCE, FULL_TIMESTAMP),
        SIGNED_CREDENTIALS,
        True,
    ),
    VerifyCase(
        "timestamp-exactly-five-minutes-old",
        signed(MO_TEXT, MO_SIGNATURES_AT_OFFSET[-300], MO_NONCE, NOW - 300),
        SIGNED_CREDENTIALS,
        True,
    ),
    VerifyCase(
        "timestamp-exactly-five-minutes-ahead",
        signed(MO_TEXT, MO_SIGNATURES_AT_OFFSET[300], MO_NONCE, NOW + 300),
        SIGNED_CREDENTIALS,
        True,
    ),
    VerifyCase(
        "header-names-in-any-case",
        request(
            MO_TEXT,
            {
                "X-Sinch-Webhook-Signature": MO_SIGNATURE,
                "X-Sinch-Webhook-Signature-Nonce": MO_NONCE,
                "X-SINCH-WEBHOOK-SIGNATURE-TIMESTAMP": str(NOW),
            },
        ),
        SIGNED_CREDENTIALS,
        True,
    ),
    VerifyCase(
        "algorithm-header-hmacsha256",
        request(MO_TEXT, sinch_headers(MO_SIGNATURE, MO_NONCE, NOW, **{ALGORITHM: "HmacSHA256"})),
        SIGNED_CREDENTIALS,
        True,
    ),
    VerifyCase(
        "algorithm-header-hmacsha512",
        request(MO_TEXT, sinch_headers(MO_SIGNATURE_SHA512, MO_NONCE, NOW, **{ALGORITHM: "HmacSHA512"})),
        SIGNED_CREDENTIALS,
        True,
    ),
    VerifyCase("no-secret-configured-unsigned-accepted", request(MO_TEXT), CREDENTIALS, True),
    VerifyCase(
        "no-secret-configured-signature-not-checked",
        signed(MO_TEXT, "garbage", MO_NONCE, 1),
        {**CREDENTIALS, "webhook_secret": None},
        True,
    ),
    # Refused.
    VerifyCase("missing-all-headers", request(MO_TEXT), SIGNED_CREDENTIALS, False),
    VerifyCase("missing-signature-header", without(MO_SIGNED, SIGNATURE), SIGNED_CREDENTIALS, False),
    VerifyCase("missing-nonce-header", without(MO_SIGNED, NONCE), SIGNED_CREDENTIALS, False),
    VerifyCase("missing-timestamp-header", without(MO_SIGNED, TIMESTAMP), SIGNED_CREDENTIALS, False),
    VerifyCase("empty-signature-header", signed(MO_TEXT, " ", MO_NONCE, NOW), SIGNED_CREDENTIALS, False),
    VerifyCase(
        "body-tampered-by-one-byte",
        signed(MO_TEXT.replace("Hello John", "Hello Joho"), MO_SIGNATURE, MO_NONCE, NOW),
        SIGNED_CREDENTIALS,
        False,
    ),
    VerifyCase(
        "body-reserialised",
        signed(json.dumps(fixture_json("mo_text.json")), MO_SIGNATURE, MO_NONCE, NOW),
        SIGNED_CREDENTIALS,
        False,
    ),
    VerifyCase(
        "signature-tampered-by-one-byte",
        signed(MO_TEXT, MO_SIGNATURE.replace("tlfe", "tlfd"), MO_NONCE, NOW),
        SIGNED_CREDENTIALS,
        False,
    ),
    VerifyCase("wrong-secret", MO_SIGNED, {**CREDENTIALS, "webhook_secret": WEBHOOK_SECRET[:-1] + "b"}, False),
    VerifyCase(
        "other-nonce-than-signed",
        signed(MO_TEXT, MO_SIGNATURE, MO_NONCE[:-1] + "9", NOW),
        SIGNED_CREDENTIALS,
        False,
    ),
    VerifyCase(
        "other-timestamp-than-signed",
        signed(MO_TEXT, MO_SIGNATURE, MO_NONCE, NOW + 1),
        SIGNED_CREDENTIALS,
        False,
    ),
    VerifyCase(
        "stale-timestamp-five-minutes-one-second-old",
        signed(MO_TEXT, MO_SIGNATURES_AT_OFFSET[-301], MO_NONCE, NOW - 301),
        SIGNED_CREDENTIALS,
        False,
    ),
    VerifyCase(
        "future-timestamp-five-minutes-one-second-ahead",
        signed(MO_TEXT, MO_SIGNATURES_AT_OFFSET[301], MO_NONCE, NOW + 301),
        SIGNED_CREDENTIALS,
        False,
    ),
    VerifyCase(
        "documented-vector-received-a-day-later",
        signed(
            VECTOR_BODY,
            VECTOR_SIGNATURE,
            VECTOR_NONCE,
            VECTOR_TIMESTAMP,
            received_at=VECTOR_RECEIVED_AT + timedelta(days=1),
        ),
        VECTOR_SECRET,
        False,
    ),
    VerifyCase(
        "timestamp-not-unix-seconds",
        signed(MO_TEXT, MO_SIGNATURE, MO_NONCE, "2026-01-02T03:04:05Z"),
        SIGNED_CREDENTIALS,
        False,
    ),
    VerifyCase(
        "algorithm-header-unsupported",
        request(MO_TEXT, sinch_headers(MO_SIGNATURE, MO_NONCE, NOW, **{ALGORITHM: "HmacSHA1"})),
        SIGNED_CREDENTIALS,
        False,
    ),
    VerifyCase(
        "algorithm-header-disagrees-with-signature",
        request(MO_TEXT, sinch_headers(MO_SIGNATURE, MO_NONCE, NOW, **{ALGORITHM: "HmacSHA512"})),
        SIGNED_CREDENTIALS,
        False,
    ),
    VerifyCase(
        "nonce-already-used",
        dataclasses.replace(MO_SIGNED, replay_guard=SeenEverything()),
        SIGNED_CREDENTIALS,
        False,
    ),
]

# -- statuses -----------------------------------------------------------------

STATUSES = [
    StatusCase("Queued", Status.QUEUED),
    StatusCase("Dispatched", Status.SENT),
    StatusCase("Aborted", Status.ERROR),
    StatusCase("Cancelled", Status.ERROR),
    StatusCase("Rejected", Status.BOUNCE),
    StatusCase("Deleted", Status.BOUNCE),
    StatusCase("Delivered", Status.DELIVERED),
    StatusCase("Failed", Status.BOUNCE),
    StatusCase("Expired", Status.BOUNCE),
    StatusCase("Unknown", Status.UNKNOWN),
    # The Python SDK's literals are upper case; the docs capitalise.
    StatusCase("DELIVERED", Status.DELIVERED),
    StatusCase("DISPATCHED", Status.SENT),
    StatusCase("aborted", Status.ERROR),
    StatusCase("Rejected ", Status.BOUNCE),
    # Not Sinch statuses.
    StatusCase("Bounced", Status.UNKNOWN),
    StatusCase("Canceled", Status.UNKNOWN),
    StatusCase("", Status.UNKNOWN),
]


def status_report(case: StatusCase) -> WebhookRequest:
    """The per-recipient report example carrying the row's status instead (the code stays 401)."""
    return request(changed("recipient_report_dispatched.json", status=case.vendor_status))


# -- acknowledge ----------------------------------------------------------------

# Sinch expects a 2xx with no body; replies go out as batches through the send API.
ACKNOWLEDGE = [
    AcknowledgeCase("ack-report-empty-200"),
    AcknowledgeCase("ack-replies-not-inline", replies=["Reply STOP to opt out"]),
]

# -- send ---------------------------------------------------------------------

SERVER_CREDENTIALS = {"service_plan_id": SERVICE_PLAN_ID, "api_token": API_TOKEN, "base_url": "{server}"}
BATCHES_PATH = f"/xms/v1/{SERVICE_PLAN_ID}/batches"
BEARER = f"Bearer {API_TOKEN}"
STATUS_CALLBACK = "https://sms.example.com/hooks/wh_8YhZ2cQ4tW6eR1uI"
REFERENCE = "msg_4f2a9c1d7e3b5a60c8d2e4f1"
BATCH_ID = "01HZX5C7D9F1H3K5M7P9R1T3V5"

OTP = OutboundMessage(
    sender="+15558675310",
    recipient="+14155550123",
    text="Your code is 1234",
    status_callback_url=STATUS_CALLBACK,
    reference=REFERENCE,
)
CREATED = VendorReply(201, json=fixture_json("send_batch_created.json"))


def _error(status: int, name: str, **headers: str) -> VendorReply:
    return VendorReply(status, json=fixture_json(name), headers=headers)


SEND = [
    SendCase(
        "send-text-batch",
        OTP,
        SERVER_CREDENTIALS,
        CREATED,
        ExpectedRequest(
            "POST",
            BATCHES_PATH,
            headers={"Authorization": BEARER, "Content-Type": "application/json"},
            json={
                "from": "+15558675310",
                "to": ["+14155550123"],
                "body": "Your code is 1234",
                "type": "mt_text",
                "delivery_report": "per_recipient",
                "callback_url": STATUS_CALLBACK,
                "client_reference": REFERENCE,
            },
        ),
        message_id=BATCH_ID,
    ),
    SendCase(
        "send-mms-one-media-url",
        dataclasses.replace(OTP, text="Your ticket", media_urls=("https://cdn.example.com/t/1.png",)),
        SERVER_CREDENTIALS,
        CREATED,
        ExpectedRequest(
            "POST",
            BATCHES_PATH,
            json={
                "type": "mt_media",
                "body": {"url": "https://cdn.example.com/t/1.png", "message": "Your ticket"},
                "to": ["+14155550123"],
                "delivery_report": "per_recipient",
            },
        ),
        message_id=BATCH_ID,
    ),
    SendCase(
        "send-base-url-with-path-prefix",
        OTP,
        {**SERVER_CREDENTIALS, "base_url": "{server}/sinch-proxy/"},
        CREATED,
        ExpectedRequest("POST", "/sinch-proxy" + BATCHES_PATH, headers={"Authorization": BEARER}),
        message_id=BATCH_ID,
    ),
    SendCase(
        "send-base-url-wins-over-region",
        OTP,
        {**SERVER_CREDENTIALS, "region": "eu"},
        CREATED,
        ExpectedRequest("POST", BATCHES_PATH),
        message_id=BATCH_ID,
    ),
    SendCase(
        "send-invalid-parameter-400",
        OTP,
        SERVER_CREDENTIALS,
        _error(400, "send_error_400.json"),
        ExpectedRequest("POST", BATCHES_PATH),
        retryable=False,
        error_code="syntax_invalid_parameter_format",
    ),
    SendCase(
        "send-bad-token-401",
        OTP,
        SERVER_CREDENTIALS,
        VendorReply(401, body="Unauthorized", headers={"Content-Type": "text/plain"}),
        retryable=False,
    ),
    SendCase(
        "send-forbidden-403",
        OTP,
        SERVER_CREDENTIALS,
        _error(403, "send_error_403.json"),
        retryable=False,
        error_code="missing_callback_url",
    ),
    SendCase("send-not-found-404", OTP, SERVER_CREDENTIALS, VendorReply(404, body=""), retryable=False),
    SendCase(
        "send-rate-limited-429",
        OTP,
        SERVER_CREDENTIALS,
        VendorReply(429, body="", headers={"Retry-After": "7"}),
        retryable=True,
    ),
    SendCase("send-request-timeout-408", OTP, SERVER_CREDENTIALS, VendorReply(408, body=""), retryable=True),
    SendCase(
        "send-server-error-500",
        OTP,
        SERVER_CREDENTIALS,
        VendorReply(500, json={"code": "internal_error", "text": "Internal error"}),
        retryable=True,
        error_code="internal_error",
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
    SendCase(
        "send-2xx-without-batch-id",
        OTP,
        SERVER_CREDENTIALS,
        VendorReply(201, json={"to": ["+14155550123"]}),
        retryable=False,
    ),
]


# -- every callback kind with each value replaced by another JSON type ---------------

TYPE_CONFUSION = [
    (name.removesuffix(".json"), fixture_json(name))
    for name in (
        "mo_text.json",
        "mo_binary_text.json",
        "mo_media.json",
        "delivery_report_full_mixed.json",
        "delivery_report_summary.json",
        "recipient_report_delivered_all_fields.json",
    )
]


def full_report_with(recipients: int) -> WebhookRequest:
    """A full batch report listing ``recipients`` numbers under one status."""
    numbers = [str(12010000000 + index) for index in range(recipients)]
    bucket = {"code": 0, "status": "Delivered", "count": recipients, "recipients": numbers}
    return request(changed("delivery_report_full.json", statuses=[bucket], total_message_count=recipients))
