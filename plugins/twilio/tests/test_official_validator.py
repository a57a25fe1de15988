"""Cross-check with Twilio's own validator: what one signs, the other accepts.

``twilio.request_validator.RequestValidator`` is the reference implementation
of X-Twilio-Signature; agreeing with it in both directions on forms,
repeated parameters, JSON bodies and the default-port variants shows our
implementation signs the same string Twilio does.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Mapping
from urllib.parse import quote

import pytest

from smshooks.testing import form_request, json_request
from smshooks.vendor import SignatureError
from smshooks_twilio import TwilioVendor
from smshooks_twilio.signature import compute_signature

from .cases import AUTH_TOKEN, CREDENTIALS, HOOK_URL, INBOUND_MMS, INBOUND_SMS, JSON_BODY, STATUS_DELIVERED

request_validator = pytest.importorskip("twilio.request_validator")
RequestValidator = request_validator.RequestValidator

VENDOR = TwilioVendor()


class MultiDict(dict):
    """The ``getall`` interface twilio-python reads repeated form values through (as Flask's)."""

    def getall(self, name: str) -> list[str]:
        return self[name]


def twilio_params(form: Mapping[str, list[str]]) -> MultiDict:
    return MultiDict({name: list(values) for name, values in form.items()})


FORMS = {
    "inbound-sms": INBOUND_SMS,
    "inbound-mms-unicode": INBOUND_MMS,
    "status-callback": STATUS_DELIVERED,
    "multi-value": "Sid=CA123&SidAccount=AC123&Digits=5678&Digits=1234&Digits=1234",
    "blank-values": "Body=&From=%2B14155550123&To=&MessageSid=SM1",
}

URLS = [
    HOOK_URL,
    "https://sms.example.com:443/hooks/wh_3kTq9ZbV1xR7mN2p",
    "http://sms.example.com/hooks/wh_3kTq9ZbV1xR7mN2p?tenant=a%20b&x=1",
    "http://sms.example.com:80/hooks/wh_3kTq9ZbV1xR7mN2p",
    "http://localhost:8080/hooks/wh_3kTq9ZbV1xR7mN2p",
]


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize("form_name", sorted(FORMS))
def test_our_signature_equals_twilios(form_name: str, url: str) -> None:
    request = form_request(url, FORMS[form_name])
    ours = compute_signature(url, request.form, AUTH_TOKEN)
    assert ours == RequestValidator(AUTH_TOKEN).compute_signature(url, twilio_params(request.form))


@pytest.mark.parametrize("form_name", sorted(FORMS))
def test_twilio_accepts_what_we_sign(form_name: str) -> None:
    request = form_request(HOOK_URL, FORMS[form_name])
    signature = compute_signature(HOOK_URL, request.form, AUTH_TOKEN)
    assert RequestValidator(AUTH_TOKEN).validate(HOOK_URL, twilio_params(request.form), signature)
    assert not RequestValidator("another-token").validate(HOOK_URL, twilio_params(request.form), signature)


@pytest.mark.parametrize("form_name", sorted(FORMS))
def test_we_accept_what_twilio_signs(form_name: str) -> None:
    unsigned = form_request(HOOK_URL, FORMS[form_name])
    signature = RequestValidator(AUTH_TOKEN).compute_signature(HOOK_URL, twilio_params(unsigned.form))
    VENDOR.verify(form_request(HOOK_URL, FORMS[form_name], {"X-Twilio-Signature": signature}), CREDENTIALS)
    with pytest.raises(SignatureError):
        VENDOR.verify(
            form_request(HOOK_URL, FORMS[form_name] + "&Added=1", {"X-Twilio-Signature": signature}), CREDENTIALS
        )


# Twilio may sign with or without the port: every pairing of the URL Twilio
# signed and the URL we were called at that twilio-python accepts, we accept.
PORT_PAIRS = [
    ("https://mycompany.com/myapp.php?foo=1&bar=2", "https://mycompany.com:443/myapp.php?foo=1&bar=2"),
    ("https://mycompany.com:443/myapp.php?foo=1&bar=2", "https://mycompany.com/myapp.php?foo=1&bar=2"),
    ("http://mycompany.com/myapp.php?foo=1&bar=2", "http://mycompany.com:80/myapp.php?foo=1&bar=2"),
    ("http://mycompany.com:80/myapp.php?foo=1&bar=2", "http://mycompany.com/myapp.php?foo=1&bar=2"),
    # a non-default port, signed without it (twilio-python's remove_port)
    ("https://mycompany.com/myapp.php?foo=1&bar=2", "https://mycompany.com:1234/myapp.php?foo=1&bar=2"),
    ("http://mycompany.com/myapp.php?foo=1&bar=2", "http://mycompany.com:8080/myapp.php?foo=1&bar=2"),
    ("https://mycompany.com:1234/myapp.php?foo=1&bar=2", "https://mycompany.com:1234/myapp.php?foo=1&bar=2"),
]


@pytest.mark.parametrize(("signed_url", "called_url"), PORT_PAIRS)
def test_default_port_variants_agree(signed_url: str, called_url: str) -> None:
    body = FORMS["inbound-sms"]
    form = form_request(called_url, body).form
    twilio_signature = RequestValidator(AUTH_TOKEN).compute_signature(signed_url, twilio_params(form))
    our_signature = compute_signature(signed_url, form, AUTH_TOKEN)
    assert our_signature == twilio_signature
    assert RequestValidator(AUTH_TOKEN).validate(called_url, twilio_params(form), our_signature)
    VENDOR.verify(form_request(called_url, body, {"X-Twilio-Signature": twilio_signature}), CREDENTIALS)


# Pairings twilio-python refuses: a port it would have to guess, or another port.
PORT_MISMATCHES = [
    ("https://mycompany.com:1234/myapp.php", "https://mycompany.com/myapp.php"),
    ("https://mycompany.com:1234/myapp.php", "https://mycompany.com:4321/myapp.php"),
    ("https://mycompany.com:1234/myapp.php", "https://mycompany.com:443/myapp.php"),
    ("https://mycompany.com/myapp.php", "http://mycompany.com/myapp.php"),
]


@pytest.mark.parametrize(("signed_url", "called_url"), PORT_MISMATCHES)
def test_port_mismatches_refused_by_both(signed_url: str, called_url: str) -> None:
    body = FORMS["inbound-sms"]
    form = form_request(called_url, body).form
    signature = RequestValidator(AUTH_TOKEN).compute_signature(signed_url, twilio_params(form))
    assert not RequestValidator(AUTH_TOKEN).validate(called_url, twilio_params(form), signature)
    with pytest.raises(SignatureError):
        VENDOR.verify(form_request(called_url, body, {"X-Twilio-Signature": signature}), CREDENTIALS)


def _json_url(base: str, body: str) -> str:
    return f"{base}?bodySHA256={hashlib.sha256(body.encode()).hexdigest()}"


@pytest.mark.parametrize("base", [HOOK_URL, "https://sms.example.com:443/hooks/wh_3kTq9ZbV1xR7mN2p"])
def test_json_body_signatures_agree(base: str) -> None:
    url = _json_url(base, JSON_BODY)
    ours = compute_signature(url, {}, AUTH_TOKEN)
    assert RequestValidator(AUTH_TOKEN).validate(url, JSON_BODY, ours)
    theirs = RequestValidator(AUTH_TOKEN).compute_signature(url, {})
    VENDOR.verify(json_request(url, JSON_BODY, {"X-Twilio-Signature": theirs}), CREDENTIALS)


def test_json_body_tampering_refused_by_both() -> None:
    url = _json_url(HOOK_URL, JSON_BODY)
    signature = RequestValidator(AUTH_TOKEN).compute_signature(url, {})
    tampered = JSON_BODY.replace("true", "false")
    assert not RequestValidator(AUTH_TOKEN).validate(url, tampered, signature)
    with pytest.raises(SignatureError):
        VENDOR.verify(json_request(url, tampered, {"X-Twilio-Signature": signature}), CREDENTIALS)


def _random_text(rng: random.Random) -> str:
    alphabet = "abcXYZ019 +-_.&=%/?é€日本📷\t"
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))


@pytest.mark.parametrize("seed", range(25))
def test_random_forms_agree(seed: int) -> None:
    rng = random.Random(seed)
    form = {
        _random_text(rng) or "P": [_random_text(rng) for _ in range(rng.randint(1, 3))]
        for _ in range(rng.randint(1, 8))
    }
    # A URL on the wire is percent-encoded; raw text would not be one.
    url = HOOK_URL + ("?q=" + quote(_random_text(rng), safe="=&%") if rng.random() < 0.5 else "")
    ours = compute_signature(url, form, AUTH_TOKEN)
    assert ours == RequestValidator(AUTH_TOKEN).compute_signature(url, MultiDict(form))
    assert RequestValidator(AUTH_TOKEN).validate(url, MultiDict(form), ours)
