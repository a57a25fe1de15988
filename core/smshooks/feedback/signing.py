"""Proof for the receiver: Standard Webhooks signatures and, when configured, a JWT.

Standard Webhooks (https://www.standardwebhooks.com): ``webhook-id`` (stable
across retries, for dropping duplicates), ``webhook-timestamp`` (seconds), and
``webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`` keyed
with the base64-decoded ``whsec_`` secret. While a rotated-out secret is in
its grace period, both sign: ``v1,<new> v1,<old>``.

JWT: ``Authorization: Bearer <jwt>`` signed with the configured key
(HS256, RS256 or ES256), carrying ``iss``/``aud`` when configured, ``iat``,
``exp`` (:data:`JWT_LIFETIME` later), a unique ``jti`` and ``body_sha256``
(hex SHA-256 of the exact body bytes), plus the configured extra claims.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import hmac
import re
import secrets
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import jwt
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
_SECRET = re.compile(r"whsec_[A-Za-z0-9+/]+={0,2}")
JWT_LIFETIME = timedelta(minutes=5)
ALGORITHMS = ("HS256", "RS256", "ES256")
#: claims smshooks sets itself; extra claims may not replace them
RESERVED_CLAIMS = frozenset({"iss", "aud", "iat", "exp", "nbf", "jti", "body_sha256"})
MIN_HMAC_KEY_BYTES = 32
MIN_RSA_BITS = 2048


def new_signing_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def signing_secret_problem(secret: str) -> str | None:
    """Why ``secret`` is not a usable Standard Webhooks secret, or None."""
    if not _SECRET.fullmatch(secret):
        return "a Standard Webhooks secret: whsec_ followed by base64"
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
    except binascii.Error:
        return "a Standard Webhooks secret: whsec_ followed by base64"
    if not 24 <= len(key) <= 64:
        return "the secret must hold 24 to 64 bytes (base64-decoded)"
    return None


def signature(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    digest = hmac.digest(_key(secret), f"{webhook_id}.{timestamp}.".encode() + body, "sha256")
    return "v1," + base64.b64encode(digest).decode("ascii")


@functools.lru_cache(maxsize=256)
def _key(secret: str) -> bytes:
    """The HMAC key of a ``whsec_`` secret (decoded once, not on every request)."""
    return base64.b64decode(secret[len(SECRET_PREFIX) :])


def standard_webhooks_headers(
    webhook_id: str, timestamp: int, body: bytes, secrets_in_use: Sequence[str]
) -> dict[str, str]:
    """The three Standard Webhooks headers, one signature per secret in use (current first)."""
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signature(secret, webhook_id, timestamp, body) for secret in secrets_in_use),
    }


def jwt_token(auth: Mapping[str, Any], key: str, body: bytes, now: datetime) -> str:
    """A fresh JWT for one request with ``body``."""
    issued = int(now.timestamp())
    claims: dict[str, Any] = dict(auth.get("claims") or {})
    if auth.get("issuer"):
        claims["iss"] = auth["issuer"]
    if auth.get("audience"):
        claims["aud"] = auth["audience"]
    claims.update(
        iat=issued,
        exp=issued + int(JWT_LIFETIME.total_seconds()),
        jti=uuid.uuid4().hex,
        body_sha256=hashlib.sha256(body).hexdigest(),
    )
    headers = {"kid": auth["key_id"]} if auth.get("key_id") else None
    return jwt.encode(claims, _signing_key(auth["algorithm"], key), algorithm=auth["algorithm"], headers=headers)


@functools.lru_cache(maxsize=64)
def _signing_key(algorithm: str, key: str) -> Any:
    """``key`` as pyjwt signs with it, prepared once: parsing (and checking) an RSA PEM key took
    40 ms, a hundred times the signature."""
    return jwt.get_algorithm_by_name(algorithm).prepare_key(key)


def jwt_key_problem(algorithm: str, key: str) -> str | None:
    """Why ``key`` cannot sign ``algorithm`` JWTs, or None."""
    if algorithm == "HS256":
        if len(key.encode("utf-8")) < MIN_HMAC_KEY_BYTES:
            return f"an HS256 key needs at least {MIN_HMAC_KEY_BYTES} bytes (RFC 7518 3.2)"
        return None
    private = _private_key(key)
    if private is None:
        return f"an {algorithm} key is a PEM private key (-----BEGIN PRIVATE KEY----- …), unencrypted"
    if algorithm == "RS256":
        if not isinstance(private, rsa.RSAPrivateKey):
            return "an RS256 key is an RSA private key"
        if private.key_size < MIN_RSA_BITS:
            return f"an RS256 key needs at least {MIN_RSA_BITS} bits"
    elif not isinstance(private, ec.EllipticCurvePrivateKey) or private.curve.name != "secp256r1":
        return "an ES256 key is an EC private key on the P-256 curve"
    return None


def public_key_pem(algorithm: str, key: str) -> str | None:
    """The PEM public key matching a RS256/ES256 private key: the receiver verifies with it."""
    if algorithm == "HS256":
        return None
    private = _private_key(key)
    if private is None:
        return None
    return (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )


def _private_key(key: str) -> Any:
    try:
        return serialization.load_pem_private_key(key.encode("utf-8"), password=None)
    except (ValueError, TypeError, UnicodeError, UnsupportedAlgorithm):
        return None
