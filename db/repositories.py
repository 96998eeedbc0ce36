"""Repositories: the only place that runs SQL for a table (the hot read path's statements are
built once in db/link_views.py)."""

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, exists, func, or_, select, text
from sqlalchemy.orm import Session, aliased

from db import write_statements as statements
from db.link_views import CLIENT_LINK, CONTACT_LINK, TOKEN_BY_HASH
from db.models import Client, Contact, Delivery, IdempotencyRecord, Link, LinkEvent, Token
from domain.emails import login_key


@dataclass(frozen=True)
class LinkOutcome:
    """What a delivery's outcome does to its record's link (write_statements.settle_link)."""

    record_type: str
    record_id: int
    outcome: str  # delivered, pending or refused (its error: the delivery's, `error`)
    now: datetime
    remote_id: str | None  # learnt
    address_id: str | None  # learnt

    def params(self) -> dict:
        return {
            "of_type": self.record_type,
            "of_id": self.record_id,
            "now": self.now,
            "new_remote_id": self.remote_id,
            "new_address_id": self.address_id,
        }


def _one_row(session: Session, statement, params: dict):
    """One row of a Core statement, or None. Outside a transaction (a reader's single
    statement) it runs on a pooled connection of its own: a session's transaction bookkeeping
    cost more than the statement (the hot read path: link views, token checks). Inside one, it
    runs in it, seeing what the transaction wrote."""
    if session.in_transaction():
        return session.execute(statement, params).one_or_none()
    with session.get_bind().connect() as connection:
        return connection.execute(statement, params).one_or_none()


def _linked(record_type: str, record_id, linked: bool):
    """A WHERE clause: the record's switch is on (linked) or not (no link, or one that is off)."""
    on = exists().where(
        Link.record_type == record_type, Link.record_id == record_id, Link.active.is_(True)
    )
    return on if linked else ~on


class _Repository:
    model = None

    def __init__(self, session: Session):
        self.session = session

    def get(self, record_id: int, *, for_update: bool = False):
        if not for_update:
            return self.session.get(self.model, record_id)  # no query when already loaded
        # Row lock on PostgreSQL; SQLite's BEGIN IMMEDIATE already serialises writers.
        stmt = statements.by_id_for_update(self.model)
        return self.session.scalars(stmt, {"record_id": record_id}).one_or_none()

    def add(self, record) -> None:
        self.session.add(record)
        self.session.flush()

    def add_all(self, records) -> None:
        """Many at once: one flush, inserted in batches."""
        self.session.add_all(records)
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
        if filters.get("linked") is not None:
            stmt = stmt.where(_linked("client", Client.id, filters["linked"]))
        return self.page(stmt, page, page_size)


class ContactRepository(_Repository):
    model = Contact

    def lock_with_client(self, contact_id: int) -> Contact | None:
        """Lock the contact's client, then the contact: the one lock order for every writer.

        Changes to a client's queue are serialised on the client's row, so that their
        deliveries are numbered in the order they commit.
        """
        params = {"contact_id": contact_id}
        if self.session.scalars(statements.LOCK_CONTACTS_CLIENT, params).first() is None:
            return None
        return self.get(contact_id, for_update=True)

    def list_for_client(
        self, client_id: int, page: int, page_size: int, *, linked: bool | None = None
    ):
        stmt = select(Contact).where(Contact.client_id == client_id)
        if linked is not None:
            stmt = stmt.where(_linked("contact", Contact.id, linked))
        return self.page(stmt, page, page_size)


class TokenRepository(_Repository):
    model = Token

    def by_name(self, name: str) -> Token | None:
        return self.session.scalars(select(Token).where(Token.name == name)).one_or_none()

    def by_hash(self, token_hash: str):
        """The token's row (id, name, token_hash, rights, expires_at, last_used_at), or None."""
        return _one_row(self.session, TOKEN_BY_HASH, {"token_hash": token_hash})

    def page_by_name(self, page: int, page_size: int):
        stmt = select(Token).order_by(Token.name)
        total = self.session.scalar(select(func.count()).select_from(Token))
        return list(
            self.session.scalars(stmt.offset((page - 1) * page_size).limit(page_size))
        ), total


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


