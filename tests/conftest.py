"""Shared fixtures: an app on each database (SQLite always, PostgreSQL when configured)."""

import os
import uuid
from urllib.parse import quote

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect, text

from app import create_app
from cli import alembic_config
from config import TestConfig
from domain.rights import ALL_RIGHTS
from services import tokens
from services.tokens import OPERATOR

POSTGRES_URL = os.environ.get("TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])


def _postgres_schema_url(schema: str) -> str:
    separator = "&" if "?" in POSTGRES_URL else "?"
    return f"{POSTGRES_URL}{separator}options={quote(f'-csearch_path={schema}')}"


@pytest.fixture(scope="session")
def migrated_databases(tmp_path_factory):
    """One migrated database per backend for the session; PostgreSQL's in a throwaway schema."""
    urls = {"sqlite": f"sqlite:///{tmp_path_factory.mktemp('db') / 'gateway.db'}"}
    schema = None
    if POSTGRES_URL:
        schema = f"gw_test_{uuid.uuid4().hex[:12]}"
        admin = create_engine(POSTGRES_URL)
        try:
            with admin.begin() as conn:
                conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        except Exception as exc:  # configured but unreachable: say so, do not pass silently
            pytest.fail(f"TEST_DATABASE_URL is set but PostgreSQL cannot be used: {exc}")
        urls["postgresql"] = _postgres_schema_url(schema)
    for url in urls.values():
        command.upgrade(alembic_config(url), "head")
    yield urls
    if schema:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _empty_tables(engine) -> None:
    tables = [t for t in inspect(engine).get_table_names() if t != "alembic_version"]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f"DELETE FROM {table}"))


@pytest.fixture(params=BACKENDS)
def app(request, migrated_databases):
    """A gateway on a migrated, empty database of each backend."""

    class Config(TestConfig):
        DATABASE_URL = migrated_databases[request.param]

    application = create_app(Config)
    engine = application.extensions["db_engine"]
    _empty_tables(engine)
    yield application
    engine.dispose()


@pytest.fixture
def http(app):
    """Flask's test client: the app through its HTTP interface."""
    return app.test_client()


@pytest.fixture
def make_token(app):
    """make_token("name", ["clients:read"]) -> the bearer secret."""

    def make(name: str, rights=ALL_RIGHTS, expires_at=None) -> str:
        _token, secret = tokens.create_token(
            app.extensions["uow_factory"](), OPERATOR, name, list(rights), expires_at
        )
        return secret

    return make


@pytest.fixture
def auth(make_token):
    """Authorization headers of a token that holds every right."""
    return {"Authorization": f"Bearer {make_token('tester')}"}


@pytest.fixture
def new_client(http, auth):
    """new_client(number="1001", **fields) -> the created client's JSON."""

    def create(number="1001", name="Bakkerij Jansen BV", **fields):
        response = http.post(
            "/v1/clients", json={"number": number, "name": name, **fields}, headers=auth
        )
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return create
