"""The reconciliation runner: checks a reconciliation's records one by one, under a lease.

Whichever process holds a reconciliation's lease checks it (each gateway process's
background courier asks run_due() every round; the command line runs one to its end). Each
record is read from CaseWare Cloud outside any transaction, then its result, the counts and
a renewed lease are written in one transaction that first makes sure the lease is still
ours: a restart resumes at the first unchecked record, and no record is counted twice.
CaseWare Cloud's calls go through the adapter's pacing and the courier's circuit breaker,
one record at a time, so that a check never floods it.
"""

import json
import logging
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

from adapters.caseware_cloud.errors import CwcError
from adapters.caseware_cloud.port import Comparison
from db.models import utcnow
from domain import links as L
from services import delivery_operations as ops
from services.circuit import CircuitOpen
from services.delivery import LEASE_FOR_WORK, answer_by, sending_for
from services.links import Upstream
from services.outbox import Lease
from services.reconciliation import DONE, DRIFTED, IN_SYNC, MISSING, REPAIRED

log = logging.getLogger(__name__)

NOT_THERE = "The record has not reached CaseWare Cloud yet (its link is pending or failed)."


@dataclass(frozen=True)
class Item:
    """One record to check, and what the check needs of the gateway's data."""

    result_id: int
    record_type: str
    record_id: int
    request_id: str | None
    values: dict | None  # the synced fields; None when the record is no longer linked
    entity: str | None = None
    user: str | None = None


