"""What parse() keeps beyond the compared event fields: the raw payload of each event."""

from __future__ import annotations

import pytest

from smshooks.events import DeliveryReport, InboundMessage
from smshooks.vendor import TooManyEvents
from smshooks_sinch import SinchVendor
from smshooks_sinch.parse import binary_text

from .cases import FULL_MIXED, fixture, fixture_json, full_report_with, request

VENDOR = SinchVendor()


def test_inbound_raw_is_the_whole_payload_including_unknown_fields() -> None:
    (event,) = VENDOR.parse(request(fixture("mo_text_stop_all_fields.json")))
    assert isinstance(event, InboundMessage)
    assert event.raw == fixture_json("mo_text_stop_all_fields.json")
    assert event.raw["new_field_sinch_may_add"] == {"nested": [1, 2, 3]}
    assert event.raw["client_reference"] == "msg_4f2a9c1d7e3b5a60c8d2e4f1"


def test_binary_raw_keeps_the_base64_body_and_udh() -> None:
    (event,) = VENDOR.parse(request(fixture("mo_binary_wap_push.json")))
    assert event.text == ""
    assert event.raw["body"] == "AQYkYXBwbGljYXRpb24vdm5kLndhcC5tbXMtbWVzc2FnZQCvhA=="
    assert event.raw["udh"] == "0605040B8423F0"


def test_media_raw_keeps_the_subject_and_the_failed_part() -> None:
    (event,) = VENDOR.parse(request(fixture("mo_media.json")))
    assert event.raw["body"]["subject"] == "Photos"
    assert event.raw["body"]["media"][2] == {"content_type": "video/mp4", "status": "Failed", "code": 1001}


def test_recipient_report_raw_is_the_whole_payload() -> None:
    payload = fixture_json("recipient_report_delivered_all_fields.json")
    (event,) = VENDOR.parse(request(fixture("recipient_report_delivered_all_fields.json")))
    assert event.raw == payload


def test_full_report_raw_holds_only_the_events_own_recipient() -> None:
    events = VENDOR.parse(request(FULL_MIXED))
    assert all(isinstance(event, DeliveryReport) for event in events)
    envelope = {
        "type": "delivery_report_sms",
        "batch_id": "01HZX4A1B2C3D4E5F6G7H8J9K0",
        "client_reference": "campaign-42",
        "total_message_count": 4,
    }
    assert [event.raw for event in events] == [
        {**envelope, "statuses": [{"code": 0, "status": "Delivered", "count": 2, "recipients": ["447700900123"]}]},
        {**envelope, "statuses": [{"code": 0, "status": "Delivered", "count": 2, "recipients": ["447700900124"]}]},
        {**envelope, "statuses": [{"code": 402, "status": "Aborted", "count": 1, "recipients": ["447700900125"]}]},
        {**envelope, "statuses": [{"code": 60, "status": "Failed", "count": 1, "recipients": ["447700900126"]}]},
    ]


def test_summary_report_raw_keeps_each_buckets_count() -> None:
    events = VENDOR.parse(request(fixture("delivery_report_summary.json")))
    assert [event.raw["statuses"] for event in events] == [
        [{"code": 0, "status": "Delivered", "count": 2}],
        [{"code": 406, "status": "Aborted", "count": 1}],
    ]
    assert {event.raw["total_message_count"] for event in events} == {3}


def test_parse_leaves_the_request_payload_untouched() -> None:
    req = request(FULL_MIXED)
    VENDOR.parse(req)
    assert req.json() == fixture_json("delivery_report_full_mixed.json")


def test_binary_text_rules() -> None:
    assert binary_text("SGVsbG8=") == "Hello"
    assert binary_text("TGluZSAxCkxpbmUgMg==") == "Line 1\nLine 2"  # line breaks are text
    assert binary_text("AAE=") == ""  # NUL, SOH
    assert binary_text("woU=") == ""  # U+0085, a C1 control character
    assert binary_text("SGVsbG8") == ""  # padding missing: not valid base64
    assert binary_text("") == ""


def test_a_full_report_of_a_whole_batch_is_one_report_per_recipient() -> None:
    events = VENDOR.parse(full_report_with(VENDOR.max_events_per_request))
    assert len(events) == 1000
    assert {event.recipient for event in events} == {f"+{12010000000 + index}" for index in range(1000)}


def test_a_report_listing_more_recipients_than_a_batch_holds_is_too_many_events() -> None:
    # Sinch batches have at most 1000 recipients: 55,000 is no Sinch report, and
    # it is refused after one count, before 55,000 numbers are parsed.
    with pytest.raises(TooManyEvents) as raised:
        VENDOR.parse(full_report_with(55_000))
    assert (raised.value.count, raised.value.limit) == (55_000, 1000)
