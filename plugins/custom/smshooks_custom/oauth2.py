"""OAuth2 client credentials: fetching an access token, and keeping it until it expires.

One :class:`TokenCache` lives in the vendor adapter (one per process) and is
keyed by (token URL, client id, scope), so every credential of the same client
shares a token and a send costs one request while the token lasts. A lock per
key makes concurrent sends wait for one fetch instead of each fetching its own.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import requests

from smshooks.vendor import SendError, retry_after_seconds

#: a token's lifetime when the server does not say (RFC 6749 makes expires_in optional)
DEFAULT_LIFETIME = 3600.0
#: a token is renewed this long before it expires, at most (a tenth of short lifetimes)
EXPIRY_MARGIN = 30.0
TOKEN_ERROR = "oauth2_token"

CacheKey = tuple[str, str, str]


@dataclass(frozen=True)
class Token:
    value: str
    #: the clock reading after which the token is not used any more
    renew_at: float


class TokenCache:
    """Access tokens by (token URL, client id, scope), with a lock per key."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self._clock = clock
        self._tokens: dict[CacheKey, Token] = {}
        self._locks: dict[CacheKey, threading.Lock] = {}
        self._guard = threading.Lock()

    def token(self, key: CacheKey, fetch: Callable[[], tuple[str, float]]) -> str:
        """The cached token for ``key``, or a new one from ``fetch`` → (token, lifetime seconds)."""
        with self._lock_for(key):
            cached = self._tokens.get(key)
            if cached is not None and self._clock() < cached.renew_at:
                return cached.value
            value, lifetime = fetch()
            margin = min(EXPIRY_MARGIN, lifetime / 10)
            self._tokens[key] = Token(value, self._clock() + lifetime - margin)
            return value

    def discard(self, key: CacheKey, value: str) -> None:
        """Forget ``value`` (the server refused it), unless another send already replaced it."""
        with self._lock_for(key):
            cached = self._tokens.get(key)
            if cached is not None and cached.value == value:
                del self._tokens[key]

    def _lock_for(self, key: CacheKey) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())


def cache_key(credentials: Mapping[str, Any]) -> CacheKey:
    return (
        str(credentials.get("oauth2_token_url") or ""),
        str(credentials.get("oauth2_client_id") or ""),
        str(credentials.get("oauth2_scope") or ""),
    )


def fetch_token(credentials: Mapping[str, Any], http: requests.Session) -> tuple[str, float]:
    """Ask the token URL for an access token (``grant_type=client_credentials``).

    The client authenticates with HTTP Basic (RFC 6749 §2.3.1, the default) or,
    with ``oauth2_client_auth: body``, with ``client_id`` / ``client_secret`` form
    fields, as some providers require.
    """
    url = credentials.get("oauth2_token_url")
    client_id = credentials.get("oauth2_client_id")
    client_secret = credentials.get("oauth2_client_secret")
    if not url or not client_id or not client_secret:
        raise SendError("OAuth2 needs oauth2_token_url, oauth2_client_id and oauth2_client_secret", retryable=False)
    form = {"grant_type": "client_credentials"}
    if credentials.get("oauth2_scope"):
        form["scope"] = credentials["oauth2_scope"]
    auth: tuple[str, str] | None = (client_id, client_secret)
    if credentials.get("oauth2_client_auth") == "body":
        form.update(client_id=client_id, client_secret=client_secret)
        auth = None
    try:
        response = http.post(url, data=form, auth=auth, headers={"Accept": "application/json"}, allow_redirects=False)
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise SendError(
            f"OAuth2 token URL unreachable: {type(exc).__name__}", retryable=True, code=TOKEN_ERROR
        ) from exc
    except requests.RequestException as exc:
        raise SendError(
            f"OAuth2 token request failed: {type(exc).__name__}", retryable=False, code=TOKEN_ERROR
        ) from exc
    status = response.status_code
    if not 200 <= status < 300:
        retryable = status == 429 or status >= 500
        raise SendError(
            f"OAuth2 token URL answered HTTP {status}",
            retryable=retryable,
            code=TOKEN_ERROR,
            status=status,
            retry_after=retry_after_seconds(response) if retryable else None,
        )
    try:
        body = response.json()
    except ValueError:
        body = None
    token = body.get("access_token") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token:
        raise SendError(
            f"OAuth2 token URL answered HTTP {status} without an access_token", retryable=False, code=TOKEN_ERROR
        )
    return token, _lifetime(body.get("expires_in"))


def _lifetime(value: Any) -> float:
    if isinstance(value, bool) or value is None:
        return DEFAULT_LIFETIME
    try:
        lifetime = float(value)
    except (TypeError, ValueError):
        return DEFAULT_LIFETIME
    return max(lifetime, 0.0)
