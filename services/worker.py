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
        # Each duty runs on one thread of a process at a time: a job's slice is long work.
        self._rounds = tuple(_one_at_a_time(duty) for duty in rounds)
        self._interval = interval
        self._thread_count = max(int(threads), 1)
        # Chores that need no hurry, such as forgetting expired idempotency keys.
        self._housekeeping = housekeeping
        self._housekeeping_every = housekeeping_every
        self._housekeeping_due = time.monotonic()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._tidy_lock = threading.Lock()
        # When a round last found nothing to do, and whose; when one last did some. Once the
        # process has had no background work for an interval, one look an interval is enough:
        # each thread waits `interval` between rounds, so an idle process used to look
        # `threads` times an interval, each look holding the GIL while requests waited for it
        # (with 4 threads, PostgreSQL's figure 2 of issue 9 was 3 to 4 ms slower at the p50).
        # While rounds find work (a drain after an outage), every thread looks as before.
        self._found_nothing = (float("-inf"), None)  # (monotonic time, thread)
        self._did_work_at = float("-inf")

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

    def stop_claiming(self) -> None:
        """Claim nothing more; a delivery under way ends within DELIVERY_WAIT_SECONDS (cut short
        after that), is settled and its lease given back. Returns at once (a signal handler's)."""
        self._stopping.set()
        self._courier.wind_down()

    def stop(self, timeout: float = 10.0) -> bool:
        """stop_claiming(), then wait up to `timeout` for the threads; True when all ended."""
        self.stop_claiming()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(deadline - time.monotonic(), 0.0))
        running = sum(thread.is_alive() for thread in self._threads)
        if running:
            # Their leases stay until DELIVERY_LEASE_SECONDS: freeing a change while its call
            # may still reach CaseWare Cloud could send it twice.
            log.warning("%d courier thread(s) still delivering at exit", running)
        return not running

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
        """Deliver what is due, then the other duties (link jobs, reconciliations); how much
        was done in all (0: nothing, wait for the next round). Skipped (0) while another
        thread's round found nothing less than an interval ago, and none found work in the
        interval before; while rounds find work, every thread takes part."""
        if self._resting():
            return 0
        stopping = self._stopping.is_set
        done = self._courier.run_due(stopping=stopping)
        for duty in self._rounds:
            if stopping():
                break
            done += int(duty())
        if done:
            self._did_work_at = time.monotonic()
        else:
            self._found_nothing = (time.monotonic(), threading.current_thread())
        return done

    def _resting(self) -> bool:
        at, thread = self._found_nothing
        now = time.monotonic()
        return (
            thread is not threading.current_thread()
            and now - at < self._interval
            and now - self._did_work_at >= self._interval
        )

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


def _one_at_a_time(duty):
    """`duty`, skipped (0) while another thread of this process is running it."""
    lock = threading.Lock()

    def run() -> int:
        if not lock.acquire(blocking=False):
            return 0
        try:
            return int(duty() or 0)
        finally:
            lock.release()

    return run
