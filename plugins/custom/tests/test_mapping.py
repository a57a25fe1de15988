"""Payload mappings: placeholders, arrays (each element one event), conditions, several positions."""

from __future__ import annotations

import pytest

from smshooks_custom.mapping import (
    FEEDBACK,
    INBOUND,
    MAX_EVENTS,
    MappingError,
    TooManyEvents,
    compile_mapping,
    placeholder_paths,
)

from .cases import fixture


def values(mapping: object, payload: object, kind=FEEDBACK) -> list[dict]:
    matched = compile_mapping(mapping, kind).match(payload)
    assert matched is not None
    return [dict(binding.values) for binding in matched]


def test_mapping_compiles_once_into_paths_per_placeholder() -> None:
    compiled = compile_mapping(fixture("sinch_feedback_mapping.json"), FEEDBACK)
    assert placeholder_paths(compiled) == {
        "messageId": ("$.batch_id",),
        "client_reference": ("$.client_reference",),
        "profileNumber": ("$.recipient", "$.statuses[*].recipients[*]"),
        "feedbackStatus": ("$.status", "$.statuses[*].status"),
        "failureCode": ("$.code", "$.statuses[*].code"),
        "originTimestamp": ("$.at",),
    }


def test_placeholder_names_ignore_case_and_underscores() -> None:
    mapping = {"ref": "{{ clientReference }}", "s": "{{FEEDBACK_STATUS}}", "c": "{{failure_code}}"}
    assert values(mapping, {"ref": "r1", "s": "ok", "c": 7}) == [
        {"clientreference": "r1", "feedbackstatus": "ok", "failurecode": 7}
    ]


def test_one_element_array_means_each_element_is_one_event() -> None:
    mapping = {"batch": "{{messageId}}", "items": [{"s": "{{feedbackStatus}}"}]}
    payload = {"batch": "b1", "items": [{"s": "a"}, {"s": "b"}, {"s": "c"}]}
    assert values(mapping, payload) == [
        {"messageid": "b1", "feedbackstatus": "a"},
        {"messageid": "b1", "feedbackstatus": "b"},
        {"messageid": "b1", "feedbackstatus": "c"},
    ]


def test_nested_arrays_multiply_and_raw_keeps_only_the_events_element() -> None:
    mapping = {"id": "{{messageId}}", "statuses": [{"status": "{{feedbackStatus}}", "to": ["{{profileNumber}}"]}]}
    payload = {
        "id": "b1",
        "extra": True,
        "statuses": [{"status": "ok", "to": ["1", "2"], "n": 2}, {"status": "ko", "to": ["3"], "n": 1}],
    }
    matched = compile_mapping(mapping, FEEDBACK).match(payload)
    assert [(b.values["feedbackstatus"], b.values["profilenumber"]) for b in matched] == [
        ("ok", "1"),
        ("ok", "2"),
        ("ko", "3"),
    ]
    assert matched[1].raw == {"id": "b1", "extra": True, "statuses": [{"status": "ok", "to": ["2"], "n": 2}]}
    assert payload["statuses"][0]["to"] == ["1", "2"], "the payload itself is left alone"


def test_array_of_several_elements_matches_by_position() -> None:
    mapping = {"pair": ["{{messageId}}", "{{feedbackStatus}}"]}
    assert values(mapping, {"pair": ["m1", "ok", "ignored"]}) == [{"messageid": "m1", "feedbackstatus": "ok"}]
    assert compile_mapping(mapping, FEEDBACK).match({"pair": ["m1"]}) is None


def test_literal_values_are_conditions() -> None:
    mapping = {"type": "dlr", "v": 2, "live": True, "id": "{{messageId}}", "s": "{{feedbackStatus}}"}
    compiled = compile_mapping(mapping, FEEDBACK)
    assert compiled.match({"type": "dlr", "v": 2.0, "live": True, "id": "m", "s": "ok"}) is not None
    assert compiled.match({"type": "mo", "v": 2, "live": True, "id": "m", "s": "ok"}) is None
    assert compiled.match({"type": "dlr", "v": 2, "live": 1, "id": "m", "s": "ok"}) is None, "JSON true is not 1"
    assert compiled.match({"type": "dlr", "v": "2", "live": True, "id": "m", "s": "ok"}) is None
    assert compiled.match({"v": 2, "live": True, "id": "m", "s": "ok"}) is None, "an absent condition fails"


