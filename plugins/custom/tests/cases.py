"""The Custom vendor's conformance tables, for three configurations of it.

- ``SEED``: the seed product's own shapes (its default inbound and feedback
  mappings, a ``{{fromNumber}}``/``{{toNumber}}``/``{{message}}`` payload);
- ``INFOBIP``: a Custom credential whose templates describe Infobip's formats;
- ``SINCH``: one describing Sinch's.

Payload fixtures are the example payloads of vendors.md (§2.1, §2.2, §3.2,
§3.3) or, for the seed shapes, the mapping of vendors.md §4.2 filled with our
own values. The expected events are written by hand from vendors.md, as the
native Infobip and Sinch plugins read those payloads: E.164 numbers, the
vendor's timestamp in UTC, its status through the vendor's status table.
Known-good signatures are literals computed once with ``openssl dgst
-sha256 -hmac``, never with the code under test.
"""

from __future__ import annotations

import base64
import json
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
from smshooks_custom.credentials import CustomCredentialsSchema

HERE = Path(__file__).parent


def fixture(name: str) -> str:
    return fixture_text(HERE, name)


def fixture_json(name: str) -> Any:
    return json.loads(fixture(name))


def credential(**values: Any) -> dict[str, Any]:
    """A credential as the host stores it: loaded through the schema, defaults filled in."""
    return CustomCredentialsSchema().load(values)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


HOOK_URL = "https://sms.example.com/hooks/wh_5cV8nQ2rT7yL1pK9"
WEBHOOK_SECRET = "whsec-7Hq2vX9pL4mN8rT1"
SIGNATURE_HEADER = "X-Signature"
STATUS_CALLBACK = "https://sms.example.com/hooks/wh_8YhZ2cQ4tW6eR1uI"
OTP = OutboundMessage(
    sender="+15558675310",
    recipient="+41793026727",
    text='Your code is 1234. "Quoted", back\\slash,\nnew line, unicode \u2713',
    status_callback_url=STATUS_CALLBACK,
    reference="msg_4b1c9d2e",
    profile={"firstName": 'Zoë "Z" O\'Neil'},
)

#: a 2xx answer of each configured provider, and the errors every provider can answer
SERVER_DOWN = VendorReply(503, body="<html>Service Unavailable</html>", headers={"Retry-After": "120"})
RATE_LIMITED = VendorReply(429, json={"error": "slow down"}, headers={"Retry-After": "7"})


def _error_cases(prefix: str, message: OutboundMessage, credentials: dict[str, Any]) -> list[SendCase]:
    """How any configured provider's failures map to SendError."""
    return [
        SendCase(f"{prefix}-429-retryable", message, credentials, RATE_LIMITED, retryable=True),
        SendCase(f"{prefix}-500-retryable", message, credentials, VendorReply(500, body="oops"), retryable=True),
        SendCase(f"{prefix}-503-retryable", message, credentials, SERVER_DOWN, retryable=True),
        SendCase(f"{prefix}-400-not-retryable", message, credentials, VendorReply(400, json={}), retryable=False),
        SendCase(f"{prefix}-401-not-retryable", message, credentials, VendorReply(401, body=""), retryable=False),
        SendCase(f"{prefix}-403-not-retryable", message, credentials, VendorReply(403, json={}), retryable=False),
        SendCase(f"{prefix}-404-not-retryable", message, credentials, VendorReply(404, body=""), retryable=False),
        SendCase(f"{prefix}-timeout-retryable", message, credentials, TIMEOUT, retryable=True),
        SendCase(f"{prefix}-refused-retryable", message, credentials, REFUSED, retryable=True),
        SendCase(
            f"{prefix}-redirect-not-followed",
            message,
            credentials,
            VendorReply(302, body="", headers={"Location": "/elsewhere"}),
            retryable=False,
        ),
    ]


# ==============================================================================
# SEED: the seed product's shapes
# ==============================================================================

SEED_TEMPLATE = fixture("seed_send.j2")
SEED_TOKEN = "tok_live_3b9f1c7e2a"
SEED_CREDENTIALS = credential(
    provider_url="https://sms.provider.example/v1/messages",
    payload_template=SEED_TEMPLATE,
    auth_type="bearer",
    bearer_token=SEED_TOKEN,
    message_id_path="messageId",
    webhook_auth_type="shared_secret",
    webhook_secret=WEBHOOK_SECRET,
)
SEED_SERVER = {**SEED_CREDENTIALS, "provider_url": "{server}/v1/messages"}

SEED_INBOUND = fixture("seed_inbound.json")
SEED_FEEDBACK = fixture("seed_feedback.json")

STOP = InboundMessage(
    vendor="custom",
    vendor_message_id="req-7f3a9c01",
    sender="+14155550123",
    recipient="+14155550100",
    text="STOP",
    received_at=utc(2026, 1, 2, 2, 59, 58),
)
SEED_DELIVERED = DeliveryReport(
    vendor="custom",
    vendor_message_id="msg_4b1c9d2e",
    recipient=None,
    status=Status.DELIVERED,
    vendor_status="delivered",
    occurred_at=RECEIVED_AT,
    final=True,
)


def _seed_inbound(**changes: Any) -> str:
    return json.dumps({**json.loads(SEED_INBOUND), **changes})


def _seed_feedback(*statuses: dict[str, Any], **changes: Any) -> str:
    payload = {**json.loads(SEED_FEEDBACK), **changes}
    if statuses:
        payload["statuses"] = list(statuses)
    return json.dumps(payload)


