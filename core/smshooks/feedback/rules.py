"""What a feedback webhook's settings may hold: channels, header parameters, authentication, secrets.

The customer's outgoing feedback webhook (not a vendor webhook of type
``feedback``, which receives delivery reports). Each ``*_problems`` function
returns the messages the API shows for one field (empty: acceptable); the API's
schemas and :mod:`smshooks.feedback.settings` both call them, so a form and the
API refuse the same values with the same words.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from smshooks.credentials.fields import MASK
from smshooks.errors import Invalid
from smshooks.feedback.sealed import WebhookSecrets
from smshooks.feedback.signing import (
    ALGORITHMS,
    RESERVED_CLAIMS,
    jwt_key_problem,
    public_key_pem,
    signing_secret_problem,
)
from smshooks.store.tables import FeedbackWebhook
from smshooks.targets import MAX_URL_LENGTH

#: where feedback can go (``channels`` holds one or both, each once)
CHANNELS = ("sms", "email")
AUTH_TYPES = ("none", "jwt")
#: the documented form of a usable signing secret: whsec_ and base64 of 24 to 63 bytes
SIGNING_SECRET_PATTERN = r"^whsec_(?:[A-Za-z0-9+/]{4}){8,21}$"
#: how long a rotated-out signing secret keeps signing by default, and at most
DEFAULT_GRACE = timedelta(hours=24)
MAX_GRACE = timedelta(days=7)
MAX_HEADERS = 30
MAX_HEADER_VALUE = 4096
HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,100}")
#: set by smshooks on every request; a header parameter cannot replace them
RESERVED_HEADERS = frozenset(
    {
        "host",
        "content-type",
        "content-length",
        "transfer-encoding",
        "connection",
        "keep-alive",
        "te",
        "trailer",
        "upgrade",
        "expect",
        "webhook-id",
        "webhook-timestamp",
        "webhook-signature",
    }
)


MAX_NAME = 200


def name_problems(name: str) -> list[str]:
    """Why ``name`` is refused: empty or longer than :data:`MAX_NAME`."""
    return [] if 1 <= len(name) <= MAX_NAME else [f"Length must be between 1 and {MAX_NAME}."]


def url_problems(url: str) -> list[str]:
    """Why ``url`` is refused before it is checked as a target: empty or too long."""
    return [] if 1 <= len(url) <= MAX_URL_LENGTH else [f"Length must be between 1 and {MAX_URL_LENGTH}."]


def channel_problems(channels: list[str]) -> list[str]:
    """Why ``channels`` is refused: a channel named twice (the API's schema also checks each is one
    of :data:`CHANNELS` and that there are one or two; the service checks those too)."""
    return ["each channel once"] if len(set(channels)) != len(channels) else []


def channel_shape_problems(channels: list[str]) -> list[str]:
    """Why ``channels`` is not one or two of :data:`CHANNELS`, each once."""
    if not 1 <= len(channels) <= len(CHANNELS):
        return [f"Length must be between 1 and {len(CHANNELS)}."]
    unknown = [channel for channel in channels if channel not in CHANNELS]
    if unknown:
        return [f"Must be one of: {', '.join(CHANNELS)}."]
    return channel_problems(channels)


def header_problems(headers: Mapping[str, str]) -> list[str]:
    """Why the header parameters are refused: too many, a bad or reserved name, a bad value, a name twice."""
    if len(headers) > MAX_HEADERS:
        return [f"at most {MAX_HEADERS} header parameters"]
    problems = []
    for name, value in headers.items():
        if not HEADER_NAME.fullmatch(name):
            problems.append(f"{name!r} is not a header name")
        elif name.lower() in RESERVED_HEADERS:
            problems.append(f"{name} is set by smshooks")
        if len(value) > MAX_HEADER_VALUE or any((ord(ch) < 32 and ch != "\t") or ord(ch) == 127 for ch in value):
            problems.append(
                f"the value of {name} must be at most {MAX_HEADER_VALUE} characters without control characters"
            )
    if len({name.lower() for name in headers}) != len(headers):
        problems.append("a header name appears twice (names are case-insensitive)")
    return problems


def secret_problems(secret: str | None) -> list[str]:
    """Why ``secret`` cannot be a Standard Webhooks signing secret (None: one is generated)."""
    problem = signing_secret_problem(secret) if secret is not None else None
    return [problem] if problem else []


def auth_problems(auth: Mapping[str, Any]) -> dict[str, list[str]]:
    """Why the ``auth`` object is refused, per field: JWT needs an algorithm and no reserved
    claim; type ``none`` takes no JWT field. (The key itself is checked when it is applied.)"""
    if auth.get("type") not in AUTH_TYPES:
        return {"type": [f"Must be one of: {', '.join(AUTH_TYPES)}."]}
    if auth.get("type") == "jwt" and "algorithm" in auth and auth["algorithm"] not in ALGORITHMS:
        return {"algorithm": [f"Must be one of: {', '.join(ALGORITHMS)}."]}
    if auth.get("type") == "jwt":
        if "algorithm" not in auth:
            return {"algorithm": ["required for JWT authentication"]}
        reserved = sorted(set(auth.get("claims") or {}) & RESERVED_CLAIMS)
        if reserved:
            return {"claims": [f"set by smshooks, not configurable: {', '.join(reserved)}"]}
    elif auth.get("type") == "none":
        extra = sorted(k for k in ("algorithm", "key") if k in auth)
        extra += sorted(k for k in ("issuer", "audience", "key_id") if auth.get(k) is not None)
        if auth.get("claims"):
            extra.append("claims")
        if extra:
            return {name: ["only with type jwt"] for name in extra}
    return {}


def field_problems(values: Mapping[str, Any]) -> dict[str, Any]:
    """Every rule above applied to the fields present in ``values``, keyed as the API's details
    (the services call it; the API's schemas apply the same rules field by field)."""
    problems: dict[str, Any] = {}
    checks = (
        ("name", name_problems),
        ("url", url_problems),
        ("channels", channel_shape_problems),
        ("headers", header_problems),
        ("signing_secret", secret_problems),
        ("auth", auth_problems),
    )
    for name, check in checks:
        if name in values:
            found = check(values[name])
            if found:
                problems[name] = found
    return problems


def apply_auth(
    webhook: FeedbackWebhook, vault: WebhookSecrets, auth: Mapping[str, Any], *, keep_key: bool = False
) -> None:
    """Store ``auth`` on ``webhook`` (its key in ``vault``, to be sealed). ``keep_key``: without a
    key, the current one stays when the algorithm stays (a PATCH). Raises :class:`Invalid`."""
    if auth["type"] == "none":
        webhook.auth = {"type": "none"}
        vault.jwt_key = None
        return
    algorithm = auth["algorithm"]
    key = auth.get("key")
    if key is None and keep_key and (webhook.auth or {}).get("algorithm") == algorithm:
        key = vault.jwt_key
    if not key:
        raise Invalid("JWT authentication needs a key", details={"auth": {"key": ["required"]}})
    problem = jwt_key_problem(algorithm, key)
    if problem:
        raise Invalid("unusable JWT key", details={"auth": {"key": [problem]}})
    vault.jwt_key = key
    webhook.auth = {
        "type": "jwt",
        "algorithm": algorithm,
        "issuer": auth.get("issuer"),
        "audience": auth.get("audience"),
        "key_id": auth.get("key_id"),
        "claims": dict(auth.get("claims") or {}),
        "public_key": public_key_pem(algorithm, key),
    }


def apply_headers(webhook: FeedbackWebhook, vault: WebhookSecrets, headers: Mapping[str, str]) -> None:
    """Replace the header parameters: values go to ``vault``, the row shows them masked. A value
    sent back as ``MASK`` (``********``) keeps the stored value of that name (any case). Raises :class:`Invalid`."""
    values: dict[str, str] = {}
    for name, value in headers.items():
        if value == MASK:
            kept = next((v for k, v in vault.headers.items() if k.lower() == name.lower()), None)
            if kept is None:
                raise Invalid(
                    "a masked header value has nothing to keep", details={"headers": [f"{name}: give its value"]}
                )
            value = kept
        values[name] = value
    vault.headers = values
    webhook.headers = dict.fromkeys(values, MASK)


def check_authorization(webhook: FeedbackWebhook) -> None:
    """JWT authentication sends the Authorization header: a header parameter of that name is :class:`Invalid`."""
    if (webhook.auth or {}).get("type") == "jwt" and any(n.lower() == "authorization" for n in webhook.headers or {}):
        raise Invalid(
            "an Authorization header parameter conflicts with JWT authentication",
            details={"headers": ["Authorization carries the JWT: remove the header or use auth type none"]},
        )
