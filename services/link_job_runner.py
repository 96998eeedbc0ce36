"""Runs link jobs: one record at a time, in whichever process holds the job's lease.

Each record is switched by services/links.py exactly as its own PATCH would be (rules,
history, outbox, delivery within a deadline), as the job's caller and under the job's request
id. Its result row is written in the transaction of its switch, after checking that the job
is still ours and running and the record not done yet: a crash, a cancel, or a second process
after an expired lease can never do a record twice. A dry run predicts instead of switching.

Calls to CaseWare Cloud go through the adapter's rate pacing (shared by every thread of the
process), and a job has at most one call in flight: it paces itself to CaseWare Cloud.
"""

import logging
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from adapters.caseware_cloud.errors import CwcUnavailable
from db.link_jobs import CANCELLED, DONE
from db.models import utcnow
from domain import links as L
from domain import rights as r
from domain.errors import NotEligible, NotFound, UpstreamRejected
from domain.rights import Actor
from services import link_jobs as J
from services import links
from services.delivery import sending_for
from services.link_job_preview import not_eligible_detail, predict

log = logging.getLogger(__name__)
PENDING_DETAIL = "CaseWare Cloud has yet to confirm; delivery goes on in the background"


class JobStopped(Exception):
    """The job was cancelled, or another process took it over: leave this record alone."""


@dataclass(frozen=True)
class JobPolicy:
    """How long a lease holds, and how long one background round works on a job."""

    lease_seconds: float = 60.0
    # A courier thread runs jobs between deliveries: it comes back to them after this long.
    slice_seconds: float = 10.0


def job_policy(config) -> JobPolicy:
    return JobPolicy(lease_seconds=float(config["LINK_JOB_LEASE_SECONDS"]))


@dataclass(frozen=True)
class _Job:
    """What the runner needs of a job, read when it takes the lease."""

    id: int
    action: str
    dry_run: bool
    created_by: str
    request_id: str | None


@dataclass
class _Marks:
    """The rows a switch's transaction filled: the record's, and its cascade's."""

    provisional: str | None = None
    cascaded: list[tuple[int, int]] = field(default_factory=list)  # (result id, contact id)


