"""Webhook authenticity: a shared-secret header, or an HMAC-SHA256 signature of the raw body.

``webhook_auth_type``:

- ``none``: every request is accepted (use a long, unguessable webhook URL and HTTPS);
- ``shared_secret``: the header ``webhook_secret_header`` must equal
  ``webhook_secret`` exactly. For a provider that offers HTTP Basic on its
  callbacks, use ``Authorization`` as the header and ``Basic <base64>`` as the secret;
- ``hmac_sha256``: the header ``webhook_signature_header`` carries
  HMAC-SHA256(``webhook_secret``, raw body), hex (any case) or base64, optionally
  prefixed ``sha256=`` as GitHub-style providers write it.

Fails closed: a configured scheme without its secret, or a request without the
header, is refused. Comparisons are constant-time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

from smshooks.vendor import SignatureError, WebhookRequest

WEBHOOK_AUTH_TYPES = ("none", "shared_secret", "hmac_sha256")
DEFAULT_SECRET_HEADER = "X-Webhook-Secret"
DEFAULT_SIGNATURE_HEADER = "X-Signature"
_PREFIX = "sha256="


def verify_request(request: WebhookRequest, credentials: Mapping[str, Any]) -> None:
    scheme = credentials.get("webhook_auth_type") or "none"
    if scheme == "none":
        return
    secret = credentials.get("webhook_secret")
    if scheme not in WEBHOOK_AUTH_TYPES:
        raise SignatureError(f"unknown webhook_auth_type {scheme!r}")
    if not secret:
        raise SignatureError(f"webhook_auth_type is {scheme} but no webhook_secret is configured")
    if scheme == "shared_secret":
        header = credentials.get("webhook_secret_header") or DEFAULT_SECRET_HEADER
        _check_shared_secret(request.header(header), secret, header)
    else:
        header = credentials.get("webhook_signature_header") or DEFAULT_SIGNATURE_HEADER
        _check_signature(request.header(header), sign_body(request.body, secret), header)


def sign_body(body: bytes, secret: str) -> bytes:
    """HMAC-SHA256 of the raw body with the webhook secret (the digest bytes)."""
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()


def _check_shared_secret(presented: str | None, secret: str, header: str) -> None:
    if not presented:
        raise SignatureError(f"missing {header} header")
    if not hmac.compare_digest(presented.encode("utf-8"), secret.encode("utf-8")):
        raise SignatureError(f"{header} does not match the webhook secret")


def _check_signature(presented: str | None, digest: bytes, header: str) -> None:
    if not presented or not presented.strip():
        raise SignatureError(f"missing {header} header")
    value = presented.strip()
    if value[: len(_PREFIX)].lower() == _PREFIX:
        value = value[len(_PREFIX) :]
    candidates = (digest.hex(), base64.b64encode(digest).decode("ascii"))
    hex_ok = hmac.compare_digest(value.lower().encode("utf-8"), candidates[0].encode("ascii"))
    base64_ok = hmac.compare_digest(value.encode("utf-8"), candidates[1].encode("ascii"))
    if not (hex_ok or base64_ok):
        raise SignatureError(f"{header} is not the HMAC-SHA256 of the body")
