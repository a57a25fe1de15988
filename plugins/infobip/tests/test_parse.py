"""What parse() keeps beyond the compared event fields: raw items, UTC times, refusal reasons, and
which items of a batch it refused alone."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from smshooks.events import DeliveryReport, InboundMessage
from smshooks.testing import json_request
from smshooks.vendor import PartlyMalformed, PayloadError, TooManyEvents
from smshooks_infobip import InfobipVendor

from .cases import (
    BAD_ITEMS,
    BATCH_STOP,
    BATCH_STOP_ITEM,
    DLR_BATCH,
    DLR_V2,
    DLR_V3,
    HOOK_URL,
    INBOUND,
    INBOUND_BATCH,
    batch,
    fixture,
    fixture_json,
    variant,
)

VENDOR = InfobipVendor()


def parse(body: str, **kwargs: object) -> list:
    return VENDOR.parse(json_request(HOOK_URL, body, **kwargs))


def test_each_event_keeps_its_own_result_item_as_raw() -> None:
    events = parse(fixture(INBOUND_BATCH))
    assert [event.raw for event in events] == fixture_json(INBOUND_BATCH)["results"]


def test_raw_keeps_keyword_clean_text_callback_data_and_unknown_fields() -> None:
    (event,) = parse(fixture("inbound_cpaas_fields.json"))
    assert isinstance(event, InboundMessage)
    assert event.raw["keyword"] == "YES"
    assert event.raw["cleanText"] == ""
    assert event.raw["someFieldInfobipAddsLater"] == {"nested": [1, 2, 3]}
    assert event.raw["campaignReferenceId"] == "summersale"
    (quiz,) = parse(fixture(INBOUND))
    assert quiz.raw["callbackData"] == "callbackData"
    assert quiz.raw["price"] == {"pricePerMessage": 0.0, "currency": "EUR"}


def test_v3_and_v2_reports_keep_their_own_sender_and_count_fields() -> None:
    (v3,) = parse(fixture(DLR_V3))
    (v2,) = parse(fixture(DLR_V2))
    assert (v3.raw["sender"], v3.raw["messageCount"]) == ("InfoSMS", 1)
    assert (v2.raw["from"], v2.raw["smsCount"], v2.raw["callbackData"]) == (
        "InfoSMS",
        1,
        "msg_0f1e2d3c4b5a69788796a5b4",
    )
    assert "from" not in v3.raw and "sender" not in v2.raw


@pytest.mark.parametrize("name", [INBOUND, INBOUND_BATCH, DLR_V3, DLR_V2, DLR_BATCH])
def test_every_time_is_utc(name: str) -> None:
    for event in parse(fixture(name)):
        when = event.received_at if isinstance(event, InboundMessage) else event.occurred_at
        # Equality of aware datetimes ignores the zone; the stored value must be UTC itself.
        assert when.tzinfo is UTC, when


def test_offset_is_converted_not_dropped() -> None:
    (event,) = parse(fixture(INBOUND))
    assert event.received_at == datetime(2023, 8, 1, 10, 40, tzinfo=UTC)
    assert (event.received_at.hour, event.received_at.minute) == (10, 40)


def test_report_time_is_done_at_not_arrival() -> None:
    arrived = datetime(2030, 1, 1, tzinfo=UTC)
    (report,) = parse(fixture(DLR_V2), received_at=arrived)
    assert isinstance(report, DeliveryReport)
    assert report.occurred_at == datetime(2019, 11, 9, 16, 0, 2, tzinfo=UTC)


def test_arrival_time_fills_a_missing_received_at() -> None:
    arrived = datetime(2030, 1, 1, 12, tzinfo=UTC) + timedelta(microseconds=7)
    body = variant(INBOUND, lambda payload: payload["results"][0].pop("receivedAt"))
    (event,) = parse(body, received_at=arrived)
    assert event.received_at == arrived


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ('{"messageCount": 1}', "results"),
        (variant(INBOUND, lambda p: p["results"][0].pop("messageId")), "messageId"),
        (variant(INBOUND, lambda p: p["results"][0].pop("from")), "from"),
        (variant(INBOUND, lambda p: p["results"][0].update(receivedAt="1 Aug 2023")), "receivedAt"),
        (variant(DLR_V3, lambda p: p["results"][0].update(status={"id": 5})), "status"),
    ],
    ids=["no-results", "message-id", "from", "received-at", "status"],
)
def test_refusal_names_what_is_wrong(body: str, words: str) -> None:
    with pytest.raises(PayloadError, match=words):
        parse(body)


def test_payload_error_for_non_utf8_body() -> None:
    request = json_request(HOOK_URL, "{}")
    request = type(request)(method="POST", url=HOOK_URL, headers=request.headers, body=b"\xff\xfe{")
    with pytest.raises(PayloadError):
        VENDOR.parse(request)


def test_batch_order_is_kept() -> None:
    events = parse(fixture(DLR_BATCH))
    ids = [item["messageId"] for item in json.loads(fixture(DLR_BATCH))["results"]]
    assert [event.vendor_message_id for event in events] == ids


def _stops(count: int) -> str:
    item = fixture_json(INBOUND)["results"][0]
    return json.dumps({"results": [{**item, "messageId": str(index), "text": "STOP"} for index in range(count)]})


def test_a_batch_of_the_largest_documented_size_is_parsed() -> None:
    assert len(parse(_stops(VENDOR.max_events_per_request))) == 1000


def test_a_batch_over_the_largest_documented_size_is_too_many_events() -> None:
    # 9,000 STOPs in one request would mean 9,000 replies in one transaction;
    # Infobip batches at most 1000, so this is refused (413) before any is parsed.
    with pytest.raises(TooManyEvents) as raised:
        parse(_stops(9000))
    assert (raised.value.count, raised.value.limit) == (9000, 1000)


@pytest.mark.parametrize(("label", "bad", "reason"), BAD_ITEMS, ids=[label for label, _, _ in BAD_ITEMS])
@pytest.mark.parametrize("stop_first", [True, False], ids=["stop-first", "stop-last"])
def test_a_malformed_item_is_refused_alone(label: str, bad: object, reason: str, stop_first: bool) -> None:
    """The STOP beside it comes out as an event; the bad item as its index and reason."""
    items = [BATCH_STOP_ITEM, bad] if stop_first else [bad, BATCH_STOP_ITEM]
    with pytest.raises(PartlyMalformed) as raised:
        parse(batch(*items))
    assert raised.value.events == [BATCH_STOP]
    assert raised.value.indexes == [0 if stop_first else 1]
    [(index, problem)] = raised.value.problems
    assert index == (1 if stop_first else 0) and reason in problem, raised.value.problems


def test_a_batch_of_only_malformed_items_is_refused_whole_with_the_first_reason() -> None:
    with pytest.raises(PayloadError) as raised:
        parse(batch(*(bad for _, bad, _ in BAD_ITEMS)))
    assert not isinstance(raised.value, PartlyMalformed)
    assert str(raised.value) == "missing from"


@pytest.mark.parametrize(
    "body",
    ['{"results": {"messageId": "1"}}', '{"messageCount": 1}', "[]", batch(*[BATCH_STOP_ITEM] * 1001)],
    ids=["results-not-a-list", "no-results", "not-an-object", "too-many-items"],
)
def test_a_body_that_is_not_a_batch_is_still_refused_whole(body: str) -> None:
    with pytest.raises(PayloadError) as raised:
        parse(body)
    assert not isinstance(raised.value, PartlyMalformed)
