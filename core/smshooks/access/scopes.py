"""Which scope each admin API operation needs: one rule, used by the authenticator and the OpenAPI document.

- ``read``: every ``GET`` (and ``HEAD``, ``OPTIONS``) — except the API keys themselves;
- ``send``: ``POST /api/v1/messages`` (a transactional send);
- ``admin``: everything else — creating, changing and deleting configuration, replays,
  classify and preview calls, and every ``/api/v1/api-keys`` operation (a read-only key
  does not learn who else holds keys).

``admin`` includes the other two; a key has one or more scopes.
"""

from __future__ import annotations

from collections.abc import Iterable

ADMIN, SEND, READ = "admin", "send", "read"
SCOPES = (ADMIN, SEND, READ)

SEND_PATHS = frozenset({"/api/v1/messages"})
ADMIN_ONLY_PREFIX = "/api/v1/api-keys"
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def required_scope(method: str, path: str) -> str:
    """The scope a request to ``path`` (``/api/v1/...``, as requested or as the OpenAPI path) needs."""
    method = method.upper()
    if path == ADMIN_ONLY_PREFIX or path.startswith(ADMIN_ONLY_PREFIX + "/"):
        return ADMIN
    if method in READ_METHODS:
        return READ
    if method == "POST" and path.rstrip("/") in SEND_PATHS:
        return SEND
    return ADMIN


def allows(granted: Iterable[str], needed: str) -> bool:
    """Whether a key holding ``granted`` may do what needs ``needed`` (``admin`` may do everything)."""
    granted = set(granted)
    return ADMIN in granted or needed in granted
