"""The credential schema: what is checked when a Custom credential is saved, and what stays secret."""

from __future__ import annotations

import json

import marshmallow
import pytest

from smshooks_custom import CustomVendor
from smshooks_custom.credentials import CustomCredentialsSchema

from .cases import INFOBIP_CREDENTIALS, SEED_TEMPLATE, SINCH_CREDENTIALS, fixture

MINIMAL = {"provider_url": "https://sms.provider.example/v1/messages", "payload_template": SEED_TEMPLATE}


def load(**values: object) -> dict:
    return CustomCredentialsSchema().load({**MINIMAL, **values})


def errors(**values: object) -> dict:
    with pytest.raises(marshmallow.ValidationError) as raised:
        load(**values)
    return raised.value.messages


def test_minimal_credential_gets_defaults() -> None:
    loaded = load()
    assert loaded["http_method"] == "POST"
    assert loaded["auth_type"] == "none"
    assert loaded["webhook_auth_type"] == "none"
    assert loaded["inbound_mapping"] is None and loaded["feedback_mapping"] is None
    assert loaded["status_map"] is None
    assert loaded["extra_headers"] == {}
    assert (loaded["api_key_header"], loaded["hmac_header"]) == ("X-API-Key", "X-Signature")
    assert (loaded["webhook_secret_header"], loaded["webhook_signature_header"]) == ("X-Webhook-Secret", "X-Signature")


@pytest.mark.parametrize("missing", ["provider_url", "payload_template"])
def test_required_fields(missing: str) -> None:
    values = dict(MINIMAL)
    del values[missing]
    with pytest.raises(marshmallow.ValidationError) as raised:
        CustomCredentialsSchema().load(values)
    assert missing in raised.value.messages


def test_a_loaded_credential_loads_again_unchanged() -> None:
    # The API re-validates stored fields on every PATCH; they pass through JSON storage first.
    for loaded in (INFOBIP_CREDENTIALS, SINCH_CREDENTIALS):
        stored = json.loads(json.dumps(loaded))
        assert CustomCredentialsSchema().load(stored) == loaded


def test_mapping_given_as_text_is_stored_as_the_document() -> None:
    loaded = load(inbound_mapping=fixture("sinch_inbound_mapping.json"))
    assert loaded["inbound_mapping"] == json.loads(fixture("sinch_inbound_mapping.json"))


def test_method_any_case_is_stored_upper() -> None:
    assert load(http_method="put")["http_method"] == "PUT"


def test_status_map_values_normalized() -> None:
    assert load(status_map={"DELIVRD": "Delivered", "UNDELIV": " BOUNCE "})["status_map"] == {
        "DELIVRD": "delivered",
        "UNDELIV": "bounce",
    }


def test_final_statuses_take_the_maps_spelling() -> None:
    loaded = load(status_map={"Delivered": "delivered", "Dispatched": "sent"}, final_statuses=["DELIVERED"])
    assert loaded["final_statuses"] == ["Delivered"]


def test_secret_fields() -> None:
    assert CustomVendor().secret_fields() == frozenset(
        {
            "api_key",
            "password",
            "bearer_token",
            "oauth2_client_secret",
            "jwt_secret",
            "hmac_secret",
            "webhook_secret",
        }
    )


# -- the payload template -------------------------------------------------------


@pytest.mark.parametrize("name", ["fromNumber", "toNumber", "message"])
def test_template_missing_a_variable_is_refused_with_the_reason(name: str) -> None:
    template = SEED_TEMPLATE.replace("{{" + name + "}}", "fixed")
    assert errors(payload_template=template) == {
        "payload_template": ["the payload template must reference {{" + name + "}}"]
    }


def test_template_with_trailing_comma_is_refused_with_line_and_reason() -> None:
    template = '{\n  "from": "{{fromNumber}}",\n  "to": "{{toNumber}}",\n  "text": "{{message}}",\n  "type": "TEXT",\n}'
    (message,) = errors(payload_template=template)["payload_template"]
    assert message.startswith("line 5, column 17: the rendered payload is not valid JSON: a trailing comma")


def test_template_not_json_is_refused_with_line() -> None:
    template = '{\n  "from": "{{fromNumber}}",\n  "to": {{toNumber}},\n  "text": "{{message}}"\n}'
    (message,) = errors(payload_template=template)["payload_template"]
    assert message.startswith("line 3: the rendered payload is not valid JSON")


def test_template_syntax_error_is_refused_with_line() -> None:
    template = '{\n  "from": "{{fromNumber}}",\n  "to": "{{toNumber}",\n  "text": "{{message}}"\n}'
    (message,) = errors(payload_template=template)["payload_template"]
    assert message.startswith("line 3: ")


def test_template_escaping_quotes_in_values_is_accepted() -> None:
    # The sample message holds quotes, backslashes and a line break; escaping keeps it JSON.
    load(payload_template='{"t": "{{message}} from {{fromNumber}} to {{toNumber}}"}')


# -- mappings -------------------------------------------------------------------


def test_mapping_with_unknown_placeholder_names_its_position() -> None:
    mapping = {
        "results": [
            {
                "text": "{{inboundMessage}}",
                "from": "{{profileNumber}}",
                "to": "{{inboundNumber}}",
                "id": "{{requestId}}",
                "kw": "{{keyword}}",
            }
        ]
    }
    (message,) = errors(inbound_mapping=mapping)["inbound_mapping"]
    assert message.startswith("$.results[*].kw: unknown placeholder {{keyword}} in the inbound mapping")


