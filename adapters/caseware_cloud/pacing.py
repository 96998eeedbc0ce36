"""Keeping to CaseWare Cloud's rate limit: wait for its token bucket, then pace the calls.

The API gateway in front of CWC is a token bucket that answers a bare 429 with
`x-ratelimit-replenish-rate` (tokens a second), `x-ratelimit-requested-tokens` (what one call
costs), `x-ratelimit-burst-capacity` and `x-ratelimit-remaining`, and often no Retry-After.
Retrying at once only spends the next token on another 429. So after a 429 every thread of
the process (requests and courier alike) takes its turn from one schedule, spaced a little
wider than the replenish rate, until the bucket shows it is full again. Other processes share
the bucket: a 429 while pacing spaces the turns wider, and `x-ratelimit-remaining` showing
tokens to spare closes them up again (never faster than the replenish rate), so that all of
them together settle near the limit.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

# Pace a little slower than the bucket refills, so that calls from elsewhere leave room.
HEADROOM = 1.05
# Another 429 while pacing spreads the turns; an answer that shows tokens to spare closes them
# up again (never faster than the replenish rate).
SPREAD, CLOSE = 1.25, 0.97
MAX_SLOWDOWN = 16.0  # the widest spacing, in turns of the replenish rate
MIN_RATE = 0.01  # calls a second: a replenish rate below this is not believed
MAX_RATE = 10_000.0


@dataclass(frozen=True)
class BucketHeaders:
    """The x-ratelimit-* headers of one answer, where present and sane."""

    replenish_rate: float | None
    requested_tokens: float
    burst_capacity: float | None
    remaining: float | None

    @classmethod
    def parse(cls, headers: Mapping[str, str]) -> BucketHeaders:
        rate = _number(headers.get("x-ratelimit-replenish-rate"))
        if rate is not None and not MIN_RATE <= rate <= MAX_RATE:
            rate = None
        requested = _number(headers.get("x-ratelimit-requested-tokens"))
        return cls(
            replenish_rate=rate,
            requested_tokens=requested if requested and requested <= 1000 else 1.0,
            burst_capacity=_number(headers.get("x-ratelimit-burst-capacity")),
            remaining=_number(headers.get("x-ratelimit-remaining")),
        )


def _number(value: str | None) -> float | None:
    try:
        number = float(value) if value is not None else None
    except ValueError:
        return None
    return number if number is not None and 0 <= number < float("inf") else None


class RatePacer:
    """One schedule of calls for the whole process while CWC's bucket is empty."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self._clock = clock
        self._rng = rng
        self._lock = threading.Lock()
        self._interval = 0.0  # seconds between calls while pacing; 0: not pacing
        self._refill = 0.0  # seconds the bucket takes to refill one call's tokens
        self._next_at = 0.0

    @property
    def pacing(self) -> bool:
        return self._interval > 0

    def turn(self) -> float:
        """Seconds this call waits for its turn (0 when not pacing); the turn is taken."""
        with self._lock:
            if not self._interval:
                return 0.0
            now = self._clock()
            at = max(now, self._next_at)
            self._next_at = at + self._interval
            return at - now

    def give_back(self, wait: float) -> None:
        """A turn not used (the caller could not wait that long): free it for others."""
        with self._lock:
            if self._interval and wait > 0:
                self._next_at = max(self._clock(), self._next_at - self._interval)

    def limited(self, headers: Mapping[str, str]) -> bool:
        """After a 429: pace from now on, the next turn once the bucket holds a call's tokens
        again (with jitter). False when the answer carries no replenish rate to pace by."""
        bucket = BucketHeaders.parse(headers)
        if bucket.replenish_rate is None:
            return False
        refill = bucket.requested_tokens / bucket.replenish_rate
        with self._lock:
            self._refill = refill
            # A 429 while pacing: others share the bucket; leave them more room.
            self._interval = max(refill * HEADROOM, self._interval * SPREAD)
            self._interval = min(self._interval, refill * MAX_SLOWDOWN)
            first = self._clock() + refill * (1 + self._rng() / 2)
            self._next_at = max(self._next_at, first)
        return True

    def answered(self, headers: Mapping[str, str]) -> None:
        """After a successful call: follow the bucket's level; stop pacing once it is full
        again (nobody is drawing on it)."""
        if not self._interval:
            return
        bucket = BucketHeaders.parse(headers)
        if bucket.remaining is None:
            return
        with self._lock:
            full = bucket.burst_capacity and (
                bucket.remaining >= bucket.burst_capacity - bucket.requested_tokens
            )
            if full:
                self._interval = 0.0
            elif bucket.remaining >= 1:  # a token to spare: the others leave room
                self._interval = max(self._interval * CLOSE, self._refill * HEADROOM)
