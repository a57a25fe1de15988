"""One signed POST to a feedback webhook, and what the receiver answered.

The request carries the Standard Webhooks headers (one signature per secret
in use), the JWT when configured, and the header parameters. Redirects are not
followed, a refused target is never connected to, and only a bounded excerpt
of the answer is read.

The worker's ``feedback`` job (:mod:`smshooks.feedback.delivery`) and the
"send test event" action (:mod:`smshooks.feedback.sample`) both post through here.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import requests
from requests.structures import CaseInsensitiveDict

from smshooks.feedback.sealed import WebhookSecrets
from smshooks.feedback.signing import jwt_token, standard_webhooks_headers
from smshooks.store.tables import FeedbackWebhook, utcnow
from smshooks.targets import REFUSED, UnsafeTarget, check_url
from smshooks.vendor import retry_after_seconds

#: (connect, read) seconds: a receiver that hangs must not hold a worker or a request
TIMEOUT = (5.0, 15.0)
#: how much of a response is read (and kept, shorter, as its excerpt)
MAX_RESPONSE_READ = 64 * 1024
EXCERPT_CHARS = 1000
USER_AGENT = "smshooks-feedback/1"


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


def request_headers(target: Target, webhook_id: str, body: bytes) -> dict[str, str]:
    """The headers of one request with ``body``: ours, the header parameters, the signatures, the JWT."""
    now = utcnow()
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
    headers.update(target.headers)
    headers.update(standard_webhooks_headers(webhook_id, int(now.timestamp()), body, target.signing_secrets))
    if target.auth.get("type") == "jwt" and target.jwt_key:
        headers["Authorization"] = "Bearer " + jwt_token(target.auth, target.jwt_key, body, now)
    return headers


def post(http: requests.Session, allow_private: bool, target: Target, webhook_id: str, body: bytes) -> Answer:
    """POST ``body`` to ``target`` with ``webhook_id`` as its ``webhook-id``; never raises for the network."""
    started = time.monotonic()
    try:
        check_url(target.url, allow_private=allow_private, resolve=False)
        response = _send(http, target.url, request_headers(target, webhook_id, body), body)
        try:
            excerpt = read_excerpt(response)
        finally:
            response.close()
    except (UnsafeTarget, *_UNPREPARABLE):
        # One fixed error for every refused target: nothing was connected, so
        # nothing about the address (open port, closed port, DNS) can show.
        return Answer(None, _millis(started), REFUSED, None)
    except requests.RequestException as exc:
        return Answer(None, _millis(started), describe(exc), None)
    error = None
    if 300 <= response.status_code < 400:
        location = response.headers.get("Location")
        error = f"HTTP {response.status_code}: redirects are not followed (Location: {location})"
    elif not 200 <= response.status_code < 300:
        error = f"HTTP {response.status_code}"
    return Answer(response.status_code, _millis(started), error, excerpt, retry_after_seconds(response))


#: a URL requests cannot prepare (check_url lets none through; refused like one it does not)
_UNPREPARABLE = (requests.exceptions.InvalidURL, requests.exceptions.InvalidSchema, requests.exceptions.MissingSchema)


def _send(http: requests.Session, url: str, headers: dict[str, str], body: bytes) -> requests.Response:
    """POST through the session's adapter (its pooled keep-alive connections and its guard),
    not ``Session.request``: no cookies, no redirects and no environment to merge here, and
    that layer cost as much CPU as the request itself. The session's default headers still go."""
    merged = CaseInsensitiveDict(http.headers)
    merged.update(headers)
    prepared = requests.PreparedRequest()
    prepared.prepare(method="POST", url=url, headers=merged, data=body)
    adapter = http.get_adapter(url)
    return adapter.send(prepared, stream=True, timeout=TIMEOUT, verify=True, cert=None, proxies={})


def read_excerpt(response: requests.Response) -> str | None:
    """The start of the answer's body as text (at most :data:`EXCERPT_CHARS`), None when empty."""
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(8192):
        chunks.append(chunk)
        size += len(chunk)
        if size >= MAX_RESPONSE_READ:
            break
    if not chunks:
        return None
    text = b"".join(chunks)[: EXCERPT_CHARS * 4].decode("utf-8", errors="replace")
    return text[:EXCERPT_CHARS].replace("\x00", "\ufffd")


def describe(exc: requests.RequestException) -> str:
    """A short reason for a request that got no answer (timeout, refused, …)."""
    reason = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)
    if isinstance(exc, requests.ConnectTimeout):
        return f"connect timeout after {TIMEOUT[0]:g} s"
    if isinstance(exc, requests.ReadTimeout):
        return f"no answer within {TIMEOUT[1]:g} s"
    if isinstance(exc, requests.ConnectionError):
        text = str(reason or exc)
        if "refused" in text.lower():
            return "connection refused"
        return f"connection failed: {text}"[:500]
    return f"{type(exc).__name__}: {exc}"[:500]


def _millis(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
