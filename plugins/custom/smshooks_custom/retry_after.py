"""``Retry-After``: how long a provider asked us to wait (seconds, or an HTTP date)."""

from __future__ import annotations

from datetime import datetime

import requests

from smshooks.vendor import retry_after_seconds


def retry_after(response: requests.Response, now: datetime | None = None) -> float | None:
    """Seconds to wait before retrying, ``None`` when the header is absent or unreadable.

    :func:`smshooks.vendor.retry_after_seconds`, except that a negative delay
    counts as unreadable here (the worker's own schedule), not as "at once".
    """
    value = response.headers.get("Retry-After")
    try:
        if float(value or "") < 0:
            return None
    except ValueError:
        pass
    return retry_after_seconds(value, now)
