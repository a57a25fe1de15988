"""API key authentication, the scope each operation needs, and the organisation + sandbox of every API request.

Per request: an address that sent too many wrong keys is answered 429 (``access.throttle``);
no key is 401; a key that is unknown, revoked or expired is 401 (looked up in the database
every time, so a revocation holds at once in every process); a key without the operation's
scope (``access.scopes``) is 403.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from apispec import BasePlugin
from flask import Flask, current_app, g, request
from flask_smorest import Api

from smshooks import metrics
from smshooks.access import scopes
from smshooks.access.api_keys import EXPIRED, check_key
from smshooks.access.throttle import WrongKeyThrottle
from smshooks.web.context import gateway
from smshooks.web.errors import ApiError

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1/"
PUBLIC_PATHS = {"/api/v1/openapi.json"}
#: the interactive documentation and its assets (smshooks.web.docs)
PUBLIC_PREFIXES = ("/api/v1/docs",)
DEFAULT_SANDBOX = "prod"
SANDBOX_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
THROTTLE = "smshooks.wrong_key_throttle"
HTTP_METHODS = frozenset({"get", "put", "post", "delete", "patch", "head", "options"})


def install(app: Flask) -> None:
    # one throttle per app (per process): see smshooks.access.throttle for N processes
    app.extensions[THROTTLE] = WrongKeyThrottle()
    app.before_request(authenticate)


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or any(path == p or path.startswith(p + "/") for p in PUBLIC_PREFIXES)


def client_address() -> str:
    """The caller's address: the socket's peer, or with ``SMSHOOKS_TRUSTED_PROXIES=N`` the address
    the N-th proxy from us appended to ``X-Forwarded-For`` (entries before it are the client's word)."""
    hops = gateway().settings.trusted_proxies
    if hops > 0:
        forwarded = [part.strip() for part in ",".join(request.headers.getlist("X-Forwarded-For")).split(",")]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= hops:
            return forwarded[-hops][:64]
    return request.remote_addr or "unknown"


def authenticate() -> None:
    if not request.path.startswith(API_PREFIX) or is_public(request.path):
        return
    throttle: WrongKeyThrottle = current_app.extensions[THROTTLE]
    address = client_address()
    wait = throttle.retry_after(address)
    if wait is not None:
        metrics.API_KEY_REFUSALS.labels(reason="throttled").inc()
        raise ApiError(
            429, "too many wrong API keys from this address; retry later", headers={"Retry-After": str(wait)}
        )
    header = request.headers.get("Authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise ApiError(401, "missing API key: send Authorization: Bearer <key>", headers={"WWW-Authenticate": "Bearer"})
    checked = check_key(gateway().db, key.strip())
    caller = checked.caller
    if caller is None:
        throttle.wrong_key(address)
        metrics.API_KEY_REFUSALS.labels(reason=checked.refusal or "unknown").inc()
        log.warning("API key refused (%s) from %s", checked.refusal, address)
        message = "API key expired" if checked.refusal == EXPIRED else "invalid API key"
        raise ApiError(401, message, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    needed = scopes.required_scope(request.method, request.path)
    if not scopes.allows(caller.scopes, needed):
        metrics.API_KEY_REFUSALS.labels(reason="scope").inc()
        raise ApiError(
            403,
            f"this API key lacks the {needed!r} scope (it has: {', '.join(caller.scopes)})",
            details={"scope": [needed]},
            headers={"WWW-Authenticate": f'Bearer error="insufficient_scope", scope="{needed}"'},
        )
    sandbox = request.headers.get("X-Sandbox-Name", DEFAULT_SANDBOX).strip() or DEFAULT_SANDBOX
    if not SANDBOX_NAME.match(sandbox):
        raise ApiError(
            400,
            "invalid X-Sandbox-Name: letters, digits, '.', '_' and '-', at most 64",
            details={"X-Sandbox-Name": ["invalid sandbox name"]},
        )
    g.org, g.api_key_prefix, g.api_key_id = caller.org, caller.prefix, caller.key_id
    g.sandbox = sandbox


SCOPES_DOC = (
    "\n\nAuthentication: `Authorization: Bearer <API key>`. Each key has one or more scopes; each operation"
    " names the one it needs in `x-required-scope`: `read` for every GET, `send` for `POST /api/v1/messages`,"
    " `admin` for everything else, including every `/api/v1/api-keys` operation. `admin` includes the others."
    " A key without the scope is answered 403; an unknown, revoked or expired key 401; a client address that"
    " presented too many wrong keys 429 with `Retry-After`."
)


class _ScopePlugin(BasePlugin):
    """Writes the scope each operation needs into the OpenAPI document, from :mod:`smshooks.access.scopes`."""

    def operation_helper(self, path: str | None = None, operations: dict | None = None, **kwargs: Any) -> None:
        if not path or not path.startswith(API_PREFIX):
            return
        for method, operation in (operations or {}).items():
            if method not in HTTP_METHODS:
                continue
            needed = scopes.required_scope(method, path)
            operation["x-required-scope"] = needed
            note = f"Needs an API key with the `{needed}` scope" + ("." if needed == scopes.ADMIN else " (or `admin`).")
            operation["description"] = f"{operation.get('description', '')}\n\n{note}".strip()


def document_scopes(api: Api) -> None:
    """Call before the blueprints are registered: each operation is documented with its scope."""
    plugin = _ScopePlugin()
    plugin.init_spec(api.spec)
    api.spec.plugins.append(plugin)
    info = api.spec.options.setdefault("info", {})
    info["description"] = info.get("description", "") + SCOPES_DOC
