"""The HTTP helpers of the vendor contract: which answers are retryable, Retry-After, transport failures."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from smshooks.testing import FakeVendorAPI, Reply
from smshooks.vendor import HttpSession, SendError, is_retryable_status, retry_after_seconds, vendor_request

NOW = datetime(2015, 10, 21, 7, 27, tzinfo=UTC)


# -- is_retryable_status ---------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "retryable"),
    [
        (300, False),
        (302, False),
        (400, False),
        (401, False),
        (403, False),
        (404, False),
        (408, True),  # request timeout
        (409, False),
        (410, False),
        (422, False),
        (425, False),
        (429, True),  # rate limited
        (499, False),
        (500, True),
        (502, True),
        (503, True),
        (504, True),
        (599, True),
    ],
)
def test_retryable_statuses(status: int, retryable: bool) -> None:
    assert is_retryable_status(status) is retryable


# -- retry_after_seconds ---------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        # delay in seconds
        ("0", 0.0),
        ("120", 120.0),
        ("  45 ", 45.0),
        ("1.5", 1.5),
        ("+5", 5.0),
        # HTTP date, in each of the three forms RFC 9110 has recipients accept
        ("Wed, 21 Oct 2015 07:28:00 GMT", 60.0),
        ("Wednesday, 21-Oct-15 07:28:00 GMT", 60.0),
        ("Wed Oct 21 07:28:00 2015", 60.0),
        ("Wed, 21 Oct 2015 07:28:00 -0000", 60.0),  # no zone: GMT
        ("Wed, 21 Oct 2015 09:28:00 +0200", 60.0),
        # already past, or a negative delay: at once
        ("Wed, 21 Oct 2015 07:00:00 GMT", 0.0),
        ("-3", 0.0),
        ("-0.5", 0.0),
        # huge: a finite value is passed on as it is; more digits than a float holds are not a number
        ("86400000", 86400000.0),
        ("1e300", 1e300),
        ("9" * 400, None),
        ("1e400", None),
        # absent or garbage
        (None, None),
        ("", None),
        ("   ", None),
        ("soon", None),
        ("5 seconds", None),
        ("Wed, 21 Oct 2015", None),
        ("\u00b2", None),  # a digit to str.isdigit, not to float
        ("nan", None),
        ("inf", None),
        ("-inf", None),
    ],
)
def test_retry_after_values(value: str | None, seconds: float | None) -> None:
    assert retry_after_seconds(value, now=NOW) == seconds


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"Retry-After": "30"}, 30.0),
        ({"retry-after": "30"}, 30.0),
        ({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, 60.0),
        ({"Retry-After": "later"}, None),
        ({}, None),
    ],
)
def test_retry_after_from_a_response(headers: dict[str, str], seconds: float | None) -> None:
    response = requests.Response()
    response.headers.update(headers)
    assert retry_after_seconds(response, now=NOW) == seconds


def test_retry_after_date_counts_from_the_current_time_by_default() -> None:
    later = (datetime.now(UTC) + timedelta(seconds=120)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    seconds = retry_after_seconds(later)
    assert seconds is not None and 100 <= seconds <= 120


# -- vendor_request ----------------------------------------------------------------


class RaisingSession(requests.Session):
    """Records each request and fails it with ``error``."""

    def __init__(self, error: Exception):
        super().__init__()
        self.error = error
        self.calls: list[tuple[str, str, dict[str, Any]]] = []

    def request(self, method: str, url: str, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        self.calls.append((method, url, kwargs))
        raise self.error


@pytest.mark.parametrize(
    ("error", "retryable"),
    [
        (requests.ConnectionError("connection refused"), True),
        (requests.exceptions.SSLError("certificate verify failed"), True),
        (requests.exceptions.ProxyError("proxy refused"), True),
        (requests.ConnectTimeout("connect timed out"), True),
        (requests.ReadTimeout("read timed out"), True),
        (requests.Timeout("timed out"), True),
        (requests.exceptions.ChunkedEncodingError("connection broken: incomplete read"), True),
        (requests.exceptions.InvalidURL("invalid URL"), False),
        (requests.exceptions.MissingSchema("no scheme"), False),
        (requests.exceptions.InvalidHeader("bad header value"), False),
        (requests.TooManyRedirects("exceeded 30 redirects"), False),
        (requests.exceptions.ContentDecodingError("bad gzip"), False),
        (requests.RequestException("something else"), False),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, Exception) else str(value),
)
def test_transport_failures_become_send_errors(error: Exception, retryable: bool) -> None:
    with pytest.raises(SendError) as raised:
        vendor_request(RaisingSession(error), "POST", "https://api.example/messages", vendor="Acme API")
    sent = raised.value
    what = "unreachable" if retryable else "request failed"
    assert sent.reason == f"Acme API {what}: {type(error).__name__}: {error}"
    assert (sent.retryable, sent.code, sent.status, sent.retry_after) == (retryable, None, None, None)
    assert sent.__cause__ is error


def test_other_errors_are_not_turned_into_send_errors() -> None:
    error = ValueError("a programming error")
    with pytest.raises(ValueError) as raised:
        vendor_request(RaisingSession(error), "POST", "https://api.example/messages", vendor="Acme API")
    assert raised.value is error


def test_passes_the_request_on_and_does_not_follow_redirects_by_default() -> None:
    http = RaisingSession(requests.ConnectionError("refused"))
    with pytest.raises(SendError):
        vendor_request(http, "PUT", "https://api.example/m", vendor="Acme API", json={"to": "+1"}, headers={"A": "b"})
    with pytest.raises(SendError):
        vendor_request(http, "GET", "https://api.example/m", vendor="Acme API", allow_redirects=True)
    assert http.calls == [
        ("PUT", "https://api.example/m", {"json": {"to": "+1"}, "headers": {"A": "b"}, "allow_redirects": False}),
        ("GET", "https://api.example/m", {"allow_redirects": True}),
    ]


@pytest.mark.parametrize("status", [201, 302, 400, 429, 503])
def test_every_http_answer_is_returned(fake_vendor_api: FakeVendorAPI, status: int) -> None:
    fake_vendor_api.reply_with(Reply(status, b"{}", {"Location": "/elsewhere", "Retry-After": "7"}))
    response = vendor_request(HttpSession(timeout=2), "POST", fake_vendor_api.url + "/messages", vendor="Acme API")
    assert response.status_code == status
    assert [(recorded.method, recorded.path) for recorded in fake_vendor_api.requests] == [("POST", "/messages")]


def test_a_closed_port_is_retryable() -> None:
    with FakeVendorAPI() as api:
        url = api.url + "/messages"
    with pytest.raises(SendError) as raised:
        vendor_request(HttpSession(timeout=2), "POST", url, vendor="Acme API")
    assert raised.value.retryable is True
    assert raised.value.reason.startswith("Acme API unreachable: ConnectionError: ")


# -- the host's session: requests' own requests on a short path -----------------------------


def _host_session() -> HttpSession:
    from smshooks.targets import http_session

    return http_session(HttpSession, allow_private=True, timeout=2)


SHAPES = [
    ("POST", {"data": [("To", "+1 415"), ("Body", "héllo & x=y"), ("MediaUrl", "a"), ("MediaUrl", "b")]}),
    ("POST", {"data": {"a": ["1", "2"], "b": None, "c": 3}, "auth": ("AC1", "s3cret")}),
    ("POST", {"json": {"to": ["+1"], "text": "é"}, "headers": {"X-Api-Key": "k", "Accept": None}}),
    ("PUT", {"data": b"raw bytes", "headers": {"Content-Type": "text/plain"}}),
    ("POST", {"data": "a=b&c=d"}),
    ("GET", {"headers": {"Authorization": "Bearer t"}}),
    ("DELETE", {}),
    ("POST", {"data": {}, "json": None}),
]


@pytest.mark.parametrize(("method", "kwargs"), SHAPES)
def test_the_host_session_sends_what_requests_sends(fake_vendor_api: FakeVendorAPI, method: str, kwargs: dict) -> None:
    """The host's session (no environment) prepares a request itself: the same bytes go out as from
    ``requests.Session``, and the answer is a full :class:`requests.Response`."""
    fake_vendor_api.reply_with(Reply(201, b'{"sid": "SM1"}', {"Content-Type": "application/json"}))
    url = fake_vendor_api.url + "/2010-04-01/Accounts/AC1/Messages.json"
    reference = requests.Session()
    reference.trust_env = False
    expected = reference.request(method, url, allow_redirects=False, timeout=2, **kwargs)
    host = _host_session()
    answer = vendor_request(host, method, url, vendor="Acme API", **kwargs)
    sent, wanted = fake_vendor_api.requests[1], fake_vendor_api.requests[0]
    assert (sent.method, sent.path, sent.query, sent.body) == (wanted.method, wanted.path, wanted.query, wanted.body)
    assert sent.headers == wanted.headers
    assert isinstance(answer, requests.Response)
    assert (answer.status_code, answer.json(), answer.url) == (201, {"sid": "SM1"}, expected.url)
    assert answer.request.headers == expected.request.headers and answer.request.body == expected.request.body
    assert answer.elapsed.total_seconds() > 0 and answer.history == []


def test_the_host_session_keeps_no_cookie(fake_vendor_api: FakeVendorAPI) -> None:
    """One session serves every tenant of a worker thread: a cookie an API sets is the answer's, never
    sent with the next request (a request's own cookies still go)."""
    fake_vendor_api.reply_with(Reply(200, b"{}", {"Set-Cookie": "session=tenant-a; Path=/"}))
    host = _host_session()
    first = vendor_request(host, "POST", fake_vendor_api.url + "/a", vendor="Acme API", data={"x": "1"})
    assert first.cookies.get("session") == "tenant-a" and len(host.cookies) == 0
    host.get(fake_vendor_api.url + "/b", cookies={"mine": "1"})  # requests' own path, same rule
    vendor_request(host, "POST", fake_vendor_api.url + "/c", vendor="Acme API", data={"x": "1"})
    cookies = [recorded.header("Cookie") for recorded in fake_vendor_api.requests]
    assert cookies == [None, "mine=1", None] and len(host.cookies) == 0


def test_the_host_session_follows_a_redirect_only_when_asked(fake_vendor_api: FakeVendorAPI) -> None:
    def answer(recorded: Any) -> Reply:
        if recorded.path == "/old":
            return Reply(302, b"", {"Location": "/new"})
        return Reply(200, b"here")

    fake_vendor_api.reply_with(answer)
    host = _host_session()
    kept = vendor_request(host, "POST", fake_vendor_api.url + "/old", vendor="Acme API", data={"x": "1"})
    assert kept.status_code == 302 and kept.next is not None and kept.next.url.endswith("/new")
    followed = host.get(fake_vendor_api.url + "/old")
    assert (followed.status_code, followed.text, [r.status_code for r in followed.history]) == (200, "here", [302])
    assert [recorded.path for recorded in fake_vendor_api.requests] == ["/old", "/old", "/new"]


def test_the_host_session_times_out_by_default() -> None:
    """A vendor that accepts the connection and never answers: the session's timeout ends the call."""
    with FakeVendorAPI() as api:
        api.reply_with(Reply(200, b"", delay=3))
        host = _host_session()
        host.default_timeout = 0.3
        with pytest.raises(SendError) as raised:
            vendor_request(host, "POST", api.url + "/slow", vendor="Acme API", data={"x": "1"})
    assert raised.value.retryable is True and "Timeout" in raised.value.reason


_SENDS: list[bytes] | None = None


def _count_sends(event: str, args: tuple) -> None:
    if event in ("http.client.send", "smshooks.http.send") and _SENDS is not None:
        _SENDS.append(bytes(args[1]) if isinstance(args[1], bytes | bytearray) else b"<stream>")


@pytest.mark.parametrize(
    ("kwargs", "writes"),
    [({"data": {"To": "+1", "Body": "x" * 500}}, 1), ({"json": {"a": 1}}, 1), ({"data": b"raw"}, 1), ({}, 1)],
)
def test_the_host_session_writes_a_request_at_once(fake_vendor_api: FakeVendorAPI, kwargs: dict, writes: int) -> None:
    """Head and body in one write (one segment, one wake-up of the vendor's end), the same bytes."""
    global _SENDS
    import sys

    if _count_sends not in getattr(sys, "_smshooks_hooks", ()):
        sys.addaudithook(_count_sends)
        sys._smshooks_hooks = (*getattr(sys, "_smshooks_hooks", ()), _count_sends)  # type: ignore[attr-defined]
    host = _host_session()
    _SENDS = []
    try:
        host.post(fake_vendor_api.url + "/m", **kwargs)
        host.post(fake_vendor_api.url + "/m", **kwargs)  # on the kept-alive connection too
        sent = _SENDS
    finally:
        _SENDS = None
    assert len(sent) == 2 * writes
    recorded = fake_vendor_api.requests
    assert all(write.endswith(request.body) for write, request in zip(sent, recorded, strict=True))
    assert all(write.startswith(b"POST /m HTTP/1.1\r\n") for write in sent)
