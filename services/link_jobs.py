"""Link jobs: many switches at once, kept in the database; create, read and cancel them.

The records are processed by services/link_job_runner.py, in whichever process holds a job's
lease; here a job is planned (a client, then its contacts, one row each) and shown.
"""

import hashlib
from collections import Counter
from dataclasses import dataclass

from db.link_jobs import CANCELLED, DONE, LinkJob
from domain import rights as r
from domain.errors import Conflict, InvalidInput, NotFound
from domain.rights import Actor
from domain.versions import etag_for

LINK, UNLINK = "link", "unlink"
ACTIONS = (LINK, UNLINK)
MAX_CLIENTS = 1000
# A record's outcome; the job's counts are keyed by the same words.
LINKED, UNLINKED, UNCHANGED, NOT_ELIGIBLE = "linked", "unlinked", "unchanged", "not_eligible"
REFUSED, PENDING, WOULD_LINK, WOULD_UNLINK = "refused", "pending", "would_link", "would_unlink"
OUTCOMES = (LINKED, UNLINKED, UNCHANGED, NOT_ELIGIBLE, REFUSED, PENDING, WOULD_LINK, WOULD_UNLINK)


@dataclass(frozen=True)
class JobRequest:
    """What a caller asks of a job."""

    action: str
    clients: list[int]
    with_contacts: bool = False
    dry_run: bool = False


def _plan(uow, request: JobRequest) -> list[tuple[str, int, int]]:
    """The records in processing order: each client, then (when they go too) its contacts.

    Unlink always takes the contacts: switching a client off unlinks them."""
    takes_contacts = request.with_contacts or request.action == UNLINK
    contacts = uow.link_jobs.contacts_of(request.clients) if takes_contacts else {}
    records = []
    for client_id in request.clients:
        records.append(("client", client_id, client_id))
        records.extend(
            ("contact", contact_id, client_id) for contact_id in contacts.get(client_id, ())
        )
    return records


def _check_clients(uow, client_ids: list[int]) -> None:
    repeated = sorted(cid for cid, times in Counter(client_ids).items() if times > 1)
    if repeated:
        listed = ", ".join(map(str, repeated))
        raise InvalidInput(
            f"Clients listed more than once: {listed}.",
            {"clients": [f"Listed more than once: {listed}."]},
        )
    existing = uow.link_jobs.existing_clients(client_ids)
    unknown = [cid for cid in client_ids if cid not in existing]
    if unknown:
        listed = ", ".join(map(str, unknown))
        raise InvalidInput(
            f"No client with id {listed}.", {"clients": [f"No client with id {listed}."]}
        )


def create_job(uow, actor: Actor, request: JobRequest, request_id: str | None) -> dict:
    """Plan a job; whichever process holds its lease runs it. Returns the job's view."""
    r.require(actor, r.LINKS_WRITE)
    if not 1 <= len(request.clients) <= MAX_CLIENTS:  # the schema says so too; a CLI may not
        raise InvalidInput(
            f"A job takes 1 to {MAX_CLIENTS} clients.",
            {"clients": [f"1 to {MAX_CLIENTS} client ids."]},
        )
    with uow:
        _check_clients(uow, request.clients)
        job = LinkJob(
            action=request.action,
            with_contacts=request.with_contacts,
            dry_run=request.dry_run,
            state="queued",
            created_by=actor.name,
            request_id=request_id,
        )
        records = _plan(uow, request)
        uow.link_jobs.add(job, records)
        uow.commit()
        return _view(job, {None: len(records)})


def _view(job: LinkJob, outcomes: dict) -> dict:
    counts = {outcome: outcomes.get(outcome, 0) for outcome in OUTCOMES}
    return {
        "id": job.id,
        "action": job.action,
        "with_contacts": job.with_contacts,
        "dry_run": job.dry_run,
        "state": job.state,
        "total": sum(outcomes.values()),
        "processed": sum(count for outcome, count in outcomes.items() if outcome is not None),
        "counts": counts,
        "created_by": job.created_by,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
    }


def job_etag(view: dict) -> str:
    """Changes whenever the job does: its state, and any record's outcome."""
    parts = [view["state"], view["processed"], *view["counts"].values()]
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:16]
    return etag_for("link-job", view["id"], digest)


def _load(uow, job_id: int) -> LinkJob:
    job = uow.link_jobs.get(job_id)
    if job is None:
        raise NotFound(f"No link job with id {job_id}.")
    return job


def get_job(uow, actor: Actor, job_id: int) -> dict:
    """A job with its progress and counts."""
    r.require(actor, r.LINKS_READ)
    return read_job(uow, job_id)


def read_job(uow, job_id: int) -> dict:
    """A job's view, for the runner and the command line (no rights to check there)."""
    with uow:
        job = _load(uow, job_id)
        return _view(job, uow.link_jobs.outcome_counts([job.id])[job.id])


def list_jobs(uow, actor: Actor, page: int, page_size: int) -> tuple[list[dict], int]:
    """One page of jobs, newest first, and the total."""
    r.require(actor, r.LINKS_READ)
    with uow:
        jobs, total = uow.link_jobs.page(page, page_size)
        counts = uow.link_jobs.outcome_counts([job.id for job in jobs])
        return [_view(job, counts[job.id]) for job in jobs], total


def cancel_job(uow, actor: Actor, job_id: int) -> dict:
    """Stop a job: records not yet processed stay as they are. A finished job is a conflict."""
    r.require(actor, r.LINKS_WRITE)
    with uow:
        job = uow.link_jobs.get(job_id, for_update=True)  # waits for a record being switched
        if job is None:
            raise NotFound(f"No link job with id {job_id}.")
        if job.state in (DONE, CANCELLED):
            raise Conflict(f"Link job {job_id} is {job.state} already; there is nothing to cancel.")
        uow.link_jobs.cancel(job_id)
        uow.commit()
    return read_job(uow, job_id)


def job_results(uow, actor: Actor, job_id: int, outcome: str | None, page: int, page_size: int):
    """One page of a job's processed records, in processing order, and the total."""
    r.require(actor, r.LINKS_READ)
    with uow:
        _load(uow, job_id)
        return uow.link_jobs.results(job_id, outcome, page, page_size)
