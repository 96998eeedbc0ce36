"""Tables of the gateway; their shape changes only through Alembic migrations."""

from datetime import UTC, datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, validates
from sqlalchemy.types import TypeDecorator

from domain.emails import login_key


def utcnow() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator):
    """A timestamp that is always stored and returned as aware UTC (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC) if value is not None else None

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC) if value is not None else None


class Base(DeclarativeBase):
    def apply(self, changes: dict) -> dict:
        """Set the fields in `changes`; returns those that really changed."""
        changed = {name: value for name, value in changes.items() if getattr(self, name) != value}
        for name, value in changed.items():
            setattr(self, name, value)
        return changed


class Versioned:
    """Rows whose every change bumps `version`; the ETag is built from it."""

    version: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        UtcDateTime, nullable=False, default=utcnow, onupdate=utcnow
    )


class Token(Base):
    __tablename__ = "tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    rights: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    @property
    def rights_list(self) -> list[str]:
        return [r for r in self.rights.split(",") if r]


class Client(Versioned, Base):
    __tablename__ = "clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16), default="business")
    status: Mapped[str] = mapped_column(String(16), default="active")
    address: Mapped[str | None] = mapped_column(String(200))
    postcode: Mapped[str | None] = mapped_column(String(16))
    city: Mapped[str | None] = mapped_column(String(100))
    country: Mapped[str | None] = mapped_column(String(2))
    phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(254))
    website: Mapped[str | None] = mapped_column(String(255))
    facebook: Mapped[str | None] = mapped_column(String(255))
    twitter: Mapped[str | None] = mapped_column(String(255))
    linkedin: Mapped[str | None] = mapped_column(String(255))

    # Ids are never reused: links and history outlive a deleted record.
    __table_args__ = {"sqlite_autoincrement": True}

    contacts: Mapped[list["Contact"]] = relationship(
        back_populates="client", cascade="all, delete-orphan", passive_deletes=True
    )

    __mapper_args__ = {"version_id_col": Versioned.version}


class Contact(Versioned, Base):
    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"), index=True)
    first_name: Mapped[str | None] = mapped_column(String(30))
    infix: Mapped[str | None] = mapped_column(String(20))
    last_name: Mapped[str] = mapped_column(String(100))
    initials: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(100))
    # The e-mail as a CaseWare Cloud login (domain.emails.login_key), kept beside it so that
    # "is this login in use" is one indexed comparison with the same rule on every database.
    email_login: Mapped[str | None] = mapped_column(String(100), index=True)
    phone: Mapped[str | None] = mapped_column(String(32))
    mobile: Mapped[str | None] = mapped_column(String(32))

    client: Mapped[Client] = relationship(back_populates="contacts")

    @validates("email")
    def _keep_login(self, _key: str, email: str | None) -> str | None:
        self.email_login = login_key(email) if email else None
        return email

    __table_args__ = {"sqlite_autoincrement": True}

    __mapper_args__ = {"version_id_col": Versioned.version}


class IdempotencyRecord(Base):
    """The first answer to a mutating request that carried an Idempotency-Key."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("actor", "key", name="uq_idempotency_actor_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    actor: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))  # running | done
    status_code: Mapped[int | None] = mapped_column(Integer)
    response_headers: Mapped[str | None] = mapped_column(Text)
    response_body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)