SEED_PARSE = [
    ParseCase("seed-inbound", json_request(HOOK_URL, SEED_INBOUND), [STOP]),
    ParseCase(
        "seed-inbound-without-timestamp-is-dated-on-arrival",
        json_request(HOOK_URL, _seed_inbound(originTimestamp=None)),
        [replace_event(STOP, received_at=RECEIVED_AT)],
    ),
    ParseCase(
        "seed-inbound-epoch-seconds",
        json_request(HOOK_URL, _seed_inbound(originTimestamp=1767322798)),
        [STOP],
    ),
    ParseCase(
        "seed-inbound-epoch-millis-as-text",
        json_request(HOOK_URL, _seed_inbound(originTimestamp="1767322798000")),
        [STOP],
    ),
    ParseCase(
        "seed-inbound-offset-timestamp-to-utc",
        json_request(HOOK_URL, _seed_inbound(originTimestamp="2026-01-02T04:59:58+02:00")),
        [STOP],
    ),
    ParseCase(
        "seed-inbound-numbers-without-plus",
        json_request(HOOK_URL, _seed_inbound(profileNumber="14155550123", inboundNumber="1 415 555 0100")),
        [STOP],
    ),
    ParseCase(
        "seed-inbound-short-code-recipient",
        json_request(HOOK_URL, _seed_inbound(inboundNumber="89687")),
        [replace_event(STOP, recipient="89687")],
    ),
    ParseCase(
        "seed-inbound-numeric-request-id",
        json_request(HOOK_URL, _seed_inbound(requestId=817790313235066447)),
        [replace_event(STOP, vendor_message_id="817790313235066447")],
    ),
    ParseCase(
        "seed-inbound-unicode-text-kept",
        json_request(HOOK_URL, _seed_inbound(inboundMessage='Arrêt "svp" \\ 👋\nmerci')),
        [replace_event(STOP, text='Arrêt "svp" \\ 👋\nmerci')],
    ),
    ParseCase("seed-feedback-delivered", json_request(HOOK_URL, SEED_FEEDBACK), [SEED_DELIVERED]),
    ParseCase(
        "seed-feedback-bounce-with-code",
        json_request(HOOK_URL, _seed_feedback({"code": "30003", "status": "bounce"})),
        [
            replace_event(
                SEED_DELIVERED,
                status=Status.BOUNCE,
                vendor_status="bounce",
                error_code="30003",
                failure_category="unknown",
            )
        ],
    ),
    ParseCase(
        "seed-feedback-sent-is-not-final",
        json_request(HOOK_URL, _seed_feedback({"code": "0", "status": "sent"})),
        [replace_event(SEED_DELIVERED, status=Status.SENT, vendor_status="sent", final=False)],
    ),
    ParseCase(
        "seed-feedback-two-statuses-two-reports",
        json_request(HOOK_URL, _seed_feedback({"code": 0, "status": "sent"}, {"code": 0, "status": "delivered"})),
        [replace_event(SEED_DELIVERED, status=Status.SENT, vendor_status="sent", final=False), SEED_DELIVERED],
    ),
    ParseCase(
        "seed-feedback-status-case-insensitive",
        json_request(HOOK_URL, _seed_feedback({"code": "0", "status": "DELIVERED"})),
        [replace_event(SEED_DELIVERED, vendor_status="DELIVERED")],
    ),
    ParseCase(
        "seed-feedback-undocumented-status-is-unknown",
        json_request(HOOK_URL, _seed_feedback({"code": "0", "status": "ACCEPTD"})),
        [replace_event(SEED_DELIVERED, status=Status.UNKNOWN, vendor_status="ACCEPTD", final=False)],
    ),
    ParseCase(
        "seed-feedback-empty-statuses-no-events",
        json_request(HOOK_URL, _seed_feedback(statuses=[])),
        [],
    ),
    # -- refused --------------------------------------------------------------
    ParseCase("seed-error-not-json", json_request(HOOK_URL, "inboundMessage=STOP"), error=PayloadError),
    ParseCase(
        "seed-error-feedback-blank-status",
        json_request(HOOK_URL, _seed_feedback({"code": "0", "status": " "})),
        error=PayloadError,
    ),
    ParseCase(
        "seed-error-form-body",
        form_request(HOOK_URL, {"inboundMessage": "STOP", "profileNumber": "+14155550123"}),
        error=PayloadError,
    ),
    ParseCase("seed-error-matches-no-mapping", json_request(HOOK_URL, {"hello": "world"}), error=PayloadError),
    ParseCase(
        "seed-error-inbound-without-request-id",
        json_request(HOOK_URL, _seed_inbound(requestId=None)),
        error=PayloadError,
    ),
    ParseCase(
        "seed-error-inbound-blank-sender",
        json_request(HOOK_URL, _seed_inbound(profileNumber="  ")),
        error=PayloadError,
    ),
    ParseCase(
        "seed-error-request-id-is-an-object",
        json_request(HOOK_URL, _seed_inbound(requestId={"id": 1})),
        error=PayloadError,
    ),
    ParseCase(
        "seed-error-text-is-a-list",
        json_request(HOOK_URL, _seed_inbound(inboundMessage=["STOP"])),
        error=PayloadError,
    ),
    ParseCase(
        "seed-error-timestamp-unreadable",
        json_request(HOOK_URL, _seed_inbound(originTimestamp="yesterday")),
        error=PayloadError,
    ),
    ParseCase(
        "seed-error-statuses-not-a-list",
        json_request(HOOK_URL, _seed_feedback(statuses={"code": "0", "status": "delivered"})),
        error=PayloadError,
    ),
    ParseCase(
        "seed-error-one-report-of-two-lacks-status",
        json_request(HOOK_URL, _seed_feedback({"code": "0", "status": "sent"}, {"code": "0"})),
        error=PayloadError,
    ),
    ParseCase("seed-error-json-array-of-nothing", json_request(HOOK_URL, "[]"), error=PayloadError),
]

