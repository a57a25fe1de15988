"""What a job's handler runs with (the handlers import this, not the worker that calls them)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import requests
from requests.adapters import BaseAdapter

from smshooks.targets import http_session
from smshooks.vendor import HttpSession

if TYPE_CHECKING:
    from smshooks.gateway import Gateway


class JobContext:
    """The gateway and this worker thread's HTTP sessions.

    One per worker thread, so requests' connection pools (keep-alive) and the
    refusal count of the guarded session are never shared between threads.
    ``http_seconds`` adds up the time its sessions spent in requests (the
    worker reads it per attempt to size each lane's share of threads).
    """

    def __init__(self, gateway: Gateway):
        self.gateway = gateway
        self.http_seconds = 0.0
        # What Vendor.send gets: a tenant aims it (credential URLs), so it is guarded like feedback.
        self.http = self.timed(http_session(HttpSession, allow_private=gateway.settings.allow_private_targets))

    def timed(self, session: requests.Session) -> requests.Session:
        """``session``, its requests' time counted in ``http_seconds``."""
        for prefix in ("https://", "http://"):
            session.mount(prefix, _TimedAdapter(session.get_adapter(prefix), self))
        return session


class _TimedAdapter(BaseAdapter):
    """Sends through ``inner`` (the guarded adapter, whatever it is) and counts the time."""

    def __init__(self, inner: BaseAdapter, context: JobContext):
        super().__init__()
        self.inner = inner
        self.context = context

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        started = time.monotonic()
        try:
            return self.inner.send(request, **kwargs)
        finally:
            self.context.http_seconds += time.monotonic() - started

    def close(self) -> None:
        self.inner.close()
