"""The credential schema: what an operator must enter, and what stays secret."""

from __future__ import annotations

import marshmallow
import pytest

from smshooks_twilio import TwilioVendor
from smshooks_twilio.credentials import TwilioCredentialsSchema

from .cases import ACCOUNT_SID, AUTH_TOKEN, MESSAGING_SERVICE_SID


def load(**values: object) -> dict:
    return TwilioCredentialsSchema().load(values)


def test_minimal_credential_gets_defaults() -> None:
    assert load(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN) == {
        "account_sid": ACCOUNT_SID,
        "auth_token": AUTH_TOKEN,
        "messaging_service_sid": None,
        "api_base_url": "https://api.twilio.com",
        "inline_replies": True,
    }


def test_replies_go_inline_unless_the_credential_says_otherwise() -> None:
    vendor = TwilioVendor()
    assert vendor.replies_inline(load(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN)) is True
    assert vendor.replies_inline(load(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, inline_replies=False)) is False


def test_full_credential_loads() -> None:
    loaded = load(
        account_sid=ACCOUNT_SID,
        auth_token=AUTH_TOKEN,
        messaging_service_sid=MESSAGING_SERVICE_SID,
        api_base_url="http://127.0.0.1:8081",
    )
    assert loaded["messaging_service_sid"] == MESSAGING_SERVICE_SID
    assert loaded["api_base_url"] == "http://127.0.0.1:8081"


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"auth_token": AUTH_TOKEN}, "account_sid"),
        ({"account_sid": ACCOUNT_SID}, "auth_token"),
        ({"account_sid": ACCOUNT_SID, "auth_token": ""}, "auth_token"),
        ({"account_sid": "SK0123456789abcdef0123456789abcdef", "auth_token": AUTH_TOKEN}, "account_sid"),
        (
            {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN, "messaging_service_sid": "PN123"},
            "messaging_service_sid",
        ),
        (
            {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN, "api_base_url": "ftp://api.twilio.com"},
            "api_base_url",
        ),
    ],
)
def test_invalid_credentials_name_the_field(values: dict, field: str) -> None:
    with pytest.raises(marshmallow.ValidationError) as raised:
        TwilioCredentialsSchema().load(values)
    assert field in raised.value.messages


def test_only_the_auth_token_is_secret() -> None:
    assert TwilioVendor().secret_fields() == frozenset({"auth_token"})
