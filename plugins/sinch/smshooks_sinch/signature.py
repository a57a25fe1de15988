"""Sinch's HMAC callback signature (``x-sinch-webhook-signature*``): compute it and check a request.

As Sinch's SDKs implement it (vendors.md §3.4): ``base64(HMAC(secret,
raw_body + "." + nonce + "." + timestamp))``, the timestamp in Unix seconds.
The SDKs check the HMAC only; the receiver is told to check the timestamp
window and the nonce's uniqueness too, and so we do — in that order, so that
only a request proven to come from Sinch, and recent, can use up a nonce.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import timedelta
from typing import Any

from smshooks.vendor import SignatureError, WebhookRequest

SIGNATURE_HEADER = "x-sinch-webhook-signature"
NONCE_HEADER = "x-sinch-webhook-signature-nonce"
TIMESTAMP_HEADER = "x-sinch-webhook-signature-timestamp"
ALGORITHM_HEADER = "x-sinch-webhook-signature-algorithm"

#: how far the signed timestamp may lie from our clock, either way
MAX_CLOCK_SKEW = timedelta(minutes=5)
#: a nonce is remembered while a request carrying it could still pass the window:
#: its timestamp may be up to MAX_CLOCK_SKEW ahead of the first arrival, and
#: stays acceptable MAX_CLOCK_SKEW past that.
NONCE_TTL = 2 * MAX_CLOCK_SKEW
NONCE_KEY_PREFIX = "sinch-webhook-nonce:"

#: the algorithm header's values; Sinch's Python SDK always uses SHA-256 (and
#: ignores the header), its .NET SDK also accepts SHA-384 and SHA-512.
ALGORITHMS: dict[str, Any] = {
    "hmacsha256": hashlib.sha256,
    "hmacsha384": hashlib.sha384,
    "hmacsha512": hashlib.sha512,
}
DEFAULT_ALGORITHM = "HmacSHA256"
_MAX_TIMESTAMP_DIGITS = 15


def signed_data(body: bytes, nonce: str, timestamp: str) -> bytes:
    """What Sinch signs: the raw body, the nonce and the timestamp joined by dots."""
    return body + b"." + nonce.encode("utf-8") + b"." + timestamp.encode("utf-8")


def compute_signature(body: bytes, nonce: str, timestamp: str, secret: str, algorithm: str = DEFAULT_ALGORITHM) -> str:
    """The ``x-sinch-webhook-signature`` Sinch sends for this body, nonce and timestamp."""
    digest = ALGORITHMS.get(algorithm.strip().lower())
    if digest is None:
        raise SignatureError(f"unsupported {ALGORITHM_HEADER}: {algorithm!r}")
    mac = hmac.new(secret.encode("utf-8"), signed_data(body, nonce, timestamp), digest)
    return base64.b64encode(mac.digest()).decode("ascii")


def verify_request(request: WebhookRequest, secret: str | None) -> None:
    """Raise :class:`SignatureError` unless ``request`` is signed by Sinch, recent, and not a replay.

    Without a secret nothing is checked: Sinch signs callbacks only once its
    account manager enabled HMAC for the service plan. With one, a request
    lacking any of the signature headers is refused (fail closed).
    """
    if not secret:
        return
    signature = _required_header(request, SIGNATURE_HEADER)
    nonce = _required_header(request, NONCE_HEADER)
    timestamp = _required_header(request, TIMESTAMP_HEADER)
    algorithm = request.header(ALGORITHM_HEADER) or DEFAULT_ALGORITHM
    # Unix seconds have 10 digits until the year 2286; a longer value is no timestamp.
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > _MAX_TIMESTAMP_DIGITS:
        raise SignatureError(f"{TIMESTAMP_HEADER} is not Unix seconds: {timestamp!r}")

    expected = compute_signature(request.body, nonce, timestamp, secret, algorithm)
    if not hmac.compare_digest(expected.encode("ascii"), signature.encode("utf-8")):
        raise SignatureError(f"{SIGNATURE_HEADER} does not match the request")

    signed_at, now, window = int(timestamp), request.received_at.timestamp(), MAX_CLOCK_SKEW.total_seconds()
    if not now - window <= signed_at <= now + window:
        raise SignatureError(f"{TIMESTAMP_HEADER} {timestamp} is more than {window:.0f} s away from our clock")

    # Last: a forged or stale request must not use up the nonce of a real one.
    if not request.replay_guard.first_use(NONCE_KEY_PREFIX + nonce, NONCE_TTL):
        raise SignatureError(f"{NONCE_HEADER} was already used (a replayed request)")


def _required_header(request: WebhookRequest, name: str) -> str:
    value = request.header(name)
    if value is None or not value.strip():
        raise SignatureError(f"missing {name} header (the credential has a webhook_secret)")
    return value.strip()
