"""Link jobs' tables and their repository: a job, and one row per record it switches.

A job's records are planned when it is created (a client, then its contacts), each as a row
whose `outcome` is NULL until the record is processed. Whichever process holds the job's lease
fills them in, in id order; a row is filled only while its outcome is still NULL, in the
transaction of the record's switch, so that no record is done twice.
"""

from datetime import datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    and_,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from db.models import Base, Client, Contact, Link, UtcDateTime, utcnow

QUEUED, RUNNING, DONE, CANCELLED = "queued", "running", "done", "cancelled"
UNFINISHED = (QUEUED, RUNNING)


class LinkJob(Base):
    """Many switches at once: link or unlink a list of clients (and their contacts)."""

    __tablename__ = "link_jobs"
    __table_args__ = (Index("ix_link_jobs_state", "state", "id"), {"sqlite_autoincrement": True})

    id: Mapped[int] = mapped_column(primary_key=True)
    action: Mapped[str] = mapped_column(String(16))  # link | unlink
    with_contacts: Mapped[bool] = mapped_column(Boolean, default=False)
    dry_run: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(16), default=QUEUED)
    created_by: Mapped[str] = mapped_column(String(64))
    # The request that made the job: its records' history and deliveries carry it.
    request_id: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Whoever holds an unexpired lease is processing the job's records now.
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    leased_until: Mapped[datetime | None] = mapped_column(UtcDateTime)


