"""One signed POST to a feedback webhook, and what the receiver answered.

The request carries the Standard Webhooks headers (one signature per secret
in use), the JWT when configured, and the header parameters. Redirects are not
followed, a refused target is never connected to, and only a bounded excerpt
of the answer is read.

It goes out on a kept-alive socket (:func:`smshooks.targets.guarded_pool`, the
guard of :func:`smshooks.targets.http_session` without requests or urllib3):
one fixed POST per job, where requests' session and urllib3's connection and
response objects cost more CPU than the request. What does not change from one request to the next
(the parsed URL, the headers but the signatures, the JWT key loaded) is worked
out once per :class:`Target`, which the config cache keeps with its webhook.

The worker's ``feedback`` job (:mod:`smshooks.feedback.delivery`) and the
"send test event" action (:mod:`smshooks.feedback.sample`) both post through here.
"""

from __future__ import annotations

import functools
import json
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import requests
from requests.structures import CaseInsensitiveDict
from requests.utils import DEFAULT_ACCEPT_ENCODING
from urllib3.exceptions import LocationValueError

from smshooks.contract import http_answer
from smshooks.contract.keepalive import KeepAlivePool, route
from smshooks.feedback.sealed import WebhookSecrets
from smshooks.feedback.signing import jwt_token, standard_webhooks_headers
from smshooks.store.tables import FeedbackWebhook, utcnow
from smshooks.targets import REFUSED, TargetRefused, UnsafeTarget, check_url
from smshooks.vendor import retry_after_seconds

#: (connect, read) seconds: a receiver that hangs must not hold a worker or a request
TIMEOUT = (5.0, 15.0)
#: how much of a response is read (and kept, shorter, as its excerpt)
MAX_RESPONSE_READ = 64 * 1024
EXCERPT_CHARS = 1000
USER_AGENT = "smshooks-feedback/1"
#: what every request carries before the header parameters (requests' defaults, our agent)
_DEFAULT_HEADERS = {
    "User-Agent": USER_AGENT,
    "Accept-Encoding": DEFAULT_ACCEPT_ENCODING,
    "Accept": "*/*",
    "Connection": "keep-alive",
    "Content-Type": "application/json",
}
#: set per request; a header parameter of the same name (case-insensitive) gives way
_PER_REQUEST = ("webhook-id", "webhook-timestamp", "webhook-signature")


@dataclass(frozen=True)
class Target:
    """Where and how to POST: the webhook's URL, auth, header parameters and the secrets signing now."""

    webhook_id: str
    url: str
    auth: dict[str, Any]
    jwt_key: str | None
    headers: dict[str, str]
    signing_secrets: list[str]

    @classmethod
    def of(cls, webhook: FeedbackWebhook, secrets: WebhookSecrets, now: datetime) -> Target:
        return cls(
            webhook_id=webhook.id,
            url=webhook.url,
            auth=dict(webhook.auth or {}),
            jwt_key=secrets.jwt_key,
            headers=dict(secrets.headers),
            signing_secrets=secrets.signing_secrets(webhook, now),
        )

    @functools.cached_property
    def signs_jwt(self) -> bool:
        return self.auth.get("type") == "jwt" and bool(self.jwt_key)

    @functools.cached_property
    def base_headers(self) -> dict[str, str]:
        """The headers but those of one request, merged case-insensitively as requests merged them."""
        merged = CaseInsensitiveDict(_DEFAULT_HEADERS)
        merged.update(self.headers)
        for name in (*_PER_REQUEST, *(("authorization",) if self.signs_jwt else ())):
            merged.pop(name, None)
        return dict(merged.items())

    @functools.cached_property
    def route(self) -> tuple[str, str, int | None, str]:
        """(scheme, host, port, path with query) of the URL, worked out once as requests did it
        (IDNA host, path quoting); requests' errors for a URL it cannot prepare."""
        prepared = requests.PreparedRequest()
        prepared.prepare_url(self.url, None)
        return route(str(prepared.url))


@dataclass(frozen=True)
class Answer:
    """The receiver's answer: its status code (None: no answer), how long it took, why it failed."""

    status_code: int | None
    duration_ms: int
    #: None for a 2xx; else "HTTP 500", "connection refused", the redirect refused …
    error: str | None
    response_excerpt: str | None
    #: seconds the receiver's ``Retry-After`` asks for, None without one
    retry_after: float | None = None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


