"""Calling a vendor's API from ``send``: the session the host hands over, and the
failures every send shares (transport errors, retryable statuses, ``Retry-After``),
so a plugin only parses its vendor's own answers.
"""

from __future__ import annotations

import contextlib
import functools
import math
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlencode

import requests
from requests.auth import _basic_auth_str
from requests.compat import json as complexjson
from requests.cookies import RequestsCookieJar
from requests.hooks import default_hooks
from requests.sessions import preferred_clock
from requests.structures import CaseInsensitiveDict
from requests.utils import check_header_validity, to_native_string

from smshooks.contract.errors import SendError
from smshooks.targets import TargetRefused

__all__ = ["TARGET_REFUSED", "HttpSession", "is_retryable_status", "retry_after_seconds", "vendor_request"]


class HttpSession(requests.Session):
    """A requests session whose calls time out by default.

    The host hands one to :meth:`smshooks.vendor.Vendor.send`; a vendor API that hangs must
    never hold a worker forever. The host's session also refuses (a
    ``requests.ConnectionError`` with the message ``target refused: not a
    public https address``) any request that is not HTTPS to a public address,
    unless ``SMSHOOKS_ALLOW_PRIVATE_TARGETS`` is set; such a send ends as an
    error with that message, whatever :class:`SendError` the plugin raises.

    A session that ignores the environment (``trust_env`` false: the host's, from
    :func:`smshooks.targets.http_session`) prepares an ordinary request (a form,
    JSON or raw body; basic or any other auth; headers; no files, params, cookies
    or hooks of its own or the session's) on a short path and hands it to its
    adapters itself: the same :class:`requests.PreparedRequest` and
    :class:`requests.Response` as ``Session.request`` makes, at a fraction of
    requests' CPU (its ``prepare_request``, ``merge_environment_settings`` and
    ``send`` cost more than the call on a keep-alive connection). Such a session
    keeps no cookie a response sets (one serves every tenant). Anything else goes
    through ``Session.request`` unchanged.
    """

    def __init__(self, timeout: float | tuple[float, float] = (5.0, 30.0)):
        super().__init__()
        self.default_timeout = timeout

    def request(  # type: ignore[override]
        self,
        method: str,
        url: str,
        params: Any = None,
        data: Any = None,
        headers: Any = None,
        cookies: Any = None,
        files: Any = None,
        auth: Any = None,
        timeout: Any = None,
        allow_redirects: bool = True,
        proxies: Any = None,
        hooks: Any = None,
        stream: bool | None = None,
        verify: Any = None,
        cert: Any = None,
        json: Any = None,
    ) -> requests.Response:
        if timeout is None:
            timeout = self.default_timeout
        if (
            not self.trust_env
            and isinstance(url, str)
            and isinstance(method, str)
            and not (params or cookies or files or hooks or proxies or self.proxies or self.params or self.auth)
            and verify is None
            and cert is None
            and self.cert is None
            and (auth is not None or "@" not in url)
            and (data is None or isinstance(data, _FAST_DATA))
            and (headers is None or isinstance(headers, Mapping))
            and self.hooks == _NO_HOOKS
            and not self.cookies
        ):
            prepared = _prepare(self, method, url, data, headers, auth, json)
            if prepared is not None:
                return _send(self, prepared, timeout, allow_redirects, self.stream if stream is None else stream)
        return super().request(
            method,
            url,
            params=params,
            data=data,
            headers=headers,
            cookies=cookies,
            files=files,
            auth=auth,
            timeout=timeout,
            allow_redirects=allow_redirects,
            proxies=proxies,
            hooks=hooks,
            stream=stream,
            verify=verify,
            cert=cert,
            json=json,
        )


#: the data the short path encodes itself (anything else, a file or a generator, goes through requests)
_FAST_DATA = (str, bytes, list, tuple, dict)
_NO_HOOKS = {"response": []}
_FORM = "application/x-www-form-urlencoded"


