"""The in-memory rate limit counts (no REDIS_URL): right per window, swept without threads."""

import threading
import time

from limits import parse
from limits.strategies import FixedWindowRateLimiter

from api.rate_limits import SweptMemoryStorage


def test_a_window_allows_its_limit_then_refuses_until_it_ends():
    limiter = FixedWindowRateLimiter(SweptMemoryStorage())
    three = parse("3/second")

    assert [limiter.hit(three, "caller", "a") for _ in range(5)] == [True] * 3 + [False] * 2
    assert limiter.hit(three, "caller", "b")  # another caller has a budget of its own
    time.sleep(1.05)
    assert limiter.hit(three, "caller", "a")


def test_counting_starts_no_thread():
    """limits' own MemoryStorage started a Timer thread every 10 ms of traffic."""
    limiter = FixedWindowRateLimiter(SweptMemoryStorage())
    many = parse("1000/minute")
    time.sleep(0.05)  # MemoryStorage.__init__'s one timer has run out
    before = threading.active_count()

    for n in range(200):
        limiter.hit(many, "caller", str(n % 7))
        assert threading.active_count() == before


def test_counts_of_callers_gone_quiet_are_swept():
    storage = SweptMemoryStorage()
    storage.incr("seen-long-ago", 0.01)
    time.sleep(SweptMemoryStorage.SWEEP_SECONDS + 0.05)

    storage.incr("seen-now", 60)

    assert set(storage.storage) == {"seen-now"}
