"""The reconciliations' SQL: planning the records, leasing the job, filling in results."""

from datetime import datetime

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.orm import Session

from db import write_statements as statements
from db.models import Client, Contact, Link, Reconciliation, ReconciliationResult

DONE = "done"
Result = ReconciliationResult


def _linked(record_type: str, record_id):
    return (Link.record_type == record_type) & (Link.record_id == record_id) & Link.active.is_(True)


class ReconciliationRepository:
    """Reconciliations and their results."""

    def __init__(self, session: Session):
        self.session = session

    # ----- a new reconciliation ------------------------------------------------------------

    def add(self, job: Reconciliation) -> None:
        self.session.add(job)
        self.session.flush()

    def get(self, job_id: int, *, for_update: bool = False) -> Reconciliation | None:
        if not for_update:
            return self.session.get(Reconciliation, job_id)
        stmt = statements.by_id_for_update(Reconciliation)
        return self.session.scalars(stmt, {"record_id": job_id}).one_or_none()

    def existing_clients(self, client_ids: list[int]) -> set[int]:
        stmt = select(Client.id).where(Client.id.in_(client_ids))
        return set(self.session.scalars(stmt))

    def linked_records(self, client_ids: list[int] | None) -> list[tuple[str, int, int]]:
        """(type, id, client id) of every linked client (of `client_ids`, when given) and its
        linked contacts: each client, then its contacts, in id order."""
        clients = select(Client.id).join(Link, _linked("client", Client.id))
        contacts = (
            select(Contact.id, Contact.client_id)
            .join(Link, _linked("contact", Contact.id))
            .where(Contact.client_id.in_(clients.scalar_subquery()))
        )
        if client_ids is not None:
            clients = clients.where(Client.id.in_(client_ids))
            contacts = contacts.where(Contact.client_id.in_(client_ids))
        contacts_of: dict[int, list[int]] = {}
        for contact_id, client_id in self.session.execute(contacts.order_by(Contact.id)):
            contacts_of.setdefault(client_id, []).append(contact_id)
        records = []
        for client_id in self.session.scalars(clients.order_by(Client.id)):
            records.append(("client", client_id, client_id))
            records.extend(("contact", c, client_id) for c in contacts_of.get(client_id, ()))
        return records

    def plan(self, job_id: int, records: list[tuple[str, int, int]]) -> None:
        """The records to check, unchecked, in the order given."""
        if records:
            rows = [
                {
                    "reconciliation_id": job_id,
                    "position": position,
                    "record_type": record_type,
                    "record_id": record_id,
                    "client_id": client_id,
                }
                for position, (record_type, record_id, client_id) in enumerate(records)
            ]
            self.session.execute(insert(Result), rows)

    # ----- reading -----------------------------------------------------------------------

    def page(self, page: int, page_size: int):
        """Newest first."""
        total = self.session.scalar(select(func.count()).select_from(Reconciliation))
        stmt = select(Reconciliation).order_by(Reconciliation.id.desc())
        rows = self.session.scalars(stmt.offset((page - 1) * page_size).limit(page_size)).all()
        return rows, total

    def results_page(self, job_id: int, state: str | None, page: int, page_size: int):
        """The checked records, in the order they were checked."""
        stmt = select(Result).where(Result.reconciliation_id == job_id, Result.state.is_not(None))
        if state is not None:
            stmt = stmt.where(Result.state == state)
        total = self.session.scalar(select(func.count()).select_from(stmt.subquery()))
        stmt = stmt.order_by(Result.position).offset((page - 1) * page_size).limit(page_size)
        return self.session.scalars(stmt).all(), total

    def latest_finished(self) -> Reconciliation | None:
        stmt = select(Reconciliation).where(Reconciliation.state == DONE)
        return self.session.scalars(stmt.order_by(Reconciliation.id.desc()).limit(1)).first()

    # ----- the runner's lease -------------------------------------------------------------

    def claimable(self, owner: str, now: datetime, limit: int = 5) -> list[int]:
        """Unfinished reconciliations nobody else holds, oldest first."""
        stmt = (
            select(Reconciliation.id)
            .where(Reconciliation.state != DONE, _free_for(owner, now))
            .order_by(Reconciliation.id)
            .limit(limit)
        )
        return list(self.session.scalars(stmt))

    def claim(self, job_id: int, owner: str, now: datetime, until: datetime) -> bool:
        """Take (or renew) the lease in one atomic UPDATE: of several processes that try at
        once, one wins, on SQLite and PostgreSQL alike."""
        stmt = (
            update(Reconciliation)
            .where(
                Reconciliation.id == job_id,
                Reconciliation.state != DONE,
                _free_for(owner, now),
            )
            .values(lease_owner=owner, leased_until=until, state="running")
        )
        return self.session.execute(stmt).rowcount == 1

    def next_unchecked(self, job_id: int) -> ReconciliationResult | None:
        stmt = (
            select(Result)
            .where(Result.reconciliation_id == job_id, Result.state.is_(None))
            .order_by(Result.position)
            .limit(1)
        )
        return self.session.scalars(stmt).first()

    def result_for_update(self, result_id: int) -> ReconciliationResult | None:
        stmt = statements.by_id_for_update(Result)
        return self.session.scalars(stmt, {"record_id": result_id}).one_or_none()

    def drop(self, result: ReconciliationResult) -> None:
        self.session.delete(result)
        self.session.flush()


def _free_for(owner: str, now: datetime):
    """Held by `owner`, or by nobody whose lease (or pause) still runs."""
    return or_(
        Reconciliation.lease_owner == owner,
        Reconciliation.leased_until.is_(None),
        Reconciliation.leased_until < now,
    )
