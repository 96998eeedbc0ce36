"""Read-only units of work: each statement its own snapshot, and no way to write through them."""

import sqlite3

import pytest
from psycopg.pq import TransactionStatus
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from db.models import Client


def test_a_reader_refuses_to_flush(app):
    reader = app.extensions["reader_factory"]()
    with reader, pytest.raises(RuntimeError, match="read-only"):
        reader.session.add(Client(number="9999", name="Never BV", kind="business"))
        reader.session.flush()


def test_the_database_refuses_a_write_through_a_reader(app):
    reader = app.extensions["reader_factory"]()
    with reader, pytest.raises(DBAPIError):
        reader.session.execute(
            text("INSERT INTO clients (number, name, kind) VALUES ('9998', 'Never BV', 'business')")
        )
    with app.extensions["uow_factory"]() as uow:
        assert uow.session.scalar(text("SELECT count(*) FROM clients")) == 0


def test_readers_run_in_autocommit_and_writers_in_transactions(app):
    def autocommit(uow) -> bool:
        with uow:
            uow.session.execute(text("SELECT count(*) FROM clients"))
            dbapi = uow.session.connection().connection.dbapi_connection
            if isinstance(dbapi, sqlite3.Connection):
                return not dbapi.in_transaction
            return dbapi.info.transaction_status == TransactionStatus.IDLE

    # No BEGIN and ROLLBACK around a token check or a link view; writers keep transactions.
    assert autocommit(app.extensions["reader_factory"]())
    assert not autocommit(app.extensions["uow_factory"]())