@functools.lru_cache(maxsize=1024)
def _prepared_url(url: str) -> str:
    """``url`` as requests prepares it (no params): the same few per credential, so once each.
    Raises what ``PreparedRequest.prepare_url`` raises (not cached)."""
    prepared = requests.PreparedRequest()
    prepared.prepare_url(url, None)
    return str(prepared.url)


@functools.lru_cache(maxsize=1024)
def _valid_header(name: str, value: str) -> None:
    """requests' header check of one pair (raises InvalidHeader), remembered for the pairs that pass."""
    check_header_validity((name, value))


#: the Basic credentials requests' HTTPBasicAuth writes, once per account (kept with its credential anyway)
_basic_auth = functools.lru_cache(maxsize=256)(_basic_auth_str)


def _form(data: Any) -> str | None:
    """``data`` (a mapping or pairs) as requests' ``_encode_params`` encodes it; None for a shape it
    leaves to requests."""
    pairs = data.items() if isinstance(data, dict) else data
    encoded: list[tuple[Any, Any]] = []
    for pair in pairs:
        if not isinstance(pair, tuple | list) or len(pair) != 2:
            return None
        key, values = pair
        if isinstance(values, str | bytes) or not hasattr(values, "__iter__"):
            values = [values]
        for value in values:
            if value is not None:
                encoded.append(
                    (
                        key.encode("utf-8") if isinstance(key, str) else key,
                        value.encode("utf-8") if isinstance(value, str) else value,
                    )
                )
    return urlencode(encoded, doseq=True)


def _prepare(
    session: requests.Session, method: str, url: str, data: Any, headers: Any, auth: Any, json: Any
) -> requests.PreparedRequest | None:
    """The request ``Session.prepare_request`` would make of these, or None to leave it to requests."""
    body: Any = None
    content_type = None
    if data:
        if isinstance(data, str | bytes):
            body = data
        else:
            body = _form(data)
            if body is None:
                return None
            content_type = _FORM
    elif json is not None:
        content_type = "application/json"
        try:
            body = complexjson.dumps(json, allow_nan=False)
        except ValueError as exc:
            raise requests.exceptions.InvalidJSONError(exc) from None
        if not isinstance(body, bytes):
            body = body.encode("utf-8")
    prepared = requests.PreparedRequest()
    prepared.method = method.upper()
    prepared.url = _prepared_url(url)
    merged = CaseInsensitiveDict(session.headers)
    if headers:
        for name, value in headers.items():
            if value is None:
                merged.pop(name, None)
            else:
                merged[name] = value
    prepared.headers = CaseInsensitiveDict()
    for header in merged.items():
        if header[1] is None:
            continue
        if isinstance(header[0], str) and isinstance(header[1], str):
            _valid_header(header[0], header[1])  # the same few pairs on every send: checked once each
        else:
            check_header_validity(header)
        prepared.headers[to_native_string(header[0])] = header[1]
    prepared._cookies = None  # made when a redirect needs them (_send)
    prepared.body = body
    prepared.prepare_content_length(body)
    if content_type and "content-type" not in prepared.headers:
        prepared.headers["Content-Type"] = content_type
    if isinstance(auth, tuple) and len(auth) == 2 and isinstance(auth[0], str) and isinstance(auth[1], str):
        prepared.headers["Authorization"] = _basic_auth(auth[0], auth[1])  # what HTTPBasicAuth sets
    elif auth:
        prepared.prepare_auth(auth, prepared.url)
    prepared.hooks = default_hooks()
    return prepared