#: the body's JSON: compact, UTF-8 (one encoder, made once: json.dumps with options makes one a call)
_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def body_of(payload: dict[str, Any]) -> bytes:
    """The bytes POSTed for ``payload`` (what the signatures and ``body_sha256`` cover)."""
    return _ENCODE(payload).encode("utf-8")


def request_headers(target: Target, webhook_id: str, body: bytes) -> dict[str, str]:
    """The headers of one request with ``body``: ours, the header parameters, the signatures, the JWT."""
    now = utcnow()
    headers = dict(target.base_headers)
    headers.update(standard_webhooks_headers(webhook_id, int(now.timestamp()), body, target.signing_secrets))
    if target.signs_jwt:
        headers["Authorization"] = "Bearer " + jwt_token(target.auth, target.jwt_key or "", body, now)
    return headers


def post(pool: KeepAlivePool, allow_private: bool, target: Target, webhook_id: str, body: bytes) -> Answer:
    """POST ``body`` to ``target`` with ``webhook_id`` as its ``webhook-id`` through ``pool``
    (:func:`smshooks.targets.guarded_pool`, the same ``allow_private``); never raises for the network."""
    started = time.monotonic()
    try:
        if _refused(target.url, allow_private):
            raise TargetRefused()
        scheme, host, port, path = target.route
        reply = pool.request(
            "POST",
            scheme,
            host,
            port,
            path,
            request_headers(target, webhook_id, body).items(),
            body,
            connect_timeout=TIMEOUT[0],
            read_timeout=TIMEOUT[1],
            max_body=MAX_RESPONSE_READ,
        )
    except (UnsafeTarget, LocationValueError, http_answer.Refused, *_UNPREPARABLE):
        # One fixed error for every refused target: nothing was connected, so
        # nothing about the address (open port, closed port, DNS) can show.
        return Answer(None, _millis(started), REFUSED, None)
    except http_answer.HTTPFailure as exc:
        return Answer(None, _millis(started), describe(exc), None)
    status = reply.status
    error = None
    if 300 <= status < 400:
        error = f"HTTP {status}: redirects are not followed (Location: {reply.header('Location')})"
    elif not 200 <= status < 300:
        error = f"HTTP {status}"
    retry_after = retry_after_seconds(reply.header("Retry-After"))
    return Answer(status, _millis(started), error, _excerpt(reply.body), retry_after)


#: a URL requests cannot prepare (check_url lets none through; refused like one it does not)
_UNPREPARABLE = (requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema, requests.exceptions.MissingSchema)


@functools.lru_cache(maxsize=1024)
def _refused(url: str, allow_private: bool) -> bool:
    """Whether :func:`check_url` refuses ``url`` without resolving it (a pure function of the text)."""
    try:
        check_url(url, allow_private=allow_private, resolve=False)
    except UnsafeTarget:
        return True
    return False


def _excerpt(body: bytes) -> str | None:
    """The start of the answer's body as text (at most :data:`EXCERPT_CHARS`), None when empty.

    At most :data:`MAX_RESPONSE_READ` bytes were read: a connection whose answer was longer is
    closed, not reused (the rest of the answer would be read as the next one's)."""
    if not body:
        return None
    text = body[: EXCERPT_CHARS * 4].decode("utf-8", errors="replace")
    return text[:EXCERPT_CHARS].replace("\x00", "\ufffd")


def describe(exc: http_answer.HTTPFailure) -> str:
    """A short reason for a request that got no (whole) answer: timeout, refused, … (worded as
    when it went through requests: the attempt log keeps them)."""
    if isinstance(exc, http_answer.ConnectTimedOut):
        return f"connect timeout after {TIMEOUT[0]:g} s"
    if isinstance(exc, http_answer.ReadTimedOut):
        return f"no answer within {TIMEOUT[1]:g} s"
    if isinstance(exc, http_answer.ConnectFailed | http_answer.AnswerBroken):
        text = str(exc)
        if "refused" in text.lower():
            return "connection refused"
        return f"connection failed: {text}"[:500]
    return f"{type(exc).__name__}: {exc}"[:500]


def _millis(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
