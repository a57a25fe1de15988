"""A brake on clients that keep presenting wrong API keys: after ``limit`` wrong keys from one
address within ``window`` seconds, that address is answered 429 (every request, right key or
not, without a database lookup) until the window it started ends.

In-process and in memory: each web process counts on its own, so with N processes behind a
balancer an address gets up to N times ``limit`` wrong keys per window before all refuse it. Keys
are 256-bit random strings, so this is not what keeps them secret; it keeps a guessing client
from costing a database read per try and makes it visible (429s in the metrics and the log).
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

DEFAULT_LIMIT = 10
DEFAULT_WINDOW = 60.0
#: addresses remembered at most; the stalest are forgotten first (a flood of addresses
#: must not grow the process without bound)
MAX_ADDRESSES = 10_000


class WrongKeyThrottle:
    def __init__(
        self,
        limit: int = DEFAULT_LIMIT,
        window: float = DEFAULT_WINDOW,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_addresses: int = MAX_ADDRESSES,
    ) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self.max_addresses = max_addresses
        self._lock = threading.Lock()
        #: address -> (start of its window, wrong keys in it), oldest window first
        self._failures: OrderedDict[str, tuple[float, int]] = OrderedDict()

    def retry_after(self, address: str) -> int | None:
        """Seconds until ``address`` may try again, or None when it is not held back."""
        now = self.clock()
        with self._lock:
            entry = self._failures.get(address)
            if entry is None:
                return None
            started, count = entry
            if now - started >= self.window:
                del self._failures[address]
                return None
            if count < self.limit:
                return None
            return max(1, math.ceil(started + self.window - now))

    def wrong_key(self, address: str) -> None:
        """Count one wrong key from ``address``."""
        now = self.clock()
        with self._lock:
            started, count = self._failures.get(address, (now, 0))
            if now - started >= self.window:
                started, count = now, 0
                self._failures.pop(address, None)
            self._failures[address] = (started, count + 1)
            while len(self._failures) > self.max_addresses:
                self._failures.popitem(last=False)