class LinkJobRunner:
    """Takes jobs with records left and processes them; several processes may share them."""

    def __init__(self, uow_factory, reader_factory, courier, cwc, policy: JobPolicy):
        self._uow, self._reader = uow_factory, reader_factory
        self._courier, self._cwc, self.policy = courier, cwc, policy
        self.owner = uuid.uuid4().hex
        self._busy = threading.Lock()  # one job at a time per process (per runner)

    # ----- entry points -----------------------------------------------------------------------

    def run_round(self, limit: int | None = None) -> int:
        """A background round: take a job and process its records for a slice of time (or
        `limit` records); returns how many were processed."""
        if not self._busy.acquire(blocking=False):
            return 0
        try:
            # A read: every courier round asks, and on SQLite a writer's question would take
            # the one write lock from the switches, several times a second per process.
            with self._reader() as reader:
                candidates = reader.link_jobs.unfinished_ids(self.owner, utcnow())
            for job_id in candidates:
                job = self._take(job_id)
                if job is not None:
                    return self._work(job, limit)
            return 0
        finally:
            self._busy.release()

    def run_job(self, job_id: int, on_progress=lambda view: None, poll: float = 0.5) -> dict:
        """Run one job in the foreground until it is finished (the command line); while another
        process holds it, follow its progress."""
        while True:
            processed = 0
            with self._busy:
                job = self._take(job_id)
                if job is not None:
                    processed = self._work(job, None, lambda: on_progress(self.view(job_id)))
            view = self.view(job_id)
            on_progress(view)
            if view["state"] in (DONE, CANCELLED):
                return view
            if not processed:  # held elsewhere, or waiting for CaseWare Cloud
                time.sleep(poll)

    def view(self, job_id: int) -> dict:
        return J.read_job(self._reader(), job_id)

    # ----- the lease --------------------------------------------------------------------------

    def _take(self, job_id: int) -> _Job | None:
        """Take or renew the job's lease; None when it is finished, cancelled or held elsewhere."""
        with self._uow() as uow:
            now = utcnow()
            until = now + timedelta(seconds=self.policy.lease_seconds)
            if not uow.link_jobs.take_lease(job_id, self.owner, now, until):
                return None
            uow.commit()
            job = uow.link_jobs.get(job_id)
            return _Job(job.id, job.action, job.dry_run, job.created_by, job.request_id)

    def _next(self, job: _Job):
        """The next record to process, or None when none is left (the job is then done)."""
        reader = self._reader()
        with reader:
            record = reader.link_jobs.next_record(job.id)
        if record is None:
            with self._uow() as uow:
                uow.link_jobs.finish(job.id, self.owner)
                uow.commit()
        return record

    def _let_go(self, job: _Job) -> None:
        with self._uow() as uow:
            uow.link_jobs.let_go(job.id, self.owner)
            uow.commit()

    def _work(self, job: _Job, limit: int | None, on_record=lambda: None) -> int:
        """Process records until none is left, the slice or `limit` is used up, or the job is
        no longer ours. The lease is renewed when half of it is gone; each record's own
        transaction checks that the job is still ours (_guarded), so that a renewal per
        record, a write transaction more, is not needed."""
        done, now = 0, time.monotonic()
        ends, renew_at = now + self.policy.slice_seconds, now + self.policy.lease_seconds / 2
        try:
            while limit is None or done < limit:
                if time.monotonic() >= renew_at:
                    if self._take(job.id) is None:
                        return done
                    renew_at = time.monotonic() + self.policy.lease_seconds / 2
                record = self._next(job)
                if record is None:
                    return done
                (self._preview if job.dry_run else self._switch)(job, record)
                done += 1
                on_record()
                if time.monotonic() >= ends:
                    break
        except JobStopped:
            return done
        except CwcUnavailable as exc:  # a dry run's read: try again in a later round
            log.warning("link job %s waits for CaseWare Cloud: %s", job.id, exc)
        except Exception:  # a fault of ours must not hold the job: another round tries again
            log.exception("link job %s: a record failed unexpectedly", job.id)
        self._let_go(job)
        return done

    def _guarded(self, uow, job: _Job, result_id: int, outcome: str, reasons=(), detail=None):
        """Fill a record's row in `uow`'s transaction, while the job is ours and the row empty."""
        if not uow.link_jobs.holds(job.id, self.owner):
            raise JobStopped()
        if not uow.link_jobs.fill(result_id, outcome, reasons, detail):
            raise JobStopped()

    def _write(self, job: _Job, result_id: int, outcome: str, reasons=(), detail=None) -> None:
        with self._uow() as uow:
            self._guarded(uow, job, result_id, outcome, reasons, detail)
            uow.commit()

    # ----- a dry run --------------------------------------------------------------------------

    def _preview(self, job: _Job, record) -> None:
        token = sending_for.set(job.request_id)  # CaseWare Cloud sees the job's request id
        try:
            guess = predict(self._reader(), self._cwc, job, record)
        finally:
            sending_for.reset(token)
        self._write(job, record.id, guess.outcome, guess.reasons, guess.detail)

    # ----- a real run -------------------------------------------------------------------------

    def _switch(self, job: _Job, record) -> None:
        actor = Actor(job.created_by, frozenset({r.LINKS_WRITE}))
        upstream = links.Upstream(self._courier, job.request_id)
        switch = links.switch_client if record.record_type == "client" else links.switch_contact
        marks = _Marks()
        uow = self._uow()
        uow.before_commit.append(lambda u: self._mark(u, job, record, marks))
        active = job.action == J.LINK
        try:
            view, _tag, _delivered = switch(
                uow, self._reader(), actor, upstream, record.record_id, active
            )
        except NotEligible as exc:
            reasons = exc.extra["ineligible_reasons"]
            self._write(job, record.id, J.NOT_ELIGIBLE, reasons, not_eligible_detail(reasons))
            return
        except NotFound:
            outcome = J.NOT_ELIGIBLE if active else J.UNCHANGED
            self._write(job, record.id, outcome, (), f"the {record.record_type} no longer exists")
            return
        except UpstreamRejected as exc:
            self._settle([(record.id, J.REFUSED, exc.detail)])
            return
        settled = []
        if marks.provisional == J.PENDING:
            settled.append((record.id, *_outcome(view["caseware_cloud"])))
        for result_id, contact_id in marks.cascaded:
            settled.append((result_id, *self._contact_outcome(contact_id)))
        self._settle(settled)

    def _mark(self, uow, job: _Job, record, marks: _Marks) -> None:
        """In the switch's transaction: the record's row, and the rows of the contacts that
        switching its client off took along (the job's own contacts, not done yet)."""
        key = (record.record_type, record.record_id)
        switched = any(
            (d.record_type, d.record_id) == key and d.action in (L.LINK_ON, L.LINK_OFF)
            for d in uow.enqueued
        )
        marks.provisional = J.PENDING if switched else J.UNCHANGED
        detail = None if switched else ("already linked" if job.action == J.LINK else "not linked")
        self._guarded(uow, job, record.id, marks.provisional, (), detail)
        for delivery in uow.enqueued:
            if delivery.record_type == "contact" and delivery.action == L.AUTO_UNLINK:
                row = uow.link_jobs.result_of(job.id, "contact", delivery.record_id)
                if row is not None and uow.link_jobs.fill(row.id, J.PENDING, (), delivery.detail):
                    marks.cascaded.append((row.id, delivery.record_id))

    def _contact_outcome(self, contact_id: int) -> tuple[str, str | None]:
        reader = self._reader()
        with reader:
            row = reader.links.contact_view(contact_id)
        state = row.sync_state if row is not None and row.id is not None else L.OFF
        outcome, detail = _outcome({"active": False, "sync": {"state": state}})
        if outcome == J.UNLINKED:
            detail = L.CLIENT_UNLINKED
        elif outcome == J.REFUSED and row is not None:
            detail = row.last_error
        return outcome, detail

    def _settle(self, outcomes: list[tuple[int, str, str | None]]) -> None:
        """The outcome once CaseWare Cloud answered (or the request's time for it was up)."""
        if not outcomes:
            return
        with self._uow() as uow:
            for result_id, outcome, detail in outcomes:
                uow.link_jobs.settle(result_id, outcome, detail)
            uow.commit()


def _outcome(link: dict) -> tuple[str, str | None]:
    """What a switch came to, as its PATCH would have answered it (200, 202, or a refusal)."""
    state = link["sync"]["state"]
    if state == L.SYNCED:
        return J.LINKED, None
    if state == L.OFF:
        return J.UNLINKED, None
    if state == L.FAILED:
        return J.REFUSED, link["sync"].get("last_error")
    return J.PENDING, PENDING_DETAIL
