"""The engine for DATABASE_URL, with the SQLite settings that make it safe under threads."""

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.pool import StaticPool


def make_engine(url: str, *, sqlite_busy_timeout: float = 30.0) -> Engine:
    """An engine for `url`; SQLite gets foreign keys, WAL and write-serialising transactions."""
    if not url.startswith("sqlite"):
        # No pre-ping: it costs a round trip per checkout. After a database restart the first
        # request that meets a dead connection answers 503 and the pool is renewed at once.
        return create_engine(url, pool_size=10, max_overflow=10)

    in_memory = url in ("sqlite://", "sqlite:///:memory:")
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": sqlite_busy_timeout},
        # One shared connection keeps an in-memory database alive across sessions.
        poolclass=StaticPool if in_memory else None,
    )

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
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
