"""The configured map from a provider's status strings to the common statuses, and failure codes.

A provider's vocabulary is whatever its delivery reports say (``DELIVERED``,
``Delivered``, ``4``…), so the credential carries the map. Lookup tries the
exact string first, then the string without regard to case (providers are not
consistent about case: Sinch's docs write ``Delivered``, its SDK
``DELIVERED``). A status the map does not list is ``unknown``: stored with
its raw value and answered 200, never refused.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from smshooks.events import FailureType, Status

#: without a configured map, the common statuses stand for themselves (the seed's
#: feedback vocabulary: sent, delivered, read, bounce, error)
DEFAULT_STATUS_MAP: Mapping[str, Status] = MappingProxyType({status.value: status for status in Status})

#: common statuses that end a message's story: a provider status mapped to one is final
#: unless the credential lists its final statuses itself. ``unknown`` counts: a
#: provider status the operator mapped to it is a final report without a usable outcome.
FINAL_COMMON_STATUSES = frozenset({Status.DELIVERED, Status.READ, Status.BOUNCE, Status.ERROR, Status.UNKNOWN})

#: common statuses that report progress or success: a code beside them is no failure
PROGRESS_STATUSES = frozenset({Status.QUEUED, Status.SENT, Status.DELIVERED, Status.READ})

#: failure codes that say "no error" (Infobip ``error.id`` 0, Sinch ``code`` 0)
NO_ERROR_CODES = frozenset({"", "0"})

UNKNOWN_CATEGORY = "unknown"


def common_status(value: str) -> Status:
    """A common status named in any case; :class:`ValueError` for another word."""
    try:
        return Status(value.strip().lower())
    except ValueError:
        names = ", ".join(status.value for status in Status)
        raise ValueError(f"{value!r} is not a common status; use one of {names}") from None


@dataclass(frozen=True)
class StatusTable:
    """A credential's status map, resolved for lookups."""

    statuses: Mapping[str, Status]
    final: frozenset[str]
    #: casefolded status → the map's spelling
    folded: Mapping[str, str]

    @classmethod
    def build(cls, status_map: Mapping[str, Any] | None, final_statuses: Iterable[str] | None = None) -> StatusTable:
        if status_map:
            statuses = {str(name): common_status(str(value)) for name, value in status_map.items()}
        else:
            statuses = dict(DEFAULT_STATUS_MAP)
        if final_statuses is None:
            final = frozenset(name for name, status in statuses.items() if status in FINAL_COMMON_STATUSES)
        else:
            final = frozenset(str(name) for name in final_statuses)
        folded: dict[str, str] = {}
        for name in statuses:
            folded.setdefault(name.strip().casefold(), name)
        return cls(MappingProxyType(statuses), final, MappingProxyType(folded))

    def documented(self, vendor_status: str) -> str | None:
        """The map's own spelling of ``vendor_status`` (exact first, then any case)."""
        if vendor_status in self.statuses:
            return vendor_status
        return self.folded.get(vendor_status.strip().casefold())

    def status(self, vendor_status: str) -> Status:
        name = self.documented(vendor_status)
        return self.statuses[name] if name is not None else Status.UNKNOWN

    def is_final(self, vendor_status: str) -> bool:
        return self.documented(vendor_status) in self.final


@dataclass(frozen=True)
class FailureInfo:
    """What a provider's failure code means, as the operator configured it."""

    reason: str | None = None
    category: str | None = None
    failure_type: FailureType | None = None

    @classmethod
    def load(cls, value: Mapping[str, Any]) -> FailureInfo:
        kind = value.get("type")
        return cls(
            reason=value.get("reason") or None,
            category=value.get("category") or None,
            failure_type=FailureType(kind) if kind else None,
        )