class Link(Base):
    """The switch "Koppelen met CaseWare Cloud" of one client or contact, and its sync state."""

    __tablename__ = "links"
    __table_args__ = (UniqueConstraint("record_type", "record_id", name="uq_links_record"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    record_type: Mapped[str] = mapped_column(String(16))  # client | contact
    record_id: Mapped[int] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    remote_id: Mapped[str | None] = mapped_column(String(64))
    # A client's: the CWGuid of its entity's Business address, once learnt, so that an address
    # change is one PATCH instead of a read of the entity's addresses first.
    remote_address_id: Mapped[str | None] = mapped_column(String(64))
    sync_state: Mapped[str] = mapped_column(String(16), default="off")
    last_synced_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    changed_by: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}


class LinkEvent(Base):
    """One line of a link's history: a switch, an automatic unlink or a forwarding outcome."""

    __tablename__ = "link_history"
    __table_args__ = (Index("ix_link_history_record", "record_type", "record_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    record_type: Mapped[str] = mapped_column(String(16))
    record_id: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    result: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str | None] = mapped_column(Text)
    request_id: Mapped[str | None] = mapped_column(String(128))


class Delivery(Base):
    """One change that must reach CaseWare Cloud: the transactional outbox.

    Written in the transaction of the local change; delivered in id order per `order_key`
    (a client and its contacts share one key, since a contact's access needs its entity).
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        Index("ix_deliveries_queue", "state", "order_key", "id"),
        Index("ix_deliveries_due", "state", "next_attempt_at"),
        # The unlink guard counts the withdrawals of its window (services/unlink_guard.py).
        Index("ix_deliveries_withdrawals", "operation", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_key: Mapped[str] = mapped_column(String(32))
    record_type: Mapped[str] = mapped_column(String(16))
    record_id: Mapped[int] = mapped_column(Integer)
    operation: Mapped[str] = mapped_column(String(32))
    payload: Mapped[str] = mapped_column(Text)  # JSON
    # What caused it, for the history: link_on, link_off, auto_unlink or forward, and why.
    action: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str | None] = mapped_column(Text)
    # pending | failed | done, or held by the unlink guard (then released: pending again, or
    # cancelled when its record was switched on again first).
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # A claim: whoever holds an unexpired lease is delivering it now.
    leased_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(64))
    request_id: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # When the unlink guard held it; kept after a release, so that a released withdrawal is
    # never counted as one the guard let through.
    held_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Reconciliation(Base):
    """A drift check of linked records against CaseWare Cloud (and their repair, if asked).

    Processed record by record by whichever process holds its lease; the records to check
    are its results, planned when it was made and filled in as they are checked."""

    __tablename__ = "reconciliations"
    __table_args__ = (Index("ix_reconciliations_state", "state", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    state: Mapped[str] = mapped_column(String(16), default="queued")  # queued|running|done
    repair: Mapped[bool] = mapped_column(Boolean, default=False)
    total: Mapped[int] = mapped_column(Integer, default=0)
    processed: Mapped[int] = mapped_column(Integer, default=0)
    in_sync: Mapped[int] = mapped_column(Integer, default=0)
    drifted: Mapped[int] = mapped_column(Integer, default=0)
    missing: Mapped[int] = mapped_column(Integer, default=0)
    repaired: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str] = mapped_column(String(64))
    request_id: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Who is checking it, until when; with no owner, a time is "not before" (CWC was away).
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    leased_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)


class ReconciliationResult(Base):
    """One record of a reconciliation: planned (state null), then checked."""

    __tablename__ = "reconciliation_results"
    __table_args__ = (
        UniqueConstraint("reconciliation_id", "record_type", "record_id", name="uq_result_record"),
        Index("ix_reconciliation_results_queue", "reconciliation_id", "state", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reconciliation_id: Mapped[int] = mapped_column(
        ForeignKey("reconciliations.id", ondelete="CASCADE")
    )
    position: Mapped[int] = mapped_column(Integer)  # the order of checking: a client, its contacts
    record_type: Mapped[str] = mapped_column(String(16))
    record_id: Mapped[int] = mapped_column(Integer)
    client_id: Mapped[int] = mapped_column(Integer)
    state: Mapped[str | None] = mapped_column(String(16))  # in_sync|drifted|missing|repaired
    differences: Mapped[str | None] = mapped_column(Text)  # JSON: [{field, gateway, ...}]
    detail: Mapped[str | None] = mapped_column(Text)
    checked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
