"""A worker trusts a token it has checked only while the database is unchanged since: a
revocation, from this worker or any other, is refused from the next request."""

import pytest
from sqlalchemy import create_engine, event, text

from app import create_app
from domain.rights import ALL_RIGHTS
from services import tokens
from services.tokens import OPERATOR
from tests.api.gateway_support import second_gateway_config


@pytest.fixture
def gateway(app):
    """A second app on the same database, touching last_used_at once a minute as in production."""
    gateway = create_app(second_gateway_config(app))
    yield gateway
    gateway.extensions["cwc"].close()
    gateway.extensions["db_changes"].close()
    gateway.extensions["db_engine"].dispose()
    gateway.extensions["db_reader_engine"].dispose()


def token_reads(engine) -> list[str]:
    seen = []

    @event.listens_for(engine, "before_cursor_execute")
    def _seen(_conn, _cursor, statement, *_args):
        if "FROM tokens" in statement:
            seen.append(statement)

    return seen


@pytest.mark.serial  # on PostgreSQL any commit in the cluster counts: not next to another worker
def test_a_checked_token_is_not_read_again_while_nothing_changed(gateway):
    _token, secret = tokens.create_token(
        gateway.extensions["uow_factory"](), OPERATOR, "reader", list(ALL_RIGHTS)
    )
    http, headers = gateway.test_client(), {"Authorization": f"Bearer {secret}"}
    for _ in range(2):  # the first request also notes last_used_at: a change
        assert http.get("/v1/clients", headers=headers).status_code == 200
    reads = token_reads(gateway.extensions["db_reader_engine"])

    # SQLite proves "unchanged" with data_version, PostgreSQL with its snapshot. There any
    # commit in the cluster counts as a change (autovacuum's statistics, another database),
    # and the token is rightly read again; three quiet requests in a row come within a few.
    for _ in range(20):
        reads.clear()
        for _ in range(3):
            assert http.get("/v1/clients", headers=headers).status_code == 200
        if not reads:
            break

    assert reads == []


def test_any_commit_changes_the_version(gateway):
    changes = gateway.extensions["db_changes"]
    before = changes.version()
    assert before is not None

    tokens.create_token(gateway.extensions["uow_factory"](), OPERATOR, "new", ["clients:read"])

    assert changes.version() != before


def test_a_revocation_by_another_worker_holds_from_the_next_request(gateway, problem):
    _token, secret = tokens.create_token(
        gateway.extensions["uow_factory"](), OPERATOR, "leaving", list(ALL_RIGHTS)
    )
    http, headers = gateway.test_client(), {"Authorization": f"Bearer {secret}"}
    assert http.get("/v1/clients", headers=headers).status_code == 200
    assert http.get("/v1/clients", headers=headers).status_code == 200

    other_worker = create_engine(gateway.config["DATABASE_URL"])
    with other_worker.begin() as conn:
        conn.execute(text("DELETE FROM tokens WHERE name = 'leaving'"))
    other_worker.dispose()

    problem(http.get("/v1/clients", headers=headers), 401, "unauthorized")


def test_a_write_asks_for_the_proof_only_where_it_is_free(gateway, backend):
    """A write commits, so the next request finds the database changed anyway: on PostgreSQL,
    where the proof is a round trip, a write reads its token without asking for it."""
    _token, secret = tokens.create_token(
        gateway.extensions["uow_factory"](), OPERATOR, "writer", list(ALL_RIGHTS)
    )
    http, headers = gateway.test_client(), {"Authorization": f"Bearer {secret}"}
    known, asked = gateway.extensions["known_tokens"], []
    proof = known._version
    known._version = lambda: asked.append(1) or proof()

    body = {"number": "4242", "name": "Schrijver BV"}
    assert http.post("/v1/clients", json=body, headers=headers).status_code == 201
    assert http.get("/v1/clients", headers=headers).status_code == 200

    assert len(asked) == (2 if backend == "sqlite" else 1)
