"""The simulator's control routes (/_sim) and its call log, as the benchmark uses them."""

import time
from collections import Counter
from dataclasses import dataclass, field

import requests

CALL_LOG_SIZE = 10_000  # the simulator keeps the last 10,000 calls only


class SimControl:
    """Faults, rate limit, seed, state and call log of one running simulator."""

    def __init__(self, base: str):
        self.base = base
        self.http = requests.Session()

    def _send(self, method: str, path: str, **kwargs):
        answer = self.http.request(method, f"{self.base}/_sim/{path}", timeout=120, **kwargs)
        answer.raise_for_status()
        return answer.json() if answer.content else None

    def faults(self, **switches) -> None:
        """Set some fault switches (latency_ms, outage, ...); the others stay as they are."""
        self._send("POST", "faults", json=switches)

    def rate_limit(self, capacity: int, refill_per_second: float) -> None:
        """The token bucket in front of the API; it starts full."""
        self._send(
            "POST", "ratelimit", json={"capacity": capacity, "refill_per_second": refill_per_second}
        )

    def seed(self, data: dict) -> dict:
        """Insert records as given; answers their CWGuids in order."""
        return self._send("POST", "seed", json=data)

    def state(self) -> dict:
        """Entities (with addresses), users, roles and role assignments."""
        return self._send("GET", "state")

    def calls(self) -> list[dict]:
        """The call log, oldest first (the last 10,000 calls)."""
        return self._send("GET", "calls")

    def clear_calls(self) -> None:
        self._send("DELETE", "calls")


def kind_of(call: dict) -> str:
    """token, search, read or write: what a call to CaseWare Cloud was for."""
    if call["path"].rstrip("/").endswith("/auth/token"):
        return "token"
    if call["method"] == "GET":
        return "search" if "search=" in (call.get("query") or "").lower() else "read"
    return "write"


@dataclass
class CallCount:
    """What a set of calls held: by kind, by status, and whether the log overflowed."""

    kinds: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)
    first_ok: float | None = None
    last_ok: float | None = None
    overflowed: bool = False

    @property
    def total(self) -> int:
        return sum(self.kinds.values())

    @property
    def ok(self) -> int:
        return sum(n for status, n in self.statuses.items() if status and status < 300)

    def add(self, calls: list[dict]) -> None:
        for call in calls:
            self.kinds[kind_of(call)] += 1
            self.statuses[call["status"]] += 1
            if call["status"] and call["status"] < 300:
                self.first_ok = call["at"] if self.first_ok is None else self.first_ok
                self.last_ok = call["at"]


def count_calls(sim: SimControl) -> CallCount:
    """The call log as it is now, counted."""
    counted = CallCount()
    calls = sim.calls()
    counted.add(calls)
    counted.overflowed = len(calls) >= CALL_LOG_SIZE
    return counted


class CallWatcher:
    """Follows the call log over a long run, so that calls beyond the last 10,000 still count.

    Each poll takes the entries after the last one seen; when that entry has left the log
    since the previous poll, some calls were lost and the counts are lower bounds.
    """

    def __init__(self, sim: SimControl):
        self.sim = sim
        self.count = CallCount()
        self._last: tuple | None = None

    @staticmethod
    def _key(call: dict) -> tuple:
        return (call["at"], call["method"], call["path"], call["status"], call["connection"])

    def poll(self) -> None:
        """Count the calls logged since the previous poll."""
        calls = self.sim.calls()
        start = 0
        if self._last is not None:
            keys = [self._key(c) for c in calls]
            try:
                start = len(keys) - keys[::-1].index(self._last)
            except ValueError:
                self.count.overflowed = True
        self.count.add(calls[start:])
        if calls:
            self._last = self._key(calls[-1])

    def follow(self, until, every: float = 2.0, timeout: float = 600.0) -> bool:
        """Poll every `every` seconds until `until()` is true (True) or `timeout` passes."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            done = until()
            self.poll()
            if done:
                return True
            time.sleep(every)
        return False
