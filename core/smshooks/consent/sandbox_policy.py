"""Settings of one organisation + sandbox: how far consent reaches, and what a marketing send needs.

Absent a stored row, the defaults apply: consent scope ``sandbox`` (an opt-out to one of our numbers stops
every number, as Twilio Messaging Services apply it to the whole pool) and marketing sends only to
subscribers with a recorded opt-in.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from smshooks.store.tables import SandboxSettings

CONSENT_SCOPES = ("sandbox", "number")


@dataclass(frozen=True)
class Policy:
    consent_scope: str = "sandbox"
    marketing_requires_opt_in: bool = True


def sandbox_settings(session: Session, org: str, sandbox: str) -> Policy:
    """The sandbox's settings, the defaults when none were saved."""
    row = session.execute(select(SandboxSettings).filter_by(org=org, sandbox=sandbox)).scalar()
    if row is None:
        return Policy()
    return Policy(consent_scope=row.consent_scope, marketing_requires_opt_in=row.marketing_requires_opt_in)
