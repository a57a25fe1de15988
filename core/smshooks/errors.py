"""The refusals a use case raises; the web layer maps each kind to one HTTP answer.

Services raise these (never an HTTP status). ``smshooks.web.errors`` holds the
one table from kind to status, so the API and the console answer alike.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A request the gateway refuses, with a message for the caller and per-field details."""

    #: the machine-readable code in the JSON error answer
    code = "error"

    def __init__(self, message: str, *, details: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}


class NotFound(DomainError):
    """No such row in the caller's scope (rows of other scopes do not exist for it)."""

    code = "not_found"


class Conflict(DomainError):
    """The change clashes with the current state (a name in use, a state that forbids it)."""

    code = "conflict"


class Invalid(DomainError):
    """A field value the gateway cannot accept (unknown vendor, credential of another vendor, ...)."""

    code = "invalid"


class TooLarge(DomainError):
    """More than a configured bound (recipients, events in one request)."""

    code = "payload_too_large"


#: the message of an :class:`Invalid` listing refused fields in its details (as the API's schema errors)
INVALID_FIELDS = "invalid field values"