class LinkJobResult(Base):
    """One record of a job: planned (outcome NULL), then what became of it."""

    __tablename__ = "link_job_results"
    __table_args__ = (
        UniqueConstraint("job_id", "record_type", "record_id", name="uq_link_job_results_record"),
        Index("ix_link_job_results_next", "job_id", "outcome", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("link_jobs.id", ondelete="CASCADE"))
    record_type: Mapped[str] = mapped_column(String(16))  # client | contact
    record_id: Mapped[int] = mapped_column(Integer)
    client_id: Mapped[int] = mapped_column(Integer)  # the record's own client
    outcome: Mapped[str | None] = mapped_column(String(16))
    reasons: Mapped[str | None] = mapped_column(String(200))  # comma-separated
    detail: Mapped[str | None] = mapped_column(Text)
    processed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    @property
    def reasons_list(self) -> list[str]:
        return [reason for reason in (self.reasons or "").split(",") if reason]


_jobs, _results = LinkJob.__table__, LinkJobResult.__table__


def _lease_free(owner: str, now: datetime):
    return or_(
        _jobs.c.lease_owner.is_(None), _jobs.c.leased_until < now, _jobs.c.lease_owner == owner
    )


class LinkJobRepository:
    """The only place that runs SQL on link_jobs and link_job_results."""

    def __init__(self, session: Session):
        self.session = session

    # ----- creating ---------------------------------------------------------------------------

    def existing_clients(self, client_ids: list[int]) -> set[int]:
        found = set()
        for start in range(0, len(client_ids), 500):  # IN lists of a sane length
            chunk = client_ids[start : start + 500]
            found.update(self.session.scalars(select(Client.id).where(Client.id.in_(chunk))))
        return found

    def contacts_of(self, client_ids: list[int]) -> dict[int, list[int]]:
        """{client id: its contacts' ids in id order}."""
        contacts: dict[int, list[int]] = {}
        for start in range(0, len(client_ids), 500):
            chunk = client_ids[start : start + 500]
            stmt = select(Contact.client_id, Contact.id).where(Contact.client_id.in_(chunk))
            for client_id, contact_id in self.session.execute(stmt.order_by(Contact.id)):
                contacts.setdefault(client_id, []).append(contact_id)
        return contacts

    def add(self, job: LinkJob, records: list[tuple[str, int, int]]) -> None:
        """The job and its planned records (type, id, client id), in processing order."""
        self.session.add(job)
        self.session.flush()
        rows = [
            {"job_id": job.id, "record_type": kind, "record_id": rid, "client_id": client_id}
            for kind, rid, client_id in records
        ]
        self.session.execute(insert(LinkJobResult), rows)

    # ----- reading ----------------------------------------------------------------------------

    def get(self, job_id: int, *, for_update: bool = False) -> LinkJob | None:
        stmt = select(LinkJob).where(LinkJob.id == job_id)
        if for_update:
            stmt = stmt.with_for_update()
        return self.session.scalars(stmt).one_or_none()

    def page(self, page: int, page_size: int) -> tuple[list[LinkJob], int]:
        """Newest first."""
        total = self.session.scalar(select(func.count()).select_from(LinkJob))
        stmt = select(LinkJob).order_by(LinkJob.id.desc())
        rows = self.session.scalars(stmt.offset((page - 1) * page_size).limit(page_size)).all()
        return list(rows), total

    def outcome_counts(self, job_ids: list[int]) -> dict[int, dict[str | None, int]]:
        """{job id: {outcome (None: not processed yet): how many records}}."""
        counts: dict[int, dict[str | None, int]] = {job_id: {} for job_id in job_ids}
        if not job_ids:
            return counts
        stmt = (
            select(_results.c.job_id, _results.c.outcome, func.count())
            .where(_results.c.job_id.in_(job_ids))
            .group_by(_results.c.job_id, _results.c.outcome)
        )
        for job_id, outcome, count in self.session.execute(stmt):
            counts[job_id][outcome] = count
        return counts

    def results(self, job_id: int, outcome: str | None, page: int, page_size: int):
        """Processed records of a job, in the order they were planned (and processed)."""
        stmt = select(LinkJobResult).where(
            LinkJobResult.job_id == job_id, LinkJobResult.outcome.is_not(None)
        )
        if outcome is not None:
            stmt = stmt.where(LinkJobResult.outcome == outcome)
        total = self.session.scalar(select(func.count()).select_from(stmt.subquery()))
        rows = self.session.scalars(
            stmt.order_by(LinkJobResult.id).offset((page - 1) * page_size).limit(page_size)
        ).all()
        return list(rows), total

    def next_record(self, job_id: int) -> LinkJobResult | None:
        stmt = (
            select(LinkJobResult)
            .where(LinkJobResult.job_id == job_id, LinkJobResult.outcome.is_(None))
            .order_by(LinkJobResult.id)
            .limit(1)
        )
        return self.session.scalars(stmt).one_or_none()

    def result_of(self, job_id: int, record_type: str, record_id: int) -> LinkJobResult | None:
        stmt = select(LinkJobResult).where(
            LinkJobResult.job_id == job_id,
            LinkJobResult.record_type == record_type,
            LinkJobResult.record_id == record_id,
        )
        return self.session.scalars(stmt).one_or_none()

    def login_chosen_by_job(self, job_id: int, login: str, contact_id: int) -> bool:
        """Whether another contact with this login was marked would_link earlier in the job:
        a dry run's stand-in for the links the real run would have made by then."""
        stmt = select(
            select(LinkJobResult.id)
            .join(Contact, Contact.id == LinkJobResult.record_id)
            .where(
                LinkJobResult.job_id == job_id,
                LinkJobResult.record_type == "contact",
                LinkJobResult.outcome == "would_link",
                Contact.email_login == login,
                Contact.id != contact_id,
            )
            .exists()
        )
        return bool(self.session.scalar(stmt))

    def unfinished_ids(self, owner: str, now: datetime, limit: int = 5) -> list[int]:
        """Jobs with records left whose lease is free (or ours), oldest first."""
        stmt = (
            select(_jobs.c.id)
            .where(_jobs.c.state.in_(UNFINISHED), _lease_free(owner, now))
            .order_by(_jobs.c.id)
            .limit(limit)
        )
        return list(self.session.scalars(stmt))

    # ----- the lease and the records ----------------------------------------------------------

    def take_lease(self, job_id: int, owner: str, now: datetime, until: datetime) -> bool:
        """One atomic UPDATE: the lease is ours when it was free, expired or ours already, and
        the job is still to be done. Works alike on SQLite and PostgreSQL, in any number of
        processes: the WHERE is checked on the row as it is when the UPDATE gets to it."""
        stmt = (
            update(_jobs)
            .where(_jobs.c.id == job_id, _jobs.c.state.in_(UNFINISHED), _lease_free(owner, now))
            .values(lease_owner=owner, leased_until=until, state=RUNNING)
        )
        return self.session.execute(stmt).rowcount == 1

    def holds(self, job_id: int, owner: str) -> bool:
        """Lock the job's row and say whether `owner` still runs it: a cancel, or a takeover
        after our lease ran out, waits for this transaction, or this one sees it."""
        stmt = select(_jobs.c.state, _jobs.c.lease_owner).where(_jobs.c.id == job_id)
        row = self.session.execute(stmt.with_for_update()).one_or_none()
        return row is not None and row.state == RUNNING and row.lease_owner == owner

    def fill(self, result_id: int, outcome: str, reasons=(), detail=None) -> bool:
        """Record an outcome for a record not processed yet; False when it had one already."""
        stmt = (
            update(_results)
            .where(_results.c.id == result_id, _results.c.outcome.is_(None))
            .values(
                outcome=outcome,
                reasons=",".join(reasons) or None,
                detail=detail,
                processed_at=utcnow(),
            )
        )
        return self.session.execute(stmt).rowcount == 1

    def settle(self, result_id: int, outcome: str, detail=None) -> None:
        """Replace an outcome once the delivery's result is known (pending -> linked, ...)."""
        stmt = update(_results).where(_results.c.id == result_id)
        self.session.execute(stmt.values(outcome=outcome, detail=detail))

    def finish(self, job_id: int, owner: str) -> bool:
        """Done, if we still hold it and no record is left."""
        left = (
            select(_results.c.id)
            .where(_results.c.job_id == job_id, _results.c.outcome.is_(None))
            .exists()
        )
        stmt = (
            update(_jobs)
            .where(_jobs.c.id == job_id, _jobs.c.state == RUNNING, _jobs.c.lease_owner == owner)
            .where(~left)
            .values(state=DONE, finished_at=utcnow(), lease_owner=None, leased_until=None)
        )
        return self.session.execute(stmt).rowcount == 1

    def let_go(self, job_id: int, owner: str) -> None:
        """Give the lease back, so that another process may go on at once."""
        stmt = (
            update(_jobs)
            .where(_jobs.c.id == job_id, _jobs.c.lease_owner == owner)
            .values(lease_owner=None, leased_until=None)
        )
        self.session.execute(stmt)

    def cancel(self, job_id: int) -> bool:
        stmt = (
            update(_jobs)
            .where(_jobs.c.id == job_id, _jobs.c.state.in_(UNFINISHED))
            .values(state=CANCELLED, finished_at=utcnow(), lease_owner=None, leased_until=None)
        )
        return self.session.execute(stmt).rowcount == 1

    # ----- the command line's selection -------------------------------------------------------

    def client_ids_for(self, action: str) -> list[int]:
        """Every client a link could switch on (not private, not suspect; off or failed), or
        for unlink every client whose switch is on."""
        on = and_(Link.record_type == "client", Link.record_id == Client.id)
        stmt = select(Client.id).outerjoin(Link, on).order_by(Client.id)
        if action == "unlink":
            return list(self.session.scalars(stmt.where(Link.active.is_(True))))
        switched_on = and_(Link.active.is_(True), Link.sync_state != "failed")
        stmt = stmt.where(Client.kind != "private", Client.status != "suspect")
        return list(self.session.scalars(stmt.where(or_(Link.id.is_(None), ~switched_on))))
