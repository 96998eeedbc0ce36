"""How many request threads of a process may wait on CaseWare Cloud, and for how long."""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager


class RequestSlots:
    """`size` slots whose holders wait on CaseWare Cloud up to the request's full time, and one
    spare whose holder waits at most `spare_seconds`.

    A worker keeps one thread more than its slots, so that a slow CaseWare Cloud never takes the
    thread that /healthz and the reads need. Left idle, that thread cost a worker an eighth of
    its switches while CaseWare Cloud answers in 50 ms. As the spare it delivers too, but only
    while CaseWare Cloud is quick: when every slot is taken and none for longer than
    `spare_seconds`, and then only what CaseWare Cloud answers within `spare_seconds` (past
    that its change waits for the courier). Once the slots' calls run long, the spare is left
    to /healthz and the reads, which then wait at most `spare_seconds` for it."""

    def __init__(self, size: int, slot_wait: float, spare_seconds: float) -> None:
        self.size = max(size, 1)
        self._slots = threading.BoundedSemaphore(self.size)
        self._spare = threading.Lock() if spare_seconds > 0 else None
        self._slot_wait = slot_wait
        self._spare_seconds = spare_seconds
        self._taken_at: dict[object, float] = {}  # slot holders: since when
        self._lock = threading.Lock()

    @contextmanager
    def take(self, seconds: float, *, spare: bool = True) -> Iterator[float | None]:
        """A slot for the block: yields how long its holder may wait on CaseWare Cloud (up to
        `seconds`), or None when none freed within the slot wait. `spare`: whether the spare
        may be given (for work that is quick and cheap to cut short)."""
        if self._slots.acquire(blocking=False):
            yield from self._hold_slot(seconds)
        elif spare and self._take_spare():
            try:
                yield min(seconds, self._spare_seconds)
            finally:
                self._spare.release()
        elif self._slots.acquire(timeout=self._slot_wait):
            yield from self._hold_slot(seconds)
        else:
            yield None

    def _hold_slot(self, seconds: float) -> Iterator[float]:
        me = object()
        with self._lock:
            self._taken_at[me] = time.monotonic()
        try:
            yield seconds
        finally:
            with self._lock:
                self._taken_at.pop(me, None)
            self._slots.release()

    def _take_spare(self) -> bool:
        """Whether the spare was taken: there is one, nobody holds it, and every slot's holder
        took it less than `spare_seconds` ago (CaseWare Cloud is quick)."""
        if self._spare is None:
            return False
        with self._lock:
            oldest = min(self._taken_at.values(), default=time.monotonic())
        if time.monotonic() - oldest >= self._spare_seconds:
            return False  # calls run long: keep the thread for /healthz and the reads
        return self._spare.acquire(blocking=False)