SEED_VERIFY = [
    VerifyCase(
        "seed-shared-secret",
        json_request(HOOK_URL, SEED_INBOUND, {"X-Webhook-Secret": WEBHOOK_SECRET}),
        SEED_CREDENTIALS,
        True,
    ),
    VerifyCase(
        "seed-shared-secret-header-any-case",
        json_request(HOOK_URL, SEED_INBOUND, {"x-webhook-secret": WEBHOOK_SECRET}),
        SEED_CREDENTIALS,
        True,
    ),
    VerifyCase(
        "seed-own-header-name",
        json_request(HOOK_URL, SEED_INBOUND, {"Authorization": "Basic YWpvOnMzY3JldA=="}),
        {**SEED_CREDENTIALS, "webhook_secret_header": "Authorization", "webhook_secret": "Basic YWpvOnMzY3JldA=="},
        True,
    ),
    VerifyCase(
        "seed-no-webhook-auth-accepts",
        json_request(HOOK_URL, SEED_INBOUND),
        {**SEED_CREDENTIALS, "webhook_auth_type": "none", "webhook_secret": None},
        True,
    ),
    VerifyCase("seed-missing-secret-header", json_request(HOOK_URL, SEED_INBOUND), SEED_CREDENTIALS, False),
    VerifyCase(
        "seed-empty-secret-header",
        json_request(HOOK_URL, SEED_INBOUND, {"X-Webhook-Secret": ""}),
        SEED_CREDENTIALS,
        False,
    ),
    VerifyCase(
        "seed-wrong-secret",
        json_request(HOOK_URL, SEED_INBOUND, {"X-Webhook-Secret": WEBHOOK_SECRET[:-1] + "2"}),
        SEED_CREDENTIALS,
        False,
    ),
    VerifyCase(
        "seed-secret-prefix-only",
        json_request(HOOK_URL, SEED_INBOUND, {"X-Webhook-Secret": WEBHOOK_SECRET[:-1]}),
        SEED_CREDENTIALS,
        False,
    ),
    VerifyCase(
        "seed-secret-in-other-header",
        json_request(HOOK_URL, SEED_INBOUND, {"X-Other": WEBHOOK_SECRET}),
        SEED_CREDENTIALS,
        False,
    ),
    VerifyCase(
        "seed-configured-without-secret-fails-closed",
        json_request(HOOK_URL, SEED_INBOUND, {"X-Webhook-Secret": ""}),
        {**SEED_CREDENTIALS, "webhook_secret": None},
        False,
    ),
    VerifyCase(
        "seed-unknown-scheme-fails-closed",
        json_request(HOOK_URL, SEED_INBOUND, {"X-Webhook-Secret": WEBHOOK_SECRET}),
        {**SEED_CREDENTIALS, "webhook_auth_type": "mtls"},
        False,
    ),
]

SEED_STATUSES = [
    StatusCase("queued", Status.QUEUED),
    StatusCase("sent", Status.SENT),
    StatusCase("delivered", Status.DELIVERED),
    StatusCase("read", Status.READ),
    StatusCase("bounce", Status.BOUNCE),
    StatusCase("error", Status.ERROR),
    StatusCase("unknown", Status.UNKNOWN),
    StatusCase("Delivered", Status.DELIVERED),
    # Not the seed's vocabulary: configure a status map for it.
    StatusCase("failed", Status.UNKNOWN),
    StatusCase("", Status.UNKNOWN),
]


def seed_status_report(case: StatusCase) -> WebhookRequest | None:
    """The seed's feedback example carrying the row's status instead."""
    if not case.vendor_status.strip():
        return None  # a feedback without a status is refused (seed-error-feedback-blank-status)
    return json_request(HOOK_URL, _seed_feedback({"code": "0", "status": case.vendor_status}))


SEED_SEND = [
    SendCase(
        "seed-send-bearer-json-body",
        OTP,
        SEED_SERVER,
        VendorReply(202, json={"messageId": "prov-77c1e0"}),
        ExpectedRequest(
            "POST",
            "/v1/messages",
            headers={
                "Authorization": f"Bearer {SEED_TOKEN}",
                "Content-Type": "application/json; charset=utf-8",
            },
            json={
                "from": "+15558675310",
                "to": "+41793026727",
                "content": OTP.text,
                "contentType": "TEXT",
                "clientReference": "msg_4b1c9d2e",
                "greeting": 'Zoë "Z" O\'Neil',
            },
        ),
        message_id="prov-77c1e0",
    ),
    SendCase(
        "seed-send-put-with-extra-headers",
        OTP,
        {**SEED_SERVER, "http_method": "PUT", "extra_headers": {"X-Tenant": "acme", "Charset": "utf-8"}},
        VendorReply(200, json={"messageId": 42}),
        ExpectedRequest("PUT", "/v1/messages", headers={"X-Tenant": "acme", "Charset": "utf-8"}),
        message_id="42",
    ),
    SendCase(
        "seed-send-without-id-path-returns-reference",
        OTP,
        {**SEED_SERVER, "message_id_path": None},
        VendorReply(204),
        ExpectedRequest("POST", "/v1/messages"),
        message_id="msg_4b1c9d2e",
    ),
    SendCase(
        "seed-send-2xx-without-id-not-retryable",
        OTP,
        SEED_SERVER,
        VendorReply(200, json={"status": "accepted"}),
        retryable=False,
        error_code="message_id_missing",
    ),
    SendCase(
        "seed-send-2xx-not-json-not-retryable",
        OTP,
        SEED_SERVER,
        VendorReply(200, body="OK"),
        retryable=False,
    ),
    SendCase(
        "seed-send-without-sender-not-retryable",
        OutboundMessage(sender=None, recipient="+41793026727", text="hi"),
        SEED_SERVER,
        VendorReply(200, json={"messageId": "x"}),
        retryable=False,
    ),
    SendCase(
        "seed-send-sender-number-fallback",
        OutboundMessage(sender=None, recipient="+41793026727", text="hi"),
        {**SEED_SERVER, "sender_number": "+15558675310"},
        VendorReply(200, json={"messageId": "prov-1"}),
        ExpectedRequest("POST", "/v1/messages", json={"from": "+15558675310", "content": "hi", "greeting": "there"}),
        message_id="prov-1",
    ),
    *_error_cases("seed", OTP, SEED_SERVER),
]

# ==============================================================================
# INFOBIP described as a Custom provider
# ==============================================================================

