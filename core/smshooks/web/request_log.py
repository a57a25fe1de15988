"""Every HTTP request: a request id (the caller's ``X-Request-Id`` when it is sane, else a new
one, answered in ``X-Request-Id``), one log line, and the request metrics.

A vendor request to ``/hooks/<id>`` logs ``vendor request <vendor> <webhook type> status=…
duration_ms=… inbound=… reports=… duplicates=…``, an admin API request ``api request <method>
<route> status=… duration_ms=…``; health checks and scrapes log at DEBUG only.
"""

from __future__ import annotations

import contextlib
import logging
import random
import re
import time

from flask import Flask, Response, g, request

from smshooks import logs, metrics, observe

log = logging.getLogger("smshooks.requests")

REQUEST_ID_HEADER = "X-Request-Id"
#: what we accept as a caller's request id: short, printable, nothing a log line could be forged with
REQUEST_ID = re.compile(r"^[A-Za-z0-9._:@/+=-]{1,128}$")
HOOKS_BLUEPRINT = "hooks"
QUIET_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


def install(app: Flask) -> None:
    """Register before any other ``before_request`` (authentication refusals get a request id too)."""
    app.before_request(_begin)
    app.after_request(_finish)
    app.teardown_request(_clear)


def _begin() -> None:
    g.request_started = time.perf_counter()
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = incoming if REQUEST_ID.match(incoming) else new_request_id()
    g.request_id_token = logs.set_request_id(g.request_id)
    if request.blueprint == HOOKS_BLUEPRINT:
        g.vendor_call_token = observe.begin_vendor_call()


def new_request_id() -> str:
    """32 random hex digits, as a uuid4's: an id to find a request's lines by, not a secret, so from
    the process's PRNG (reseeded in each forked worker) rather than a system call per request."""
    return f"{random.getrandbits(128):032x}"


def _finish(response: Response) -> Response:
    request_id = g.get("request_id")
    if request_id is None:  # a request that failed before _begin ran
        return response
    response.headers[REQUEST_ID_HEADER] = request_id
    seconds = time.perf_counter() - g.request_started
    token = g.pop("vendor_call_token", None)
    if token is not None:
        _vendor_request(observe.end_vendor_call(token) or observe.VendorCall(), response.status_code, seconds)
    elif request.path.startswith("/api/v1/") and not request.path.startswith("/api/v1/docs"):
        _api_request(response.status_code, seconds)
    else:
        log.debug("request %s %s status=%s", request.method, request.path, response.status_code)
    return response


def _vendor_request(call: observe.VendorCall, status: int, seconds: float) -> None:
    vendor, webhook_type = call.vendor, call.webhook_type
    metrics.labelled(metrics.VENDOR_REQUESTS, vendor=vendor, webhook_type=webhook_type, status=str(status)).inc()
    metrics.labelled(metrics.VENDOR_REQUEST_SECONDS, vendor=vendor, webhook_type=webhook_type).observe(seconds)
    level = logging.INFO if status < 500 else logging.WARNING
    if not log.isEnabledFor(level):  # the line's fields are not even built (a server run at WARNING)
        return
    log.log(
        level,
        "vendor request %s %s webhook=%s status=%s duration_ms=%d inbound=%d reports=%d duplicates=%d",
        call.vendor,
        call.webhook_type,
        call.webhook_id or "-",
        status,
        seconds * 1000,
        call.inbound,
        call.reports,
        call.duplicates,
        extra={
            "vendor": call.vendor,
            "webhook_type": call.webhook_type,
            "webhook_id": call.webhook_id,
            "status": status,
            "duration_ms": round(seconds * 1000, 1),
            "inbound": call.inbound,
            "reports": call.reports,
            "duplicates": call.duplicates,
        },
    )


def _api_request(status: int, seconds: float) -> None:
    route = request.url_rule.rule if request.url_rule is not None else "unmatched"
    metrics.API_REQUESTS.labels(method=request.method, route=route, status=str(status)).inc()
    metrics.API_REQUEST_SECONDS.labels(method=request.method, route=route).observe(seconds)
    log.info(
        "api request %s %s status=%s duration_ms=%d",
        request.method,
        route,
        status,
        seconds * 1000,
        extra={"method": request.method, "route": route, "status": status, "duration_ms": round(seconds * 1000, 1)},
    )


def _clear(_error: BaseException | None) -> None:
    token = g.pop("request_id_token", None)
    if token is not None:
        with contextlib.suppress(ValueError):  # torn down in another context: nothing to reset here
            logs.reset_request_id(token)
