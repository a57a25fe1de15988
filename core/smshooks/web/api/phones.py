"""Subscriber phone numbers as the API accepts them: E.164 after normalisation."""

from __future__ import annotations

from smshooks.vendor import to_e164
from smshooks.web.errors import ApiError

#: "+" and 7 to 15 digits (E.164 allows at most 15)
MIN_LENGTH, MAX_LENGTH = 8, 16
#: what the OpenAPI document asks for: the canonical E.164 form (the API also
#: reads spaces, dashes and parentheses, and answers with this form)
E164_PATTERN = r"^\+[1-9][0-9]{6,14}$"
#: ``route(..., parameters=[PHONE_PATH_PARAMETER])`` documents a ``<phone>`` of a URL
PHONE_PATH_PARAMETER = {
    "in": "path",
    "name": "phone",
    "description": "the subscriber's number in E.164, e.g. +14155550123 (URL-encode the +)",
    "schema": {"type": "string", "pattern": E164_PATTERN},
}


def subscriber_number(value: str) -> str | None:
    """``value`` in E.164, or None when it is not a phone number (short codes,
    sender ids and garbage are not subscribers)."""
    number = to_e164(value)
    return number if number.startswith("+") and MIN_LENGTH <= len(number) <= MAX_LENGTH else None


def phone_from_path(value: str) -> str:
    """The ``<phone>`` of a URL in E.164, or a 422 naming the field."""
    number = subscriber_number(value)
    if number is None:
        raise ApiError(422, "not a phone number", details={"phone": ["an E.164 phone number, e.g. +14155550123"]})
    return number