INFOBIP_API_KEY = "003026bbc133714df1834b8638bb496e-8f4b3d9a-e931-478d-a994-28a725159ab9"
INFOBIP_STATUS_MAP = {
    "PENDING_WAITING_DELIVERY": "sent",
    "PENDING_ENROUTE": "sent",
    "PENDING_ACCEPTED": "sent",
    "UNDELIVERABLE_REJECTED_OPERATOR": "bounce",
    "UNDELIVERABLE_NOT_DELIVERED": "bounce",
    "UNDELIVERABLE_NOT_SENT": "bounce",
    "DELIVERED_TO_OPERATOR": "sent",
    "DELIVERED_TO_HANDSET": "delivered",
    "EXPIRED_EXPIRED": "bounce",
    "EXPIRED_DLR_UNKNOWN": "unknown",
    "REJECTED_NETWORK": "error",
    "REJECTED_PREFIX_MISSING": "error",
    "REJECTED_DESTINATION_BLOCKLISTED": "error",
    "REJECTED_NOT_ENOUGH_CREDITS": "error",
    # the groups, for reports whose status carries only a groupName
    "ACCEPTED": "queued",
    "PENDING": "sent",
    "UNDELIVERABLE": "bounce",
    "DELIVERED": "delivered",
    "EXPIRED": "bounce",
    "REJECTED": "error",
}
INFOBIP_CREDENTIALS = credential(
    provider_url="https://xk9q2.api.infobip.com/sms/3/messages",
    payload_template=fixture("infobip_send.j2"),
    auth_type="api_key",
    api_key_header="Authorization",
    api_key_prefix="App",
    api_key=INFOBIP_API_KEY,
    message_id_path="messages.0.messageId",
    inbound_mapping=fixture("infobip_inbound_mapping.json"),
    feedback_mapping=fixture_json("infobip_feedback_mapping.json"),
    status_map=INFOBIP_STATUS_MAP,
    failure_codes={
        "1": {"reason": "EC_UNKNOWN_SUBSCRIBER", "category": "unknown_number", "type": "hard"},
        "6": {"reason": "EC_ABSENT_SUBSCRIBER_SM", "category": "unreachable", "type": "soft"},
    },
    webhook_auth_type="hmac_sha256",
    webhook_secret=WEBHOOK_SECRET,
)
INFOBIP_SERVER = {**INFOBIP_CREDENTIALS, "provider_url": "{server}/sms/3/messages"}

INFOBIP_INBOUND = fixture("infobip_inbound.json")
INFOBIP_DLR = fixture("infobip_dlr.json")

# vendors.md §2.1: what the native plugin reads from Infobip's inbound example.
INFOBIP_QUIZ = InboundMessage(
    vendor="custom",
    vendor_message_id="817790313235066447",
    sender="+385916242493",
    recipient="+385921004026",
    text="QUIZ Correct answer is Paris",
    received_at=utc(2023, 8, 1, 10, 40),  # 16:10 at +05:30
    segments=1,
)
# vendors.md §2.2: the v3 delivery report example; NO_ERROR is no error.
INFOBIP_DELIVERED = DeliveryReport(
    vendor="custom",
    vendor_message_id="MESSAGE-ID-123-xyz",
    recipient="+41793026727",
    status=Status.DELIVERED,
    vendor_status="DELIVERED_TO_HANDSET",
    occurred_at=utc(2023, 8, 1, 10, 40),
    final=True,
)


def _infobip_result(payload: str, **changes: Any) -> dict[str, Any]:
    result = json.loads(payload)["results"][0]
    result.update(changes)
    return {key: value for key, value in result.items() if value is not None}


def _infobip(*results: dict[str, Any]) -> str:
    return json.dumps({"results": list(results)})


