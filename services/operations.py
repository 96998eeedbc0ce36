"""Readiness: does the database answer, does CaseWare Cloud, how much is waiting."""

import logging
import threading
import time
from dataclasses import dataclass

from adapters.caseware_cloud.errors import CwcError
from db.engine import again_if_stale
from db.models import utcnow
from services.delivery import answer_by

log = logging.getLogger(__name__)

# Probes come every few seconds; CaseWare Cloud is asked at most this often, and for at most
# a few seconds: a slow CaseWare Cloud must not make the readiness probe slow.
CWC_CHECK_CACHE_SECONDS = 10.0
CWC_CHECK_SECONDS = 2.0


class CaseWareCloudProbe:
    """Remembers CaseWare Cloud's last answer for a few seconds; one probe at a time."""

    def __init__(self, cwc, ttl: float = CWC_CHECK_CACHE_SECONDS, clock=time.monotonic):
        self._cwc, self._ttl, self._clock = cwc, ttl, clock
        self._checked_at, self._status = float("-inf"), "unknown"
        self._probing = threading.Lock()

    def status(self) -> str:
        now = self._clock()
        # While another thread asks CaseWare Cloud, answer with what is known.
        if now - self._checked_at >= self._ttl and self._probing.acquire(blocking=False):
            try:
                self._status = self._ask()
                self._checked_at = self._clock()
            finally:
                self._probing.release()
        return self._status

    def _ask(self) -> str:
        token = answer_by.set(time.monotonic() + CWC_CHECK_SECONDS)
        try:
            self._cwc.check()
            return "ok"
        except CwcError as exc:
            log.warning("readiness: CaseWare Cloud: %s", exc)
            return "unavailable"
        finally:
            answer_by.reset(token)


@dataclass(frozen=True)
class Backlog:
    """What waits for CaseWare Cloud, and what waits for a person."""

    pending: int
    failed: int
    oldest_pending_seconds: float  # 0 when nothing is pending
    held: int = 0  # withdrawals the unlink guard holds for an admin


def delivery_backlog(uow) -> Backlog | None:
    """The delivery queue in numbers for /metrics; None when the database does not answer."""
    try:
        with uow:
            by_state = uow.deliveries.backlog()
    except Exception:  # the caller reports nothing; the reason is for the logs
        log.warning("the database does not answer", exc_info=True)
        return None
    pending, oldest = by_state.get("pending", (0, None))
    failed, _ = by_state.get("failed", (0, None))
    held, _ = by_state.get("held", (0, None))
    age = (utcnow() - oldest).total_seconds() if oldest else 0.0
    return Backlog(pending, failed, max(age, 0.0), held)


def _ping_and_count(uow) -> dict[str, int]:
    with uow:
        uow.ping()
        return uow.deliveries.count_waiting()


def readiness(uow, probe: CaseWareCloudProbe) -> tuple[bool, dict]:
    """(ready, body): ready while the database answers; CaseWare Cloud is reported only."""
    waiting = {}
    try:
        waiting = again_if_stale(lambda: _ping_and_count(uow))
        database = "ok"
    except Exception:  # any failure means "not ready"; the reason is for the logs only
        log.warning("readiness: the database does not answer", exc_info=True)
        database = "unavailable"
    ready = database == "ok"
    checks = {
        "database": database,
        "caseware_cloud": probe.status(),
        "pending_deliveries": waiting.get("pending"),
        "held_deliveries": waiting.get("held"),
    }
    return ready, {"status": "ok" if ready else "unavailable", "checks": checks}