class LinkRepository(_Repository):
    model = Link

    def __init__(self, session: Session):
        super().__init__(session)
        # Links this transaction has locked cannot change under it (and are never deleted):
        # asking again, as the delivery's preparation does, needs no second query.
        self._locked: dict[tuple[str, int], Link] = {}

    def client_view(self, client_id: int):
        """One row for a client's link view: kind, status and the link's columns (id None
        when it has no link), or None when there is no such client."""
        return _one_row(self.session, CLIENT_LINK, {"record_id": client_id})

    def contact_view(self, contact_id: int):
        """One row for a contact's link view: email, client_linked, email_in_use and the
        link's columns, or None when there is no such contact."""
        return _one_row(self.session, CONTACT_LINK, {"record_id": contact_id})

    def for_record(
        self, record_type: str, record_id: int, *, for_update: bool = False
    ) -> Link | None:
        locked = self._locked.get((record_type, record_id))
        if locked is not None:
            return locked
        stmt = statements.LINK_OF_FOR_UPDATE if for_update else statements.LINK_OF
        params = {"record_type": record_type, "record_id": record_id}
        link = self.session.scalars(stmt, params).one_or_none()
        if for_update and link is not None:
            self._locked[(record_type, record_id)] = link
        return link

    def add(self, link: Link) -> None:
        """A new link is this transaction's alone: later reads of it need no query."""
        super().add(link)
        self._locked[(link.record_type, link.record_id)] = link

    def locks_released(self) -> None:
        """The transaction ended: what it had locked may change now."""
        self._locked.clear()

    def linked_contacts_of(self, client_id: int) -> list[tuple[Contact, Link]]:
        """The client's contacts whose switch is on, with their links, in id order."""
        stmt = (
            select(Contact, Link)
            .join(Link, (Link.record_type == "contact") & (Link.record_id == Contact.id))
            .where(Contact.client_id == client_id, Link.active.is_(True))
            .order_by(Contact.id)
            .with_for_update(of=Link)
        )
        return [(contact, link) for contact, link in self.session.execute(stmt)]

    def email_linked_elsewhere(self, email: str, contact_id: int) -> bool:
        """Whether another contact with the same login e-mail (domain.emails) is linked."""
        params = {"contact_id": contact_id, "login": login_key(email)}
        return self.session.scalar(statements.EMAIL_LINKED_ELSEWHERE, params)

    def lock_email(self, email: str) -> None:
        """Hold the login e-mail until commit, so that two contacts with one e-mail switched on
        at once cannot both find it free. PostgreSQL: a transaction-scoped advisory lock;
        SQLite's BEGIN IMMEDIATE already runs one writer at a time."""
        if self.session.get_bind().dialect.name != "postgresql":
            return
        digest = hashlib.sha256(login_key(email).encode("utf-8")).digest()
        key = int.from_bytes(digest[:8], "big", signed=True)
        self.session.execute(_ADVISORY_LOCK, {"key": key})


_ADVISORY_LOCK = text("SELECT pg_advisory_xact_lock(:key)")


class LinkEventRepository(_Repository):
    model = LinkEvent

    def page_for_record(self, record_type: str, record_id: int, page: int, page_size: int):
        """Newest first."""
        stmt = select(LinkEvent).where(
            LinkEvent.record_type == record_type, LinkEvent.record_id == record_id
        )
        total = self.session.scalar(select(func.count()).select_from(stmt.subquery()))
        rows = self.session.scalars(
            stmt.order_by(LinkEvent.id.desc()).offset((page - 1) * page_size).limit(page_size)
        ).all()
        return rows, total


