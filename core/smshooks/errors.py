"""The refusals a use case raises; the web layer maps each kind to one HTTP answer.

Services raise these (never an HTTP status). ``smshooks.web.errors`` holds the
one table from kind to status, so the API and the console answer alike.
"""

from __future__ import annotations

from typing import Any

#: the message of an :class:`Invalid` whose details name the fields, as the API words a schema's refusal
INVALID_FIELDS = "invalid field values"


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


class Malformed(DomainError):
    """A request body or payload the gateway cannot read."""

    code = "bad_request"


class Forbidden(DomainError):
    """The caller could not prove who it is (a vendor signature, a nonce already used)."""

    code = "forbidden"


class Unavailable(DomainError):
    """The gateway cannot serve this now (a plugin not loaded, the database down); the caller should retry."""

    code = "unavailable"

    def __init__(self, message: str, *, retry_after: int = 5, details: dict[str, Any] | None = None) -> None:
        super().__init__(message, details=details)
        self.retry_after = retry_after


class SecretsUnreadable(Unavailable):
    """Sealed secrets (a credential's, a feedback webhook's) that this server's secret key cannot
    open: SMSHOOKS_SECRET_KEY is not the key they were sealed with. 503, not 500: a vendor retries
    (the opt-out it carries is not lost) while the operator restores the key."""

    code = "secrets_unreadable"
