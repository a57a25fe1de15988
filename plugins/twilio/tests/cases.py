"""Twilio's conformance tables: real-format requests in, the exact events out.

Payload fixtures are in ``fixtures/`` in the shape vendors.md §1 documents.
Known-good signatures are literals: the worked vectors of vendors.md §1.3
(twilio-python's own tests) and, for our fixtures, values computed once with
the official ``twilio.request_validator.RequestValidator``, never with the code
under test.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from urllib.parse import quote, quote_plus

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
from smshooks.vendor import PayloadError, WebhookRequest, WebhookResponse

HERE = Path(__file__).parent


def fixture(name: str) -> str:
    return fixture_text(HERE, name)


def fixture_json(name: str) -> object:
    return json.loads(fixture(name))


# -- shared values ------------------------------------------------------------

HOOK_URL = "https://sms.example.com/hooks/wh_3kTq9ZbV1xR7mN2p"
ACCOUNT_SID = "AC0123456789abcdef0123456789abcdef"
AUTH_TOKEN = "f3a9c2e17b4d6085a1c3e5f7092b4d6e"
MESSAGING_SERVICE_SID = "MG9752274e9e519418a7406176694466fa"
CREDENTIALS = {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN}
SIGNATURE = "X-Twilio-Signature"

INBOUND_SMS = fixture("inbound_sms.form")
INBOUND_MMS = fixture("inbound_mms.form")
INBOUND_GET_QUERY = fixture("inbound_get_query.txt")
STATUS_DELIVERED = fixture("status_delivered.form")
STATUS_UNDELIVERED = fixture("status_undelivered_30003.form")
JSON_BODY = fixture("json_body.json")
JSON_BODY_SHA256 = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"

# -- parse --------------------------------------------------------------------

STOP_FROM_SUBSCRIBER = InboundMessage(
    vendor="twilio",
    vendor_message_id="SM1f0e8ae6ade43cb3c0ce4525424e404f",
    sender="+14155550123",
    recipient="+14155550100",
    text="STOP",
    received_at=RECEIVED_AT,
    segments=1,
)

MMS_MEDIA = (
    "https://api.twilio.com/2010-04-01/Accounts/" + ACCOUNT_SID + "/Messages/MM4c3b2a190f8e7d6c5b4a39281706f5e4/Media/"
)

DELIVERED = DeliveryReport(
    vendor="twilio",
    vendor_message_id="SM1234567890abcdef1234567890abcd02",
    recipient="+14155550123",
    status=Status.DELIVERED,
    vendor_status="delivered",
    occurred_at=RECEIVED_AT,
    final=True,
)


PARSE = [
    ParseCase("inbound-sms-stop", form_request(HOOK_URL, INBOUND_SMS), [STOP_FROM_SUBSCRIBER]),
    # Advanced Opt-Out names the keyword message it acted on: STOP opts out whatever the word (ARRET
    # listed in the Messaging Service); START and HELP are left to the keyword rules
    ParseCase(
        "inbound-advanced-opt-out-stop",
        form_request(HOOK_URL, INBOUND_SMS.replace("Body=STOP", "Body=ARRET") + "&OptOutType=STOP"),
        [replace_event(STOP_FROM_SUBSCRIBER, text="ARRET", vendor_opt_out=True)],
    ),
    ParseCase(
        "inbound-advanced-opt-out-start",
        form_request(HOOK_URL, INBOUND_SMS.replace("Body=STOP", "Body=START") + "&OptOutType=START"),
        [replace_event(STOP_FROM_SUBSCRIBER, text="START")],
    ),
    ParseCase(
        "inbound-mms-two-media",
        form_request(HOOK_URL, INBOUND_MMS),
        [
            InboundMessage(
                vendor="twilio",
                vendor_message_id="MM4c3b2a190f8e7d6c5b4a39281706f5e4",
                sender="+14155550123",
                recipient="+14155550100",
                text="Here are the photos \N{CAMERA}",
                received_at=RECEIVED_AT,
                segments=1,
                media_urls=(
                    MMS_MEDIA + "ME11111111111111111111111111111111",
                    MMS_MEDIA + "ME22222222222222222222222222222222",
                ),
            )
        ],
    ),
    ParseCase(
        "inbound-mms-without-body",
        form_request(HOOK_URL, INBOUND_MMS.replace("Body=Here+are+the+photos+%F0%9F%93%B7", "Body=")),
        [
            InboundMessage(
                vendor="twilio",
                vendor_message_id="MM4c3b2a190f8e7d6c5b4a39281706f5e4",
                sender="+14155550123",
                recipient="+14155550100",
                text="",
                received_at=RECEIVED_AT,
                media_urls=(
                    MMS_MEDIA + "ME11111111111111111111111111111111",
                    MMS_MEDIA + "ME22222222222222222222222222222222",
                ),
            )
        ],
    ),
    ParseCase(
        "inbound-get-query",
        form_request(HOOK_URL + "?" + INBOUND_GET_QUERY, {}, method="GET"),
        [replace_event(STOP_FROM_SUBSCRIBER, vendor_message_id="SM9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d", text="HELP")],
    ),
    ParseCase(
        "inbound-legacy-sms-message-sid",
        form_request(HOOK_URL, fixture("inbound_legacy_sid.form")),
        [
            replace_event(
                STOP_FROM_SUBSCRIBER,
                vendor_message_id="SM0f1e2d3c4b5a69788796a5b4c3d2e1f0",
                sender="+447700900123",
                text="start",
            )
        ],
    ),
    ParseCase(
        "inbound-short-code-recipient",
        form_request(HOOK_URL, fixture("inbound_short_code.form")),
        [
            replace_event(
                STOP_FROM_SUBSCRIBER,
                vendor_message_id="SM5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b",
                recipient="89687",
                text="Café & crème?",
            )
        ],
    ),
    ParseCase(
        "inbound-channel-prefixed-sender",
        form_request(HOOK_URL, INBOUND_SMS.replace("From=%2B14155550123", "From=sms%3A%2B14155550123")),
        [STOP_FROM_SUBSCRIBER],
    ),
    ParseCase(
        "inbound-long-message-segments",
        form_request(HOOK_URL, INBOUND_SMS.replace("NumSegments=1", "NumSegments=3")),
        [replace_event(STOP_FROM_SUBSCRIBER, segments=3)],
    ),
    ParseCase(
        "inbound-without-num-segments",
        form_request(HOOK_URL, INBOUND_SMS.replace("&NumSegments=1", "")),
        [STOP_FROM_SUBSCRIBER],
    ),
    ParseCase("status-delivered", form_request(HOOK_URL, STATUS_DELIVERED), [DELIVERED]),
    ParseCase(
        "status-undelivered-30003",
        form_request(HOOK_URL, STATUS_UNDELIVERED),
        [
            replace_event(
                DELIVERED,
                status=Status.BOUNCE,
                vendor_status="undelivered",
                error_code="30003",
                error_reason="Unreachable destination handset",
                failure_category="unreachable",
                failure_type=FailureType.HARD,
            )
        ],
    ),
    ParseCase(
        "status-failed-30001-queue-overflow",
        form_request(HOOK_URL, fixture("status_failed_30001.form")),
        [
            DeliveryReport(
                vendor="twilio",
                vendor_message_id="SM1234567890abcdef1234567890abcd04",
                recipient="+14155550125",
                status=Status.ERROR,
                vendor_status="failed",
                occurred_at=RECEIVED_AT,
                final=True,
                error_code="30001",
                error_reason="Queue overflow",
                failure_category="queue_overflow",
                failure_type=FailureType.SOFT,
            )
        ],
    ),
    ParseCase(
        "status-sent-not-final",
        form_request(HOOK_URL, fixture("status_sent.form")),
        [
            DeliveryReport(
                vendor="twilio",
                vendor_message_id="SM1234567890abcdef1234567890abcd03",
                recipient="+14155550124",
                status=Status.SENT,
                vendor_status="sent",
                occurred_at=RECEIVED_AT,
                final=False,
            )
        ],
    ),
    ParseCase(
        "status-undelivered-unlisted-error-code",
        form_request(HOOK_URL, STATUS_UNDELIVERED.replace("ErrorCode=30003", "ErrorCode=30410")),
        [
            replace_event(
                DELIVERED,
                status=Status.BOUNCE,
                vendor_status="undelivered",
                error_code="30410",
                error_reason=None,
                failure_category="unknown",
                failure_type=None,
            )
        ],
    ),
    ParseCase(
        "status-undelivered-without-error-code",
        form_request(HOOK_URL, STATUS_UNDELIVERED.replace("&ErrorCode=30003", "")),
        [replace_event(DELIVERED, status=Status.BOUNCE, vendor_status="undelivered", failure_category="unknown")],
    ),
    ParseCase(
        "status-channel-prefixed-recipient",
        form_request(HOOK_URL, STATUS_DELIVERED.replace("To=%2B14155550123", "To=whatsapp%3A%2B14155550123")),
        [DELIVERED],
    ),
    ParseCase(
        "status-error-code-zero-is-no-error",
        form_request(HOOK_URL, STATUS_DELIVERED + "&ErrorCode=0"),
        [DELIVERED],
    ),
    ParseCase(
        "status-sms-status-only",
        form_request(HOOK_URL, STATUS_DELIVERED.replace("&MessageStatus=delivered", "")),
        [DELIVERED],
    ),
    ParseCase(
        "status-undocumented-is-unknown-not-refused",
        form_request(HOOK_URL, STATUS_DELIVERED.replace("=delivered", "=expired")),
        [replace_event(DELIVERED, status=Status.UNKNOWN, vendor_status="expired", final=False)],
    ),
    ParseCase(
        "status-without-to-keeps-report",
        form_request(HOOK_URL, STATUS_DELIVERED.replace("&To=%2B14155550123", "")),
        [replace_event(DELIVERED, recipient=None)],
    ),
    ParseCase(
        "status-opted-out-21610",
        form_request(HOOK_URL, STATUS_UNDELIVERED.replace("=undelivered", "=failed").replace("30003", "21610")),
        [
            replace_event(
                DELIVERED,
                status=Status.ERROR,
                vendor_status="failed",
                error_code="21610",
                error_reason="Attempt to send to unsubscribed recipient (opted out)",
                failure_category="opted_out",
                failure_type=FailureType.HARD,
            )
        ],
    ),
    # -- refused ------------------------------------------------------------
    ParseCase(
        "error-missing-message-sid",
        form_request(
            HOOK_URL,
            INBOUND_SMS.replace("MessageSid=SM1f0e8ae6ade43cb3c0ce4525424e404f", "MessageSid=").replace(
                "SmsSid=SM1f0e8ae6ade43cb3c0ce4525424e404f", "SmsSid="
            ),
        ),
        error=PayloadError,
    ),
    ParseCase(
        "error-status-missing-message-sid",
        form_request(HOOK_URL, STATUS_DELIVERED.replace("SmsSid=", "X=").replace("MessageSid=", "Y=")),
        error=PayloadError,
    ),
    ParseCase(
        "error-inbound-missing-from",
        form_request(HOOK_URL, INBOUND_SMS.replace("&From=%2B14155550123", "")),
        error=PayloadError,
    ),
    ParseCase(
        "error-inbound-missing-to",
        form_request(HOOK_URL, INBOUND_SMS.replace("&To=%2B14155550100", "")),
        error=PayloadError,
    ),
    ParseCase(
        "error-num-segments-not-integer",
        form_request(HOOK_URL, INBOUND_SMS.replace("NumSegments=1", "NumSegments=two")),
        error=PayloadError,
    ),
    ParseCase(
        "error-num-media-not-integer",
        form_request(HOOK_URL, INBOUND_MMS.replace("NumMedia=2", "NumMedia=2.5")),
        error=PayloadError,
    ),
    ParseCase("error-json-body", json_request(HOOK_URL, {"MessageSid": "SM1", "Body": "hi"}), error=PayloadError),
    ParseCase("error-empty-form", form_request(HOOK_URL, ""), error=PayloadError),
    ParseCase("error-get-without-query", form_request(HOOK_URL, {}, method="GET"), error=PayloadError),
    ParseCase(
        "error-neither-status-nor-body",
        form_request(HOOK_URL, {"MessageSid": "SM1", "From": "+14155550123", "To": "+14155550100"}),
        error=PayloadError,
    ),
]

# -- verify -------------------------------------------------------------------

# vendors.md §1.3, from twilio-python tests/unit/test_request_validator.py
VECTOR_TOKEN = {"account_sid": ACCOUNT_SID, "auth_token": "12345"}
VECTOR_URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
VECTOR_PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Caller": "+14158675309",
    "Digits": "1234",
    "From": "+14158675309",
    "To": "+18005551212",
}
VECTOR_MULTI = {"Sid": "CA123", "SidAccount": "AC123", "Digits": ["5678", "1234", "1234"]}
VECTOR_JSON_URL = VECTOR_URL + "&bodySHA256=" + JSON_BODY_SHA256


def _vector(url: str, params: dict, signature: str) -> object:
    return form_request(url, params, {SIGNATURE: signature})


def _signed(body: str, signature: str, url: str = HOOK_URL) -> object:
    return form_request(url, body, {SIGNATURE: signature})


VERIFY = [
    # Worked vectors: every one must be accepted.
    VerifyCase("vector-form", _vector(VECTOR_URL, VECTOR_PARAMS, "RSOYDt4T1cUTdK1PDd93/VVr8B8="), VECTOR_TOKEN, True),
    VerifyCase(
        "vector-signed-with-443-called-without-port",
        _vector(VECTOR_URL, VECTOR_PARAMS, "kvajT1Ptam85bY51eRf/AJRuM3w="),
        VECTOR_TOKEN,
        True,
    ),
    VerifyCase(
        "vector-signed-with-443-called-with-443",
        _vector("https://mycompany.com:443/myapp.php?foo=1&bar=2", VECTOR_PARAMS, "kvajT1Ptam85bY51eRf/AJRuM3w="),
        VECTOR_TOKEN,
        True,
    ),
    VerifyCase(
        "vector-signed-without-port-called-with-443",
        _vector("https://mycompany.com:443/myapp.php?foo=1&bar=2", VECTOR_PARAMS, "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
        VECTOR_TOKEN,
        True,
    ),
    VerifyCase(
        "vector-http-80-called-with-80",
        _vector("http://mycompany.com:80/myapp.php?foo=1&bar=2", VECTOR_PARAMS, "0ZXoZLH/DfblKGATFgpif+LLRf4="),
        VECTOR_TOKEN,
        True,
    ),
    VerifyCase(
        "vector-http-80-called-without-port",
        _vector("http://mycompany.com/myapp.php?foo=1&bar=2", VECTOR_PARAMS, "0ZXoZLH/DfblKGATFgpif+LLRf4="),
        VECTOR_TOKEN,
        True,
    ),
    VerifyCase(
        "vector-http-port-1234-kept",
        _vector("http://mycompany.com:1234/myapp.php?foo=1&bar=2", VECTOR_PARAMS, "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="),
        VECTOR_TOKEN,
        True,
    ),
    VerifyCase(
        "vector-multi-value-deduplicated",
        _vector(VECTOR_URL, VECTOR_MULTI, "IK+Dwps556ElfBT0I3Rgjkr1wJU="),
        VECTOR_TOKEN,
        True,
    ),
    VerifyCase(
        "vector-multi-value-without-duplicate",
        _vector(VECTOR_URL, {**VECTOR_MULTI, "Digits": ["1234", "5678"]}, "IK+Dwps556ElfBT0I3Rgjkr1wJU="),
        VECTOR_TOKEN,
        True,
    ),
    VerifyCase(
        "vector-json-body-sha256",
        json_request(VECTOR_JSON_URL, JSON_BODY, {SIGNATURE: "a9nBmqA0ju/hNViExpshrM61xv4="}),
        VECTOR_TOKEN,
        True,
    ),
    # Our own real-format fixtures, signed by twilio-python's validator.
    VerifyCase("inbound-sms-signed", _signed(INBOUND_SMS, "VYW869IvSq01hYu+OBXDZ9yY28Q="), CREDENTIALS, True),
    VerifyCase("inbound-mms-unicode-signed", _signed(INBOUND_MMS, "90v61dpIiFnBjdN2Vs8OzjnjfnA="), CREDENTIALS, True),
    VerifyCase(
        "inbound-blank-value-signed",
        _signed(INBOUND_MMS.replace("Body=Here+are+the+photos+%F0%9F%93%B7", "Body="), "FrMKhkRYC+5fRgUBJWdbmM9BX0M="),
        CREDENTIALS,
        True,
    ),
    VerifyCase("status-delivered-signed", _signed(STATUS_DELIVERED, "Qbgu6Yv6JUAYnVzZ7hq5GFhm9Kg="), CREDENTIALS, True),
    VerifyCase(
        "status-undelivered-signed", _signed(STATUS_UNDELIVERED, "70rATcyb5HbgjsHe79F1ER5jdxM="), CREDENTIALS, True
    ),
    VerifyCase(
        "inbound-get-signed-over-url",
        form_request(HOOK_URL + "?" + INBOUND_GET_QUERY, {}, {SIGNATURE: "aFLMQLdL0IIm8SSrfbwoFTDLsMg="}, method="GET"),
        CREDENTIALS,
        True,
    ),
    VerifyCase(
        "json-body-on-hook-url-signed",
        json_request(
            HOOK_URL + "?bodySHA256=" + JSON_BODY_SHA256, JSON_BODY, {SIGNATURE: "Eovyd0cvJMfiOG2hHlo1v1i/gjg="}
        ),
        CREDENTIALS,
        True,
    ),
    VerifyCase(
        "header-name-case-insensitive",
        form_request(HOOK_URL, INBOUND_SMS, {"x-twilio-signature": "VYW869IvSq01hYu+OBXDZ9yY28Q="}),
        CREDENTIALS,
        True,
    ),
    # Refused.
    VerifyCase("missing-header", form_request(HOOK_URL, INBOUND_SMS), CREDENTIALS, False),
    VerifyCase("empty-header", _signed(INBOUND_SMS, ""), CREDENTIALS, False),
    VerifyCase(
        "wrong-token",
        _signed(INBOUND_SMS, "VYW869IvSq01hYu+OBXDZ9yY28Q="),
        {**CREDENTIALS, "auth_token": AUTH_TOKEN[:-1] + "f"},
        False,
    ),
    VerifyCase(
        "no-token-configured",
        _signed(INBOUND_SMS, "VYW869IvSq01hYu+OBXDZ9yY28Q="),
        {"account_sid": ACCOUNT_SID},
        False,
    ),
    VerifyCase(
        "body-tampered-by-one-byte",
        _signed(INBOUND_SMS.replace("Body=STOP", "Body=STOQ"), "VYW869IvSq01hYu+OBXDZ9yY28Q="),
        CREDENTIALS,
        False,
    ),
    VerifyCase(
        "signature-tampered-by-one-byte",
        _signed(INBOUND_SMS, "VYW869IvSq01hYu+OBXDZ9yY28R="),
        CREDENTIALS,
        False,
    ),
    VerifyCase(
        "param-added",
        _signed(INBOUND_SMS + "&Extra=1", "VYW869IvSq01hYu+OBXDZ9yY28Q="),
        CREDENTIALS,
        False,
    ),
    VerifyCase(
        "other-url",
        _signed(INBOUND_SMS, "VYW869IvSq01hYu+OBXDZ9yY28Q=", url=HOOK_URL.replace("wh_", "wh-")),
        CREDENTIALS,
        False,
    ),
    VerifyCase(
        # Twilio may sign the URL without its non-default port; twilio-python's
        # RequestValidator accepts that (remove_port), so do we. The signature
        # is Twilio's for http://mycompany.com/myapp.php?foo=1&bar=2.
        "non-default-port-signed-without-it",
        _vector("http://mycompany.com:1234/myapp.php?foo=1&bar=2", VECTOR_PARAMS, "OyGYPqTF6ztdbRNCvuQO/oPvqQ4="),
        VECTOR_TOKEN,
        True,
    ),
    VerifyCase(
        # ... but a signature for another port is another endpoint's (RequestValidator
        # agrees): Twilio's for http://mycompany.com:4321/myapp.php?foo=1&bar=2.
        "other-non-default-port-refused",
        _vector("http://mycompany.com:1234/myapp.php?foo=1&bar=2", VECTOR_PARAMS, "7pKCGhygM4uukxEi5Lwb3SbflQU="),
        VECTOR_TOKEN,
        False,
    ),
    VerifyCase(
        "json-body-tampered-by-one-byte",
        json_request(VECTOR_JSON_URL, JSON_BODY.replace("value", "valuf"), {SIGNATURE: "a9nBmqA0ju/hNViExpshrM61xv4="}),
        VECTOR_TOKEN,
        False,
    ),
    VerifyCase(
        "json-body-without-body-sha256",
        # A valid signature of the URL alone: it would prove nothing about the body.
        json_request(VECTOR_URL, JSON_BODY, {SIGNATURE: "zYQTYrRWXE7LtzbG4PfP7/bkkGo="}),
        VECTOR_TOKEN,
        False,
    ),
    VerifyCase(
        "get-signed-as-if-params-appended",
        form_request(HOOK_URL + "?" + INBOUND_GET_QUERY, {}, {SIGNATURE: "EvaSJV884JrTdoJ1+wlN3G1bJeo="}, method="GET"),
        CREDENTIALS,
        False,
    ),
]

# -- statuses -----------------------------------------------------------------

STATUSES = [
    StatusCase("accepted", Status.QUEUED),
    StatusCase("scheduled", Status.QUEUED),
    StatusCase("queued", Status.QUEUED),
    StatusCase("sending", Status.QUEUED),
    StatusCase("sent", Status.SENT),
    StatusCase("delivered", Status.DELIVERED),
    StatusCase("undelivered", Status.BOUNCE),
    StatusCase("failed", Status.ERROR),
    StatusCase("read", Status.READ),
    StatusCase("canceled", Status.ERROR),
    StatusCase("partially_delivered", Status.SENT),
    # Inbound-only statuses carry no outbound outcome.
    StatusCase("receiving", Status.UNKNOWN),
    StatusCase("received", Status.UNKNOWN),
    # Twilio's statuses are lower case; another spelling is not documented.
    StatusCase("Delivered", Status.UNKNOWN),
]


def status_report(case: StatusCase) -> WebhookRequest | None:
    """The delivered status callback carrying the row's status instead."""
    if case.vendor_status in ("received", "receiving"):
        return None  # MessageStatus=received is an inbound message, never a report
    status = quote_plus(case.vendor_status)
    return form_request(HOOK_URL, STATUS_DELIVERED.replace("Status=delivered", f"Status={status}"))


