"""HTTP Basic credentials on Infobip's webhook requests.

Infobip signs nothing by default (vendors.md §2.3): its per-message delivery
URLs and number forwarding carry no proof of origin. Subscriptions can be
secured with a ``BASIC`` security config, whose username and password Infobip
then sends as ``Authorization: Basic``. When the credential configures them,
every request must carry them; otherwise the secret, unguessable webhook URL
is the only authentication.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

from smshooks.vendor import SignatureError, WebhookRequest

AUTHORIZATION_HEADER = "Authorization"


def basic_credentials(header: str) -> tuple[str, str]:
    """``(username, password)`` from an ``Authorization: Basic`` value, or :class:`SignatureError`."""
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "basic" or not token.strip():
        raise SignatureError(f"{AUTHORIZATION_HEADER} is not HTTP Basic")
    try:
        decoded = base64.b64decode(token.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise SignatureError(f"{AUTHORIZATION_HEADER} Basic value is not base64 of UTF-8 text") from None
    username, colon, password = decoded.partition(":")
    if not colon:
        raise SignatureError(f"{AUTHORIZATION_HEADER} Basic value has no username:password")
    return username, password


def _same(given: str, expected: str) -> bool:
    # Comparing digests keeps the time independent of both content and length.
    return hmac.compare_digest(
        hashlib.sha256(given.encode("utf-8")).digest(), hashlib.sha256(expected.encode("utf-8")).digest()
    )


def verify_request(request: WebhookRequest, username: str | None, password: str | None) -> None:
    """Accept when no credentials are configured; else require both to match, or :class:`SignatureError`.

    Fails closed: with credentials configured, a request without the header is refused.
    """
    if not username and not password:
        return
    header = request.header(AUTHORIZATION_HEADER)
    if not header or not header.strip():
        raise SignatureError(f"missing {AUTHORIZATION_HEADER} header (webhook credentials are configured)")
    given_username, given_password = basic_credentials(header)
    # Both are always compared, so the time taken does not say which one was wrong.
    username_ok = _same(given_username, username or "")
    password_ok = _same(given_password, password or "")
    if not (username_ok and password_ok):
        raise SignatureError("webhook username or password does not match")
