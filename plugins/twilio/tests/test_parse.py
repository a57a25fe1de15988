"""What parse() keeps beyond the compared event fields: the raw payload, the arrival time."""

from __future__ import annotations

from datetime import UTC, datetime

from smshooks.events import DeliveryReport, InboundMessage
from smshooks.testing import form_request
from smshooks_twilio import TwilioVendor

from .cases import HOOK_URL, INBOUND_GET_QUERY, INBOUND_SMS, STATUS_DELIVERED

VENDOR = TwilioVendor()


def test_raw_keeps_every_parameter_including_unknown_ones() -> None:
    (event,) = VENDOR.parse(form_request(HOOK_URL, INBOUND_SMS + "&OptOutType=STOP&NewParam=x&NewParam=y"))
    assert isinstance(event, InboundMessage)
    assert event.raw["OptOutType"] == "STOP"
    assert event.raw["NewParam"] == ["x", "y"]
    assert event.raw["FromCity"] == "SAN FRANCISCO"
    assert event.raw["MessagingServiceSid"] == "MG9752274e9e519418a7406176694466fa"


def test_report_time_is_arrival_and_raw_dlr_done_date_stays_raw() -> None:
    arrived = datetime(2025, 11, 13, 12, 46, 1, tzinfo=UTC)
    (report,) = VENDOR.parse(form_request(HOOK_URL, STATUS_DELIVERED, received_at=arrived))
    assert isinstance(report, DeliveryReport)
    assert report.occurred_at == arrived
    assert report.raw["RawDlrDoneDate"] == "2511131245"


def test_get_raw_is_the_query() -> None:
    (event,) = VENDOR.parse(form_request(HOOK_URL + "?" + INBOUND_GET_QUERY, {}, method="GET"))
    assert event.raw["Body"] == "HELP"
    assert event.raw["ApiVersion"] == "2010-04-01"


def test_absurd_num_media_is_bounded() -> None:
    body = INBOUND_SMS.replace("NumMedia=0", "NumMedia=1000000000") + "&MediaUrl0=https%3A%2F%2Fm.example%2F0"
    (event,) = VENDOR.parse(form_request(HOOK_URL, body))
    assert event.media_urls == ("https://m.example/0",)