INFOBIP_PARSE = [
    ParseCase("infobip-inbound-example", json_request(HOOK_URL, INFOBIP_INBOUND), [INFOBIP_QUIZ]),
    ParseCase("infobip-dlr-example", json_request(HOOK_URL, INFOBIP_DLR), [INFOBIP_DELIVERED]),
    ParseCase(
        "infobip-inbound-batch-each-result-one-event",
        json_request(
            HOOK_URL,
            _infobip(
                _infobip_result(INFOBIP_INBOUND),
                _infobip_result(INFOBIP_INBOUND, messageId="817790313235066448", text="STOP", smsCount=2),
            ),
        ),
        [INFOBIP_QUIZ, replace_event(INFOBIP_QUIZ, vendor_message_id="817790313235066448", text="STOP", segments=2)],
    ),
    ParseCase(
        "infobip-inbound-without-received-at",
        json_request(HOOK_URL, _infobip(_infobip_result(INFOBIP_INBOUND, receivedAt=None))),
        [replace_event(INFOBIP_QUIZ, received_at=RECEIVED_AT)],
    ),
    ParseCase(
        "infobip-inbound-infobip-offset-format",
        json_request(HOOK_URL, _infobip(_infobip_result(INFOBIP_INBOUND, receivedAt="2023-08-01T10:40:00.000+0000"))),
        [INFOBIP_QUIZ],
    ),
    ParseCase(
        "infobip-dlr-group-only-status",
        json_request(HOOK_URL, _infobip(_infobip_result(INFOBIP_DLR, status={"groupId": 3, "groupName": "DELIVERED"}))),
        [replace_event(INFOBIP_DELIVERED, vendor_status="DELIVERED")],
    ),
    ParseCase(
        "infobip-dlr-group-only-undeliverable",
        json_request(
            HOOK_URL, _infobip(_infobip_result(INFOBIP_DLR, status={"groupId": 2, "groupName": "UNDELIVERABLE"}))
        ),
        [
            replace_event(
                INFOBIP_DELIVERED,
                status=Status.BOUNCE,
                vendor_status="UNDELIVERABLE",
                # the error object of the fixture says NO_ERROR; its description is the reason given
                error_reason="No Error",
                failure_category="unknown",
            )
        ],
    ),
    ParseCase(
        "infobip-dlr-delivered-to-operator-not-final",
        json_request(
            HOOK_URL,
            _infobip(
                _infobip_result(
                    INFOBIP_DLR,
                    status={"groupId": 3, "groupName": "DELIVERED", "id": 2, "name": "DELIVERED_TO_OPERATOR"},
                )
            ),
        ),
        [replace_event(INFOBIP_DELIVERED, status=Status.SENT, vendor_status="DELIVERED_TO_OPERATOR", final=False)],
    ),
    ParseCase(
        "infobip-dlr-unknown-subscriber-configured-code",
        json_request(
            HOOK_URL,
            _infobip(
                _infobip_result(
                    INFOBIP_DLR,
                    status={"groupId": 2, "groupName": "UNDELIVERABLE", "id": 9, "name": "UNDELIVERABLE_NOT_DELIVERED"},
                    error={"groupId": 1, "groupName": "HANDSET_ERRORS", "id": 1, "name": "EC_UNKNOWN_SUBSCRIBER"},
                )
            ),
        ),
        [
            replace_event(
                INFOBIP_DELIVERED,
                status=Status.BOUNCE,
                vendor_status="UNDELIVERABLE_NOT_DELIVERED",
                error_code="1",
                error_reason="EC_UNKNOWN_SUBSCRIBER",
                failure_category="unknown_number",
                failure_type=FailureType.HARD,
            )
        ],
    ),
    ParseCase(
        "infobip-dlr-unlisted-code-keeps-description",
        json_request(
            HOOK_URL,
            _infobip(
                _infobip_result(
                    INFOBIP_DLR,
                    status={
                        "groupId": 5,
                        "groupName": "REJECTED",
                        "id": 14,
                        "name": "REJECTED_DESTINATION_BLOCKLISTED",
                    },
                    error={"id": 573, "name": "EC_SC_BLOCKED_BY_END_USER", "description": "Blocked by end user"},
                )
            ),
        ),
        [
            replace_event(
                INFOBIP_DELIVERED,
                status=Status.ERROR,
                vendor_status="REJECTED_DESTINATION_BLOCKLISTED",
                error_code="573",
                error_reason="Blocked by end user",
                failure_category="unknown",
            )
        ],
    ),
    ParseCase(
        "infobip-dlr-expired-dlr-unknown-final",
        json_request(
            HOOK_URL,
            _infobip(_infobip_result(INFOBIP_DLR, status={"name": "EXPIRED_DLR_UNKNOWN"}, error=None)),
        ),
        [replace_event(INFOBIP_DELIVERED, status=Status.UNKNOWN, vendor_status="EXPIRED_DLR_UNKNOWN")],
    ),
    ParseCase(
        "infobip-dlr-sent-at-when-no-done-at",
        json_request(
            HOOK_URL, _infobip(_infobip_result(INFOBIP_DLR, doneAt=None, sentAt="2023-08-01T10:39:00.000+0000"))
        ),
        [replace_event(INFOBIP_DELIVERED, occurred_at=utc(2023, 8, 1, 10, 39))],
    ),
    ParseCase(
        "infobip-dlr-callback-data-when-no-message-id",
        json_request(HOOK_URL, _infobip(_infobip_result(INFOBIP_DLR, messageId=None, callbackData="msg_4b1c9d2e"))),
        [replace_event(INFOBIP_DELIVERED, vendor_message_id="msg_4b1c9d2e")],
    ),
    # one URL, one batch of both kinds: each result is read with the mapping it completes,
    # so the STOP is not refused for lacking a report's status (nor a report a message's text)
    ParseCase(
        "infobip-mixed-batch-stop-then-two-reports",
        json_request(
            HOOK_URL,
            _infobip(
                _infobip_result(INFOBIP_INBOUND, text="STOP"),
                _infobip_result(INFOBIP_DLR),
                _infobip_result(INFOBIP_DLR, messageId="MESSAGE-ID-124-xyz"),
            ),
        ),
        [
            replace_event(INFOBIP_QUIZ, text="STOP"),
            INFOBIP_DELIVERED,
            replace_event(INFOBIP_DELIVERED, vendor_message_id="MESSAGE-ID-124-xyz"),
        ],
    ),
    ParseCase(
        "infobip-mixed-batch-report-then-stop",
        json_request(
            HOOK_URL,
            _infobip(_infobip_result(INFOBIP_DLR), _infobip_result(INFOBIP_INBOUND, text="STOP")),
        ),
        [INFOBIP_DELIVERED, replace_event(INFOBIP_QUIZ, text="STOP")],
    ),
    ParseCase("infobip-empty-results-no-events", json_request(HOOK_URL, {"results": []}), []),
    # -- refused ------------------------------------------------------------
    ParseCase("infobip-error-results-not-a-list", json_request(HOOK_URL, {"results": {}}), error=PayloadError),
    ParseCase("infobip-error-result-not-an-object", json_request(HOOK_URL, {"results": ["x"]}), error=PayloadError),
    # one malformed result beside a good one is refused alone (the host stores the other)
    ParseCase(
        "infobip-partly-inbound-result-without-from",
        json_request(
            HOOK_URL, _infobip(_infobip_result(INFOBIP_INBOUND), _infobip_result(INFOBIP_INBOUND, **{"from": None}))
        ),
        error=PartlyMalformed,
    ),
    ParseCase(
        "infobip-partly-result-not-an-object",
        json_request(HOOK_URL, _infobip(_infobip_result(INFOBIP_INBOUND), "817790313235066448")),  # type: ignore[arg-type]
        error=PartlyMalformed,
    ),
    ParseCase(
        "infobip-partly-dlr-result-bad-done-at",
        json_request(
            HOOK_URL, _infobip(_infobip_result(INFOBIP_DLR, doneAt="yesterday"), _infobip_result(INFOBIP_DLR))
        ),
        error=PartlyMalformed,
    ),
    ParseCase(
        "infobip-error-every-result-malformed",
        json_request(
            HOOK_URL,
            _infobip(_infobip_result(INFOBIP_INBOUND, **{"from": None}), _infobip_result(INFOBIP_INBOUND, text=[1])),
        ),
        error=PayloadError,
    ),
    ParseCase(
        "infobip-error-dlr-without-any-id",
        json_request(HOOK_URL, _infobip(_infobip_result(INFOBIP_DLR, messageId=None))),
        error=PayloadError,
    ),
]

