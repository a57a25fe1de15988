"""Our own URLs as a caller sees them."""

from __future__ import annotations

from flask import request

from smshooks.web.context import gateway


def public_base_url() -> str:
    """Our base URL as the caller reached it: SMSHOOKS_PUBLIC_URL (behind a TLS proxy), else the request's own."""
    return gateway().settings.public_url or request.host_url.rstrip("/")