def test_mapping_without_required_placeholder_is_refused() -> None:
    (message,) = errors(inbound_mapping={"text": "{{inboundMessage}}", "from": "{{profileNumber}}"})["inbound_mapping"]
    assert message == "the inbound mapping must place {{requestId}}; {{inboundNumber}}"


def test_feedback_mapping_needs_an_id_and_a_status() -> None:
    (message,) = errors(feedback_mapping={"code": "{{failureCode}}"})["feedback_mapping"]
    assert message == "the feedback mapping must place {{messageId}} or {{client_reference}}; {{feedbackStatus}}"


def test_feedback_placeholder_in_inbound_mapping_is_refused() -> None:
    mapping = json.loads(fixture("sinch_inbound_mapping.json")) | {"status": "{{feedbackStatus}}"}
    assert "unknown placeholder {{feedbackStatus}}" in errors(inbound_mapping=mapping)["inbound_mapping"][0]


def test_mapping_text_not_json_names_line() -> None:
    (message,) = errors(feedback_mapping='{\n  "status": "{{feedbackStatus}}",\n}')["feedback_mapping"]
    assert message.startswith("line 3, column 1: not valid JSON")


def test_mapping_placeholder_must_be_the_whole_value() -> None:
    mapping = {"id": "msg-{{messageId}}", "status": "{{feedbackStatus}}"}
    (message,) = errors(feedback_mapping=mapping)["feedback_mapping"]
    assert message.startswith("$.id: a placeholder must be the whole value")


def test_mapping_must_be_an_object_or_array() -> None:
    assert "feedback_mapping" in errors(feedback_mapping=42)
    assert "feedback_mapping" in errors(feedback_mapping='"{{feedbackStatus}}"')


# -- status map ---------------------------------------------------------------------


def test_status_map_value_must_be_a_common_status() -> None:
    (message,) = errors(status_map={"DELIVRD": "delivered", "UNDELIV": "failed"})["status_map"]
    assert message.startswith("UNDELIV: 'failed' is not a common status; use one of queued, sent, delivered")


def test_status_map_keys_differing_only_in_case_must_agree() -> None:
    assert "status_map" in errors(status_map={"Delivered": "delivered", "DELIVERED": "bounce"})
    load(status_map={"Delivered": "delivered", "DELIVERED": "delivered"})


def test_final_statuses_must_be_in_the_map() -> None:
    messages = errors(status_map={"Delivered": "delivered"}, final_statuses=["Delivered", "Expired"])
    assert messages == {"final_statuses": ["not in the status map: Expired"]}


def test_failure_code_type_is_hard_or_soft() -> None:
    assert "failure_codes" in errors(failure_codes={"412": {"type": "permanent"}})


# -- auth -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("auth_type", "needs"),
    [
        ("api_key", {"api_key"}),
        ("basic", {"username"}),
        ("bearer", {"bearer_token"}),
        ("oauth2", {"oauth2_token_url", "oauth2_client_id", "oauth2_client_secret"}),
        ("jwt", {"jwt_secret"}),
        ("hmac", {"hmac_secret"}),
    ],
)
def test_each_auth_type_needs_its_secret(auth_type: str, needs: set[str]) -> None:
    messages = errors(auth_type=auth_type)
    assert set(messages) == needs
    assert all(text == [f"required when auth_type is {auth_type}"] for text in messages.values())


def test_unknown_auth_type_is_refused() -> None:
    assert "auth_type" in errors(auth_type="digest")


def test_jwt_key_must_suit_the_algorithm() -> None:
    messages = errors(auth_type="jwt", jwt_secret="not-a-pem-key", jwt_algorithm="RS256")
    assert messages["jwt_secret"][0].startswith("not a usable RS256 key")
    load(auth_type="jwt", jwt_secret="a-shared-secret-of-enough-length-for-hs256", jwt_algorithm="HS256")


def test_webhook_auth_needs_a_secret() -> None:
    assert errors(webhook_auth_type="hmac_sha256") == {
        "webhook_secret": ["required when webhook_auth_type is hmac_sha256"]
    }
    assert "webhook_auth_type" in errors(webhook_auth_type="basic", webhook_secret="x")


@pytest.mark.parametrize(
    "values",
    [
        {"extra_headers": {"X-Ok": "a\r\nX-Injected: 1"}},
        {"extra_headers": {"Bad Header": "x"}},
        {"api_key_header": "X Api Key"},
        {"webhook_signature_header": "X-Sig:"},
    ],
)
def test_header_names_and_values_cannot_break_the_request(values: dict) -> None:
    assert set(errors(**values)) == set(values)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("provider_url", "ftp://sms.provider.example/send"),
        ("provider_url", "not a url"),
        ("http_method", "GET"),
        ("oauth2_client_auth", "header"),
        ("hmac_encoding", "base32"),
        ("jwt_ttl_seconds", 0),
        ("message_id_path", "messages..id"),
        ("error_code_path", ""),
    ],
)
def test_invalid_values_name_the_field(field: str, value: object) -> None:
    assert field in errors(**{field: value})
