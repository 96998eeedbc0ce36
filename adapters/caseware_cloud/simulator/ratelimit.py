"""The simulator's rate limiter: a token bucket that answers as the API gateway in front of CWC."""

from __future__ import annotations

import math
from collections.abc import Callable

from .records import SimError

REQUESTED_TOKENS = 1  # every call costs one token, as the real gateway's headers say


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


class TokenBucket:
    """A token bucket: `capacity` calls at once, refilled at `refill_per_second`.

    A limited call is a bare 429 (empty body) with the x-ratelimit-* headers that every
    answer carries; Retry-After only when `retry_after` asks for it, as the real one often
    sends none.
    """

    def __init__(
        self,
        capacity: int,
        refill_per_second: float,
        clock: Callable[[], float],
        retry_after: bool = False,
    ):
        self._clock = clock
        self.configure(capacity, refill_per_second, retry_after)

    def configure(self, capacity: int, refill_per_second: float, retry_after: bool = False) -> None:
        """Size, refill rate and Retry-After; the bucket starts full."""
        if capacity < 1 or refill_per_second <= 0:
            raise SimError(400, "capacity must be at least 1 and refill_per_second above 0.")
        self.capacity = int(capacity)
        self.refill_per_second = float(refill_per_second)
        self.retry_after = bool(retry_after)
        self._tokens = float(self.capacity)
        self._at = self._clock()

    def _refill(self) -> None:
        now = self._clock()
        elapsed = max(0.0, now - self._at)
        self._tokens = min(self.capacity, self._tokens + elapsed * self.refill_per_second)
        self._at = now

    def take(self) -> tuple[bool, dict[str, str]]:
        """Spend a token if there is one; also the headers to answer with."""
        self._refill()
        allowed = self._tokens >= REQUESTED_TOKENS
        if allowed:
            self._tokens -= REQUESTED_TOKENS
        headers = self.headers()
        if not allowed and self.retry_after:
            wait = (REQUESTED_TOKENS - self._tokens) / self.refill_per_second
            headers["Retry-After"] = str(max(1, math.ceil(wait)))
        return allowed, headers

    def headers(self, remaining: int | None = None) -> dict[str, str]:
        """The x-ratelimit-* headers as they stand, without spending a token."""
        self._refill()
        left = int(self._tokens) if remaining is None else remaining
        return {
            "x-ratelimit-burst-capacity": str(self.capacity),
            "x-ratelimit-replenish-rate": _number(self.refill_per_second),
            "x-ratelimit-remaining": str(max(0, left)),
            "x-ratelimit-requested-tokens": str(REQUESTED_TOKENS),
        }

    def describe(self) -> dict[str, object]:
        """The bucket's settings as JSON."""
        return {
            "capacity": self.capacity,
            "refill_per_second": self.refill_per_second,
            "retry_after": self.retry_after,
        }
