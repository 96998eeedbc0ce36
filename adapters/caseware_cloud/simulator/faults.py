"""The simulator's fault switches and its token-bucket rate limit."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .store import SimError

RESET = "reset"  # a failure "status" meaning: close the connection without an answer


@dataclass(frozen=True)
class Failure:
    """How to fail one call: an HTTP status (with Retry-After) or a reset connection."""

    status: int | str
    retry_after: str | None = None


@dataclass
class Rule:
    """Fail the next `count` calls that match a method and a path fragment."""

    count: int
    failure: Failure
    method: str | None = None
    path_contains: str | None = None

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and (
            self.path_contains is None or self.path_contains in path
        )


def _failure(spec: Mapping[str, Any], default_status: int | str = 503) -> Failure:
    status = spec.get("status", default_status)
    if status != RESET and not (isinstance(status, int) and 400 <= status <= 599):
        raise SimError(400, "status must be an HTTP error status (400-599) or 'reset'.")
    retry_after = spec.get("retry_after")
    return Failure(status, None if retry_after is None else str(retry_after))


def _rule(spec: Any) -> Rule:
    if not isinstance(spec, Mapping):
        raise SimError(400, "A fail rule is an object.")
    count = spec.get("count", 1)
    if not isinstance(count, int) or count < 0:
        raise SimError(400, "count must be a whole number, 0 or more.")
    method = spec.get("method")
    return Rule(
        count, _failure(spec), method.upper() if method else None, spec.get("path_contains")
    )


@dataclass
class Faults:
    """Switches that make API calls slow or fail; the Simulator guards them with its lock."""

    latency_ms: int = 0
    latency_path_contains: str | None = None
    error_rate: float = 0.0
    error_status: int = 503
    outage: bool = False
    storm_retry_after: str | None = None
    reset_all: bool = False
    fail_next: list[Rule] = field(default_factory=list)
    fail_after_write: list[Rule] = field(default_factory=list)

    def configure(self, spec: Any) -> None:
        """Change the switches named in a JSON object; the others stay as they are."""
        if not isinstance(spec, Mapping):
            raise SimError(400, "The body must be a JSON object.")
        unknown = set(spec) - set(self.describe()) - {"rate_limit_storm"}
        if unknown:
            raise SimError(400, f"Unknown fault switch(es): {', '.join(sorted(unknown))}.")
        if "latency_ms" in spec:
            self.latency_ms = _number(spec["latency_ms"], "latency_ms", 0, 600_000, int)
        if "latency_path_contains" in spec:
            self.latency_path_contains = spec["latency_path_contains"]
        if "error_rate" in spec:
            self.error_rate = _number(spec["error_rate"], "error_rate", 0.0, 1.0, float)
        if "error_status" in spec:
            self.error_status = _failure({"status": spec["error_status"]}).status
        if "outage" in spec:
            self.outage = bool(spec["outage"])
        if "reset_all" in spec:
            self.reset_all = bool(spec["reset_all"])
        for name in ("storm_retry_after", "rate_limit_storm"):
            if name in spec:
                value = spec[name]
                self.storm_retry_after = None if value in (None, False) else str(value)
        if "fail_next" in spec:
            self.fail_next.append(_rule(spec["fail_next"]))
        if "fail_after_write" in spec:
            self.fail_after_write.append(_rule(spec["fail_after_write"]))

    def describe(self) -> dict[str, Any]:
        """The switches as JSON."""
        return {
            "latency_ms": self.latency_ms,
            "latency_path_contains": self.latency_path_contains,
            "error_rate": self.error_rate,
            "error_status": self.error_status,
            "outage": self.outage,
            "storm_retry_after": self.storm_retry_after,
            "reset_all": self.reset_all,
            "fail_next": [_describe_rule(r) for r in self.fail_next if r.count],
            "fail_after_write": [_describe_rule(r) for r in self.fail_after_write if r.count],
        }

    def latency_for(self, path: str) -> float:
        """Seconds to stall a call before handling it."""
        wanted = self.latency_path_contains
        return self.latency_ms / 1000 if wanted is None or wanted in path else 0.0

    def before(self, method: str, path: str, rng: random.Random) -> Failure | None:
        """The failure to answer instead of handling the call, if any."""
        if self.outage:
            return Failure(503)
        if self.reset_all:
            return Failure(RESET)
        if self.storm_retry_after is not None:
            return Failure(429, self.storm_retry_after)
        failure = _take(self.fail_next, method, path)
        if failure:
            return failure
        if self.error_rate and rng.random() < self.error_rate:
            return Failure(self.error_status)
        return None

    def after_write(self, method: str, path: str) -> Failure | None:
        """The failure to answer after a write was carried out, if any."""
        return _take(self.fail_after_write, method, path)


def _take(rules: list[Rule], method: str, path: str) -> Failure | None:
    for rule in rules:
        if rule.count and rule.matches(method, path):
            rule.count -= 1
            return rule.failure
    return None


def _describe_rule(rule: Rule) -> dict[str, Any]:
    return {
        "count": rule.count,
        "status": rule.failure.status,
        "retry_after": rule.failure.retry_after,
        "method": rule.method,
        "path_contains": rule.path_contains,
    }


def _number(value: Any, name: str, low: float, high: float, kind: type) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise SimError(400, f"{name} must be a number from {low} to {high}.")
    return kind(value)


class TokenBucket:
    """A token bucket: `capacity` calls at once, refilled at `refill_per_second`."""

    def __init__(self, capacity: int, refill_per_second: float, clock: Callable[[], float]):
        self._clock = clock
        self.configure(capacity, refill_per_second)

    def configure(self, capacity: int, refill_per_second: float) -> None:
        if capacity < 1 or refill_per_second <= 0:
            raise SimError(400, "capacity must be at least 1 and refill_per_second above 0.")
        self.capacity = int(capacity)
        self.refill_per_second = float(refill_per_second)
        self._tokens = float(self.capacity)
        self._at = self._clock()

    def take(self) -> tuple[bool, dict[str, str]]:
        """Spend one token if there is one; also the x-ratelimit-* (and Retry-After) headers."""
        now = self._clock()
        elapsed = max(0.0, now - self._at)
        self._tokens = min(self.capacity, self._tokens + elapsed * self.refill_per_second)
        self._at = now
        allowed = self._tokens >= 1
        if allowed:
            self._tokens -= 1
        headers = {
            "x-ratelimit-limit": str(self.capacity),
            "x-ratelimit-remaining": str(int(self._tokens)),
            "x-ratelimit-reset": str(
                math.ceil((self.capacity - self._tokens) / self.refill_per_second)
            ),
        }
        if not allowed:
            wait = (1 - self._tokens) / self.refill_per_second
            headers["Retry-After"] = str(max(1, math.ceil(wait)))
        return allowed, headers
