"""How a send proves itself to the provider: the header each ``auth_type`` adds.

``none``; ``api_key`` (``api_key_header: [api_key_prefix ]api_key``, e.g.
Infobip's ``Authorization: App <key>``); ``basic``; ``bearer`` (a static
token); ``oauth2`` (client credentials, see :mod:`smshooks_custom.oauth2`);
``jwt`` (a fresh token per request, signed with ``jwt_secret``, claims
``iss``, ``iat``, ``exp`` and optionally ``aud`` plus ``jwt_claims``);
``hmac`` (the HMAC of the exact body bytes, in ``hmac_header``).

The preview shows the same headers with every secret masked.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Mapping
from typing import Any

import jwt

from smshooks.vendor import SendError

AUTH_TYPES = ("none", "api_key", "basic", "bearer", "oauth2", "jwt", "hmac")
JWT_ALGORITHMS = ("HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "ES256", "ES384", "ES512")
HMAC_ALGORITHMS = {"sha256": hashlib.sha256, "sha512": hashlib.sha512, "sha1": hashlib.sha1}
HMAC_ENCODINGS = ("hex", "base64")

DEFAULT_API_KEY_HEADER = "X-API-Key"
DEFAULT_HMAC_HEADER = "X-Signature"
DEFAULT_JWT_TTL = 300
MASK = "********"
#: claims the gateway sets itself; jwt_claims cannot move the token's validity
_TIME_CLAIMS = frozenset({"iat", "exp", "nbf"})


def static_auth_headers(credentials: Mapping[str, Any], body: bytes, *, masked: bool = False) -> dict[str, str]:
    """The auth header of every type but ``oauth2`` (which needs a token fetched first)."""
    kind = credentials.get("auth_type") or "none"
    if kind in ("none", "oauth2"):
        return {}
    if kind == "api_key":
        header = credentials.get("api_key_header") or DEFAULT_API_KEY_HEADER
        prefix = credentials.get("api_key_prefix") or ""
        key = MASK if masked else _required(credentials, "api_key")
        return {header: f"{prefix} {key}" if prefix else key}
    if kind == "basic":
        if masked:
            return {"Authorization": f"Basic {MASK}"}
        pair = f"{_required(credentials, 'username')}:{credentials.get('password') or ''}"
        return {"Authorization": "Basic " + base64.b64encode(pair.encode("utf-8")).decode("ascii")}
    if kind == "bearer":
        return {"Authorization": f"Bearer {MASK if masked else _required(credentials, 'bearer_token')}"}
    if kind == "jwt":
        return {"Authorization": f"Bearer {MASK if masked else jwt_token(credentials)}"}
    if kind == "hmac":
        header = credentials.get("hmac_header") or DEFAULT_HMAC_HEADER
        prefix = credentials.get("hmac_prefix") or ""
        return {header: prefix + (MASK if masked else hmac_signature(credentials, body))}
    raise SendError(f"unknown auth_type {kind!r}", retryable=False)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def jwt_token(credentials: Mapping[str, Any], now: float | None = None) -> str:
    """A JWT for one request: ``iss``, ``iat``, ``exp`` (+ ``aud``, + ``jwt_claims``)."""
    issued = int(now if now is not None else time.time())
    ttl = int(credentials.get("jwt_ttl_seconds") or DEFAULT_JWT_TTL)
    claims: dict[str, Any] = {
        name: value for name, value in (credentials.get("jwt_claims") or {}).items() if name not in _TIME_CLAIMS
    }
    if credentials.get("jwt_issuer"):
        claims["iss"] = credentials["jwt_issuer"]
    if credentials.get("jwt_audience"):
        claims["aud"] = credentials["jwt_audience"]
    claims.update(iat=issued, exp=issued + ttl)
    algorithm = credentials.get("jwt_algorithm") or "HS256"
    try:
        return jwt.encode(claims, _required(credentials, "jwt_secret"), algorithm=algorithm)
    except (jwt.PyJWTError, ValueError, TypeError) as exc:
        raise SendError(f"cannot sign the JWT with {algorithm}: {exc}", retryable=False) from None


def hmac_signature(credentials: Mapping[str, Any], body: bytes) -> str:
    algorithm = HMAC_ALGORITHMS.get(credentials.get("hmac_algorithm") or "sha256")
    if algorithm is None:
        raise SendError(f"unknown hmac_algorithm {credentials.get('hmac_algorithm')!r}", retryable=False)
    digest = hmac.new(_required(credentials, "hmac_secret").encode("utf-8"), body, algorithm).digest()
    if credentials.get("hmac_encoding") == "base64":
        return base64.b64encode(digest).decode("ascii")
    return digest.hex()


def _required(credentials: Mapping[str, Any], name: str) -> str:
    value = credentials.get(name)
    if not value:
        raise SendError(f"auth_type {credentials.get('auth_type')} needs {name}", retryable=False)
    return str(value)
