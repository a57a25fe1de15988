"""preview_send(): the request send() would make, rendered for a sample message, with secrets masked."""

from __future__ import annotations

import json
from typing import Any

import pytest

from smshooks.events import OutboundMessage
from smshooks.vendor import PayloadError
from smshooks_custom import CustomVendor

from .cases import INFOBIP_API_KEY, INFOBIP_CREDENTIALS, SEED_TEMPLATE, credential

VENDOR = CustomVendor()
SAMPLE = OutboundMessage(
    sender="+14155550100",
    recipient="+14155550123",
    text='Hi "there"\nline 2 \\ ✓',
    profile={"firstName": 'Ann "A" O\'Neil'},
    reference="preview",
)
SECRETS = {
    "api_key": "ak-SECRET-1a2b3c",
    "password": "pw-SECRET-4d5e6f",
    "bearer_token": "bt-SECRET-7a8b9c",
    "oauth2_client_secret": "oc-SECRET-0d1e2f",
    "jwt_secret": "js-SECRET-3a4b5c-long-enough-for-hs256",
    "hmac_secret": "hs-SECRET-6d7e8f",
}


def preview(**values: Any) -> dict[str, Any]:
    base = {"provider_url": "https://sms.provider.example/v1/messages", "payload_template": SEED_TEMPLATE}
    return dict(VENDOR.preview_send(SAMPLE, credential(**{**base, **values})))


def test_preview_renders_method_url_and_body() -> None:
    rendered = preview(http_method="PUT")
    assert rendered["method"] == "PUT"
    assert rendered["url"] == "https://sms.provider.example/v1/messages"
    assert rendered["body"] == {
        "from": "+14155550100",
        "to": "+14155550123",
        "content": SAMPLE.text,
        "contentType": "TEXT",
        "clientReference": "preview",
        "greeting": 'Ann "A" O\'Neil',
    }
    assert rendered["headers"]["Content-Type"] == "application/json; charset=utf-8"


@pytest.mark.parametrize(
    ("values", "header", "shown"),
    [
        (
            {
                "auth_type": "api_key",
                "api_key": SECRETS["api_key"],
                "api_key_header": "Authorization",
                "api_key_prefix": "App",
            },
            "Authorization",
            "App ********",
        ),
        (
            {"auth_type": "basic", "username": "acme", "password": SECRETS["password"]},
            "Authorization",
            "Basic ********",
        ),
        ({"auth_type": "bearer", "bearer_token": SECRETS["bearer_token"]}, "Authorization", "Bearer ********"),
        (
            {
                "auth_type": "oauth2",
                "oauth2_token_url": "http://127.0.0.1:9/token",
                "oauth2_client_id": "c",
                "oauth2_client_secret": SECRETS["oauth2_client_secret"],
            },
            "Authorization",
            "Bearer ********",
        ),
        ({"auth_type": "jwt", "jwt_secret": SECRETS["jwt_secret"]}, "Authorization", "Bearer ********"),
        (
            {"auth_type": "hmac", "hmac_secret": SECRETS["hmac_secret"], "hmac_prefix": "sha256="},
            "X-Signature",
            "sha256=********",
        ),
    ],
)
def test_preview_masks_the_auth_header_of_every_type(values: dict, header: str, shown: str) -> None:
    # The oauth2 token URL is closed: a preview never fetches a token.
    rendered = preview(**values)
    assert rendered["headers"][header] == shown
    text = json.dumps(rendered)
    assert not any(secret in text for secret in SECRETS.values())


def test_preview_masks_a_secret_repeated_in_an_extra_header() -> None:
    rendered = preview(
        auth_type="bearer",
        bearer_token=SECRETS["bearer_token"],
        extra_headers={"X-Token-Copy": "token=" + SECRETS["bearer_token"], "X-Tenant": "acme"},
    )
    assert rendered["headers"]["X-Token-Copy"] == "token=********"
    assert rendered["headers"]["X-Tenant"] == "acme"


def test_preview_of_a_described_provider() -> None:
    rendered = dict(VENDOR.preview_send(SAMPLE, INFOBIP_CREDENTIALS))
    assert rendered["headers"]["Authorization"] == "App ********"
    assert INFOBIP_API_KEY not in json.dumps(rendered)
    assert rendered["body"]["messages"][0]["destinations"] == [{"to": "14155550123"}]


def test_preview_reports_a_template_that_breaks_on_the_sample_profile() -> None:
    template = (
        '{\n  "to": "{{toNumber}}", "from": "{{fromNumber}}", "text": "{{message}}",\n  "age": {{ profile.age }}\n}'
    )
    values = {
        **credential(provider_url="https://p.example/send", payload_template=SEED_TEMPLATE),
        "payload_template": template,
    }
    with pytest.raises(PayloadError) as raised:
        VENDOR.preview_send(SAMPLE, values)
    assert str(raised.value).startswith("line 3: the rendered payload is not valid JSON: a value is missing after ':'")
    with_age = OutboundMessage(sender="+1", recipient="+2", text="t", profile={"age": 7})
    assert VENDOR.preview_send(with_age, values)["body"]["age"] == 7
