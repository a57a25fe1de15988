"""How the API documents phone numbers; the rules themselves are :mod:`smshooks.phones`."""

from __future__ import annotations

from smshooks.phones import require_subscriber_number, subscriber_number

__all__ = ["E164_PATTERN", "PHONE_PATH_PARAMETER", "phone_from_path", "subscriber_number"]

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

#: the ``<phone>`` of a URL in E.164, or Invalid (422) naming the field
phone_from_path = require_subscriber_number
