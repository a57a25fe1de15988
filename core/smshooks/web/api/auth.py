"""API key authentication and the organisation + sandbox scope of every API request."""

from __future__ import annotations

import re

from flask import Flask, g, request

from smshooks.apikeys import find_api_key
from smshooks.web.context import gateway
from smshooks.web.errors import ApiError

API_PREFIX = "/api/v1/"
PUBLIC_PATHS = {"/api/v1/openapi.json"}
DEFAULT_SANDBOX = "prod"
SANDBOX_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def install(app: Flask) -> None:
    app.before_request(authenticate)


def authenticate() -> None:
    if not request.path.startswith(API_PREFIX) or request.path in PUBLIC_PATHS:
        return
    header = request.headers.get("Authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise ApiError(401, "missing API key: send Authorization: Bearer <key>", headers={"WWW-Authenticate": "Bearer"})
    found = find_api_key(gateway().db, key)
    if found is None:
        raise ApiError(401, "invalid API key", headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    sandbox = request.headers.get("X-Sandbox-Name", DEFAULT_SANDBOX).strip() or DEFAULT_SANDBOX
    if not SANDBOX_NAME.match(sandbox):
        raise ApiError(
            400,
            "invalid X-Sandbox-Name: letters, digits, '.', '_' and '-', at most 64",
            details={"X-Sandbox-Name": ["invalid sandbox name"]},
        )
    g.org, g.api_key_prefix = found.org, found.prefix
    g.sandbox = sandbox