# -- acknowledge ----------------------------------------------------------------

TWIML = '<?xml version="1.0" encoding="UTF-8"?>'
ACKNOWLEDGE = [
    # Every status callback, and an inbound message without a reply: an empty TwiML document.
    AcknowledgeCase("ack-no-reply-empty-twiml", answer=WebhookResponse(200, f"{TWIML}<Response/>", "application/xml")),
    # Replies travel inline, one <Message> each, escaped.
    AcknowledgeCase(
        "ack-replies-inline",
        replies=["You are unsubscribed. Reply START & rejoin", "Second"],
        answer=WebhookResponse(
            200,
            f"{TWIML}<Response><Message>You are unsubscribed. Reply START &amp; rejoin</Message>"
            "<Message>Second</Message></Response>",
            "application/xml",
        ),
    ),
    AcknowledgeCase(
        "ack-blank-replies-skipped",
        replies=["", "  "],
        answer=WebhookResponse(200, f"{TWIML}<Response/>", "application/xml"),
    ),
]

# -- send ---------------------------------------------------------------------

SERVER_CREDENTIALS = {**CREDENTIALS, "api_base_url": "{server}"}
MESSAGES_PATH = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
BASIC_AUTH = "Basic " + base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
STATUS_CALLBACK = "https://sms.example.com/hooks/wh_8YhZ2cQ4tW6eR1uI"

