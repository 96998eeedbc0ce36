"""A cheap proof that the database has not changed since a value was read.

SQLite: `PRAGMA data_version` on a connection that never writes changes whenever any other
connection, in this process or another, commits to the database file. It costs a few
microseconds and no transaction.

PostgreSQL: `pg_current_snapshot()` names the transactions that have completed: any commit
anywhere in the cluster changes it (a transaction that was running leaves the list, or a newer
one moves its upper bound). Two equal snapshots therefore see the same data. It costs one
round trip of a raw autocommit connection, no table read and no ORM: in process, half the
time of reading the token through SQLAlchemy. Other databases of the cluster change it too:
then callers read, as without a proof.

While version() answers the same value, nothing was committed: what a worker read after
taking that value (a token, say) is still what the database holds. Without a proof (an
in-memory SQLite, a failed probe) it answers None and callers read the database as usual.
"""

from __future__ import annotations

import logging
import sqlite3
import threading

from sqlalchemy import Engine

log = logging.getLogger(__name__)

# PostgreSQL's proof, as SQL: _snapshot() runs it alone, db.link_views as a column of its read.
PG_PROOF = "pg_current_snapshot()::text"


class DatabaseChanges:
    """version(): an opaque value that differs after any commit to the database, or None."""

    def __init__(self, readers: Engine) -> None:
        url = readers.url
        # PostgreSQL's proof is a round trip; SQLite's costs microseconds.
        self.costs_a_round_trip = url.get_backend_name() == "postgresql"
        on_file = url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")
        self._path = url.database if on_file else None
        self._readers = readers  # PostgreSQL: autocommit connections from its pool
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None

    def version(self) -> int | str | None:
        """The database's current version, or None when there is no proof."""
        if self.costs_a_round_trip:
            return self._snapshot()
        if self._path is None:
            return None
        with self._lock:
            try:
                if self._conn is None:
                    self._conn = sqlite3.connect(self._path, check_same_thread=False)
                return self._conn.execute("PRAGMA data_version").fetchone()[0]
            except sqlite3.Error:
                self._conn = None  # no proof this time; the caller reads the database
                return None

    def _snapshot(self) -> str | None:
        try:
            connection = self._readers.raw_connection()
        except Exception:  # the database is away: the caller's own read will say so
            return None
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT {PG_PROOF}")
                return cursor.fetchone()[0]
        except Exception:
            log.debug("no snapshot to prove the database unchanged", exc_info=True)
            connection.invalidate()  # do not give a broken connection back to the pool
            return None
        finally:
            connection.close()

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
