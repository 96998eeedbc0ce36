"""Read-only units of work: they refuse to write, and on PostgreSQL run in autocommit."""

import pytest

from db.models import Client


def test_a_reader_refuses_to_write(app):
    reader = app.extensions["reader_factory"]()
    with reader, pytest.raises(RuntimeError, match="read-only"):
        reader.session.add(Client(number="9999", name="Never BV", kind="business"))
        reader.session.flush()


def test_readers_are_one_round_trip_a_statement_on_postgresql(app, backend):
    def autocommit(uow) -> bool:
        with uow:
            dbapi_connection = uow.session.connection().connection.dbapi_connection
            return getattr(dbapi_connection, "autocommit", False) is True

    # No BEGIN and ROLLBACK around a token check or a link view; writers keep transactions.
    assert autocommit(app.extensions["reader_factory"]()) == (backend == "postgresql")
    assert not autocommit(app.extensions["uow_factory"]())
