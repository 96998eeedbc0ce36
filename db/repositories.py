"""Repositories: the only place that writes SQL for a table."""

from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from db.models import Client, Contact, IdempotencyRecord, Token


class _Repository:
    model = None

    def __init__(self, session: Session):
        self.session = session

    def get(self, record_id: int, *, for_update: bool = False):
        stmt = select(self.model).where(self.model.id == record_id)
        if for_update:
            # Row lock on PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises writers.
            stmt = stmt.with_for_update()
        return self.session.scalars(stmt).one_or_none()

    def add(self, record) -> None:
        self.session.add(record)
        self.session.flush()

    def delete(self, record) -> None:
        self.session.delete(record)
        self.session.flush()

    def page(self, stmt, page: int, page_size: int):
        """One page of `stmt` ordered by id, and the total count without paging."""
        total = self.session.scalar(select(func.count()).select_from(stmt.subquery()))
        rows = self.session.scalars(
            stmt.order_by(self.model.id).offset((page - 1) * page_size).limit(page_size)
        ).all()
        return rows, total


class ClientRepository(_Repository):
    model = Client

    def by_number(self, number: str) -> Client | None:
        return self.session.scalars(select(Client).where(Client.number == number)).one_or_none()

    def list(self, filters: dict, page: int, page_size: int):
        stmt = select(Client)
        for name in ("number", "status", "kind"):
            if filters.get(name) is not None:
                stmt = stmt.where(getattr(Client, name) == filters[name])
        return self.page(stmt, page, page_size)


class ContactRepository(_Repository):
    model = Contact

    def list_for_client(self, client_id: int, page: int, page_size: int):
        return self.page(select(Contact).where(Contact.client_id == client_id), page, page_size)


class TokenRepository(_Repository):
    model = Token

    def by_name(self, name: str) -> Token | None:
        return self.session.scalars(select(Token).where(Token.name == name)).one_or_none()

    def by_hash(self, token_hash: str) -> Token | None:
        return self.session.scalars(
            select(Token).where(Token.token_hash == token_hash)
        ).one_or_none()

    def all(self) -> list[Token]:
        return list(self.session.scalars(select(Token).order_by(Token.name)))


class IdempotencyRepository(_Repository):
    model = IdempotencyRecord

    def find(self, actor: str, key: str, *, for_update: bool = False) -> IdempotencyRecord | None:
        stmt = select(IdempotencyRecord).where(
            IdempotencyRecord.actor == actor, IdempotencyRecord.key == key
        )
        if for_update:
            stmt = stmt.with_for_update()
        return self.session.scalars(stmt).one_or_none()

    def purge_older_than(self, cutoff: datetime) -> int:
        result = self.session.execute(
            delete(IdempotencyRecord).where(IdempotencyRecord.created_at < cutoff)
        )
        return result.rowcount
