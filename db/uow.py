"""The unit of work: one transaction, its repositories, and commit or rollback."""

from sqlalchemy import event, text
from sqlalchemy.orm import Session, sessionmaker

from db.link_jobs import LinkJobRepository
from db.reconciliations import ReconciliationRepository
from db.repositories import (
    ClientRepository,
    ContactRepository,
    DeliveryRepository,
    IdempotencyRepository,
    LinkEventRepository,
    LinkRepository,
    TokenRepository,
)


class UnitOfWork:
    """`with uow: ... uow.commit()`; leaving the block without commit rolls back."""

    def __init__(self, session_factory: sessionmaker):
        self._session_factory = session_factory
        self.session: Session | None = None
        # Deliveries written in this unit of work, for the request to deliver after commit.
        self.enqueued: list = []
        self.claimed = None  # the first of them, when the request could lease it at once
        self._after_commit: list = []
        # Run once each, in the transaction, just before the next commit: a link job writes
        # a record's result in the transaction of the record's switch.
        self.before_commit: list = []

    def __enter__(self) -> "UnitOfWork":
        self.session = self._session_factory()
        self.clients = ClientRepository(self.session)
        self.contacts = ContactRepository(self.session)
        self.tokens = TokenRepository(self.session)
        self.idempotency = IdempotencyRepository(self.session)
        self.links = LinkRepository(self.session)
        self.link_events = LinkEventRepository(self.session)
        self.deliveries = DeliveryRepository(self.session)
        self.reconciliations = ReconciliationRepository(self.session)
        self.link_jobs = LinkJobRepository(self.session)
        return self

    def __exit__(self, exc_type, *_):
        # close() ends an uncommitted transaction too, but unlike rollback() it leaves loaded
        # objects readable, so a service can return what it read.
        try:
            if exc_type is not None:
                self.session.rollback()
        finally:
            self._after_commit.clear()
            self.session.close()

    def after_commit(self, action) -> None:
        """Run `action()` once this transaction has committed; never if it rolls back. For
        what must tell of a change only once it is real (a log line, say)."""
        self._after_commit.append(action)

    def commit(self) -> None:
        hooks, self.before_commit = self.before_commit, []
        for hook in hooks:
            hook(self)  # may raise: the block is left uncommitted and rolls back
        self.session.commit()
        self.links.locks_released()
        actions, self._after_commit = self._after_commit, []
        for action in actions:
            action()

    def ping(self) -> None:
        """Raise unless the database answers."""
        self.session.execute(text("SELECT 1"))

    def rollback(self) -> None:
        self.session.rollback()
        self.links.locks_released()
        self._after_commit.clear()


def unit_of_work_factory(engine, *, read_only: bool = False):
    """A callable that makes a fresh UnitOfWork for each use.

    A read-only one is for an engine of db.engine.make_reader_engine: each statement its own
    snapshot, no transaction to begin or end, so that readers never queue behind writers or
    each other. It refuses to flush, before the database would refuse the write."""
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    if read_only:
        event.listen(factory, "before_flush", _refuse_writes)
    return lambda: UnitOfWork(factory)


def _refuse_writes(session, _context, _instances) -> None:
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("a read-only unit of work cannot write")
