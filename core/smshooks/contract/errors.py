"""The errors a vendor adapter raises, each with the answer the host gives for it.

:class:`SignatureError` (403) and :class:`PayloadError` (400, :class:`TooManyEvents`
413) come out of ``verify`` and ``parse``, inside the vendor's request;
:class:`SendError` comes out of ``send``, in the worker, and says whether the
same request may succeed later.
"""

from __future__ import annotations

__all__ = ["PayloadError", "SendError", "SignatureError", "TooManyEvents", "VendorError"]


class VendorError(Exception):
    """Base of the errors a vendor adapter raises."""


class SignatureError(VendorError):
    """The request could not be proven to come from the vendor (answered 403)."""


class PayloadError(VendorError):
    """The request body is not a payload this vendor sends (answered 400)."""


class TooManyEvents(PayloadError):
    """A request carries more events than its vendor sends in one request, or the host takes (answered 413).

    The host raises it after :meth:`smshooks.vendor.Vendor.parse`; a plugin may raise it
    itself as soon as it has counted a batch, before building its events.
    """

    def __init__(self, count: int | None, limit: int):
        carries = f"{count} events" if count is not None else f"more than {limit} events"
        super().__init__(f"the request carries {carries}; at most {limit} are taken per request")
        #: how many events the request carries; None when counting stopped past the limit
        self.count = count
        self.limit = limit


class SendError(VendorError):
    """A send through the vendor's API failed.

    ``retryable`` says whether the same request may succeed later (rate limit,
    vendor outage, timeout) or never will (bad number, opted out, bad auth).
    """

    def __init__(
        self,
        reason: str,
        *,
        retryable: bool,
        code: str | None = None,
        status: int | None = None,
        retry_after: float | None = None,
    ):
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.code = code
        self.status = status
        #: seconds the vendor asked us to wait (``Retry-After``), when it said
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return f"SendError({self.reason!r}, retryable={self.retryable}, code={self.code!r}, status={self.status!r})"
