"""The simulator's fault switches: what to fail, slow down or mangle, and for which calls."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .ratelimit import TokenBucket
from .records import SimError

__all__ = ["RESET", "Failure", "Faults", "Rule", "TokenBucket"]

RESET = "reset"  # a failure "status" meaning: close the connection without an answer
ODD_TOKENS = ("non_ascii", "crlf", "empty", "long", "not_string")
BAD_BODIES = ("html", "not_json", "wrong_shape")
# Rules that change an answer rather than fail it, with their options and defaults.
SHAPING_RULES = ("slow_drip", "oversized", "bad_body", "long_ids", "malformed_ids")


@dataclass(frozen=True)
class Failure:
    """How to fail one call: an HTTP status (with Retry-After) or a reset connection."""

    status: int | str
    retry_after: str | None = None


@dataclass
class Rule:
    """Apply to the next `count` calls (None: every call until cleared) that match."""

    count: int | None
    failure: Failure | None = None
    method: str | None = None
    path_contains: str | None = None
    options: dict[str, Any] = field(default_factory=dict)

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and (
            self.path_contains is None or self.path_contains in path
        )

    def live(self) -> bool:
        return self.count is None or self.count > 0

    def describe(self) -> dict[str, Any]:
        described: dict[str, Any] = {"count": self.count}
        if self.failure is not None:
            described.update(status=self.failure.status, retry_after=self.failure.retry_after)
        described.update(self.options)
        return {**described, "method": self.method, "path_contains": self.path_contains}


def _failure(spec: Mapping[str, Any], default_status: int | str = 503) -> Failure:
    status = spec.get("status", default_status)
    if status != RESET and not (isinstance(status, int) and 400 <= status <= 599):
        raise SimError(400, "status must be an HTTP error status (400-599) or 'reset'.")
    retry_after = spec.get("retry_after")
    return Failure(status, None if retry_after is None else str(retry_after))


def _rule(spec: Any, default_count: int | None = 1, name: str = "fail rule") -> Rule:
    if not isinstance(spec, Mapping):
        raise SimError(400, f"A {name} is an object.")
    count = spec.get("count", default_count)
    if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 0):
        raise SimError(400, "count must be a whole number, 0 or more (or null: no limit).")
    method = spec.get("method")
    if method is not None and not isinstance(method, str):
        raise SimError(400, "method must be a string.")
    path_contains = spec.get("path_contains")
    if path_contains is not None and not isinstance(path_contains, str):
        raise SimError(400, "path_contains must be a string.")
    return Rule(count, None, method.upper() if method else None, path_contains)


def _shaping_rule(name: str, spec: Any) -> Rule:
    """A rule of one of SHAPING_RULES with its options checked; every call unless `count`."""
    rule = _rule(spec, None, name)
    if name == "slow_drip":
        rate = _number(spec.get("bytes_per_second", 1), "bytes_per_second", 0.1, 1e7, float)
        rule.options = {"bytes_per_second": rate, "headers": _flag(spec, "headers", False)}
    elif name == "oversized":
        size = _number(spec.get("megabytes", 200), "megabytes", 0.001, 10_000, float)
        rule.options = {"megabytes": size, "content_length": _flag(spec, "content_length", True)}
    elif name == "bad_body":
        kind = spec.get("kind")
        if kind not in BAD_BODIES:
            raise SimError(400, f"bad_body's kind must be one of {', '.join(BAD_BODIES)}.")
        status = _number(spec.get("status", 200), "status", 200, 599, int)
        rule.options = {"kind": kind, "status": status}
    elif name == "long_ids":
        rule.options = {"length": _number(spec.get("length", 300), "length", 37, 1e6, int)}
    else:
        value = spec.get("value", "not-a-guid")
        if not isinstance(value, str):
            raise SimError(400, "malformed_ids' value must be a string.")
        rule.options = {"value": value}
    return rule


def _flag(spec: Mapping[str, Any], name: str, default: bool) -> bool:
    value = spec.get(name, default)
    if not isinstance(value, bool):
        raise SimError(400, f"{name} must be true or false.")
    return value


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
    odd_token: str | None = None
    shaping: dict[str, list[Rule]] = field(
        default_factory=lambda: {name: [] for name in SHAPING_RULES}
    )

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
        for name in ("fail_next", "fail_after_write"):
            if name in spec:
                rule = _rule(spec[name])
                rule.failure = _failure(spec[name])
                getattr(self, name).append(rule)
        if "odd_token" in spec:
            self.odd_token = _odd_token(spec["odd_token"])
        for name in SHAPING_RULES:
            if name in spec:
                value = spec[name]
                if value is None:  # null clears every rule of that kind
                    self.shaping[name] = []
                else:
                    self.shaping[name].append(_shaping_rule(name, value))

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
            "fail_next": [_describe_rule(r) for r in self.fail_next if r.live()],
            "fail_after_write": [_describe_rule(r) for r in self.fail_after_write if r.live()],
            "odd_token": self.odd_token,
            **{
                name: [r.describe() for r in rules if r.live()]
                for name, rules in self.shaping.items()
            },
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
        rule = take(self.fail_next, method, path)
        if rule:
            return rule.failure
        if self.error_rate and rng.random() < self.error_rate:
            return Failure(self.error_status)
        return None

    def replacement(self, method: str, path: str) -> tuple[str, Rule] | None:
        """A bad_body or oversized answer to give instead of handling the call, if any."""
        for name in ("bad_body", "oversized"):
            rule = take(self.shaping[name], method, path)
            if rule:
                return name, rule
        return None

    def after_write(self, method: str, path: str) -> Failure | None:
        """The failure to answer after a write was carried out, if any."""
        rule = take(self.fail_after_write, method, path)
        return rule.failure if rule else None

    def id_rewrite(self, method: str, path: str) -> tuple[str, Rule] | None:
        """A long_ids or malformed_ids rule for this call's answer, if any (and spend it)."""
        for name in ("long_ids", "malformed_ids"):
            rule = take(self.shaping[name], method, path)
            if rule:
                return name, rule
        return None

    def drip(self, method: str, path: str) -> Rule | None:
        """A slow_drip rule for this call's answer, if any (and spend it)."""
        return take(self.shaping["slow_drip"], method, path)


def take(rules: list[Rule], method: str, path: str) -> Rule | None:
    """The first live rule that matches, with one use spent."""
    for rule in rules:
        if rule.live() and rule.matches(method, path):
            if rule.count is not None:
                rule.count -= 1
            return rule
    return None


def _describe_rule(rule: Rule) -> dict[str, Any]:
    return rule.describe()


def _odd_token(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise SimError(400, f"odd_token is one of {', '.join(ODD_TOKENS)}, another string, or null.")


def _number(value: Any, name: str, low: float, high: float, kind: type) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise SimError(400, f"{name} must be a number from {low:g} to {high:g}.")
    return kind(value)
