"""Rate limits (api.md): reads and writes per caller, failed authentications per address.

Counted with `limits`, the library flask-limiter is built on, in Redis when REDIS_URL is set
(shared by every worker and machine), else in each process's memory. flask-limiter itself
was tried first: it resolved its decorated limits anew at every request, about 345 us of a
link view's 460 us in process, for a count that costs about 40 us; the /v1 blueprints now count
from their own hooks (api/blueprint.py): the address before authentication, the caller right
after it.
"""

import logging
import math
import threading
import time

from apispec import BasePlugin
from flask import Flask, current_app, g, request
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import FixedWindowRateLimiter, WindowStats
from werkzeug.exceptions import TooManyRequests

log = logging.getLogger(__name__)

KIND_BY_METHOD = {
    "GET": "reads",
    "HEAD": "reads",
    "POST": "writes",
    "PUT": "writes",
    "PATCH": "writes",
    "DELETE": "writes",
}
SETTINGS = ("RATE_LIMIT_READS", "RATE_LIMIT_WRITES", "RATE_LIMIT_AUTH_FAILURES")
# A Redis that does not answer costs a request at most this long before the memory takes over.
REDIS_TIMEOUTS = {"socket_connect_timeout": 1.0, "socket_timeout": 1.0}
# While Redis is down, it is tried again after 1, 2, 4 ... this many seconds.
MAX_RETRY_SECONDS = 32.0

RATE_LIMIT_HEADERS = {
    name: {"description": description, "schema": {"type": "integer", "minimum": 0}}
    for name, description in (
        ("RateLimit-Limit", "Requests of this kind allowed in the window"),
        ("RateLimit-Remaining", "Requests of this kind left in the window"),
        ("RateLimit-Reset", "Seconds until the window starts again"),
    )
}
RETRY_AFTER_HEADER = {
    "Retry-After": {
        "description": "Seconds to wait before a request of this kind is accepted again",
        "schema": {"type": "integer", "minimum": 1},
    }
}
# In the OpenAPI document: each header once, in components, referred to by its name.
HEADER_REFS = {name: name for name in RATE_LIMIT_HEADERS}


class SweptMemoryStorage(MemoryStorage):
    """limits' MemoryStorage, with its sweep of expired keys done in line once a second.

    The original starts a threading.Timer whenever the last one has finished, so under steady
    traffic a new thread every 10 ms; Thread.start() blocks the request until that thread
    runs, and with eight request threads waiting for the GIL that was a third of a link
    view's rate-limit cost. A fixed window needs no sweep to be right (get() drops an expired
    count as it reads it); the sweep only keeps the callers and addresses seen long ago from
    piling up in memory, and once a second does that."""

    SWEEP_SECONDS = 1.0

    def __init__(self) -> None:
        super().__init__()
        self._sweep_due = time.monotonic() + self.SWEEP_SECONDS
        self._sweeping = threading.Lock()

    def _MemoryStorage__schedule_expiry(self) -> None:  # the hook incr() and decr() call
        if time.monotonic() < self._sweep_due or not self._sweeping.acquire(blocking=False):
            return
        try:
            self._sweep_due = time.monotonic() + self.SWEEP_SECONDS
            self._MemoryStorage__expire_events()
        finally:
            self._sweeping.release()


class FixedWindow(FixedWindowRateLimiter):
    """limits' fixed window, with a hit that answers its window too: the count incr() returns
    is the one get_window_stats() would read again, a storage call (on Redis a round trip)
    fewer on every limited request."""

    def hit_with_stats(self, item: RateLimitItem, *identifiers: str) -> tuple[bool, WindowStats]:
        key = item.key_for(*identifiers)
        count = self.storage.incr(key, item.get_expiry())
        stats = WindowStats(self.storage.get_expiry(key), max(0, item.amount - count))
        return count <= item.amount, stats


def _limits(config, name: str) -> list[RateLimitItem]:
    try:
        return parse_many(config[name])
    except ValueError as error:
        raise RuntimeError(f"{name} must read like '120/minute', not {config[name]!r}") from error


class Counts:
    """Fixed windows in Redis, or in this process's memory; in memory while Redis is down
    (per process, the same limits), Redis again once it answers: a Redis outage must neither
    stop the gateway nor leave CaseWare Cloud's quota unguarded."""

    def __init__(self, redis_url: str | None, key_prefix: str) -> None:
        self._memory = FixedWindow(SweptMemoryStorage())
        self._shared = None
        if redis_url:
            storage = storage_from_string(redis_url, key_prefix=key_prefix, **REDIS_TIMEOUTS)
            self._shared = FixedWindow(storage)
        self._lock = threading.Lock()
        self._down_until = 0.0  # monotonic time before which Redis is not tried
        self._retry_in = 1.0

    def run(self, action):
        """action(strategy), on Redis unless it is resting after a failure, else in memory."""
        shared = self._shared
        if shared is None or time.monotonic() < self._down_until:
            return action(self._memory)
        try:
            answer = action(shared)
        except Exception as error:  # any failure of the store: count in memory meanwhile
            self._rest(error)
            return action(self._memory)
        if self._retry_in > 1.0:
            with self._lock:
                self._retry_in = 1.0
            log.info("rate limit storage recovered: counting in Redis again")
        return answer

    def _rest(self, error: Exception) -> None:
        with self._lock:
            self._down_until = time.monotonic() + self._retry_in
            log.warning(
                "rate limit storage unreachable (%s): counting in memory, trying again in %g s",
                type(error).__name__,
                self._retry_in,
            )
            self._retry_in = min(self._retry_in * 2, MAX_RETRY_SECONDS)


