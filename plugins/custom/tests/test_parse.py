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
