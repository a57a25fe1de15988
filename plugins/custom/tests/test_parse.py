"""parse(): which mapping a payload is, and which credential's mappings the gateway's adapter uses."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from smshooks.events import DeliveryReport, InboundMessage, Status
from smshooks.testing import RECEIVED_AT, json_request, replace_event
from smshooks.vendor import PartlyMalformed, PayloadError, TooManyEvents
from smshooks_custom import CustomVendor

from .cases import (
    HOOK_URL,
    INFOBIP_CREDENTIALS,
    INFOBIP_DELIVERED,
    INFOBIP_DLR,
    INFOBIP_INBOUND,
    INFOBIP_QUIZ,
    INFOBIP_SIGNED_INBOUND,
    SEED_INBOUND,
    SINCH_CREDENTIALS,
    SINCH_HELLO,
    SINCH_MO,
    STOP,
    _infobip_result,
    credential,
    fixture,
)

#: the adapter the gateway registers: one instance for every credential
REGISTERED = CustomVendor()


def test_the_registered_adapter_parses_with_the_credential_the_host_hands_over() -> None:
    infobip = json_request(HOOK_URL, INFOBIP_INBOUND, {"X-Signature": INFOBIP_SIGNED_INBOUND})
    sinch = json_request(HOOK_URL, SINCH_MO, {"Authorization": SINCH_CREDENTIALS["webhook_secret"]})
    assert REGISTERED.parse(dataclasses.replace(sinch, credentials=SINCH_CREDENTIALS)) == [SINCH_HELLO]
    assert REGISTERED.parse(dataclasses.replace(infobip, credentials=INFOBIP_CREDENTIALS)) == [INFOBIP_QUIZ]


def test_without_the_credential_the_infobip_payload_is_not_understood() -> None:
    with pytest.raises(PayloadError):  # the seed's mappings do not describe Infobip
        REGISTERED.parse(json_request(HOOK_URL, INFOBIP_INBOUND))


def test_credentials_may_be_passed_to_parse() -> None:
    assert REGISTERED.parse(json_request(HOOK_URL, SINCH_MO), SINCH_CREDENTIALS) == [SINCH_HELLO]


def test_without_a_credential_the_seed_shapes_are_read() -> None:
    assert REGISTERED.parse(json_request(HOOK_URL, SEED_INBOUND)) == [STOP]


def test_inbound_and_reports_on_one_url() -> None:
    vendor = CustomVendor(SINCH_CREDENTIALS)
    kinds = [
        type(event)
        for name in ("sinch_mo_text.json", "sinch_recipient_report.json", "sinch_batch_report.json")
        for event in vendor.parse(json_request(HOOK_URL, fixture(name)))
    ]
    assert kinds == [InboundMessage, DeliveryReport, DeliveryReport, DeliveryReport]


# -- deciding the kind ------------------------------------------------------------

LOOSE = credential(
    provider_url="https://p.example/send",
    payload_template='{"f": "{{fromNumber}}", "t": "{{toNumber}}", "m": "{{message}}"}',
    inbound_mapping={
        "id": "{{requestId}}",
        "from": "{{profileNumber}}",
        "to": "{{inboundNumber}}",
        "text": "{{inboundMessage}}",
    },
    feedback_mapping={"id": "{{messageId}}", "status": "{{feedbackStatus}}", "to": "{{profileNumber}}"},
)


def test_the_mapping_whose_required_placeholders_are_present_decides() -> None:
    vendor = CustomVendor(LOOSE)
    (inbound,) = vendor.parse(
        json_request(HOOK_URL, {"id": "1", "from": "+14155550123", "to": "+14155550100", "text": "hi"})
    )
    (report,) = vendor.parse(json_request(HOOK_URL, {"id": "1", "status": "delivered", "to": "+14155550123"}))
    assert isinstance(inbound, InboundMessage) and inbound.text == "hi"
    assert isinstance(report, DeliveryReport) and report.status is Status.DELIVERED


def test_when_both_match_the_more_specific_wins() -> None:
    payload = {"id": "1", "from": "+14155550123", "to": "+14155550100", "text": "hi", "status": "delivered"}
    (event,) = CustomVendor(LOOSE).parse(json_request(HOOK_URL, payload))
    assert isinstance(event, InboundMessage), "four placeholders bound beat three"


def test_an_exact_tie_is_refused_as_ambiguous() -> None:
    tied = {
        **LOOSE,
        "feedback_mapping": {
            "id": "{{messageId}}",
            "status": "{{feedbackStatus}}",
            "to": "{{profileNumber}}",
            "text": "{{failureReason}}",
        },
    }
    payload = {"id": "1", "from": "+14155550123", "to": "+14155550100", "text": "hi", "status": "delivered"}
    with pytest.raises(PayloadError, match="matches both"):
        CustomVendor(tied).parse(json_request(HOOK_URL, payload))


def test_neither_says_what_each_mapping_missed() -> None:
    with pytest.raises(PayloadError) as raised:
        CustomVendor(LOOSE).parse(json_request(HOOK_URL, {"id": "1", "to": "+14155550100"}))
    assert str(raised.value) == (
        "the payload matches neither mapping: inbound: no {{inboundMessage}} at $.text; "
        "feedback: no {{feedbackStatus}} at $.status"
    )


def test_an_incomplete_element_of_a_batch_is_refused_alone() -> None:
    payload = json.loads(INFOBIP_INBOUND)
    second = dict(payload["results"][0], messageId="2")
    del second["text"]
    payload["results"].append(second)
    with pytest.raises(PartlyMalformed) as raised:
        CustomVendor(INFOBIP_CREDENTIALS).parse(json_request(HOOK_URL, payload))
    assert raised.value.events == [INFOBIP_QUIZ]
    assert raised.value.problems == [
        (1, "event 2 of 2 lacks {{inboundMessage}} of the inbound mapping (expected at $.results[*].text)")
    ]


#: (label, a malformed element beside a STOP in an Infobip-shaped batch, what its reason says)
BAD_ELEMENTS = [
    ("missing-from", _infobip_result(INFOBIP_INBOUND, messageId="2", **{"from": None}), "lacks {{profileNumber}}"),
    ("text-an-object", _infobip_result(INFOBIP_INBOUND, messageId="2", text={"t": 1}), "is not text"),
    (
        "neither-report-nor-message",
        {"messageId": "2", "from": "385916242493", "to": "385921004026"},
        "lacks {{inboundMessage}}",
    ),
    ("not-an-object", "817790313235066502", "not of the inbound mapping's shape"),
    ("bad-timestamp", _infobip_result(INFOBIP_INBOUND, messageId="2", receivedAt="yesterday"), "originTimestamp"),
]
INFOBIP_STOP = replace_event(INFOBIP_QUIZ, text="STOP")


@pytest.mark.parametrize(("label", "bad", "reason"), BAD_ELEMENTS, ids=[label for label, _, _ in BAD_ELEMENTS])
@pytest.mark.parametrize("stop_first", [True, False], ids=["stop-first", "stop-last"])
def test_a_malformed_element_beside_a_stop_is_refused_alone(
    label: str, bad: Any, reason: str, stop_first: bool
) -> None:
    stop = _infobip_result(INFOBIP_INBOUND, text="STOP")
    items = [stop, bad] if stop_first else [bad, stop]
    with pytest.raises(PartlyMalformed) as raised:
        CustomVendor(INFOBIP_CREDENTIALS).parse(json_request(HOOK_URL, {"results": items}))
    assert raised.value.events == [INFOBIP_STOP]
    [(index, problem)] = raised.value.problems
    assert index == (1 if stop_first else 0) and reason in problem, raised.value.problems


def test_a_batch_of_only_malformed_elements_is_refused_whole() -> None:
    payload = {"results": [bad for label, bad, _ in BAD_ELEMENTS if label != "not-an-object"]}
    with pytest.raises(PayloadError) as raised:
        CustomVendor(INFOBIP_CREDENTIALS).parse(json_request(HOOK_URL, payload))
    assert not isinstance(raised.value, PartlyMalformed)


# -- batches of both kinds -----------------------------------------------------------

INFOBIP_REPORT = _infobip_result(INFOBIP_DLR)
INFOBIP_REPORT_2 = _infobip_result(INFOBIP_DLR, messageId="MESSAGE-ID-124-xyz")
INFOBIP_DELIVERED_2 = replace_event(INFOBIP_DELIVERED, vendor_message_id="MESSAGE-ID-124-xyz")
#: a report without its status: closer to the feedback mapping (one value missing) than the inbound (two)
REPORT_WITHOUT_STATUS = _infobip_result(INFOBIP_DLR, messageId="3", status=None)
#: a message without its sender: both miss one value, the inbound mapping binds more
MESSAGE_WITHOUT_FROM = _infobip_result(INFOBIP_INBOUND, messageId="3", **{"from": None})

#: (label, the results of an Infobip-shaped batch, the events read, the refused (index, part of the reason))
MIXED_BATCHES: list[tuple[str, list[Any], list[Any], list[tuple[int, str]]]] = [
    (
        "stop-report-report",
        [_infobip_result(INFOBIP_INBOUND, text="STOP"), INFOBIP_REPORT, INFOBIP_REPORT_2],
        [INFOBIP_STOP, INFOBIP_DELIVERED, INFOBIP_DELIVERED_2],
        [],
    ),
    (
        "report-stop",
        [INFOBIP_REPORT, _infobip_result(INFOBIP_INBOUND, text="STOP")],
        [INFOBIP_DELIVERED, INFOBIP_STOP],
        [],
    ),
    (
        "report-report-stop",
        [INFOBIP_REPORT, INFOBIP_REPORT_2, _infobip_result(INFOBIP_INBOUND, text="STOP")],
        [INFOBIP_DELIVERED, INFOBIP_DELIVERED_2, INFOBIP_STOP],
        [],
    ),
    (
        "stop-neither-report",
        [_infobip_result(INFOBIP_INBOUND, text="STOP"), REPORT_WITHOUT_STATUS, INFOBIP_REPORT],
        [INFOBIP_STOP, INFOBIP_DELIVERED],
        [(1, "event 2 of 3 lacks {{feedbackStatus}} of the feedback mapping")],
    ),
    (
        "report-report-message-without-sender-stop",
        [INFOBIP_REPORT, INFOBIP_REPORT_2, MESSAGE_WITHOUT_FROM, _infobip_result(INFOBIP_INBOUND, text="STOP")],
        [INFOBIP_DELIVERED, INFOBIP_DELIVERED_2, INFOBIP_STOP],
        [(2, "event 3 of 4 lacks {{profileNumber}} of the inbound mapping")],
    ),
    (
        "stop-junk-report",
        [_infobip_result(INFOBIP_INBOUND, text="STOP"), "junk", INFOBIP_REPORT],
        [INFOBIP_STOP, INFOBIP_DELIVERED],
        [(1, "event 2 of 3 is not of the inbound mapping's shape")],
    ),
    (
        "report-with-a-bad-time-beside-a-stop",
        [_infobip_result(INFOBIP_DLR, doneAt="yesterday"), _infobip_result(INFOBIP_INBOUND, text="STOP")],
        [INFOBIP_STOP],
        [(0, "{{originTimestamp}}")],
    ),
]


@pytest.mark.parametrize(
    ("label", "results", "events", "refused"), MIXED_BATCHES, ids=[label for label, _, _, _ in MIXED_BATCHES]
)
def test_a_batch_of_both_kinds_is_read_item_by_item(
    label: str, results: list[Any], events: list[Any], refused: list[tuple[int, str]]
) -> None:
    request = json_request(HOOK_URL, {"results": results})
    vendor = CustomVendor(INFOBIP_CREDENTIALS)
    if not refused:
        assert vendor.parse(request) == events
        return
    with pytest.raises(PartlyMalformed) as raised:
        vendor.parse(request)
    assert raised.value.events == events
    assert [index for index, _ in raised.value.problems] == [index for index, _ in refused]
    for (_, problem), (_, reason) in zip(raised.value.problems, refused, strict=True):
        assert reason in problem, raised.value.problems
    assert raised.value.indexes == [index for index in range(len(results)) if index not in dict(refused)]


#: LOOSE's shapes in a batch, the feedback mapping also placing the text (an item of all five keys ties)
LOOSE_BATCH = {
    **LOOSE,
    "inbound_mapping": {"items": [LOOSE["inbound_mapping"]]},
    "feedback_mapping": {"items": [{**LOOSE["feedback_mapping"], "text": "{{failureReason}}"}]},
}
LOOSE_MESSAGE = {"id": "1", "from": "+14155550123", "to": "+14155550100", "text": "STOP"}
LOOSE_REPORT = {"id": "2", "status": "delivered", "to": "+14155550123"}
LOOSE_BOTH = {**LOOSE_MESSAGE, "id": "3", "status": "delivered"}


def test_an_item_both_mappings_fit_alike_is_refused_alone() -> None:
    payload = {"items": [LOOSE_MESSAGE, LOOSE_BOTH, LOOSE_REPORT]}
    with pytest.raises(PartlyMalformed) as raised:
        CustomVendor(LOOSE_BATCH).parse(json_request(HOOK_URL, payload))
    assert [type(event) for event in raised.value.events] == [InboundMessage, DeliveryReport]
    [(index, problem)] = raised.value.problems
    assert index == 1 and problem.startswith("event 2 of 3 matches both the inbound and the feedback mapping")


def test_an_item_both_mappings_complete_goes_to_the_one_binding_more() -> None:
    # Without the feedback mapping's text, the five-key item binds four inbound placeholders to three.
    batch = {**LOOSE_BATCH, "feedback_mapping": {"items": [LOOSE["feedback_mapping"]]}}
    payload = {"items": [LOOSE_REPORT, LOOSE_BOTH]}
    report, message = CustomVendor(batch).parse(json_request(HOOK_URL, payload))
    assert isinstance(report, DeliveryReport) and report.vendor_message_id == "2"
    assert isinstance(message, InboundMessage) and message.vendor_message_id == "3"


def test_a_batch_every_item_of_which_both_fit_alike_is_refused_whole() -> None:
    payload = {"items": [LOOSE_BOTH, {**LOOSE_BOTH, "id": "4"}]}
    with pytest.raises(PayloadError) as raised:
        CustomVendor(LOOSE_BATCH).parse(json_request(HOOK_URL, payload))
    assert not isinstance(raised.value, PartlyMalformed)
    assert str(raised.value).startswith("the payload matches both the inbound and the feedback mapping")


def test_top_level_array_payload_keeps_raw_as_an_object() -> None:
    root_array = {**LOOSE, "inbound_mapping": [LOOSE["inbound_mapping"]]}
    payload = [
        {"id": "1", "from": "+14155550123", "to": "+14155550100", "text": "a"},
        {"id": "2", "from": "+14155550123", "to": "+14155550100", "text": "b"},
    ]
    events = CustomVendor(root_array).parse(json_request(HOOK_URL, payload))
    assert [event.text for event in events] == ["a", "b"]
    assert events[1].raw == {"payload": [payload[1]]}


def test_raw_is_the_providers_payload() -> None:
    (event,) = CustomVendor(SINCH_CREDENTIALS).parse(json_request(HOOK_URL, SINCH_MO))
    assert event.raw == json.loads(SINCH_MO)


def test_report_time_defaults_to_arrival() -> None:
    (event,) = CustomVendor(LOOSE).parse(json_request(HOOK_URL, {"id": "1", "status": "sent"}))
    assert event.occurred_at == RECEIVED_AT
    assert event.recipient is None


def test_a_batch_over_the_mapping_bound_is_too_many_events() -> None:
    # The host answers TooManyEvents with 413, not 400: the payload is well
    # formed, only more than one request may carry.
    item = json.loads(INFOBIP_INBOUND)["results"][0]
    vendor = CustomVendor(INFOBIP_CREDENTIALS)
    body = json.dumps({"results": [{**item, "messageId": str(index)} for index in range(1001)]})
    with pytest.raises(TooManyEvents) as raised:
        vendor.parse(json_request(HOOK_URL, body))
    assert raised.value.limit == vendor.max_events_per_request == 1000
    body = json.dumps({"results": [{**item, "messageId": str(index)} for index in range(1000)]})
    assert len(vendor.parse(json_request(HOOK_URL, body))) == 1000
