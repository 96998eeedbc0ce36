"""Operations: /healthz, /readyz (also with the database gone), unknown routes, wrong methods."""

import pytest
from sqlalchemy import create_engine

from app import create_app
from config import TestConfig
from tests.conftest import POSTGRES_URL

PROBLEM_JSON = "application/problem+json"


def test_healthz_and_readyz_answer_ok_without_a_token(http):
    alive = http.get("/healthz")
    assert alive.status_code == 200
    assert alive.mimetype == "application/json"
    assert alive.get_json() == {"status": "ok"}

    response = http.get("/readyz")

    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {
        "database",
        "caseware_cloud",
        "pending_deliveries",
        "held_deliveries",
    }
    assert body["checks"]["database"] == "ok"


GONE = {
    "postgresql-refused": "postgresql+psycopg://gwuser:s3cr3t-pw@127.0.0.1:1/nowhere",
    "sqlite-no-directory": "sqlite:////nonexistent-dir-4f1c/s3cr3t-pw/nowhere.db",
}


@pytest.fixture(params=sorted(GONE))
def app_without_database(request):
    """A gateway whose database cannot be reached; its URL carries a fake password."""

    class Config(TestConfig):
        DATABASE_URL = GONE[request.param]

    application = create_app(Config)
    yield application
    application.extensions["db_engine"].dispose()
    application.extensions["db_reader_engine"].dispose()


def _leaks(text: str) -> list[str]:
    return [
        s for s in ("s3cr3t-pw", "nowhere", "gwuser", "127.0.0.1:1", "nonexistent") if s in text
    ]


def test_readyz_is_a_503_when_the_database_is_gone_and_leaks_nothing(app_without_database):
    http = app_without_database.test_client()

    response = http.get("/readyz")

    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] != "ok"
    assert body["checks"]["database"] != "ok"
    assert _leaks(response.get_data(as_text=True)) == []
    assert _leaks(str(response.headers)) == []
    assert http.get("/healthz").status_code == 200  # alive, touching nothing


def test_a_v1_request_without_a_database_is_a_503_unavailable(app_without_database):
    http = app_without_database.test_client()

    response = http.get("/v1/clients", headers={"Authorization": "Bearer cwg_whatever"})

    assert response.status_code == 503
    assert response.mimetype == PROBLEM_JSON
    assert response.get_json()["code"] == "unavailable"
    assert _leaks(response.get_data(as_text=True)) == []


def test_an_unknown_route_is_a_404_problem(http, auth, problem):
    for path in ("/nope", "/v1/nope", "/v1/clients/1/nope", "/v2/clients", "/v1/clients/"):
        for headers in ({}, auth):
            problem(http.get(path, headers=headers), 404, "not_found")


def test_a_wrong_method_is_a_405_problem(http, auth, problem, new_client):
    client_id = new_client()["id"]
    for method, path in [
        ("PUT", "/v1/clients"),
        ("DELETE", "/v1/clients"),
        ("PATCH", "/v1/clients"),
        ("PUT", f"/v1/clients/{client_id}"),
        ("POST", f"/v1/clients/{client_id}"),
        ("PUT", "/v1/tokens"),
        ("GET", "/v1/tokens/tester"),
        ("POST", "/healthz"),
        ("DELETE", "/readyz"),
    ]:
        response = http.open(path, method=method, json={}, headers=auth)
        problem(response, 405)
    assert http.get(f"/v1/clients/{client_id}", headers=auth).status_code == 200


def test_a_405_says_which_methods_are_allowed(http, auth):
    response = http.put("/v1/clients", json={}, headers=auth)
    assert response.status_code == 405
    assert set(response.headers.get("Allow", "").replace(" ", "").split(",")) >= {"GET", "POST"}


def _drop_the_gateways_connections(app) -> int:
    """What a PostgreSQL restart does to the gateway: every pooled connection dies."""
    engine = app.extensions["db_engine"]
    with engine.connect() as conn:
        own = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
    # The pool now holds `own`; end it from another session, as a restart would.
    admin = create_engine(POSTGRES_URL)
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"SELECT pg_terminate_backend({own})")
    finally:
        admin.dispose()
    return own


# SQLite has no server to restart.
postgresql_only = pytest.mark.parametrize(
    "app",
    [
        pytest.param(
            "postgresql",
            marks=pytest.mark.skipif(
                not POSTGRES_URL, reason="needs PostgreSQL: set TEST_DATABASE_URL (make test does)"
            ),
        )
    ],
    indirect=True,
)


@postgresql_only
def test_a_database_restart_costs_no_request(app, http, auth):
    assert http.get("/v1/clients", headers=auth).status_code == 200
    _drop_the_gateways_connections(app)

    response = http.get("/v1/clients", headers=auth)

    assert response.status_code == 200, response.get_json()


@postgresql_only
def test_readyz_after_a_database_restart_is_ready_at_once(app, http):
    assert http.get("/readyz").status_code == 200
    _drop_the_gateways_connections(app)

    response = http.get("/readyz")

    assert (response.status_code, response.get_json()["checks"]["database"]) == (200, "ok")
