"""``/hooks/<webhook_id>``: the URL vendors call with inbound messages and delivery reports.

The view only reads the request and writes the answer; :func:`smshooks.inbound.receive.receive`
does the work. Answers: 404 unknown webhook, 403 unproven sender, 400 malformed payload,
413 too large, 503 when our database cannot store (the vendor retries), otherwise the
vendor's expected acknowledgement — only after the events committed.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, Response, request

from smshooks.inbound.receive import VendorCall, receive
from smshooks.web.context import gateway
from smshooks.web.urls import public_base_url

blueprint = Blueprint("hooks", __name__)


def public_request_url() -> str:
    """The URL as the vendor called it: signatures sign it byte for byte.

    Behind a TLS-terminating proxy the app sees ``http://internal-host``;
    ``SMSHOOKS_PUBLIC_URL`` gives the scheme and host the vendor used. The
    path and the raw query string are kept exactly as received.
    """
    url = public_base_url() + request.script_root + request.path
    if request.query_string:
        url += "?" + request.query_string.decode("latin-1")
    return url


def read_vendor_call() -> VendorCall:
    """The current request as a :class:`VendorCall` (over the size limit: 413 from Flask)."""
    received_at = datetime.now(UTC)
    body = request.get_data(cache=True)
    form = {key: request.form.getlist(key) for key in request.form} if request.method != "GET" else {}
    return VendorCall(
        method=request.method,
        url=public_request_url(),
        headers=dict(request.headers.items()),
        body=body,
        form=form,
        received_at=received_at,
    )


@blueprint.route("/hooks/<webhook_id>", methods=["GET", "POST"])
def receive_view(webhook_id: str) -> Response:
    answer = receive(gateway(), webhook_id, read_vendor_call, base_url=public_base_url())
    return Response(answer.body, status=answer.status, content_type=answer.content_type)
