"""The courier's background loop: inside each gateway process by default, or standalone."""

import logging
import threading
import time

log = logging.getLogger(__name__)


class BackgroundCourier:
    """Runs `courier.run_due()` every `interval` seconds on daemon threads until stopped.

    Several threads deliver for different clients at once (each claim takes the head of one
    client's queue, so order within a client holds): one thread waiting on CaseWare Cloud
    would leave a queue draining at one call at a time. `rounds` are more callables to run
    in every round (a link job's slice, say); each returns how much it did (0: nothing)."""

    def __init__(
        self,
        courier,
        interval: float,
        housekeeping=None,
        housekeeping_every=3600.0,
        threads=1,
        rounds=(),
    ):
        self._courier = courier
        self._rounds = tuple(rounds)
        self._interval = interval
        self._thread_count = max(int(threads), 1)
        # Chores that need no hurry, such as forgetting expired idempotency keys.
        self._housekeeping = housekeeping
        self._housekeeping_every = housekeeping_every
        self._housekeeping_due = time.monotonic()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._tidy_lock = threading.Lock()

    def start(self) -> None:
        if not self._threads:
            for number in range(self._thread_count):
                thread = threading.Thread(target=self.run, name=f"courier-{number}", daemon=True)
                self._threads.append(thread)
                thread.start()

    def run_until_stopped(self) -> None:
        """Start the threads and wait for them: the standalone worker's main thread."""
        self.start()
        for thread in self._threads:
            while thread.is_alive():
                thread.join(0.5)  # in steps, so that Ctrl-C reaches this thread

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(deadline - time.monotonic(), 0.0))

    def _tidy(self) -> None:
        if self._housekeeping is None or not self._tidy_lock.acquire(blocking=False):
            return  # another thread is at it
        try:
            if time.monotonic() >= self._housekeeping_due:
                self._housekeeping_due = time.monotonic() + self._housekeeping_every
                self._housekeeping()
        finally:
            self._tidy_lock.release()

    def _round(self) -> int:
        """Deliver what is due, then the other duties; how much was done in all."""
        done = self._courier.run_due()
        for duty in self._rounds:
            done += duty()
        return done

    def run(self) -> None:
        """Deliver what is due, then wait; a failing round (database down) is logged, not fatal."""
        while not self._stopping.is_set():
            try:
                while self._round() and not self._stopping.is_set():
                    pass
                self._tidy()
            except Exception:
                log.exception("delivery round failed; trying again in %.1f s", self._interval)
            self._stopping.wait(self._interval)