class ReconciliationRunner:
    """Claims unfinished reconciliations and checks their records (and repairs, if asked)."""

    def __init__(
        self,
        uow_factory,
        cwc,
        courier,
        *,
        lease_seconds=120.0,
        slice_records=50,
        reader_factory=None,
    ):
        self._uow, self._cwc, self._courier = uow_factory, cwc, courier
        # Where each round asks whether there is work: a read, so that the question takes no
        # write lock (on SQLite, every switch's) several times a second per process.
        self._reader = reader_factory or uow_factory
        self.lease_seconds = lease_seconds
        self._slice = slice_records  # then the round ends, and deliveries get their turn
        self.owner = uuid.uuid4().hex

    def lease(self) -> Lease:
        """A lease of this runner from now, for a reconciliation made to be run here."""
        return Lease(self.owner, utcnow() + timedelta(seconds=self.lease_seconds))

    def run_due(self) -> bool:
        """One round: claim an unfinished reconciliation and check a slice of its records.
        True when there was one to work on."""
        with self._reader() as reader:
            candidates = reader.reconciliations.claimable(self.owner, utcnow())
        for job_id in candidates:
            if self._claim(job_id):
                self._check(job_id, self._slice)
                return True
        return False

    def run_to_end(self, job_id: int, progress=lambda job: None, poll=0.5, sleep=time.sleep):
        """Check a reconciliation until it is done, here or elsewhere; `progress(job)` after
        each slice (or look, while another process holds it). Returns the finished job."""
        while True:
            with self._uow() as uow:
                job = uow.reconciliations.get(job_id)
            progress(job)
            if job.state == DONE:
                return job
            if self._claim(job_id):
                self._check(job_id, 1)
            else:
                sleep(poll)  # held elsewhere, or paused while CaseWare Cloud is away

    # ----- one slice ------------------------------------------------------------------------

    def _claim(self, job_id: int) -> bool:
        with self._uow() as uow:
            lease = self.lease()
            won = uow.reconciliations.claim(job_id, self.owner, utcnow(), lease.until)
            uow.commit()
            return won

    def _check(self, job_id: int, limit: int) -> None:
        for _ in range(limit):
            item = self._next(job_id)
            if item is None:
                self._finish(job_id)
                return
            try:
                comparison = self._compare(item) if item.values is not None else None
            except (CwcError, CircuitOpen) as error:
                self._pause(job_id, error)
                return
            except Exception as error:  # a fault of ours must not spin on one record
                log.exception("reconciliation %s failed unexpectedly", job_id)
                self._pause(job_id, f"unexpected error in the gateway ({type(error).__name__})")
                return
            if not self._settle(job_id, item, comparison):
                return  # the lease ran out and another took over

    def _next(self, job_id: int) -> Item | None:
        """The next unchecked record with the gateway's data as it is now, or None."""
        with self._uow() as uow:
            job = uow.reconciliations.get(job_id)
            row = uow.reconciliations.next_unchecked(job_id)
            if row is None:
                return None
            client = row.record_type == "client"
            record = (uow.clients if client else uow.contacts).get(row.record_id)
            link = uow.links.for_record(row.record_type, row.record_id)
            values = entity = user = None
            if record is not None and link is not None and link.active:
                fields = L.CLIENT_SYNCED_FIELDS if client else L.CONTACT_SYNCED_FIELDS
                values = L.synced_values(record, fields)
                client_link = link if client else uow.links.for_record("client", row.client_id)
                entity = client_link.remote_id if client_link else None
                user = None if client else link.remote_id
            return Item(
                row.id, row.record_type, row.record_id, job.request_id, values, entity, user
            )

    def _compare(self, item: Item) -> Comparison:
        """Ask CaseWare Cloud, bounded well within the lease, traced by the job's request."""
        if item.entity is None or (item.record_type == "contact" and item.user is None):
            return Comparison(missing=NOT_THERE)
        deadline = answer_by.set(time.monotonic() + self.lease_seconds * LEASE_FOR_WORK)
        traced = sending_for.set(item.request_id)
        try:
            if item.record_type == "client":
                return self._courier.breaker.call(
                    self._cwc.compare_client, item.entity, item.values
                )
            return self._courier.breaker.call(
                self._cwc.compare_contact, item.entity, item.user, item.values
            )
        finally:
            sending_for.reset(traced)
            answer_by.reset(deadline)

    def _settle(self, job_id: int, item: Item, comparison: Comparison | None) -> bool:
        """Write one record's result, and queue its repair; False when the lease is lost."""
        upstream = Upstream(self._courier, item.request_id)
        uow = self._uow()
        with uow:
            job = uow.reconciliations.get(job_id, for_update=True)
            if job is None or job.lease_owner != self.owner or job.state == DONE:
                return False
            row = uow.reconciliations.result_for_update(item.result_id)
            if row is None or row.state is not None:
                return True  # checked already (never under one lease; kept for safety)
            if comparison is None:  # switched off or deleted since it was planned
                uow.reconciliations.drop(row)
                job.total -= 1
            else:
                state = IN_SYNC if comparison.in_sync else DRIFTED
                state = MISSING if comparison.missing else state
                if job.repair and state != IN_SYNC and _repair(uow, job, upstream, row, comparison):
                    state = REPAIRED
                row.state, row.detail, row.checked_at = state, comparison.missing, utcnow()
                row.differences = json.dumps(
                    [
                        {"field": d.field, "gateway": d.gateway, "caseware_cloud": d.caseware_cloud}
                        for d in comparison.differences
                    ]
                )
                job.processed += 1
                setattr(job, state, getattr(job, state) + 1)
            job.leased_until, job.last_error = self.lease().until, None
            uow.commit()
        upstream.deliver(uow)
        return True

    def _pause(self, job_id: int, error: Exception | str) -> None:
        """CaseWare Cloud is away or refuses to be read: leave the job for a while, for any
        process to take up again; its `last_error` says why it waits."""
        wait = getattr(error, "retry_after", None) or self._courier.policy.breaker_reset_seconds
        log.warning("reconciliation %s waits %.1f s: %s", job_id, wait, error)
        with self._uow() as uow:
            job = uow.reconciliations.get(job_id, for_update=True)
            if job is not None and job.lease_owner == self.owner:
                job.lease_owner, job.last_error = None, str(error)[:1000]
                job.leased_until = utcnow() + timedelta(seconds=wait)
                uow.commit()

    def _finish(self, job_id: int) -> None:
        with self._uow() as uow:
            job = uow.reconciliations.get(job_id, for_update=True)
            if job is not None and job.lease_owner == self.owner and job.state != DONE:
                job.state, job.finished_at = DONE, utcnow()
                job.lease_owner = job.leased_until = None
                uow.commit()
                log.info(
                    "reconciliation %s done: %s in sync, %s drifted, %s missing, %s repaired",
                    *(job.id, job.in_sync, job.drifted, job.missing, job.repaired),
                )


def _repair(uow, job, upstream: Upstream, row, comparison: Comparison) -> bool:
    """Queue what pushes the gateway's data to CaseWare Cloud, as any change would be: the
    differing fields, or for a missing record the link itself (reactivate, recreate, give
    access again). False when the record is no longer there to repair."""
    if row.record_type == "client":
        record = uow.clients.get(row.record_id, for_update=True)
    else:
        record = uow.contacts.lock_with_client(row.record_id)  # the writers' lock order
    link = uow.links.for_record(row.record_type, row.record_id, for_update=True)
    if record is None or link is None or not link.active:
        return False
    client = row.record_type == "client"
    fields = [d.field for d in comparison.differences]
    if comparison.missing:
        operation, payload = (ops.LINK_CLIENT if client else ops.LINK_CONTACT), {}
        what = "restore in CaseWare Cloud"
    else:
        operation = ops.UPDATE_CLIENT if client else ops.UPDATE_CONTACT
        payload, what = {"fields": fields}, "changed: " + ", ".join(sorted(fields))
    link.sync_state = L.PENDING
    upstream.queue(
        uow,
        actor=job.created_by,
        record_type=row.record_type,
        record_id=row.record_id,
        client_id=row.client_id,
        operation=operation,
        action=L.FORWARD,
        detail=f"reconciliation {job.id}: {what}",
        payload=payload,
    )
    return True
