"""Reading and replacing the settings of one organisation + sandbox (the :class:`Policy` consent follows).

Framework-free: the admin API and the console call these with a :class:`~smshooks.scope.Scope` and
the :class:`~smshooks.gateway.Gateway`; refusals are :mod:`smshooks.errors`. What the settings mean,
and their defaults, is :mod:`smshooks.consent.sandbox_policy`.
"""

from __future__ import annotations

from sqlalchemy import select

from smshooks.consent.sandbox_policy import CONSENT_SCOPES, Policy, sandbox_settings
from smshooks.errors import INVALID_FIELDS, Invalid
from smshooks.gateway import Gateway
from smshooks.scope import Scope
from smshooks.store.tables import SandboxSettings, utcnow
from smshooks.store.upsert import insert_once

DEFAULTS = Policy()


def get_sandbox_settings(gw: Gateway, scope: Scope) -> Policy:
    """The settings of ``scope`` (the defaults until saved)."""
    with gw.db.session() as session:
        return sandbox_settings(session, scope.org, scope.sandbox)


def replace_sandbox_settings(
    gw: Gateway,
    scope: Scope,
    *,
    consent_scope: str = DEFAULTS.consent_scope,
    marketing_requires_opt_in: bool = DEFAULTS.marketing_requires_opt_in,
) -> Policy:
    """Replace the settings of ``scope``; a setting left out takes its default. ``consent_scope``
    is one of :data:`CONSENT_SCOPES` (``sandbox``: an opt-out to any of our numbers applies to all
    of them; ``number``: to that number only)."""
    if consent_scope not in CONSENT_SCOPES:
        raise Invalid(INVALID_FIELDS, details={"consent_scope": [f"Must be one of: {', '.join(CONSENT_SCOPES)}."]})
    if not isinstance(marketing_requires_opt_in, bool):
        raise Invalid(INVALID_FIELDS, details={"marketing_requires_opt_in": ["Not a valid boolean."]})
    values = {"consent_scope": consent_scope, "marketing_requires_opt_in": marketing_requires_opt_in}
    now = utcnow()
    with gw.db.transaction() as session:
        key = {"org": scope.org, "sandbox": scope.sandbox}
        insert_once(session, SandboxSettings, {**key, **values, "updated_at": now}, key=list(key))
        row = session.execute(select(SandboxSettings).filter_by(**key)).scalar_one()
        row.consent_scope = consent_scope
        row.marketing_requires_opt_in = marketing_requires_opt_in
        row.updated_at = now
        return sandbox_settings(session, scope.org, scope.sandbox)
