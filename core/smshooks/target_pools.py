"""urllib3 connection pools under the rule of :mod:`smshooks.targets`, for a caller that skips requests.

The feedback POST is one fixed request per job: requests' session, adapter and
prepared request cost more CPU than the request itself, so it posts through
urllib3 directly. :func:`pool_manager` gives it what :func:`targets.http_session`
gives requests: unless ``allow_private``, a connection goes only to a checked
public address of the host and never to plain http (both refused before any
socket opens, an error :func:`targets.is_refusal` recognises); TLS verified
against certifi's CAs as requests does (loaded once, not per connection); no
proxy from the environment (urllib3 reads none); no retries.
"""

from __future__ import annotations

import socket
import ssl
import threading

import certifi
from urllib3 import PoolManager
from urllib3.connection import HTTPConnection
from urllib3.connectionpool import HTTPConnectionPool
from urllib3.util.ssl_ import create_urllib3_context

from smshooks.targets import REFUSED, GuardedHTTPSPool, RefusedConnection

__all__ = ["pool_manager"]


class _PlainHTTPRefused(HTTPConnection):
    """Plain http under the rule: refused before any socket opens."""

    def _new_conn(self) -> socket.socket:
        raise RefusedConnection(self, REFUSED)  # type: ignore[arg-type]


class _PlainHTTPRefusedPool(HTTPConnectionPool):
    ConnectionCls = _PlainHTTPRefused


_context_lock = threading.Lock()
_context: list[ssl.SSLContext] = []


def _verifying_context() -> ssl.SSLContext:
    """Certificate and host name checked, against certifi's bundle (as requests' ``verify=True``).

    Loaded once per process (about 20 ms of CPU), under a lock: a worker's threads all make
    their pools at once when it starts."""
    with _context_lock:
        if not _context:
            context = create_urllib3_context(cert_reqs=ssl.CERT_REQUIRED)
            context.load_verify_locations(cafile=certifi.where())
            _context.append(context)
        return _context[0]


def pool_manager(*, allow_private: bool, pool_size: int = 10) -> PoolManager:
    """Keep-alive pools for up to ``pool_size`` hosts, ``pool_size`` connections each, that reach
    only HTTPS on public addresses unless ``allow_private`` (then anything, as an open session)."""
    manager = PoolManager(
        num_pools=pool_size,
        maxsize=pool_size,
        retries=False,
        cert_reqs="CERT_REQUIRED",
        ssl_context=_verifying_context(),
    )
    if not allow_private:
        manager.pool_classes_by_scheme = {"http": _PlainHTTPRefusedPool, "https": GuardedHTTPSPool}
    return manager
