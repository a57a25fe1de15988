"""The tenant a piece of work belongs to: one organisation and one of its sandboxes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Scope:
    """Every configuration row, message and consent record belongs to one scope.

    Use cases take a ``Scope`` argument instead of reading the caller from a
    request global, so the same service serves the API, the console and the CLI.
    """

    org: str
    sandbox: str
