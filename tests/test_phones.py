"""The phone and sender rules of smshooks.phones, one table per kind of address (no app, no database)."""

from __future__ import annotations

import pytest

from smshooks.errors import Invalid
from smshooks.phones import (
    channel_sender_number,
    require_subscriber_number,
    sender_address,
    subscriber_number,
)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("+14155550123", "+14155550123"),
        ("+1 (415) 555-0123", "+14155550123"),
        ("14155550123", "+14155550123"),
        ("sms:+14155550123", "+14155550123"),
        ("+1234567", "+1234567"),  # 7 digits: the shortest E.164 length we take
        ("+1234567890123456", None),  # 16 digits: over E.164's 15
        ("12345", None),  # a short code is not a subscriber
        ("ACME", None),
        ("+abc", None),
        ("", None),
    ],
)
def test_a_subscriber_number_is_an_e164_phone_number(given, expected):
    assert subscriber_number(given) == expected


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("+14155550100", "+14155550100"),
        ("+44 20 7946 0000", "+442079460000"),
        ("12345", "12345"),  # a short code
        ("MyBrand", "MyBrand"),  # an alphanumeric sender id
        ("4155550100", None),  # without "+" a number must be possible as written
        ("+1", None),
        ("+abc", None),
        ("12", None),  # too short for a short code
        ("TooLongSenderId", None),  # over 11 characters
        ("call me", None),
        ("", None),
    ],
)
def test_a_sender_address_is_a_number_a_short_code_or_a_sender_id(given, expected):
    assert sender_address(given) == expected


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("+14155550100", "+14155550100"),
        ("1 415-555-0101", "+14155550101"),
        ("415-555-0101", None),  # without a country code it is not a number
        ("+abc", "+abc"),  # looser than the subscriber rule, as the API always was
        ("ACME", None),
        ("12345", None),
    ],
)
def test_a_channel_sender_is_what_normalises_to_a_plus_value(given, expected):
    assert channel_sender_number(given) == expected


def test_a_path_phone_that_is_not_a_number_is_invalid_naming_the_field():
    with pytest.raises(Invalid) as refused:
        require_subscriber_number("garbage")
    assert (refused.value.message, refused.value.details) == (
        "not a phone number",
        {"phone": ["an E.164 phone number, e.g. +14155550123"]},
    )