class RateLimits:
    """The app's limits and the two checks the /v1 blueprints make."""

    def __init__(self, app: Flask):
        config = app.config
        self.by_kind = {
            kind: _limits(config, f"RATE_LIMIT_{kind.upper()}") for kind in ("reads", "writes")
        }
        self.auth_failures = _limits(config, "RATE_LIMIT_AUTH_FAILURES")
        self.counts = Counts(config["REDIS_URL"], config["RATE_LIMIT_KEY_PREFIX"])
        app.after_request(self._after)

    def check_caller(self, caller: str, kind: str) -> None:
        """Count the request against its caller's budget of this kind; 429 when it is spent."""
        allowed, g.rate_limit = self.hit_caller(caller, kind)
        if not allowed:
            raise TooManyRequests(
                f"This caller has made more {kind} than its limit "
                f"({current_app.config[f'RATE_LIMIT_{kind.upper()}']}); "
                "try again after Retry-After seconds."
            )

    def hit_caller(self, caller: str, kind: str) -> tuple[bool, tuple]:
        """Count a request of `kind` against each of the caller's limits; whether every one
        still allowed it, and the window its answer's RateLimit-* headers describe."""
        keys = ("caller", kind, caller)
        for limit in self.by_kind[kind]:
            allowed, stats = self.counts.run(
                lambda strategy, limit=limit: strategy.hit_with_stats(limit, *keys)
            )
            if not allowed:
                break
        return allowed, (limit, keys, stats)

    def check_address(self, address: str) -> None:
        """429 when the address has spent its failed authentications; counted in _after."""
        allowed, g.rate_limit = self.test_address(address)
        if not allowed:
            raise TooManyRequests(
                "Too many failed authentications from this address; "
                "try again after Retry-After seconds."
            )

    def test_address(self, address: str) -> tuple[bool, tuple]:
        """Whether the address may still try to authenticate (nothing counted), and its window."""
        keys = ("auth-failures", address)
        for limit in self.auth_failures:
            if not self.counts.run(lambda strategy, limit=limit: strategy.test(limit, *keys)):
                return False, (limit, keys, None)
        return True, (limit, keys, None)

    def headers(self, window: tuple, status: int) -> list[tuple[str, str]]:
        """RateLimit-* of this window (hit_caller's or test_address's), Retry-After on a 429;
        read from the storage unless the hit brought them."""
        limit, keys, stats = window
        if stats is None:
            stats = self.counts.run(lambda strategy: strategy.get_window_stats(limit, *keys))
        seconds = max(0, math.ceil(stats.reset_time - time.time()))
        headers = [
            ("RateLimit-Limit", str(limit.amount)),
            ("RateLimit-Remaining", str(stats.remaining)),
            ("RateLimit-Reset", str(seconds)),
        ]
        if status == 429:
            headers.append(("Retry-After", str(max(1, seconds))))
        return headers

    def _after(self, response):
        """Count a 401 against its address; RateLimit-* on every answer of a limited route,
        Retry-After on its 429s."""
        current = g.pop("rate_limit", None)
        if current is None:
            return response
        limit, keys, _ = current
        try:
            if response.status_code == 401 and keys[0] == "auth-failures":
                for item in self.auth_failures:
                    self.counts.run(lambda strategy, item=item: strategy.hit(item, *keys))
                current = (limit, keys, None)  # the window changed: read it again
            headers = self.headers(current, response.status_code)
        except Exception:  # the memory does not fail; this is a fault of ours: answer anyway
            log.exception("rate limit headers left out")
            return response
        for name, value in headers:
            response.headers[name] = value
        return response


def check_address():
    """before_request, ahead of authentication: 429 for an address past its failed
    authentications, before any token is looked at."""
    if request.method != "OPTIONS":  # as authentication: nothing to look at
        current_app.extensions["rate_limits"].check_address(f"address:{request.remote_addr}")


def check_caller():
    """before_request, right after authentication: count the request against its caller."""
    kind = KIND_BY_METHOD.get(request.method)
    if kind is not None and getattr(g, "actor", None) is not None:
        current_app.extensions["rate_limits"].check_caller(g.actor.key, kind)


class RateLimitsPlugin(BasePlugin):
    """apispec: every /v1 operation may answer 429, and says what is left in its headers."""

    def init_spec(self, spec):
        for name, header in {**RETRY_AFTER_HEADER, **RATE_LIMIT_HEADERS}.items():
            spec.components.header(name, header)

    def operation_helper(self, path=None, operations=None, **kwargs):
        if not (path or "").startswith("/v1/"):
            return
        for operation in (operations or {}).values():
            responses = operation.setdefault("responses", {})
            responses.setdefault(429, "TOO_MANY_REQUESTS")
            for status, response in responses.items():
                if str(status).isdigit() and int(status) < 400 and isinstance(response, dict):
                    response.setdefault("headers", {}).update(HEADER_REFS)


def register(app: Flask) -> None:
    app.extensions["rate_limits"] = RateLimits(app)