class DeliveryRepository(_Repository):
    model = Delivery

    def claimable(
        self,
        now: datetime,
        *,
        key: str | None = None,
        up_to: int | None = None,
        due_only: bool = True,
        limit: int = 1,
    ):
        """Pending deliveries at the head of their key's queue and not leased, oldest first.

        Locked with SKIP LOCKED on PostgreSQL, so that several workers never take the same one.
        """
        older = aliased(Delivery)
        # A held one blocks its queue as a pending one does (released, it goes out first).
        is_head = ~exists().where(
            older.order_key == Delivery.order_key,
            older.state.in_(statements.WAITING),
            older.id < Delivery.id,
        )
        stmt = select(Delivery).where(
            Delivery.state == "pending",
            is_head,
            or_(Delivery.leased_until.is_(None), Delivery.leased_until < now),
        )
        if key is not None:
            stmt = stmt.where(Delivery.order_key == key)
        if up_to is not None:
            stmt = stmt.where(Delivery.id <= up_to)
        if due_only:
            stmt = stmt.where(Delivery.next_attempt_at <= now)
        stmt = stmt.order_by(Delivery.id).limit(limit).with_for_update(skip_locked=True)
        return list(self.session.scalars(stmt))

    def settle(
        self, delivery_id: int, owner: str, link: LinkOutcome, history: dict | None, **values
    ) -> bool:
        """Record a delivery's outcome and end its lease, if the lease is still `owner`'s (else
        False, and nothing changes); then its record's link (write_statements.settle_link)
        and, when given, a history line (columns of link_history). values: counted, error,
        new_state, delivered, retry_at.

        On PostgreSQL that is one statement outside any transaction: call it first in its
        unit of work. A parameter named as a column would join a SET clause, so none is."""
        params = {"delivery_id": delivery_id, "owner": owner, **values, **link.params()}
        learnt = (bool(link.remote_id), bool(link.address_id))
        if self.session.get_bind().dialect.name == "postgresql":
            stmt = statements.settle_in_one(link.outcome, *learnt, history is not None)
            params |= {f"event_{name}": value for name, value in (history or {}).items()}
            connection = self.session.connection(
                execution_options={"isolation_level": "AUTOCOMMIT"}
            )
            return connection.execute(stmt, params).scalar_one() == 1
        connection = self.session.connection()
        if connection.execute(statements.SETTLE_DELIVERY, params).rowcount != 1:
            return False
        connection.execute(statements.settle_link(link.outcome, *learnt), params)
        if history is not None:
            connection.execute(statements.ADD_HISTORY, history)
        return True

    def anything_due(self, now: datetime) -> bool:
        """Whether some pending delivery is due and not leased (a reader's cheap look)."""
        return bool(_one_row(self.session, statements.ANYTHING_DUE, {"now": now})[0])

    def any_pending(self, key: str) -> bool:
        """Whether a change of this key waits (pending, or held by the unlink guard)."""
        return self.session.scalar(statements.ANY_PENDING, {"order_key": key})

    def count_waiting(self) -> dict[str, int]:
        """{"pending": n, "held": m}: what waits for CaseWare Cloud, and what for a person."""
        counts = {state: count for state, count in self.session.execute(statements.COUNT_WAITING)}
        return {state: counts.get(state, 0) for state in statements.WAITING}

    def backlog(self) -> dict[str, tuple[int, datetime | None]]:
        """{state: (how many, the oldest's created_at)} for the pending, failed and held ones."""
        stmt = (
            select(Delivery.state, func.count(), func.min(Delivery.created_at))
            .where(Delivery.state.in_(["pending", "failed", "held"]))
            .group_by(Delivery.state)
        )
        return {state: (count, oldest) for state, count, oldest in self.session.execute(stmt)}

    def list(self, state: str | None, page: int, page_size: int):
        stmt = select(Delivery).where(
            Delivery.state.in_([state] if state else ["pending", "failed", "held"])
        )
        return self.page(stmt, page, page_size)

    # ----- the unlink guard (services/unlink_guard.py) -----------------------------------------

    def lock_unlink_guard(self) -> None:
        """Hold the unlink guard until commit, so that two transactions cannot both take its
        last slot. PostgreSQL: a transaction-scoped advisory lock; SQLite's BEGIN IMMEDIATE
        already runs one writer at a time."""
        if self.session.get_bind().dialect.name == "postgresql":
            self.session.execute(_ADVISORY_LOCK, {"key": _UNLINK_GUARD_KEY})

    def withdrawals_let_through(
        self, operations: tuple[str, ...], since: datetime, at_most: int
    ) -> int:
        """How many withdrawals the guard let through since `since`, counting to `at_most`."""
        params = {"operations": list(operations), "since": since, "at_most": at_most}
        return self.session.scalar(statements.WITHDRAWALS_LET_THROUGH, params)

    def any_held(self) -> bool:
        return self.session.scalar(statements.ANY_HELD)

    def held_before(self, key: str, delivery_id: int) -> bool:
        """Whether a held delivery of this key is older than `delivery_id` (it blocks it)."""
        params = {"order_key": key, "before": delivery_id}
        return self.session.scalar(statements.HELD_BEFORE, params)

    def held(self, *, ids=None, record: tuple[str, int] | None = None) -> "list[Delivery]":
        """Held deliveries (all, those of `ids`, or of one record), in id order, locked."""
        stmt = select(Delivery).where(Delivery.state == "held")
        if ids is not None:
            stmt = stmt.where(Delivery.id.in_(ids))
        if record is not None:
            stmt = stmt.where(Delivery.record_type == record[0], Delivery.record_id == record[1])
        return list(self.session.scalars(stmt.order_by(Delivery.id).with_for_update()))

    def unknown_ids(self, ids) -> "list[int]":
        """The ids among `ids` that no delivery has."""
        known = set(self.session.scalars(select(Delivery.id).where(Delivery.id.in_(ids))))
        return sorted(set(ids) - known)


# The advisory lock key of the unlink guard: any constant outside the e-mail locks' hashes
# would do; this one is the first 8 bytes of sha256("unlink_guard").
_UNLINK_GUARD_KEY = int.from_bytes(hashlib.sha256(b"unlink_guard").digest()[:8], "big", signed=True)
