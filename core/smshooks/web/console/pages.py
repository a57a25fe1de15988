"""What every console page shares: the sign-in guard, CSRF check, security headers, the layout's context."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Response, current_app, g, redirect, render_template, request, url_for

from smshooks.errors import DomainError
from smshooks.store.sandboxes import sandboxes_with_data
from smshooks.web.api.auth import DEFAULT_SANDBOX
from smshooks.web.console import csrf
from smshooks.web.console.blueprint import bp
from smshooks.web.console.session import load_signed_in
from smshooks.web.context import gateway
from smshooks.web.errors import domain_status

#: pages open without a session
PUBLIC_ENDPOINTS = frozenset({"console.login", "console.static"})

#: the header's navigation: (endpoint, label); an entry shows once its page is registered
NAVIGATION = (
    ("console.webhooks", "SMS webhooks"),
    ("console.credentials", "Credentials"),
    ("console.replies", "Replies"),
    ("console.consent", "Consent"),
    ("console.messages", "Messages"),
    ("console.channels", "Channels"),
    ("console.send_sms", "Send SMS"),
    ("console.feedback_webhook", "Feedback webhook"),
    ("console.deliveries", "Deliveries"),
    ("console.sandbox_settings", "Sandbox settings"),
    ("console.api_keys", "API keys"),
)

#: no inline script or style anywhere, nothing from another origin, never framed
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


@bp.before_request
def guard() -> Any:
    """No page or action without a session; no state change without the session's CSRF token."""
    if request.endpoint == "console.static":
        return None
    if request.endpoint not in PUBLIC_ENDPOINTS and not load_signed_in():
        wanted = request.full_path.rstrip("?") if request.method == "GET" else None
        return redirect(url_for("console.login", next=wanted), code=303)
    if csrf.request_is_forged():
        return error_page(400, "The form expired or did not come from this console. Reload the page and try again.")
    return None


@bp.after_request
def security_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    if request.endpoint != "console.static":
        response.headers["Cache-Control"] = "no-store"  # pages show tenant data
    return response


@bp.app_template_global()
def csrf_token() -> str:
    return csrf.token()


@bp.context_processor
def layout() -> dict[str, Any]:
    signed_in = "org" in g and request.endpoint not in PUBLIC_ENDPOINTS
    return {
        "signed_in": signed_in,
        "org": g.get("org"),
        "sandbox": g.get("sandbox"),
        "navigation": [(e, label) for e, label in NAVIGATION if e in current_app.view_functions],
        "sandboxes": _sandboxes if signed_in else (lambda: []),
        "navigation_endpoints": current_app.view_functions,
    }


def _sandboxes() -> list[str]:
    """The switcher's list: the sandboxes with data, the default one and the open one."""
    return sorted({*sandboxes_with_data(gateway().db, g.org), DEFAULT_SANDBOX, g.sandbox})


def error_page(status: int, message: str) -> tuple[str, int]:
    return render_template("console/error.html", status=status, message=message), status


@bp.errorhandler(DomainError)
def domain_error(error: DomainError) -> tuple[str, int]:
    """A refusal no form caught (a page of a row that is not in this scope): an HTML page, not JSON."""
    return error_page(domain_status(error), error.message)


def local_path(target: str | None, default: str) -> str:
    """``target`` when it is a path of this console (never another site: no open redirect), else ``default``."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/admin") or target.startswith("//"):
        return default
    return target


class FormErrors:
    """A refusal shown beside the form: its message on top, each field's messages under the field."""

    def __init__(self, message: str = "", fields: dict[str, Any] | None = None):
        self.message = message
        self.fields = {key: _messages(value) for key, value in (fields or {}).items()}

    @classmethod
    def of(cls, error: DomainError) -> FormErrors:
        return cls(error.message, error.details)

    def __bool__(self) -> bool:
        return bool(self.message or self.fields)

    def get(self, name: str) -> list[str]:
        return self.fields.get(name, [])


def _messages(value: Any) -> list[str]:
    if isinstance(value, list | tuple):
        return [m for item in value for m in _messages(item)]
    if isinstance(value, dict):
        return [f"{key}: {m}" for key, item in value.items() for m in _messages(item)]
    return [str(value)]
