"""The engine for DATABASE_URL, with the SQLite settings that make it safe under threads."""

import logging
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import StaticPool

from db.sqlite_writers import WriterLockedConnection, connection_class

log = logging.getLogger(__name__)
T = TypeVar("T")
# Statement errors (and their logs) show the SQL but never the values bound to it: those are
# the firm's data, and a token's hash among them.
HIDE_PARAMETERS = {"hide_parameters": True}


# Kept connections per engine and process: more than a worker's threads (gunicorn's 8, and the
# courier's 4 on the writer). A thread that finds the pool empty opens an overflow connection
# and closes it after use: past the pool's size every request would pay a new connection
# (SQLAlchemy's default is 5; on PostgreSQL a reader pool of 5 served 644 GETs/s, of 10 3,250).
POOL = {"pool_size": 12, "max_overflow": 8}
# A reader's connection is in autocommit: there is no transaction to roll back when it goes
# back to the pool (SQLAlchemy's "disabling reset on return for non-transactional connections").
READER_POOL = {**POOL, "pool_reset_on_return": None}


def make_engine(url: str, *, sqlite_busy_timeout: float = 30.0) -> Engine:
    """An engine for `url`; SQLite gets foreign keys, WAL and write-serialising transactions."""
    if not url.startswith("sqlite"):
        # No pre-ping: it costs a round trip per checkout. After a database restart the first
        # read that meets a dead connection renews the pool, and again_if_stale retries it.
        return create_engine(url, **POOL, **HIDE_PARAMETERS)

    in_memory = url in ("sqlite://", "sqlite:///:memory:")
    connect_args = {"check_same_thread": False, "timeout": sqlite_busy_timeout}
    if not in_memory:
        connect_args["factory"] = connection_class(make_url(url).database)
    # One shared connection keeps an in-memory database alive across sessions.
    pooling = {"poolclass": StaticPool} if in_memory else POOL
    engine = create_engine(url, connect_args=connect_args, **pooling, **HIDE_PARAMETERS)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_conn, _record):
        # Take transaction control from pysqlite so that "begin" below decides how to begin.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        # IMMEDIATE takes the write lock at the start: two writers queue instead of one of
        # them failing on upgrade from a read lock, which is SQLite's lost-update guard.
        # Readers have an engine of their own (make_reader_engine) that never begins.
        dbapi_conn = conn.connection.dbapi_connection
        if isinstance(dbapi_conn, WriterLockedConnection):
            dbapi_conn.begin_write()  # queue here, woken at once, not in SQLite's busy handler
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            if isinstance(dbapi_conn, WriterLockedConnection):
                dbapi_conn.let_go()
            raise

    return engine


_PG_READ_ONLY = "-c default_transaction_read_only=on"


def make_reader_engine(engine: Engine, *, sqlite_busy_timeout: float = 30.0) -> Engine:
    """An engine for readers of `engine`'s database: autocommit, and refusing to write.

    Every read statement then runs alone, as its own snapshot: no BEGIN and ROLLBACK around
    it (on PostgreSQL two round trips fewer), and on SQLite no transaction that could wait
    for a writer. Its own pool, so that no connection switches between autocommit and
    transactions at each checkout. The database itself refuses writes through it
    (SQLite's query_only, PostgreSQL's default_transaction_read_only)."""
    url = engine.url
    if url.get_backend_name() != "sqlite":
        # Added to the URL's own options (a search_path, say), which connect_args would replace.
        options = " ".join(filter(None, (url.query.get("options"), _PG_READ_ONLY)))
        return create_engine(
            url.update_query_dict({"options": options}),
            isolation_level="AUTOCOMMIT",
            **READER_POOL,
            **HIDE_PARAMETERS,
        )
    if url.database in (None, "", ":memory:"):
        return engine  # its one connection holds the database: readers share it
    reader = create_engine(
        url,
        isolation_level="AUTOCOMMIT",
        connect_args={"check_same_thread": False, "timeout": sqlite_busy_timeout},
        **READER_POOL,
        **HIDE_PARAMETERS,
    )

    @event.listens_for(reader, "connect")
    def _read_only(dbapi_conn, _record):
        dbapi_conn.execute("PRAGMA query_only=ON")

    return reader


def again_if_stale(action: Callable[[], T]) -> T:
    """Run `action`; once more if it met a pooled connection the database has closed since.

    After a restart or failover, the first statement on an old connection fails and SQLAlchemy
    renews the whole pool; the second try runs on a fresh connection. Only for actions whose
    first statement is a read, so that a failed first try has written nothing."""
    try:
        return action()
    except DBAPIError as error:
        if not error.connection_invalidated:
            raise
        log.warning("the database had closed a pooled connection (a restart?); trying again")
        return action()
