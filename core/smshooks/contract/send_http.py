"""Calling a vendor's API from ``send``: the session the host hands over, and the
failures every send shares (transport errors, retryable statuses, ``Retry-After``),
so a plugin only parses its vendor's own answers.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import requests

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
    """

    def __init__(self, timeout: float | tuple[float, float] = (5.0, 30.0)):
        super().__init__()
        self.default_timeout = timeout

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs.setdefault("timeout", self.default_timeout)
        return super().request(method, url, **kwargs)


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
