"""requests' transport adapter over :class:`~smshooks.contract.keepalive.KeepAlivePool`: the host's sessions use it.

A plugin's ``send`` calls the session the host hands it as it would any requests session and
gets a :class:`requests.Response`; underneath, an ordinary request (its body in memory, requests'
default certificate check, no client certificate, not streamed) goes out in one write on a
kept-alive socket and its answer is read whole, at a fraction of urllib3's CPU. The response is
the one requests builds (status, reason, headers with repeated ones joined, the encoding they
name, the body with its Content-Encoding undone, the request, the URL); ``raw`` is None (the
body is read). A failure
raises the exception requests' own adapter raises for it (``ConnectTimeout``, ``ReadTimeout``,
``SSLError``, ``ConnectionError``, ``ChunkedEncodingError``, ``ContentDecodingError``).

Anything else (a streamed response, a file or generator body, ``verify`` or ``cert`` set, a
urllib3 ``Timeout``) goes to ``fallback``, requests' adapter under the same rule, unchanged.
"""

from __future__ import annotations

import http.client
from collections.abc import Callable
from typing import Any

import requests
from requests.adapters import BaseAdapter
from requests.cookies import MockRequest, MockResponse
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers

from smshooks.contract import http_answer, keepalive

__all__ = ["KeepAliveAdapter"]


class KeepAliveAdapter(BaseAdapter):
    """Ordinary requests through ``pool``, the rest through ``fallback``; ``refused(request)``
    gives the exception raised for a target the pool refused (the guard's, counted by it)."""

    def __init__(
        self,
        pool: keepalive.KeepAlivePool,
        fallback: BaseAdapter,
        refused: Callable[[requests.PreparedRequest], Exception] | None = None,
    ):
        super().__init__()
        self.pool = pool
        self.fallback = fallback
        self._refused = refused

    def send(  # type: ignore[override]
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Any = None,
    ) -> requests.Response:
        body = request.body
        timeouts = _timeouts(timeout)
        if stream or verify is not True or cert or timeouts is None or not isinstance(body, bytes | str | None):
            return self.fallback.send(
                request, stream=stream, timeout=timeout, verify=verify, cert=cert, proxies=proxies
            )
        url = str(request.url)
        scheme, host, port, target = keepalive.route(url)
        try:
            reply = self.pool.request(
                str(request.method),
                scheme,
                host,
                port,
                target,
                request.headers.items(),
                body.encode("utf-8") if isinstance(body, str) else body,
                connect_timeout=timeouts[0],
                read_timeout=timeouts[1],
            )
        except http_answer.Refused as exc:
            if self._refused is not None:
                raise self._refused(request) from None
            raise requests.ConnectionError(str(exc), request=request) from None
        except http_answer.HTTPFailure as exc:
            raise _as_requests_error(exc, request) from None
        except ValueError as exc:  # a header that would break the request's head
            raise requests.exceptions.InvalidHeader(str(exc), request=request) from None
        return _response(reply, request, url, self)

    def close(self) -> None:
        self.pool.close()
        self.fallback.close()


def _timeouts(timeout: Any) -> tuple[float | None, float | None] | None:
    """(connect, read) from requests' ``timeout`` (a number, a pair, None); None for anything else."""
    if timeout is None or isinstance(timeout, int | float):
        return timeout, timeout
    if (
        isinstance(timeout, tuple)
        and len(timeout) == 2
        and all(t is None or isinstance(t, int | float) for t in timeout)
    ):
        return timeout[0], timeout[1]
    return None


def _as_requests_error(exc: http_answer.HTTPFailure, request: requests.PreparedRequest) -> Exception:
    """What requests' own adapter (or reading the body, for a failure inside it) raises for ``exc``."""
    reason = str(exc)
    if isinstance(exc, http_answer.ConnectTimedOut):
        return requests.exceptions.ConnectTimeout(reason, request=request)
    if isinstance(exc, http_answer.TLSFailed):
        return requests.exceptions.SSLError(reason, request=request)
    if isinstance(exc, http_answer.ReadTimedOut):
        return requests.exceptions.ReadTimeout(reason, request=request)
    if isinstance(exc, http_answer.BadEncoding):
        return requests.exceptions.ContentDecodingError(reason, request=request)
    if isinstance(exc, http_answer.AnswerBroken) and exc.in_body:
        return requests.exceptions.ChunkedEncodingError(reason, request=request)
    return requests.ConnectionError(reason, request=request)


def _response(
    reply: http_answer.Reply, request: requests.PreparedRequest, url: str, adapter: BaseAdapter
) -> requests.Response:
    """The :class:`requests.Response` requests' adapter builds for this answer, its body read."""
    response = requests.Response()
    response.status_code = reply.status
    headers: CaseInsensitiveDict[str] = CaseInsensitiveDict()
    for name, value in reply.headers:
        earlier = headers.get(name)
        headers[name] = value if earlier is None else f"{earlier}, {value}"
    response.headers = headers
    response.encoding = get_encoding_from_headers(headers)
    response.reason = reply.reason
    response.url = url
    response.request = request
    response.connection = adapter
    response._content = reply.body
    response._content_consumed = True
    if "set-cookie" in headers:
        # What requests' extract_cookies_to_jar reads off http.client's message (the answer's own
        # cookies: the host's sessions never keep them)
        message = http.client.HTTPMessage()
        for name, value in reply.headers:
            message[name] = value
        response.cookies.extract_cookies(MockResponse(message), MockRequest(request))  # type: ignore[arg-type]
    return response
