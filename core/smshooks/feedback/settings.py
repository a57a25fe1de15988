"""The customer's feedback webhook of a scope: read, create, change, delete, rotate its signing secret.

At most one per organisation + sandbox, so it is addressed by its scope, not
an id. (This is the customer's outgoing endpoint; a vendor webhook of type
``feedback`` receives delivery reports and lives in ``webhooks``.) Its secrets
— the JWT key, the Standard Webhooks signing secret and the header values —
are sealed at rest and never shown: the signing secret appears once, in the
answer of :func:`create` and :func:`rotate_secret`; header values are masked.

Every function takes the :class:`~smshooks.gateway.Gateway` and the caller's
:class:`~smshooks.scope.Scope`, runs its own transaction, returns a
:class:`WebhookView` and raises :mod:`smshooks.errors` (``NotFound`` without a
webhook, ``Conflict`` for a second one, ``Invalid`` for a refused value).
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypedDict

from sqlalchemy import select
from sqlalchemy.orm import Session

from smshooks.errors import INVALID_FIELDS, Conflict, Invalid, NotFound
from smshooks.feedback.endpoint_health import failing_since, forget, missed
from smshooks.feedback.payload import sandbox_id
from smshooks.feedback.replay import replay_where
from smshooks.feedback.rules import (
    DEFAULT_GRACE,
    MAX_GRACE,
    apply_auth,
    apply_headers,
    check_authorization,
    field_problems,
    secret_problems,
)
from smshooks.feedback.sealed import WebhookSecrets, open_secrets, seal_secrets
from smshooks.feedback.signing import new_signing_secret
from smshooks.gateway import Gateway
from smshooks.scope import Scope
from smshooks.store.scoped import in_scope
from smshooks.store.tables import FeedbackWebhook, utcnow
from smshooks.targets import BadTargetURL, TargetRefused, check_url


class AuthFields(TypedDict, total=False):
    """``type`` "none" or "jwt"; for JWT: ``algorithm`` (HS256, RS256, ES256), ``key`` (write-only),
    ``issuer``, ``audience``, ``key_id`` and extra ``claims``."""

    type: str
    algorithm: str
    key: str
    issuer: str | None
    audience: str | None
    key_id: str | None
    claims: dict[str, Any]


class WebhookFields(TypedDict, total=False):
    """The settings :func:`create` takes (all but name, channels and url have defaults) and
    :func:`update` changes (only those given)."""

    name: str
    channels: list[str]
    url: str
    auth: AuthFields
    #: header parameters sent with every request; a value given as ``********`` keeps the stored one
    headers: dict[str, str]
    #: create only: ``whsec_…``; generated when absent
    signing_secret: str
    relay_inbound: bool
    enabled: bool


@dataclass(frozen=True)
class WebhookView:
    """A feedback webhook as the API and the console show it: no secret but a new ``signing_secret``."""

    id: str
    name: str
    channels: list[str]
    url: str
    #: type, algorithm, issuer, audience, key_id, claims, public_key (RS256/ES256); never the key
    auth: dict[str, Any]
    #: header names, values masked
    headers: dict[str, str]
    relay_inbound: bool
    enabled: bool
    #: why smshooks disabled it (the endpoint answered 410 Gone …), None when enabled or turned off by hand
    disabled_reason: str | None
    #: {"id", "name"} as in the payloads
    sandbox: dict[str, str]
    previous_secret_expires_at: datetime | None
    created_at: datetime
    updated_at: datetime
    #: only right after :func:`create` or :func:`rotate_secret`: store it now, it is not shown again
    signing_secret: str | None = None


@dataclass(frozen=True)
class Enabled:
    """A webhook enabled again, and the replay of what it missed (zeros when none was asked for)."""

    feedback_webhook: WebhookView
    replayed: int
    in_progress: int
    limit_reached: bool


def view(webhook: FeedbackWebhook, signing_secret: str | None = None) -> WebhookView:
    """What may be shown of ``webhook`` (and the ``signing_secret`` just set, if given)."""
    auth = dict(webhook.auth or {"type": "none"})
    return WebhookView(
        id=webhook.id,
        name=webhook.name,
        channels=list(webhook.channels or []),
        url=webhook.url,
        auth={
            "type": auth.get("type", "none"),
            "algorithm": auth.get("algorithm"),
            "issuer": auth.get("issuer"),
            "audience": auth.get("audience"),
            "key_id": auth.get("key_id"),
            "claims": auth.get("claims") or {},
            "public_key": auth.get("public_key"),
        },
        headers=dict(webhook.headers or {}),
        relay_inbound=webhook.relay_inbound,
        enabled=webhook.enabled,
        disabled_reason=webhook.disabled_reason,
        sandbox={"id": sandbox_id(webhook.org, webhook.sandbox), "name": webhook.sandbox},
        previous_secret_expires_at=webhook.previous_secret_expires_at,
        created_at=webhook.created_at,
        updated_at=webhook.updated_at,
        signing_secret=signing_secret,
    )


def find_webhook(session: Session, scope: Scope) -> FeedbackWebhook | None:
    """The feedback webhook row of ``scope`` (enabled or not), or None."""
    return session.execute(select(FeedbackWebhook).where(*in_scope(FeedbackWebhook, scope))).scalar()


def current_webhook(session: Session, scope: Scope) -> FeedbackWebhook:
    """The feedback webhook row of ``scope``, else :class:`NotFound`."""
    webhook = find_webhook(session, scope)
    if webhook is None:
        raise NotFound(f"no feedback webhook in sandbox {scope.sandbox!r}")
    return webhook


def checked_url(gw: Gateway, url: str) -> str:
    """``url`` when feedback may be sent there (HTTPS to a public address unless the server
    allows private targets), else :class:`Invalid` with the reason under ``url``."""
    try:
        return check_url(url, allow_private=gw.settings.allow_private_targets)
    except BadTargetURL as exc:
        raise Invalid("the URL cannot receive feedback", details={"url": [f"the URL {exc}"]}) from None
    except TargetRefused as exc:
        raise Invalid("the URL cannot receive feedback", details={"url": [str(exc)]}) from None


def get(gw: Gateway, scope: Scope) -> WebhookView:
    """The feedback webhook of ``scope``; :class:`NotFound` when there is none."""
    with gw.db.session() as session:
        return view(current_webhook(session, scope))


def create(gw: Gateway, scope: Scope, values: WebhookFields | Mapping[str, Any]) -> WebhookView:
    """Create the feedback webhook of ``scope`` from ``values`` (name, channels, url required).

    The answer carries the signing secret (given, or generated), shown this once.
    :class:`Invalid` for a refused value or URL; :class:`Conflict` when the scope has one
    (details: ``feedback_webhook_id``).
    """
    _refuse_problems(values)
    url = checked_url(gw, values["url"])
    signing_secret = values.get("signing_secret") or new_signing_secret()
    with gw.db.transaction() as session:
        existing = session.execute(select(FeedbackWebhook.id).where(*in_scope(FeedbackWebhook, scope))).scalar()
        if existing is not None:
            raise Conflict(
                f"sandbox {scope.sandbox!r} has a feedback webhook: change it with PATCH, or DELETE it first",
                details={"feedback_webhook_id": existing},
            )
        now = utcnow()
        webhook = FeedbackWebhook(
            id="fbw_" + secrets.token_hex(8),
            org=scope.org,
            sandbox=scope.sandbox,
            name=values["name"],
            channels=list(values["channels"]),
            url=url,
            relay_inbound=values.get("relay_inbound", False),
            enabled=values.get("enabled", True),
            created_at=now,
            updated_at=now,
        )
        vault = WebhookSecrets(signing_secret=signing_secret)
        apply_auth(webhook, vault, values.get("auth") or {"type": "none"})
        apply_headers(webhook, vault, values.get("headers") or {})
        check_authorization(webhook)
        seal_secrets(gw.secrets, webhook, vault)
        session.add(webhook)
        return view(webhook, signing_secret)


def update(gw: Gateway, scope: Scope, changes: WebhookFields | Mapping[str, Any]) -> WebhookView:
    """Change the fields given in ``changes`` (``signing_secret`` excepted: see :func:`rotate_secret`).

    ``auth`` replaces the whole object, but a JWT key left out stays while the algorithm
    stays; ``headers`` replaces every header parameter. ``enabled=True`` clears the reason
    smshooks disabled it. :class:`NotFound` without a webhook, :class:`Invalid` for a refused value.
    """
    _refuse_problems(changes)
    url = checked_url(gw, changes["url"]) if "url" in changes else None
    with gw.db.transaction() as session:
        webhook = current_webhook(session, scope)
        vault = open_secrets(gw.secrets, webhook)
        for name in ("name", "relay_inbound"):
            if name in changes:
                setattr(webhook, name, changes[name])
        if "channels" in changes:
            webhook.channels = list(changes["channels"])
        if url is not None:
            webhook.url = url
        if "enabled" in changes:
            webhook.enabled = changes["enabled"]
            if changes["enabled"]:
                webhook.disabled_reason = None
        if "auth" in changes:
            apply_auth(webhook, vault, changes["auth"], keep_key=True)
        if "headers" in changes:
            apply_headers(webhook, vault, changes["headers"])
        check_authorization(webhook)
        seal_secrets(gw.secrets, webhook, vault)
        webhook.updated_at = utcnow()
        return view(webhook)


def delete(gw: Gateway, scope: Scope) -> None:
    """Delete the feedback webhook of ``scope`` (:class:`NotFound` without one): no new feedback
    is written; past deliveries stay listed."""
    with gw.db.transaction() as session:
        session.delete(current_webhook(session, scope))


def rotate_secret(
    gw: Gateway, scope: Scope, *, grace: timedelta = DEFAULT_GRACE, signing_secret: str | None = None
) -> WebhookView:
    """Replace the signing secret with ``signing_secret`` (generated when None); the old one keeps
    signing beside it for ``grace`` (0 to 7 days; each request then carries two signatures).

    The answer carries the new secret, shown this once. :class:`NotFound` without a webhook,
    :class:`Invalid` for a bad secret, the current secret again, or a grace out of range.
    """
    problems = {"signing_secret": secret_problems(signing_secret)} if secret_problems(signing_secret) else {}
    if not timedelta(0) <= grace <= MAX_GRACE:
        limit = int(MAX_GRACE.total_seconds())
        problems["grace_period_seconds"] = [f"Must be greater than or equal to 0 and less than or equal to {limit}."]
    if problems:
        raise Invalid(INVALID_FIELDS, details=problems)
    new_secret = signing_secret or new_signing_secret()
    with gw.db.transaction() as session:
        webhook = current_webhook(session, scope)
        vault = open_secrets(gw.secrets, webhook)
        if new_secret == vault.signing_secret:
            raise Invalid("that is the current secret", details={"signing_secret": ["give a new secret"]})
        now = utcnow()
        vault.previous_signing_secret = vault.signing_secret if grace else None
        vault.signing_secret = new_secret
        webhook.previous_secret_expires_at = now + grace if grace else None
        seal_secrets(gw.secrets, webhook, vault)
        webhook.updated_at = now
        return view(webhook, new_secret)


def enable(gw: Gateway, scope: Scope, *, replay_missed: bool = True) -> Enabled:
    """Enable the feedback webhook of ``scope`` again (clearing why it was disabled) and, with
    ``replay_missed``, replay what it missed: every ``disabled`` delivery and the ``dead`` ones
    attempted since its first failure after its last success (at most 10 000 of each).
    :class:`NotFound` without a webhook."""
    with gw.db.transaction() as session:
        webhook = current_webhook(session, scope)
        since = failing_since(session, webhook)
        webhook.enabled = True
        webhook.disabled_reason = None
        webhook.updated_at = utcnow()
        replayed = in_progress = 0
        limit_reached = False
        if replay_missed:
            for conditions in missed(since):
                result = replay_where(session, webhook, conditions)
                replayed += result.replayed
                in_progress += result.in_progress
                limit_reached = limit_reached or result.limit_reached
        forget(webhook.id)
        return Enabled(view(webhook), replayed, in_progress, limit_reached)


def _refuse_problems(values: Mapping[str, Any]) -> None:
    """The field rules of :mod:`smshooks.feedback.rules` (the API's schemas applied them already)."""
    problems = field_problems(values)
    if problems:
        raise Invalid(INVALID_FIELDS, details=problems)