INFOBIP_SIGNED_INBOUND = "f0588c27963ed104223871b4ff35a52100725a25e3ab90cfaa808aab8b0fbc2c"
INFOBIP_SIGNED_DLR = "0527485cf4bd4bed80a62b845d0d6d6dbf273051e9ec6c568506fc43f7ca57fb"


def _hmac_signed(body: str, signature: str, header: str = SIGNATURE_HEADER) -> Any:
    return json_request(HOOK_URL, body, {header: signature})


INFOBIP_VERIFY = [
    VerifyCase("infobip-hmac-hex", _hmac_signed(INFOBIP_INBOUND, INFOBIP_SIGNED_INBOUND), INFOBIP_CREDENTIALS, True),
    VerifyCase("infobip-hmac-dlr", _hmac_signed(INFOBIP_DLR, INFOBIP_SIGNED_DLR), INFOBIP_CREDENTIALS, True),
    VerifyCase(
        "infobip-hmac-upper-hex-with-prefix",
        _hmac_signed(INFOBIP_INBOUND, "sha256=" + INFOBIP_SIGNED_INBOUND.upper()),
        INFOBIP_CREDENTIALS,
        True,
    ),
    VerifyCase(
        "infobip-hmac-base64",
        _hmac_signed(INFOBIP_INBOUND, "8FiMJ5Y+0QQiOHG0/zWlIQByWiXjq5DPqoCKq4sPvCw="),
        INFOBIP_CREDENTIALS,
        True,
    ),
    VerifyCase(
        "infobip-hmac-own-header",
        _hmac_signed(INFOBIP_INBOUND, INFOBIP_SIGNED_INBOUND, header="X-Hub-Signature-256"),
        {**INFOBIP_CREDENTIALS, "webhook_signature_header": "X-Hub-Signature-256"},
        True,
    ),
    VerifyCase("infobip-hmac-missing", json_request(HOOK_URL, INFOBIP_INBOUND), INFOBIP_CREDENTIALS, False),
    VerifyCase("infobip-hmac-blank", _hmac_signed(INFOBIP_INBOUND, "  "), INFOBIP_CREDENTIALS, False),
    VerifyCase(
        "infobip-hmac-of-other-body",
        _hmac_signed(INFOBIP_DLR, INFOBIP_SIGNED_INBOUND),
        INFOBIP_CREDENTIALS,
        False,
    ),
    VerifyCase(
        "infobip-hmac-body-tampered-by-one-byte",
        _hmac_signed(INFOBIP_INBOUND.replace("Paris", "Parts"), INFOBIP_SIGNED_INBOUND),
        INFOBIP_CREDENTIALS,
        False,
    ),
    VerifyCase(
        "infobip-hmac-signature-tampered",
        _hmac_signed(INFOBIP_INBOUND, INFOBIP_SIGNED_INBOUND[:-1] + "d"),
        INFOBIP_CREDENTIALS,
        False,
    ),
    VerifyCase(
        "infobip-hmac-wrong-secret",
        _hmac_signed(INFOBIP_INBOUND, INFOBIP_SIGNED_INBOUND),
        {**INFOBIP_CREDENTIALS, "webhook_secret": WEBHOOK_SECRET + "x"},
        False,
    ),
    VerifyCase(
        "infobip-hmac-without-secret-fails-closed",
        _hmac_signed(INFOBIP_INBOUND, INFOBIP_SIGNED_INBOUND),
        {**INFOBIP_CREDENTIALS, "webhook_secret": ""},
        False,
    ),
    VerifyCase(
        "infobip-hmac-in-wrong-header",
        _hmac_signed(INFOBIP_INBOUND, INFOBIP_SIGNED_INBOUND, header="X-Other-Signature"),
        INFOBIP_CREDENTIALS,
        False,
    ),
]

INFOBIP_STATUSES = [
    *(StatusCase(name, Status(status)) for name, status in INFOBIP_STATUS_MAP.items()),
    StatusCase("delivered_to_handset", Status.DELIVERED),
    # Not in this credential's map.
    StatusCase("REJECTED_SENDER", Status.UNKNOWN),
    StatusCase("SIGNALS_BLOCKED", Status.UNKNOWN),
]


def infobip_status_report(case: StatusCase) -> WebhookRequest:
    """Infobip's delivery report example carrying the row's status name instead."""
    status = {**json.loads(INFOBIP_DLR)["results"][0]["status"], "name": case.vendor_status}
    return json_request(HOOK_URL, _infobip(_infobip_result(INFOBIP_DLR, status=status)))


INFOBIP_SEND = [
    SendCase(
        "infobip-send-v3-app-key",
        OTP,
        INFOBIP_SERVER,
        VendorReply(200, json=fixture_json("infobip_send_response.json")),
        ExpectedRequest(
            "POST",
            "/sms/3/messages",
            headers={"Authorization": f"App {INFOBIP_API_KEY}", "Accept": "application/json"},
            json={
                "messages": [
                    {
                        "sender": "+15558675310",
                        "destinations": [{"to": "41793026727"}],
                        "content": {"text": OTP.text},
                        "webhooks": {
                            "delivery": {"url": STATUS_CALLBACK},
                            "contentType": "application/json",
                            "callbackData": "msg_4b1c9d2e",
                        },
                    }
                ]
            },
        ),
        message_id="2250be2d4219-3af1-78856-aabe-1362af1edfd2",
    ),
    SendCase(
        "infobip-send-api-key-own-header",
        OTP,
        {**INFOBIP_SERVER, "api_key_header": "X-Api-Key", "api_key_prefix": None},
        VendorReply(200, json=fixture_json("infobip_send_response.json")),
        ExpectedRequest("POST", "/sms/3/messages", headers={"X-Api-Key": INFOBIP_API_KEY}),
        message_id="2250be2d4219-3af1-78856-aabe-1362af1edfd2",
    ),
    SendCase(
        "infobip-send-empty-messages-no-id",
        OTP,
        INFOBIP_SERVER,
        VendorReply(200, json={"bulkId": "1", "messages": []}),
        retryable=False,
    ),
    *_error_cases("infobip", OTP, INFOBIP_SERVER),
]

