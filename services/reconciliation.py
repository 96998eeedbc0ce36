"""Reconciliation: check linked records against CaseWare Cloud for drift, and repair it.

People edit in CaseWare Cloud although the coupling is one-way. A reconciliation plans the
records to check when it is made (every linked client, or those asked for, each followed by
its linked contacts); the runner (services/reconciliation_runner.py) then checks them one by
one in the background, under a lease, so that it survives a restart.
"""

from db.models import Reconciliation, utcnow
from domain import rights as r
from domain.errors import InvalidInput, NotFound
from domain.rights import Actor
from services.outbox import Lease

QUEUED, RUNNING, DONE = "queued", "running", "done"
IN_SYNC, DRIFTED, MISSING, REPAIRED = "in_sync", "drifted", "missing", "repaired"
RESULT_STATES = (IN_SYNC, DRIFTED, MISSING, REPAIRED)


def create_reconciliation(
    uow,
    actor: Actor,
    client_ids: list[int] | None,
    repair: bool,
    *,
    request_id: str | None = None,
    lease: Lease | None = None,
) -> Reconciliation:
    """Plan a check of the linked clients (of `client_ids`, when given) and their linked
    contacts; an unknown client id is refused, an unlinked one has nothing to check. With a
    lease, it is made held by its maker (the command line runs it itself)."""
    r.require(actor, r.ADMIN)
    with uow:
        wanted = sorted(set(client_ids)) if client_ids is not None else None
        if wanted:
            unknown = sorted(set(wanted) - uow.reconciliations.existing_clients(wanted))
            if unknown:
                names = ", ".join(str(i) for i in unknown)
                raise InvalidInput(
                    f"No client with id {names}.", {"clients": [f"Unknown client id(s): {names}."]}
                )
        records = uow.reconciliations.linked_records(wanted)
        job = Reconciliation(
            state=QUEUED,
            repair=repair,
            total=len(records),
            processed=0,
            in_sync=0,
            drifted=0,
            missing=0,
            repaired=0,
            created_by=actor.name,
            request_id=request_id,
        )
        if lease is not None:
            job.state, job.lease_owner, job.leased_until = RUNNING, lease.owner, lease.until
        if not records:
            job.state, job.finished_at, job.lease_owner, job.leased_until = (
                DONE,
                utcnow(),
                None,
                None,
            )
        uow.reconciliations.add(job)
        uow.reconciliations.plan(job.id, records)
        uow.commit()
        return job


def get_reconciliation(uow, actor: Actor, job_id: int) -> Reconciliation:
    r.require(actor, r.ADMIN)
    with uow:
        return _load(uow, job_id)


def list_reconciliations(uow, actor: Actor, page: int, page_size: int):
    """One page of reconciliations, newest first, and the total."""
    r.require(actor, r.ADMIN)
    with uow:
        return uow.reconciliations.page(page, page_size)


def list_results(uow, actor: Actor, job_id: int, state: str | None, page: int, page_size: int):
    """One page of a reconciliation's checked records (of one state, if given), in order."""
    r.require(actor, r.ADMIN)
    with uow:
        _load(uow, job_id)
        return uow.reconciliations.results_page(job_id, state, page, page_size)


def drifted_records(uow) -> int | None:
    """Drifted and missing records of the latest finished reconciliation (0 when none has
    finished), for /metrics; None when the database does not answer."""
    try:
        with uow:
            job = uow.reconciliations.latest_finished()
    except Exception:  # the caller reports nothing; the delivery backlog logs why
        return None
    return job.drifted + job.missing if job else 0


def _load(uow, job_id: int) -> Reconciliation:
    job = uow.reconciliations.get(job_id)
    if job is None:
        raise NotFound(f"No reconciliation with id {job_id}.")
    return job
