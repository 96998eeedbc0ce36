"""The courier's background loop: inside each gateway process by default, or standalone."""

import logging
import threading
import time

log = logging.getLogger(__name__)


class BackgroundCourier:
    """Runs `courier.run_due()` every `interval` seconds on a daemon thread until stopped."""

    def __init__(self, courier, interval: float, housekeeping=None, housekeeping_every=3600.0):
        self._courier = courier
        self._interval = interval
        # Chores that need no hurry, such as forgetting expired idempotency keys.
        self._housekeeping = housekeeping
        self._housekeeping_every = housekeeping_every
        self._housekeeping_due = time.monotonic()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self.run, name="courier", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _tidy(self) -> None:
        if self._housekeeping is not None and time.monotonic() >= self._housekeeping_due:
            self._housekeeping_due = time.monotonic() + self._housekeeping_every
            self._housekeeping()

    def run(self) -> None:
        """Deliver what is due, then wait; a failing round (database down) is logged, not fatal."""
        while not self._stopping.is_set():
            try:
                while self._courier.run_due() and not self._stopping.is_set():
                    pass
                self._tidy()
            except Exception:
                log.exception("delivery round failed; trying again in %.1f s", self._interval)
            self._stopping.wait(self._interval)
