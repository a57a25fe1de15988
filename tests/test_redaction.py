"""What a call log learns is secret from a request's or an answer's body, and masks wherever it shows.

A body's values under secret-named keys (``access_token``, ``client_secret``, ``password`` …) are
learned, however the key is cased or escaped; a body without such a key teaches nothing (the raw
text is checked first, so most sends' bodies are not parsed at all: the cases below pin that the
shortcut never skips a key the parse would find).
"""

from __future__ import annotations

import json

import pytest

from smshooks.messages.redaction import MASK, Redactor

SECRET = "s3cr3t-value-0123456789"

LEARNED = [
    ("json", json.dumps({"access_token": SECRET, "expires_in": 3600})),
    ("json-cased", json.dumps({"Access_Token": SECRET})),
    ("json-nested", json.dumps({"data": [{"auth": {"client_secret": SECRET}}]})),
    ("json-escaped-key", '{"\\u0074oken": "' + SECRET + '"}'),
    ("json-escaped-all", json.dumps({"pässwörd": "x", "api_key": SECRET}, ensure_ascii=True)),
    ("form", f"grant_type=client_credentials&client_secret={SECRET}"),
    ("form-percent-key", f"a=1&%74oken={SECRET}"),
    ("form-plus-key", f"x_api+key=1&api_key={SECRET}"),
    ("form-signature", f"To=%2B14155550123&Signature={SECRET}"),
]
NOT_LEARNED = [
    ("twilio-form", "To=%2B14155550123&From=%2B14155550100&Body=Your+code+is+" + SECRET),
    ("twilio-answer", json.dumps({"sid": "SM" + "0" * 32, "status": "queued", "body": SECRET})),
    ("keyish-value", json.dumps({"note": "the key is " + SECRET})),  # a word in a value, not a key
    ("plain-text", "ok " + SECRET),
]


@pytest.mark.parametrize(("label", "body"), LEARNED, ids=[label for label, _ in LEARNED])
@pytest.mark.parametrize("side", ["request", "response"])
def test_a_value_under_a_secret_key_is_learned_and_masked(label, body, side):
    redactor = Redactor()
    if side == "request":
        redactor.learn_request({}, body)
    else:
        redactor.learn_response(body)
    assert SECRET not in redactor.text(f"echoed later: {SECRET}")
    assert MASK in redactor.text(SECRET)


@pytest.mark.parametrize(("label", "body"), NOT_LEARNED, ids=[label for label, _ in NOT_LEARNED])
def test_a_body_without_a_secret_key_teaches_nothing(label, body):
    redactor = Redactor()
    redactor.learn_request({}, body)
    redactor.learn_response(body)
    assert redactor.text(SECRET) == SECRET
