"""A cheap proof that the database has not changed: SQLite's data_version.

`PRAGMA data_version` on a connection that never writes changes whenever any other connection,
in this process or another, commits to the database file. While it stays the same, nothing
was written: what a worker read before (a token, say) is still what the database holds. It
costs a few microseconds and no transaction. PostgreSQL has no such counter: there, version()
answers None and callers read the database as usual.
"""

from __future__ import annotations

import sqlite3
import threading

from sqlalchemy import make_url


class DatabaseChanges:
    """version(): an opaque value that differs after any commit to the database, or None."""

    def __init__(self, url: str) -> None:
        parsed = make_url(url)
        on_file = parsed.get_backend_name() == "sqlite" and parsed.database not in (
            None,
            "",
            ":memory:",
        )
        self._path = parsed.database if on_file else None
        self._lock = threading.Lock()
        self._conn: sqlite3.Connection | None = None

    def version(self) -> int | None:
        """data_version of a connection of our own (made on first use, per process)."""
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

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
