"""Cross-check with Sinch's own Python SDK (the ``test`` extra): signatures, payload models, batch bodies.

The SDK is the reference implementation of the callback signature and the
source of the payload shapes in vendors.md §3. What one side signs the other
accepts; every fixture is a payload the SDK's models accept, and our events
agree with what the SDK reads from it; the batches we send validate against
the SDK's request models. Skipped where the SDK is not installed.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from smshooks.events import DeliveryReport, InboundMessage
from smshooks.testing import RECEIVED_AT
from smshooks_sinch import SinchVendor
from smshooks_sinch.send import batch_body
from smshooks_sinch.signature import compute_signature

from .cases import MO_TEXT, NOW, OTP, SIGNED_CREDENTIALS, WEBHOOK_SECRET, fixture, request, sinch_headers

validation = pytest.importorskip("sinch.domains.authentication.sinch_events.v1.authentication_validation")
sms_event = pytest.importorskip("sinch.domains.sms.sinch_events.v1.sms_sinch_event")
sms_shared = pytest.importorskip("sinch.domains.sms.models.v1.shared")

VENDOR = SinchVendor()
FIXTURES = sorted(path.name for path in (Path(__file__).parent / "fixtures").glob("*.json"))
CALLBACK_FIXTURES = [name for name in FIXTURES if not name.startswith("send_")]

BODIES = {
    "mo-text-emoji": MO_TEXT,
    "full-report": fixture("delivery_report_full_mixed.json"),
    "empty": "",
    "non-ascii-escaped": '{"body":"caf\\u00e9"}',
    "pretty-printed": '{\n  "type": "mo_text",\n  "body": "x"\n}\n',
}


def sdk_signature(body: str, nonce: str, timestamp: str, secret: str) -> str:
    return validation.calculate_sinch_event_signature(validation.compute_signed_data(body, nonce, timestamp), secret)


@pytest.mark.parametrize("body_name", sorted(BODIES))
def test_the_sdk_accepts_what_we_sign(body_name: str) -> None:
    body = BODIES[body_name]
    nonce = "01JCB6Q0W2Y4A6C8E0G2J4SDK" + str(len(body))
    signature = compute_signature(body.encode("utf-8"), nonce, str(NOW), WEBHOOK_SECRET)
    headers = {"content-type": "application/json; charset=utf-8", **sinch_headers(signature, nonce, NOW)}
    assert sms_event.SmsSinchEvent(WEBHOOK_SECRET).validate_authentication_header(headers, body.encode("utf-8"))


@pytest.mark.parametrize("body_name", sorted(BODIES))
def test_we_accept_what_the_sdk_signs(body_name: str) -> None:
    body = BODIES[body_name]
    nonce = "01JCB6Q0W2Y4A6C8E0G2J4SDK" + str(len(body))
    signature = sdk_signature(body, nonce, str(NOW), WEBHOOK_SECRET)
    VENDOR.verify(request(body, sinch_headers(signature, nonce, NOW)), SIGNED_CREDENTIALS)


@pytest.mark.parametrize("name", CALLBACK_FIXTURES)
def test_every_fixture_is_a_payload_the_sdk_reads_and_we_agree(name: str) -> None:
    parsed = sms_event.SmsSinchEvent().parse_event(fixture(name))
    events = VENDOR.parse(request(fixture(name)))
    if name.startswith("mo_"):
        (event,) = events
        assert isinstance(event, InboundMessage)
        assert event.vendor_message_id == parsed.id
        assert event.sender.lstrip("+") == parsed.from_
        assert event.recipient.lstrip("+") == parsed.to
        assert event.received_at == parsed.received_at
    elif name.startswith("recipient_"):
        (event,) = events
        assert isinstance(event, DeliveryReport)
        assert (event.vendor_message_id, event.vendor_status) == (parsed.batch_id, parsed.status)
        assert event.recipient.lstrip("+") == parsed.recipient
        assert event.occurred_at == parsed.at
    else:
        expected = [
            (parsed.batch_id, recipient, bucket.status)
            for bucket in parsed.statuses
            for recipient in (bucket.recipients or [None])
        ]
        actual = [
            (e.vendor_message_id, e.recipient.lstrip("+") if e.recipient else None, e.vendor_status) for e in events
        ]
        assert actual == expected


def test_events_of_batch_reports_are_dated_on_arrival() -> None:
    events = VENDOR.parse(request(fixture("delivery_report_full_mixed.json")))
    assert {event.occurred_at for event in events} == {RECEIVED_AT}


def test_our_text_batch_validates_against_the_sdks_text_request() -> None:
    body = batch_body(OTP)
    model = sms_shared.TextRequest.model_validate(body)
    assert model.model_dump(by_alias=True, exclude_none=True) == body


def test_our_media_batch_validates_against_the_sdks_media_request() -> None:
    body = batch_body(dataclasses.replace(OTP, media_urls=("https://cdn.example.com/t/1.png",)))
    model = sms_shared.MediaRequest.model_validate(body)
    assert model.model_dump(by_alias=True, exclude_none=True) == body
