"""A circuit breaker for calls to CaseWare Cloud that never holds its lock during a call.

pybreaker holds its lock for the whole of each call (CircuitBreaker.call), so one process made
one CaseWare Cloud call at a time, and a slow upstream held every other request thread behind
that lock past its deadline. Here the lock guards the state only.
"""

import threading
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half-open"


class CircuitOpen(Exception):
    """The circuit is open: the call was not made."""


class CircuitBreaker:
    """Opens after `fail_max` passing failures in a row; after `reset_timeout` seconds one probe
    goes through, and its outcome closes or reopens the circuit. Exceptions in `exclude` are
    answers (a refusal), not failures."""

    def __init__(
        self,
        fail_max: int,
        reset_timeout: float,
        exclude: tuple[type[BaseException], ...] = (),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.fail_max = fail_max
        self.reset_timeout = reset_timeout
        self._exclude = exclude
        self._clock = clock
        self._lock = threading.Lock()
        self._failures = 0
        self._opened_at = 0.0
        self._state = CLOSED
        self._probing = False

    @property
    def state(self) -> str:
        with self._lock:
            return self._state

    def call(self, func: Callable[..., T], *args) -> T:
        """func(*args) unless the circuit is open (CircuitOpen)."""
        probe = self._admit()
        try:
            result = func(*args)
        except self._exclude:
            self._record(success=True, probe=probe)
            raise
        except BaseException:
            self._record(success=False, probe=probe)
            raise
        self._record(success=True, probe=probe)
        return result

    def _admit(self) -> bool:
        """Let a call through, saying whether it is the half-open probe; else CircuitOpen."""
        with self._lock:
            if self._state == OPEN and self._clock() - self._opened_at >= self.reset_timeout:
                self._state, self._probing = HALF_OPEN, False
            if self._state == CLOSED:
                return False
            if self._state == HALF_OPEN and not self._probing:
                self._probing = True
                return True
            raise CircuitOpen("CaseWare Cloud is paused after repeated failures")

    def _record(self, *, success: bool, probe: bool) -> None:
        with self._lock:
            if success:
                self._failures = 0
                if probe or self._state == HALF_OPEN:
                    self._state, self._probing = CLOSED, False
                return
            self._failures += 1
            if probe or self._failures >= self.fail_max:
                self._state, self._opened_at, self._probing = OPEN, self._clock(), False