def _send(
    session: requests.Session, request: requests.PreparedRequest, timeout: Any, allow_redirects: bool, stream: bool
) -> requests.Response:
    """What ``Session.send`` does with ``request`` (no hooks, no proxies), but keeping no cookie."""
    settings = {"stream": stream, "timeout": timeout, "verify": session.verify, "cert": None, "proxies": {}}
    adapter = session.get_adapter(url=str(request.url))
    start = preferred_clock()
    response = adapter.send(request, **settings)
    response.elapsed = timedelta(seconds=preferred_clock() - start)
    if session.get_redirect_target(response):
        # Rare for a vendor API: requests' own handling, with the request's cookie jar it expects.
        request._cookies = RequestsCookieJar()
        if allow_redirects:
            history = list(session.resolve_redirects(response, request, **settings))
            if history:
                history.insert(0, response)
                response = history.pop()
                response.history = history
        else:
            with contextlib.suppress(StopIteration):
                response._next = next(session.resolve_redirects(response, request, yield_requests=True, **settings))
    if not stream:
        response.content  # noqa: B018
    return response


#: 4xx answers after which the same request may succeed later: 408 Request
#: Timeout and 429 Too Many Requests (every 5xx may too)
_RETRYABLE_CLIENT_ERRORS = frozenset({408, 429})
#: the ``SendError.code`` of a send whose URL the host refused (not HTTPS to a public address)
TARGET_REFUSED = "target_refused"
#: transport failures after which the same request may succeed later
_RETRYABLE_TRANSPORT_ERRORS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
)


def vendor_request(http: requests.Session, method: str, url: str, *, vendor: str, **kwargs: Any) -> requests.Response:
    """``http.request(method, url, **kwargs)`` for a send, with a failed transport raised as :class:`SendError`.

    Every HTTP answer is returned, whatever its status: judge an error answer
    with :func:`is_retryable_status` and :func:`retry_after_seconds`.
    Redirects are not followed unless ``allow_redirects`` says otherwise, because
    requests would repeat a POST as a GET. The timeout is the session's
    (:class:`HttpSession`).

    A connection error, a timeout or a body cut short is a retryable
    ``SendError``: a read timeout may follow a request the vendor did accept,
    and sending a message twice beats never sending it. Any other requests
    error (an invalid URL, a bad header value) is not retryable. ``vendor``
    names the far end in the reason: ``"Twilio API"`` gives ``"Twilio API
    unreachable: ConnectTimeout: ..."`` or ``"Twilio API request failed: ..."``.
    """
    kwargs.setdefault("allow_redirects", False)
    try:
        return http.request(method, url, **kwargs)
    except TargetRefused as exc:  # the host's session would not connect there; it never will
        raise SendError(str(exc), retryable=False, code=TARGET_REFUSED) from exc
    except _RETRYABLE_TRANSPORT_ERRORS as exc:
        raise SendError(f"{vendor} unreachable: {type(exc).__name__}: {exc}", retryable=True) from exc
    except requests.RequestException as exc:
        raise SendError(f"{vendor} request failed: {type(exc).__name__}: {exc}", retryable=False) from exc


def is_retryable_status(status: int) -> bool:
    """Whether a vendor API's error answer with HTTP ``status`` may succeed when
    the same request is sent later: every 5xx (the vendor's outage), 408 (request
    timeout) and 429 (rate limited). Any other 4xx fails the same way again."""
    return status >= 500 or status in _RETRYABLE_CLIENT_ERRORS


def retry_after_seconds(value: requests.Response | str | None, now: datetime | None = None) -> float | None:
    """The seconds a vendor asked to wait, from its ``Retry-After`` header (or the response carrying it).

    The header holds a delay in seconds (``"120"``; a fraction such as ``"1.5"``
    is taken too) or an HTTP date (``"Wed, 21 Oct 2015 07:28:00 GMT"``, a date
    without a zone being GMT), counted from ``now`` (timezone-aware; default: the
    current time). A date already past, or a negative delay, means at once:
    ``0.0``. ``None`` when the header is absent, blank, neither form, or not a
    finite number (``"inf"``, ``"nan"``, more digits than a float holds). A huge
    finite value is returned as it is: the worker decides what it honours.
    """
    if isinstance(value, requests.Response):
        value = value.headers.get("Retry-After")
    text = (value or "").strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:  # an HTTP date is GMT
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(seconds, 0.0)