def test_condition_inside_an_absent_subtree_fails_the_match() -> None:
    compiled = compile_mapping({"meta": {"kind": "dlr"}, "id": "{{messageId}}", "s": "{{feedbackStatus}}"}, FEEDBACK)
    assert compiled.match({"id": "m", "s": "ok"}) is None


def test_absent_keys_leave_placeholders_unset() -> None:
    mapping = {"id": "{{messageId}}", "s": "{{feedbackStatus}}", "err": {"code": "{{failureCode}}"}}
    assert values(mapping, {"id": "m", "s": "ok"}) == [{"messageid": "m", "feedbackstatus": "ok"}]


def test_null_is_an_absent_value_and_the_next_position_wins() -> None:
    mapping = {
        "doneAt": "{{originTimestamp}}",
        "sentAt": "{{originTimestamp}}",
        "id": "{{messageId}}",
        "s": "{{feedbackStatus}}",
    }
    assert values(mapping, {"doneAt": None, "sentAt": "t2", "id": "m", "s": "ok"})[0]["origintimestamp"] == "t2"
    assert values(mapping, {"doneAt": "t1", "sentAt": "t2", "id": "m", "s": "ok"})[0]["origintimestamp"] == "t1"


def test_shape_mismatch_is_no_match() -> None:
    compiled = compile_mapping({"results": [{"id": "{{messageId}}", "s": "{{feedbackStatus}}"}]}, FEEDBACK)
    assert compiled.match([]) is None
    assert compiled.match({"results": {"id": "m"}}) is None
    assert compiled.match({"results": ["junk", 7]}) is None  # an array of something else altogether
    assert compiled.match({"results": []}) == []


def test_an_element_of_another_shape_is_marked_not_the_batch_refused() -> None:
    """parse refuses the odd element alone: the batch's other elements may hold an opt-out."""
    compiled = compile_mapping({"results": [{"id": "{{messageId}}", "s": "{{feedbackStatus}}"}]}, FEEDBACK)
    bindings = compiled.match({"results": [{"id": "m", "s": "ok"}, "junk"]})
    assert bindings is not None
    assert [(b.values, b.raw, b.unmatched) for b in bindings] == [
        ({"messageid": "m", "feedbackstatus": "ok"}, {"results": [{"id": "m", "s": "ok"}]}, False),
        ({}, {"results": ["junk"]}, True),
    ]


def test_a_payload_expanding_into_too_many_events_is_refused() -> None:
    compiled = compile_mapping({"a": [{"id": "{{messageId}}"}], "b": [{"s": "{{feedbackStatus}}"}]}, FEEDBACK)
    side = int(MAX_EVENTS**0.5) + 2
    with pytest.raises(TooManyEvents):
        compiled.match({"a": [{"id": str(i)} for i in range(side)], "b": [{"s": "x"} for _ in range(side)]})
    with pytest.raises(TooManyEvents):
        compiled.match({"a": [{"id": str(i)} for i in range(MAX_EVENTS + 1)], "b": [{"s": "x"}]})


def test_root_array_mapping() -> None:
    compiled = compile_mapping(
        [{"id": "{{requestId}}", "from": "{{profileNumber}}", "to": "{{inboundNumber}}", "text": "{{inboundMessage}}"}],
        INBOUND,
    )
    matched = compiled.match([{"id": "1", "from": "a", "to": "b", "text": "hi"}])
    assert matched[0].raw == [{"id": "1", "from": "a", "to": "b", "text": "hi"}]


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ('"{{messageId}}"', "a mapping is a JSON object or array"),
        ("{not json", "line 1, column 2: not valid JSON"),
        ({"id": "{{messageId}}", "s": "{{status}}"}, "$.s: unknown placeholder {{status}}"),
        ({"id": "{{ messageId }} ", "s": "{{feedbackStatus}} x"}, "$.s: a placeholder must be the whole value"),
        ({"id": "{{messageId}}"}, "the feedback mapping must place {{feedbackStatus}}"),
    ],
)
def test_compile_errors_say_where_and_why(mapping: object, message: str) -> None:
    with pytest.raises(MappingError) as raised:
        compile_mapping(mapping, FEEDBACK)
    assert str(raised.value).startswith(message)
