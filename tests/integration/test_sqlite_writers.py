"""SQLite writers queue on the writers' file lock; readers never wait for it."""

import threading

import pytest
from sqlalchemy import text

from db.engine import make_engine, make_reader_engine


@pytest.fixture
def engine(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'w.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"))
    yield engine
    engine.dispose()


def write_in_thread(engine, value):
    """Start a writer in a thread; returns (thread, event set once it has committed)."""
    done = threading.Event()

    def write():
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO t (v) VALUES (:v)"), {"v": value})
        done.set()

    thread = threading.Thread(target=write)
    thread.start()
    return thread, done


@pytest.mark.parametrize("ending", ["commit", "rollback", "close"])
def test_a_second_writer_waits_until_the_first_ends(engine, ending):
    first = engine.connect()
    transaction = first.begin()
    first.execute(text("INSERT INTO t (v) VALUES ('first')"))

    thread, done = write_in_thread(engine, "second")
    assert not done.wait(0.3)  # it waits for the lock, holding nothing yet

    if ending == "commit":
        transaction.commit()
    elif ending == "rollback":
        transaction.rollback()
    first.close()
    thread.join(5)

    assert done.is_set()
    with engine.connect() as conn:
        values = sorted(conn.execute(text("SELECT v FROM t")).scalars())
    assert values == (["first", "second"] if ending == "commit" else ["second"])


def test_a_reader_does_not_wait_for_a_writer(engine):
    writer = engine.connect()
    transaction = writer.begin()
    writer.execute(text("INSERT INTO t (v) VALUES ('uncommitted')"))

    reader = make_reader_engine(engine)
    with reader.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 0
    reader.dispose()

    transaction.rollback()
    writer.close()


def test_the_lock_file_lies_beside_the_database(engine, tmp_path):
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO t (v) VALUES ('x')"))
    assert (tmp_path / "w.db-writers.lock").exists()