# ==============================================================================
# SINCH described as a Custom provider
# ==============================================================================

SINCH_TOKEN = "8a1f0c3b7d4e4f2a9c6b5d3e1f0a2b4c"
SINCH_STATUS_MAP = {
    "Queued": "queued",
    "Dispatched": "sent",
    "Aborted": "error",
    "Cancelled": "error",
    "Rejected": "bounce",
    "Deleted": "bounce",
    "Failed": "bounce",
    "Expired": "bounce",
    "Delivered": "delivered",
    "Unknown": "unknown",
}
SINCH_CREDENTIALS = credential(
    provider_url="https://us.sms.api.sinch.com/xms/v1/a1b2c3d4e5f6/batches",
    payload_template=fixture("sinch_send.j2"),
    auth_type="bearer",
    bearer_token=SINCH_TOKEN,
    message_id_path="id",
    error_code_path="code",
    inbound_mapping=fixture_json("sinch_inbound_mapping.json"),
    feedback_mapping=fixture("sinch_feedback_mapping.json"),
    status_map=SINCH_STATUS_MAP,
    failure_codes={
        "402": {"reason": "Message unroutable", "category": "unroutable", "type": "hard"},
        "404": {"reason": "Temporary delivery failure", "category": "temporary_failure", "type": "soft"},
        "412": {"reason": "Unprovisioned region", "category": "unprovisioned_region", "type": "hard"},
    },
    webhook_auth_type="shared_secret",
    webhook_secret_header="Authorization",
    webhook_secret="Basic c2luY2g6N0hxMnZYOXBMNG1OOHJUMQ==",
)
SINCH_SERVER = {**SINCH_CREDENTIALS, "provider_url": "{server}/xms/v1/a1b2c3d4e5f6/batches"}

SINCH_MO = fixture("sinch_mo_text.json")
SINCH_BATCH = fixture("sinch_batch_report.json")
SINCH_RECIPIENT = fixture("sinch_recipient_report.json")

# vendors.md §3.2 / §3.3, as the native plugin reads them.
SINCH_HELLO = InboundMessage(
    vendor="custom",
    vendor_message_id="01W4FFL35P4NC4K35SMSBATCH8",
    sender="+12015555555",
    recipient="+12017777777",
    text="Hello John! \U0001f44b",
    received_at=datetime(2024, 6, 6, 7, 52, 37, 386000, tzinfo=UTC),
)
SINCH_BATCH_DELIVERED = DeliveryReport(
    vendor="custom",
    vendor_message_id="01W4FFL35P4NC4K35SMSBATCH8",
    recipient="+12017777777",
    status=Status.DELIVERED,
    vendor_status="Delivered",
    occurred_at=RECEIVED_AT,  # batch reports carry no time
    final=True,
)
SINCH_ABORTED = DeliveryReport(
    vendor="custom",
    vendor_message_id="01W4FFL35P4NC4K35SMSBATCH9",
    recipient="+12010000000",
    status=Status.ERROR,
    vendor_status="Aborted",
    occurred_at=datetime(2024, 6, 6, 8, 17, 15, 603000, tzinfo=UTC),
    final=True,
    error_code="412",
    error_reason="Unprovisioned region",
    failure_category="unprovisioned_region",
    failure_type=FailureType.HARD,
)


def _sinch(payload: str, **changes: Any) -> str:
    document = {**json.loads(payload), **changes}
    return json.dumps({key: value for key, value in document.items() if value is not None})