OTP = OutboundMessage(
    sender="+15558675310",
    recipient="+14155550123",
    text="Your code is 1234",
    status_callback_url=STATUS_CALLBACK,
)
NO_SENDER = OutboundMessage(sender=None, recipient="+14155550123", text="Your code is 1234")
QUEUED = VendorReply(201, json=fixture_json("send_queued.json"))


def _error(status: int, name: str) -> VendorReply:
    return VendorReply(status, json=fixture_json(name))


SEND = [
    SendCase(
        "send-from-number",
        OTP,
        SERVER_CREDENTIALS,
        QUEUED,
        ExpectedRequest(
            "POST",
            MESSAGES_PATH,
            headers={"Authorization": BASIC_AUTH, "Content-Type": "application/x-www-form-urlencoded"},
            form={
                "To": "+14155550123",
                "From": "+15558675310",
                "Body": "Your code is 1234",
                "StatusCallback": STATUS_CALLBACK,
            },
            absent=["MessagingServiceSid", "MediaUrl"],
        ),
        message_id="SM1234567890abcdef1234567890abcd02",
    ),
    SendCase(
        "send-messaging-service",
        NO_SENDER,
        {**SERVER_CREDENTIALS, "messaging_service_sid": MESSAGING_SERVICE_SID},
        VendorReply(201, json=fixture_json("send_accepted_messaging_service.json")),
        ExpectedRequest(
            "POST",
            MESSAGES_PATH,
            form={"To": "+14155550123", "MessagingServiceSid": MESSAGING_SERVICE_SID, "Body": "Your code is 1234"},
            absent=["From", "StatusCallback"],
        ),
        message_id="SMaabbccddeeff00112233445566778899",
    ),
    SendCase(
        "send-messaging-service-picks-sender",
        OTP,
        {**SERVER_CREDENTIALS, "messaging_service_sid": MESSAGING_SERVICE_SID},
        VendorReply(201, json=fixture_json("send_accepted_messaging_service.json")),
        ExpectedRequest("POST", MESSAGES_PATH, form={"MessagingServiceSid": MESSAGING_SERVICE_SID}, absent=["From"]),
        message_id="SMaabbccddeeff00112233445566778899",
    ),
    SendCase(
        "send-mms-media-urls-repeated",
        OutboundMessage(
            sender="+15558675310",
            recipient="+14155550123",
            text="Your ticket",
            media_urls=("https://cdn.example.com/t/1.png", "https://cdn.example.com/t/2.png"),
        ),
        SERVER_CREDENTIALS,
        QUEUED,
        ExpectedRequest(
            "POST",
            MESSAGES_PATH,
            form={"MediaUrl": ["https://cdn.example.com/t/1.png", "https://cdn.example.com/t/2.png"]},
        ),
        message_id="SM1234567890abcdef1234567890abcd02",
    ),
    SendCase(
        "send-opted-out-21610",
        OTP,
        SERVER_CREDENTIALS,
        _error(400, "send_error_21610.json"),
        ExpectedRequest("POST", MESSAGES_PATH),
        retryable=False,
        error_code="21610",
    ),
    SendCase(
        "send-invalid-number-400",
        OTP,
        SERVER_CREDENTIALS,
        _error(400, "send_error_21211.json"),
        retryable=False,
        error_code="21211",
    ),
    SendCase(
        "send-bad-auth-401",
        OTP,
        SERVER_CREDENTIALS,
        _error(401, "send_error_20003.json"),
        retryable=False,
        error_code="20003",
    ),
    SendCase(
        "send-rate-limited-429",
        OTP,
        SERVER_CREDENTIALS,
        _error(429, "send_error_20429.json"),
        retryable=True,
        error_code="20429",
    ),
    SendCase(
        "send-server-error-500",
        OTP,
        SERVER_CREDENTIALS,
        _error(500, "send_error_20500.json"),
        retryable=True,
        error_code="20500",
    ),
    SendCase(
        "send-gateway-error-502-html",
        OTP,
        SERVER_CREDENTIALS,
        VendorReply(502, body="<html><body>Bad Gateway</body></html>", headers={"Content-Type": "text/html"}),
        retryable=True,
    ),
    SendCase("send-timeout", OTP, SERVER_CREDENTIALS, TIMEOUT, retryable=True),
    SendCase("send-connection-refused", OTP, SERVER_CREDENTIALS, REFUSED, retryable=True),
    SendCase(
        "send-2xx-without-sid",
        OTP,
        SERVER_CREDENTIALS,
        VendorReply(201, json={"status": "queued"}),
        retryable=False,
    ),
    SendCase(
        "send-account-sid-escaped-in-path",
        OTP,
        {**SERVER_CREDENTIALS, "account_sid": "AC../x"},
        QUEUED,
        ExpectedRequest("POST", "/2010-04-01/Accounts/" + quote("AC../x", safe="") + "/Messages.json"),
        message_id="SM1234567890abcdef1234567890abcd02",
    ),
]
