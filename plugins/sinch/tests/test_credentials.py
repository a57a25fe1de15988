"""The credential schema: what an operator must enter, and what stays secret."""

from __future__ import annotations

import marshmallow
import pytest

from smshooks_sinch import SinchVendor
from smshooks_sinch.credentials import SinchCredentialsSchema, api_base_url

from .cases import API_TOKEN, SERVICE_PLAN_ID, WEBHOOK_SECRET


def load(**values: object) -> dict:
    return SinchCredentialsSchema().load(values)


def test_minimal_credential_with_region() -> None:
    assert load(service_plan_id=SERVICE_PLAN_ID, api_token=API_TOKEN, region="eu") == {
        "service_plan_id": SERVICE_PLAN_ID,
        "api_token": API_TOKEN,
        "region": "eu",
        "base_url": None,
        "webhook_secret": None,
    }


def test_full_credential_with_base_url() -> None:
    loaded = load(
        service_plan_id=SERVICE_PLAN_ID,
        api_token=API_TOKEN,
        base_url="http://127.0.0.1:8081",
        webhook_secret=WEBHOOK_SECRET,
    )
    assert loaded["base_url"] == "http://127.0.0.1:8081"
    assert loaded["webhook_secret"] == WEBHOOK_SECRET
    assert loaded["region"] is None


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"api_token": API_TOKEN, "region": "us"}, "service_plan_id"),
        ({"service_plan_id": SERVICE_PLAN_ID, "region": "us"}, "api_token"),
        ({"service_plan_id": SERVICE_PLAN_ID, "api_token": "", "region": "us"}, "api_token"),
        ({"service_plan_id": "plan/../x", "api_token": API_TOKEN, "region": "us"}, "service_plan_id"),
        ({"service_plan_id": SERVICE_PLAN_ID, "api_token": API_TOKEN, "region": "au"}, "region"),
        ({"service_plan_id": SERVICE_PLAN_ID, "api_token": API_TOKEN}, "region"),
        ({"service_plan_id": SERVICE_PLAN_ID, "api_token": API_TOKEN, "base_url": "ftp://x.example"}, "base_url"),
    ],
)
def test_invalid_credentials_name_the_field(values: dict, field: str) -> None:
    with pytest.raises(marshmallow.ValidationError) as raised:
        SinchCredentialsSchema().load(values)
    assert field in raised.value.messages


def test_token_and_webhook_secret_are_secret() -> None:
    assert SinchVendor().secret_fields() == frozenset({"api_token", "webhook_secret"})


@pytest.mark.parametrize(
    ("credentials", "base"),
    [
        ({"region": "us"}, "https://us.sms.api.sinch.com"),
        ({"region": "eu"}, "https://eu.sms.api.sinch.com"),
        ({"region": "EU"}, "https://eu.sms.api.sinch.com"),
        ({"region": "eu", "base_url": "https://sms.proxy.example/"}, "https://sms.proxy.example"),
        ({"region": None, "base_url": "http://127.0.0.1:9/x"}, "http://127.0.0.1:9/x"),
        ({}, None),
        ({"region": "au"}, None),
    ],
)
def test_api_base_url(credentials: dict, base: str | None) -> None:
    assert api_base_url(credentials) == base
