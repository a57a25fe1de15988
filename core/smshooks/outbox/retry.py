"""The outbox protocol between a job's handler and the worker: how an attempt
fails, and when the next one is due.

A handler returns when its job is done, raises :class:`TryAgain` when a later
attempt may succeed (with the far end's ``Retry-After`` if it gave one) and
:class:`PermanentFailure` when no attempt ever will. Any other exception is a
bug or an outage: the worker retries it like a ``TryAgain``. Each job kind
declares its own :class:`RetryPolicy` beside its handler (``send_sms`` in
:mod:`smshooks.messages.send_job`, ``feedback`` in
:mod:`smshooks.feedback.delivery`), so a crashing feedback job retries on the
feedback schedule, not on the SMS one.

``Retry-After`` headers are read by one function,
:func:`smshooks.vendor.retry_after_seconds` (public: vendor plugins use it).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

#: ±20 % on every scheduled delay, so jobs that failed together do not retry together
JITTER = 0.2


class TryAgain(Exception):
    """This attempt failed; a later one may succeed."""

    def __init__(self, reason: str, retry_after: float | None = None):
        super().__init__(reason)
        #: seconds the far end asked us to wait (``Retry-After``), when it said
        self.retry_after = retry_after


class PermanentFailure(Exception):
    """The job can never succeed: it is dead now, kept for inspection and replay."""


@dataclass(frozen=True)
class RetryPolicy:
    """When a job kind's failed attempts are tried again.

    ``delays[i]`` is the wait after attempt ``i + 1`` (the last entry repeats),
    with ±20 % jitter; the job is dead after ``max_attempts`` attempts. A
    ``Retry-After`` is honoured within the schedule's bounds: clamped to its
    shortest and longest delay, without jitter (the far end chose the time).
    """

    delays: tuple[float, ...]
    max_attempts: int = 8

    def __post_init__(self) -> None:
        object.__setattr__(self, "delays", tuple(float(d) for d in self.delays))
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if any(d < 0 for d in self.delays):
            raise ValueError("retry delays cannot be negative")

    def is_last(self, attempts: int) -> bool:
        """Whether the attempt numbered ``attempts`` (1 = the first) is the last one allowed."""
        return attempts >= self.max_attempts

    def next_delay(self, attempts: int, retry_after: float | None = None, *, rng: random.Random | None = None) -> float:
        """Seconds from now until the attempt after attempt number ``attempts``."""
        if not self.delays:
            return 0.0
        if retry_after is not None:
            return min(max(retry_after, min(self.delays)), max(self.delays))
        base = self.delays[min(max(attempts, 1) - 1, len(self.delays) - 1)]
        return base * (rng or random).uniform(1 - JITTER, 1 + JITTER)


def at_once(max_attempts: int = 8) -> RetryPolicy:
    """A policy that retries without waiting (tests that drive a worker by hand)."""
    return RetryPolicy((0.0,), max_attempts=max_attempts)
