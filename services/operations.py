"""Readiness: does the database answer, does CaseWare Cloud, how much is waiting."""

import logging
import time
from dataclasses import dataclass

from adapters.caseware_cloud.errors import CwcError
from db.engine import again_if_stale
from db.models import utcnow

log = logging.getLogger(__name__)

# Probes come every few seconds; CaseWare Cloud is asked at most this often.
CWC_CHECK_CACHE_SECONDS = 10.0


class CaseWareCloudProbe:
    """Remembers CaseWare Cloud's last answer for a few seconds."""

    def __init__(self, cwc, ttl: float = CWC_CHECK_CACHE_SECONDS, clock=time.monotonic):
        self._cwc, self._ttl, self._clock = cwc, ttl, clock
        self._checked_at, self._status = float("-inf"), "unknown"

    def status(self) -> str:
        now = self._clock()
        if now - self._checked_at >= self._ttl:
            try:
                self._cwc.check()
                self._status = "ok"
            except CwcError as exc:
                log.warning("readiness: CaseWare Cloud: %s", exc)
                self._status = "unavailable"
            self._checked_at = now
        return self._status


@dataclass(frozen=True)
class Backlog:
    """What waits for CaseWare Cloud, and what waits for a person."""

    pending: int
    failed: int
    oldest_pending_seconds: float  # 0 when nothing is pending


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
    age = (utcnow() - oldest).total_seconds() if oldest else 0.0
    return Backlog(pending, failed, max(age, 0.0))


def _ping_and_count(uow) -> int:
    with uow:
        uow.ping()
        return uow.deliveries.count_pending()


def readiness(uow, probe: CaseWareCloudProbe) -> tuple[bool, dict]:
    """(ready, body): ready while the database answers; CaseWare Cloud is reported only."""
    pending = None
    try:
        pending = again_if_stale(lambda: _ping_and_count(uow))
        database = "ok"
    except Exception:  # any failure means "not ready"; the reason is for the logs only
        log.warning("readiness: the database does not answer", exc_info=True)
        database = "unavailable"
    ready = database == "ok"
    checks = {
        "database": database,
        "caseware_cloud": probe.status(),
        "pending_deliveries": pending,
    }
    return ready, {"status": "ok" if ready else "unavailable", "checks": checks}