SINCH_PARSE = [
    ParseCase("sinch-mo-text-example", json_request(HOOK_URL, SINCH_MO), [SINCH_HELLO]),
    ParseCase(
        "sinch-batch-report-example-one-event-per-recipient",
        json_request(HOOK_URL, SINCH_BATCH),
        [SINCH_BATCH_DELIVERED, replace_event(SINCH_BATCH_DELIVERED, recipient="+33612345678")],
    ),
    ParseCase("sinch-recipient-report-example", json_request(HOOK_URL, SINCH_RECIPIENT), [SINCH_ABORTED]),
    ParseCase(
        "sinch-batch-summary-without-recipients",
        json_request(
            HOOK_URL,
            _sinch(
                SINCH_BATCH,
                statuses=[
                    {"code": 0, "status": "Delivered", "count": 1},
                    {"code": 402, "status": "Aborted", "count": 1},
                ],
            ),
        ),
        [
            replace_event(SINCH_BATCH_DELIVERED, recipient=None),
            replace_event(
                SINCH_BATCH_DELIVERED,
                recipient=None,
                status=Status.ERROR,
                vendor_status="Aborted",
                error_code="402",
                error_reason="Message unroutable",
                failure_category="unroutable",
                failure_type=FailureType.HARD,
            ),
        ],
    ),
    ParseCase(
        "sinch-recipient-dispatched-not-final",
        json_request(HOOK_URL, _sinch(SINCH_RECIPIENT, status="Dispatched", code=401)),
        [
            DeliveryReport(
                vendor="custom",
                vendor_message_id="01W4FFL35P4NC4K35SMSBATCH9",
                recipient="+12010000000",
                status=Status.SENT,
                vendor_status="Dispatched",
                occurred_at=SINCH_ABORTED.occurred_at,
            )
        ],
    ),
    ParseCase(
        "sinch-recipient-uppercase-status",
        json_request(HOOK_URL, _sinch(SINCH_RECIPIENT, status="ABORTED")),
        [replace_event(SINCH_ABORTED, vendor_status="ABORTED")],
    ),
    ParseCase(
        "sinch-recipient-unknown-final",
        json_request(HOOK_URL, _sinch(SINCH_RECIPIENT, status="Unknown", code=0)),
        [
            replace_event(
                SINCH_ABORTED,
                status=Status.UNKNOWN,
                vendor_status="Unknown",
                error_code=None,
                error_reason=None,
                failure_category=None,
                failure_type=None,
            )
        ],
    ),
    ParseCase(
        "sinch-recipient-undocumented-status",
        json_request(HOOK_URL, _sinch(SINCH_RECIPIENT, status="Parked", code=0)),
        [
            replace_event(
                SINCH_ABORTED,
                status=Status.UNKNOWN,
                vendor_status="Parked",
                final=False,
                error_code=None,
                error_reason=None,
                failure_category=None,
                failure_type=None,
            )
        ],
    ),
    ParseCase(
        "sinch-recipient-unlisted-failure-code",
        json_request(HOOK_URL, _sinch(SINCH_RECIPIENT, status="Failed", code=61)),
        [
            replace_event(
                SINCH_ABORTED,
                status=Status.BOUNCE,
                vendor_status="Failed",
                error_code="61",
                error_reason=None,
                failure_category="unknown",
                failure_type=None,
            )
        ],
    ),
    ParseCase(
        "sinch-mo-extra-fields-ignored",
        json_request(HOOK_URL, _sinch(SINCH_MO, client_reference="client-ref", sent_at="2024-06-06T07:52:36Z")),
        [SINCH_HELLO],
    ),
    ParseCase("sinch-batch-empty-statuses", json_request(HOOK_URL, _sinch(SINCH_BATCH, statuses=[])), []),
    # -- refused ------------------------------------------------------------
    ParseCase(
        "sinch-error-mo-binary-not-described",
        json_request(HOOK_URL, _sinch(SINCH_MO, type="mo_binary", body="SGVsbG8=")),
        error=PayloadError,
    ),
    ParseCase(
        "sinch-error-mo-without-type",
        json_request(HOOK_URL, _sinch(SINCH_MO, type=None)),
        error=PayloadError,
    ),
    ParseCase(
        "sinch-error-recipient-report-without-batch-id",
        json_request(HOOK_URL, _sinch(SINCH_RECIPIENT, batch_id=None, client_reference=None)),
        error=PayloadError,
    ),
    ParseCase(
        "sinch-error-recipients-not-a-list",
        json_request(
            HOOK_URL,
            _sinch(SINCH_BATCH, statuses=[{"code": 0, "status": "Delivered", "count": 1, "recipients": "12017777777"}]),
        ),
        error=PayloadError,
    ),
    ParseCase(
        "sinch-error-top-level-array",
        json_request(HOOK_URL, json.dumps([json.loads(SINCH_MO)])),
        error=PayloadError,
    ),
]

SINCH_BASIC = "Basic c2luY2g6N0hxMnZYOXBMNG1OOHJUMQ=="
SINCH_VERIFY = [
    VerifyCase(
        "sinch-basic-auth-as-shared-secret",
        json_request(HOOK_URL, SINCH_MO, {"Authorization": SINCH_BASIC}),
        SINCH_CREDENTIALS,
        True,
    ),
    VerifyCase(
        "sinch-basic-other-password",
        json_request(HOOK_URL, SINCH_MO, {"Authorization": "Basic " + base64.b64encode(b"sinch:guess").decode()}),
        SINCH_CREDENTIALS,
        False,
    ),
    VerifyCase("sinch-no-authorization", json_request(HOOK_URL, SINCH_MO), SINCH_CREDENTIALS, False),
    VerifyCase(
        "sinch-default-header-ignored-when-configured-otherwise",
        json_request(HOOK_URL, SINCH_MO, {"X-Webhook-Secret": SINCH_BASIC}),
        SINCH_CREDENTIALS,
        False,
    ),
]

SINCH_STATUSES = [
    *(StatusCase(name, Status(status)) for name, status in SINCH_STATUS_MAP.items()),
    StatusCase("DELIVERED", Status.DELIVERED),
    StatusCase("  delivered ", Status.DELIVERED),
    StatusCase("Parked", Status.UNKNOWN),
]


def sinch_status_report(case: StatusCase) -> WebhookRequest:
    """Sinch's recipient report example carrying the row's status instead."""
    return json_request(HOOK_URL, _sinch(SINCH_RECIPIENT, status=case.vendor_status))


# -- acknowledge ----------------------------------------------------------------

# AJO's providers answer a webhook with an empty 2xx; replies go out through the send API.
ACKNOWLEDGE = [
    AcknowledgeCase("ack-empty-200"),
    AcknowledgeCase("ack-replies-not-inline", replies=["You are unsubscribed."]),
]

SINCH_SEND = [
    SendCase(
        "sinch-send-batch",
        OTP,
        SINCH_SERVER,
        VendorReply(201, json=fixture_json("sinch_send_response.json")),
        ExpectedRequest(
            "POST",
            "/xms/v1/a1b2c3d4e5f6/batches",
            headers={"Authorization": f"Bearer {SINCH_TOKEN}"},
            json={
                "from": "+15558675310",
                "to": ["+41793026727"],
                "body": OTP.text,
                "delivery_report": "per_recipient",
                "callback_url": STATUS_CALLBACK,
                "client_reference": "msg_4b1c9d2e",
            },
        ),
        message_id="01W4FFL35P4NC4K35SMSBATCH1",
    ),
    SendCase(
        "sinch-send-400-error-code",
        OTP,
        SINCH_SERVER,
        VendorReply(400, json=fixture_json("sinch_send_error_400.json")),
        ExpectedRequest("POST", "/xms/v1/a1b2c3d4e5f6/batches"),
        retryable=False,
        error_code="syntax_invalid_parameter_format",
    ),
    SendCase(
        "sinch-send-403-error-code",
        OTP,
        SINCH_SERVER,
        VendorReply(403, json={"code": "forbidden", "text": "Requested resource is forbidden"}),
        retryable=False,
        error_code="forbidden",
    ),
    *_error_cases("sinch", OTP, SINCH_SERVER),
]


def type_confusion(*names: str) -> list[tuple[str, Any]]:
    """Fixtures for the kit's type-confusion sweep (every value replaced by each other JSON type)."""
    return [(name.removesuffix(".json"), fixture_json(name)) for name in names]
