"""The signature helpers beyond the conformance table: string-to-sign, URL variants, body coverage."""

from __future__ import annotations

import pytest

from smshooks.testing import form_request, json_request
from smshooks.vendor import SignatureError, WebhookRequest
from smshooks_twilio.signature import compute_signature, string_to_sign, url_variants, verify_request

from .cases import JSON_BODY, JSON_BODY_SHA256, VECTOR_MULTI, VECTOR_PARAMS, VECTOR_URL


def test_string_to_sign_matches_the_documented_vector() -> None:
    assert string_to_sign(VECTOR_URL, VECTOR_PARAMS) == (
        "https://mycompany.com/myapp.php?foo=1&bar=2"
        "CallSidCA1234567890ABCDECaller+14158675309Digits1234From+14158675309To+18005551212"
    )


def test_string_to_sign_sorts_and_deduplicates_values() -> None:
    assert string_to_sign(VECTOR_URL, VECTOR_MULTI) == VECTOR_URL + "Digits1234Digits5678SidCA123SidAccountAC123"


def test_signature_is_hmac_sha1_base64_of_the_documented_vector() -> None:
    assert compute_signature(VECTOR_URL, VECTOR_PARAMS, "12345") == "RSOYDt4T1cUTdK1PDd93/VVr8B8="


@pytest.mark.parametrize(
    ("url", "variants"),
    [
        ("https://h.example/p?a=1", ["https://h.example/p?a=1", "https://h.example:443/p?a=1"]),
        ("https://h.example:443/p", ["https://h.example:443/p", "https://h.example/p"]),
        ("http://h.example/p", ["http://h.example/p", "http://h.example:80/p"]),
        ("http://h.example:80/p", ["http://h.example:80/p", "http://h.example/p"]),
        # Any explicit port may be left out of the URL Twilio signed (twilio-python's remove_port).
        ("http://h.example:1234/p", ["http://h.example:1234/p", "http://h.example/p"]),
        ("https://h.example:80/p", ["https://h.example:80/p", "https://h.example/p"]),
        ("https://[2001:db8::1]:8443/p?x=1", ["https://[2001:db8::1]:8443/p?x=1", "https://[2001:db8::1]/p?x=1"]),
        # Userinfo and IPv6 literals keep their colons.
        ("https://u:pw@h.example/p", ["https://u:pw@h.example/p", "https://u:pw@h.example:443/p"]),
        ("https://[2001:db8::1]:443/p", ["https://[2001:db8::1]:443/p", "https://[2001:db8::1]/p"]),
        # The query is never re-encoded, even when a parser would normalise it.
        (
            "https://h.example/p?q=a%20b&q=%7e",
            ["https://h.example/p?q=a%20b&q=%7e", "https://h.example:443/p?q=a%20b&q=%7e"],
        ),
        ("ftp://h.example/p", ["ftp://h.example/p"]),
    ],
)
def test_url_variants(url: str, variants: list[str]) -> None:
    assert url_variants(url) == variants


def test_body_hash_given_twice_is_refused() -> None:
    url = f"{VECTOR_URL}&bodySHA256={JSON_BODY_SHA256}&bodySHA256={JSON_BODY_SHA256}"
    signature = compute_signature(url, {}, "12345")
    with pytest.raises(SignatureError, match="2 times"):
        verify_request(json_request(url, JSON_BODY, {"X-Twilio-Signature": signature}), "12345")


def test_body_hash_accepts_upper_case_hex() -> None:
    url = f"{VECTOR_URL}&bodySHA256={JSON_BODY_SHA256.upper()}"
    signature = compute_signature(url, {}, "12345")
    verify_request(json_request(url, JSON_BODY, {"X-Twilio-Signature": signature}), "12345")


def test_post_body_without_form_or_hash_is_refused_even_with_a_valid_url_signature() -> None:
    request = WebhookRequest(
        method="POST",
        url=VECTOR_URL,
        headers={"Content-Type": "text/plain", "X-Twilio-Signature": compute_signature(VECTOR_URL, {}, "12345")},
        body=b"Body=STOP",
    )
    with pytest.raises(SignatureError, match="not covered"):
        verify_request(request, "12345")


def test_empty_post_signed_over_url_alone_is_accepted() -> None:
    request = form_request(VECTOR_URL, "", {"X-Twilio-Signature": compute_signature(VECTOR_URL, {}, "12345")})
    verify_request(request, "12345")


def test_get_ignores_form_params_and_signs_the_url() -> None:
    url = VECTOR_URL + "&MessageSid=SM1"
    request = WebhookRequest(
        method="GET",
        url=url,
        headers={"X-Twilio-Signature": compute_signature(url, {}, "12345")},
        form={"Injected": ["1"]},
    )
    verify_request(request, "12345")


def test_non_ascii_signature_header_is_refused_not_crashing() -> None:
    request = form_request(VECTOR_URL, VECTOR_PARAMS, {"X-Twilio-Signature": "RSOYDt4T1cUTdK1PDd93/VVr8B8é"})
    with pytest.raises(SignatureError):
        verify_request(request, "12345")
