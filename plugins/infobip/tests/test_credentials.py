"""The credential schema: what an operator must enter, and what stays secret."""

from __future__ import annotations

import marshmallow
import pytest

from smshooks_infobip import InfobipVendor
from smshooks_infobip.credentials import InfobipCredentialsSchema

from .cases import API_KEY, WEBHOOK_PASSWORD, WEBHOOK_USER

BASE_URL = "https://x1y2z3.api.infobip.com"


def load(**values: object) -> dict:
    return InfobipCredentialsSchema().load(values)


def test_minimal_credential_gets_defaults() -> None:
    assert load(base_url=BASE_URL, api_key=API_KEY) == {
        "base_url": BASE_URL,
        "api_key": API_KEY,
        "webhook_username": None,
        "webhook_password": None,
    }


def test_full_credential_loads() -> None:
    loaded = load(
        base_url="http://127.0.0.1:8081",
        api_key=API_KEY,
        webhook_username=WEBHOOK_USER,
        webhook_password=WEBHOOK_PASSWORD,
    )
    assert loaded["base_url"] == "http://127.0.0.1:8081"
    assert (loaded["webhook_username"], loaded["webhook_password"]) == (WEBHOOK_USER, WEBHOOK_PASSWORD)


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("x1y2z3.api.infobip.com", BASE_URL),
        (" x1y2z3.api.infobip.com/ ", BASE_URL),
        (BASE_URL + "/", BASE_URL),
    ],
)
def test_base_url_as_the_portal_shows_it(given: str, stored: str) -> None:
    assert load(base_url=given, api_key=API_KEY)["base_url"] == stored


def test_blank_webhook_credentials_mean_none() -> None:
    loaded = load(base_url=BASE_URL, api_key=API_KEY, webhook_username="", webhook_password="")
    assert (loaded["webhook_username"], loaded["webhook_password"]) == (None, None)


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"api_key": API_KEY}, "base_url"),
        ({"base_url": BASE_URL}, "api_key"),
        ({"base_url": BASE_URL, "api_key": ""}, "api_key"),
        ({"base_url": "ftp://x1y2z3.api.infobip.com", "api_key": API_KEY}, "base_url"),
        ({"base_url": "https://", "api_key": API_KEY}, "base_url"),
        (
            {"base_url": BASE_URL, "api_key": API_KEY, "webhook_username": "a:b", "webhook_password": "p"},
            "webhook_username",
        ),
        ({"base_url": BASE_URL, "api_key": API_KEY, "webhook_username": WEBHOOK_USER}, "webhook_password"),
        ({"base_url": BASE_URL, "api_key": API_KEY, "webhook_password": WEBHOOK_PASSWORD}, "webhook_username"),
    ],
)
def test_invalid_credentials_name_the_field(values: dict, field: str) -> None:
    with pytest.raises(marshmallow.ValidationError) as raised:
        InfobipCredentialsSchema().load(values)
    assert field in raised.value.messages


def test_api_key_and_webhook_password_are_secret() -> None:
    assert InfobipVendor().secret_fields() == frozenset({"api_key", "webhook_password"})
