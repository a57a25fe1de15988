"""Phone numbers and sender addresses: which values the gateway accepts, in one place (no Flask).

Two kinds of address, each normalised by :func:`smshooks.vendor.to_e164` first:

- a **subscriber number** is a phone number in E.164 (``+`` and 7 to 15 digits): only phones subscribe;
- a **sender address** is one of our own: an E.164 number, a short code or an alphanumeric sender id.

Each function answers the normalised value, or None when the value is not of its kind. The web layer
calls the same functions from its schemas (so a bad value is one field message among the others of the
request), and the services call them again, so a caller that skips the API (the console) meets the rule too.

One caller still accepts more than these rules, kept as it was (the move changed no answer):
:func:`channel_sender_number` (any value ``to_e164`` leaves starting with ``+``). An administrator's
consent change names a sender address too (:func:`sender_address`); the consent service adds the two
values only it knows of: every number (a STOPALL's ``*``) and a sender a record was already kept under.
"""

from __future__ import annotations

import re

import phonenumbers

from smshooks.errors import Invalid
from smshooks.vendor import to_e164

#: "+" and 7 to 15 digits (E.164 allows at most 15)
MIN_LENGTH, MAX_LENGTH = 8, 16
SHORT_CODE = re.compile(r"[0-9]{3,8}")
#: at least one letter: a string of digits is a number or a short code
ALPHANUMERIC_SENDER_ID = re.compile(r"(?=.*[A-Za-z])[A-Za-z0-9]{1,11}")

#: the field message for a value that is not a subscriber number (path parameter ``<phone>``)
NOT_A_SUBSCRIBER_NUMBER = "an E.164 phone number, e.g. +14155550123"
#: the field message for a value that is not a sender address (a webhook's ``sender_number``)
NOT_A_SENDER_ADDRESS = "an E.164 number, a short code or an alphanumeric sender id"
#: the field message for a channel's ``sender_number`` that is not a number
NOT_A_CHANNEL_SENDER = "an E.164 phone number, e.g. +14155550100"


def subscriber_number(value: str) -> str | None:
    """``value`` in E.164, or None when it is not a phone number (short codes,
    sender ids and garbage are not subscribers)."""
    number = to_e164(value)
    return number if number.startswith("+") and MIN_LENGTH <= len(number) <= MAX_LENGTH else None


def sender_address(value: str) -> str | None:
    """``value`` normalised when it can be one of our sender addresses (an E.164 number the
    numbering plan allows, a short code of 3 to 8 digits, an alphanumeric sender id of at most
    11 characters with a letter), else None."""
    normalized = to_e164(value)
    if normalized.startswith("+"):
        # to_e164 hands back a "+" value it could not read as a number unchanged ("+abc")
        return normalized if _possible_number(normalized) else None
    if SHORT_CODE.fullmatch(normalized) or ALPHANUMERIC_SENDER_ID.fullmatch(normalized):
        return normalized
    return None


def channel_sender_number(value: str) -> str | None:
    """A channel's sender number normalised, or None: whatever :func:`to_e164` leaves starting
    with ``+`` (looser than :func:`subscriber_number`: ``+abc`` passes, as it always has)."""
    normalized = to_e164(value)
    return normalized if normalized.startswith("+") else None


def require_subscriber_number(value: str, field: str = "phone") -> str:
    """``value`` as a subscriber number, else :class:`Invalid` ("not a phone number") naming ``field``."""
    number = subscriber_number(value)
    if number is None:
        raise Invalid("not a phone number", details={field: [NOT_A_SUBSCRIBER_NUMBER]})
    return number


def _possible_number(number: str) -> bool:
    try:
        return phonenumbers.is_possible_number(phonenumbers.parse(number))
    except phonenumbers.NumberParseException:
        return False
