"""What a job's handler runs with (the handlers import this, not the worker that calls them)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from smshooks.targets import http_session
from smshooks.vendor import HttpSession

if TYPE_CHECKING:
    from smshooks.gateway import Gateway


class JobContext:
    """The gateway and this worker thread's HTTP sessions.

    One per worker thread, so requests' connection pools (keep-alive) and the
    refusal count of the guarded session are never shared between threads.
    """

    def __init__(self, gateway: Gateway):
        self.gateway = gateway
        # What Vendor.send gets: a tenant aims it (credential URLs), so it is guarded like feedback.
        self.http = http_session(HttpSession, allow_private=gateway.settings.allow_private_targets)
