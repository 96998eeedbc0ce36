"""The benchmark's databases: a fresh SQLite file, or a throwaway PostgreSQL schema."""

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import create_engine, text

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def pg_base_url() -> str:
    """The PostgreSQL to use: PG_BENCH_URL, else the local test database."""
    return os.environ.get("PG_BENCH_URL") or DEFAULT_PG_URL


def pg_unavailable() -> str | None:
    """Why PostgreSQL cannot be used, or None when it answers."""
    try:
        engine = create_engine(pg_base_url(), connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # any failure to connect means: skip it, and say why
        return f"{type(exc).__name__}: {str(exc).splitlines()[0]}"
    return None


@contextlib.contextmanager
def database(kind: str, tmp: Path) -> Iterator[str]:
    """A URL for an empty database of `kind`; a PostgreSQL schema is dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp / 'bench.db'}"
        return
    base = pg_base_url()
    schema = f"gw_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    # The schema first in search_path: migrations, the loader and gunicorn all land in it
    # (the trick of tests/conftest.py).
    separator = "&" if "?" in base else "?"
    try:
        yield f"{base}{separator}options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
