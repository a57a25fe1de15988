"""``/hooks/<webhook_id>``: the URL vendors call with inbound messages and delivery reports.

The view only reads the request and writes the answer; :func:`smshooks.inbound.receive.receive`
does the work. Answers: 404 unknown webhook, 403 unproven sender, 400 malformed payload,
413 too large, 503 when our database cannot store (the vendor retries), otherwise the
vendor's expected acknowledgement — only after the events committed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qsl

import werkzeug.urls  # noqa: F401  (registers the "werkzeug.url_quote" error handler _form decodes with)
from flask import Blueprint, Request, Response, request

from smshooks.inbound.receive import VendorCall, receive
from smshooks.web.context import gateway
from smshooks.web.urls import public_base_url

blueprint = Blueprint("hooks", __name__)

FORM_URLENCODED = "application/x-www-form-urlencoded"


def public_request_url(base_url: str | None = None) -> str:
    """The URL as the vendor called it: signatures sign it byte for byte.

    Behind a TLS-terminating proxy the app sees ``http://internal-host``;
    ``SMSHOOKS_PUBLIC_URL`` gives the scheme and host the vendor used. The
    path and the raw query string are kept exactly as received.
    """
    req: Request = request._get_current_object()  # type: ignore[attr-defined]  # once, not per attribute
    url = (base_url if base_url is not None else public_base_url()) + req.script_root + req.path
    if req.query_string:
        url += "?" + req.query_string.decode("latin-1")
    return url


def read_vendor_call(base_url: str | None = None) -> VendorCall:
    """The current request as a :class:`VendorCall` (over the size limit: 413 from Flask)."""
    received_at = datetime.now(UTC)
    req: Request = request._get_current_object()  # type: ignore[attr-defined]
    body = req.get_data(cache=True)
    return VendorCall(
        method=req.method,
        url=public_request_url(base_url),
        headers=dict(req.headers.items()),
        body=body,
        form=_form(req, body) if req.method != "GET" else {},
        received_at=received_at,
    )


def _form(req: Request, body: bytes) -> dict[str, list[str]]:
    """The form fields, every value kept in order. A urlencoded body (every Twilio request) is read
    as werkzeug reads it, without building its form parser and MultiDict first: UTF-8, blank values
    kept, undecodable percent-escapes left escaped, and a body that is not UTF-8 holds no fields."""
    if req.mimetype != FORM_URLENCODED:
        return {key: req.form.getlist(key) for key in req.form}
    try:
        text = body.decode()
    except UnicodeDecodeError:
        return {}
    form: dict[str, list[str]] = {}
    for key, value in parse_qsl(text, keep_blank_values=True, errors="werkzeug.url_quote"):
        values = form.get(key)
        if values is None:
            form[key] = [value]
        else:
            values.append(value)
    return form


@blueprint.route("/hooks/<webhook_id>", methods=["GET", "POST"])
def receive_view(webhook_id: str) -> Response:
    base_url = public_base_url()
    answer = receive(gateway(), webhook_id, lambda: read_vendor_call(base_url), base_url=base_url)
    return Response(answer.body, status=answer.status, content_type=answer.content_type)
