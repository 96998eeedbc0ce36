"""The link views' own path (api/link_reads.py) answers exactly as Flask does, or leaves the
request to Flask: the same body, headers, log line, metrics and rate-limit count."""

import secrets
from contextlib import contextmanager
from unittest import mock

import jwt
import pytest
from sqlalchemy import create_engine, text

from app import create_app
from domain.rights import ALL_RIGHTS, LINKS_READ
from services import tokens
from services.tokens import OPERATOR
from tests.api.gateway_support import second_gateway_config
from tests.api.jwt_support import SECRET, claims, hand_signed, jwt_settings
from tests.api.links_support import switch

CLIENT_RULE = "/v1/clients/<id:client_id>/links"
REQUEST_ID = "parity-check-1"
# Headers that differ between two answers of the same state: each request counts once more.
COUNTED = {"RateLimit-Remaining", "RateLimit-Reset"}


@pytest.fixture
def make_gateway(app):
    """A second app on the test database, as in production: it keeps checked tokens for a
    minute (TOKEN_TOUCH_SECONDS), so that its own path can answer."""
    made = []

    def make(**settings):
        gateway = create_app(second_gateway_config(app, **settings))
        made.append(gateway)
        return Gateway(gateway)

    yield make
    for gateway in made:
        gateway.extensions["cwc"].close()
        gateway.extensions["db_changes"].close()
        gateway.extensions["db_engine"].dispose()
        gateway.extensions["db_reader_engine"].dispose()


class Gateway:
    """A gateway app, and how many requests its link views' path left to Flask."""

    def __init__(self, app):
        self.app = app
        self.http = app.test_client()
        self.reads = app.extensions["link_reads"]
        self.left_to_flask = 0
        flask_app = self.reads.flask_wsgi_app

        def counted(environ, start_response):
            self.left_to_flask += 1
            return flask_app(environ, start_response)

        self.reads.flask_wsgi_app = counted

    def token(self, name: str, rights=ALL_RIGHTS) -> dict:
        _token, secret = tokens.create_token(
            self.app.extensions["uow_factory"](), OPERATOR, name, list(rights)
        )
        return {"Authorization": f"Bearer {secret}"}

    def get(self, path: str, headers: dict, **kwargs):
        """GET, and whether the link views' own path answered it."""
        before = self.left_to_flask
        response = self.http.get(path, headers=headers, **kwargs)
        return response, self.left_to_flask == before

    def fast_get(self, path: str, headers: dict, **kwargs):
        """GET answered by the link views' own path. A request it leaves to Flask notes the
        token again; on PostgreSQL any commit in the cluster (autovacuum's) is a change, so
        a few tries may be needed."""
        for _ in range(30):
            response, fast = self.get(path, headers, **kwargs)
            if fast:
                return response
        pytest.fail(f"GET {path} was never answered by the link views' own path")

    @contextmanager
    def flask_only(self):
        with mock.patch.object(self.reads, "_answer", return_value=None):
            yield


@pytest.fixture
def records(http, auth, new_client, new_contact, app):
    """A record of each kind of link view: linked, unlinked, ineligible, failed."""
    linked = new_client("1", "Gekoppeld BV", email="info@gekoppeld.nl")["id"]
    assert switch(http, auth, "client", linked, True).status_code == 200
    plain = new_client("2", "Los BV")["id"]
    private = new_client("3", "Particulier", kind="private")["id"]
    suspect = new_client("4", "Verdacht BV", status="suspect")["id"]
    failed = new_client("5", "Fout BV")["id"]
    assert switch(http, auth, "client", failed, True).status_code == 200
    login = new_contact(linked, "Jansen", first_name="Anna", email="anna@gekoppeld.nl")["id"]
    assert switch(http, auth, "contact", login, True).status_code == 200
    no_email = new_contact(linked, "Zonder")["id"]
    same_email = new_contact(linked, "Dubbel", email="ANNA@gekoppeld.nl")["id"]
    unlinked_client = new_contact(plain, "Los", email="los@example.nl")["id"]
    engine = create_engine(app.config["DATABASE_URL"])
    with engine.begin() as conn:  # a state only CaseWare Cloud's refusal makes
        conn.execute(
            text(
                "UPDATE links SET sync_state = 'failed', last_error = :error "
                "WHERE record_type = 'client' AND record_id = :id"
            ),
            {"error": 'Naam "Ærø & Zoon" \\ te lang: €', "id": failed},
        )
    engine.dispose()
    return {
        "client": [linked, plain, private, suspect, failed],
        "contact": [login, no_email, same_email, unlinked_client],
    }


@pytest.mark.serial  # on PostgreSQL its path needs a cluster at rest: any commit is a change
def test_every_kind_of_link_view_is_answered_as_flask_answers_it(make_gateway, records):
    gateway = make_gateway()
    auth = {**gateway.token("frontend"), "X-Request-ID": REQUEST_ID}
    for kind, ids in records.items():
        for record_id in ids:
            path = f"/v1/{kind}s/{record_id}/links"
            ours = gateway.fast_get(path, auth)
            with gateway.flask_only():
                flasks = gateway.http.get(path, headers=auth)

            assert (ours.status_code, ours.data) == (flasks.status_code, flasks.data), path
            assert _fixed(ours.headers) == _fixed(flasks.headers), path
            remaining = int(flasks.headers["RateLimit-Remaining"])
            assert int(ours.headers["RateLimit-Remaining"]) == remaining + 1
    failed = gateway.fast_get(f"/v1/clients/{records['client'][4]}/links", auth).get_json()
    assert failed["caseware_cloud"]["sync"]["last_error"] == 'Naam "Ærø & Zoon" \\ te lang: €'


def _fixed(headers) -> dict:
    return {name: value for name, value in headers.items() if name not in COUNTED}


@pytest.mark.serial
def test_its_answers_are_logged_and_counted_as_flasks_are(make_gateway, records, caplog):
    gateway = make_gateway()
    auth = {**gateway.token("frontend"), "X-Request-ID": REQUEST_ID}
    path = f"/v1/clients/{records['client'][0]}/links"
    gateway.fast_get(path, auth)  # its token noted
    registry = gateway.app.extensions["metrics"].registry
    labels = {"method": "GET", "route": CLIENT_RULE, "status": "200"}
    counted = registry.get_sample_value("gateway_http_requests_total", labels)
    route = {"method": "GET", "route": CLIENT_RULE}
    timed = registry.get_sample_value("gateway_http_request_seconds_count", route)
    caplog.set_level("INFO", logger="api.requests")
    caplog.clear()

    gateway.fast_get(path, auth)
    with gateway.flask_only():
        gateway.http.get(path, headers=auth)

    ours, flasks = (_line(r) for r in caplog.records if r.name == "api.requests")
    assert ours == flasks
    assert ours["route"] == "/v1/clients/{client_id}/links" and ours["caller"] == "frontend"
    assert ours["status"] == 200 and ours["bytes"] > 0
    assert caplog.records[0].request_id == REQUEST_ID
    assert registry.get_sample_value("gateway_http_requests_total", labels) == counted + 2
    assert registry.get_sample_value("gateway_http_request_seconds_count", route) == timed + 2


def _line(record) -> dict:
    fields = ("event", "caller", "method", "route", "status", "client", "bytes", "levelname")
    return {field: getattr(record, field) for field in fields} | {"message": record.msg}


@pytest.mark.serial
def test_it_counts_reads_against_the_same_limit_and_flask_refuses_the_one_too_many(
    make_gateway, records, problem, backend
):
    gateway = make_gateway(RATE_LIMIT_READS="3/minute")
    auth = gateway.token("frontend")
    path = f"/v1/clients/{records['client'][0]}/links"

    answers = [gateway.get(path, auth) for _ in range(3)]
    refused, refused_fast = gateway.get(path, auth)

    assert [a.headers["RateLimit-Remaining"] for a, _ in answers] == ["2", "1", "0"]
    if backend == "sqlite":  # PostgreSQL's path may meet a commit elsewhere in the cluster
        # The first notes the token's first use (last_used_at, a commit), the second the token.
        assert [fast for _, fast in answers] == [False, False, True]
    assert not refused_fast
    problem(refused, 429, "rate_limited")
    assert refused.headers["RateLimit-Remaining"] == "0"
    assert int(refused.headers["Retry-After"]) >= 1


def test_what_it_does_not_answer_exactly_it_leaves_to_flask(make_gateway, records, problem):
    gateway = make_gateway()
    auth = gateway.token("frontend")
    client = records["client"][0]
    path = f"/v1/clients/{client}/links"
    gateway.get(path, auth)  # the token noted: from here on only the request decides
    before = gateway.left_to_flask
    no_right = gateway.token("lister", rights=["clients:read"])
    stranger = {"Authorization": f"Bearer {tokens.TOKEN_PREFIX}{secrets.token_urlsafe(32)}"}
    jwt = {"Authorization": "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"}

    cases = [
        (gateway.http.get(path), 401),
        (gateway.http.get(path, headers=stranger), 401),
        (gateway.http.get(path, headers=jwt), 401),
        (gateway.http.get(path, headers=no_right), 403),
        (gateway.http.get("/v1/clients/999999/links", headers=auth), 404),
        (gateway.http.get("/v1/contacts/999999/links", headers=auth), 404),
        (gateway.http.get("/v1/clients/99999999999/links", headers=auth), 404),
        (gateway.http.get(f"/v1/clients/0{client}/links", headers=auth), 200),
        (gateway.http.get(path + "/", headers=auth), 404),
        (gateway.http.head(path, headers=auth), 200),
        (gateway.http.get(path, query_string={"fields": "all"}, headers=auth), 200),
        (gateway.http.get(f"{path}/history", headers=auth), 200),
    ]

    assert [response.status_code for response, _ in cases] == [status for _, status in cases]
    assert gateway.left_to_flask - before == len(cases)
    problem(cases[3][0], 403, "forbidden")
    assert cases[3][0].get_json()["required_right"] == LINKS_READ


def test_a_revoked_token_is_refused_from_the_next_request(make_gateway, records, problem):
    gateway = make_gateway()
    auth = gateway.token("leaving")
    path = f"/v1/contacts/{records['contact'][0]}/links"
    for _ in range(3):
        assert gateway.http.get(path, headers=auth).status_code == 200

    other_worker = create_engine(gateway.app.config["DATABASE_URL"])
    with other_worker.begin() as conn:
        conn.execute(text("DELETE FROM tokens WHERE name = 'leaving'"))
    other_worker.dispose()

    problem(gateway.http.get(path, headers=auth), 401, "unauthorized")


def test_an_address_past_its_failed_authentications_is_refused_before_its_token_counts(
    make_gateway, records, problem
):
    gateway = make_gateway(RATE_LIMIT_AUTH_FAILURES="2/minute")
    auth = gateway.token("frontend")
    path = f"/v1/clients/{records['client'][0]}/links"
    assert gateway.http.get(path, headers=auth).status_code == 200
    wrong = {"Authorization": f"Bearer {tokens.TOKEN_PREFIX}wrong-{'x' * 40}"}
    for _ in range(2):
        problem(gateway.http.get(path, headers=wrong), 401, "unauthorized")

    refused, fast = gateway.get(path, auth)

    assert not fast
    problem(refused, 429, "rate_limited")


def test_a_database_error_on_its_path_leaves_the_request_to_flask(make_gateway, records):
    gateway = make_gateway()
    auth = gateway.token("frontend")
    path = f"/v1/clients/{records['client'][0]}/links"
    expected = gateway.http.get(path, headers=auth).get_json()
    failing = gateway.reads._reads
    driver_error = failing.errors[-1]

    # A database that fails this path alone: no real part fails one statement and not the next.
    with mock.patch.object(failing, "read", side_effect=driver_error("connection lost")):
        answer, fast = gateway.get(path, auth)

    assert not fast
    assert answer.status_code == 200 and answer.get_json() == expected


def test_cors_requests_are_flasks(make_gateway, records):
    gateway = make_gateway(CORS_ORIGINS=["https://auditcase.example"])
    auth = gateway.token("frontend")
    path = f"/v1/clients/{records['client'][0]}/links"
    gateway.get(path, auth)

    answer, fast = gateway.get(path, {**auth, "Origin": "https://auditcase.example"})

    assert not fast and answer.status_code == 200
    assert answer.headers["Access-Control-Allow-Origin"] == "https://auditcase.example"


def test_a_persons_jwt_is_answered_logged_and_counted_as_flask_does(make_gateway, records, caplog):
    """The AuditCase frontend reads for a logged-in person: a JWT needs no database proof."""
    gateway = make_gateway(**jwt_settings("HS256", secret=SECRET))
    anna = {
        "Authorization": f"Bearer {jwt.encode(claims(), SECRET, algorithm='HS256')}",
        "X-Request-ID": REQUEST_ID,
    }
    path = f"/v1/contacts/{records['contact'][0]}/links"
    caplog.set_level("INFO")
    caplog.clear()

    ours, fast = gateway.get(path, anna)
    with gateway.flask_only():
        flasks = gateway.http.get(path, headers=anna)

    assert fast and ours.status_code == flasks.status_code == 200
    assert ours.data == flasks.data and _fixed(ours.headers) == _fixed(flasks.headers)
    remaining = int(flasks.headers["RateLimit-Remaining"])
    assert int(ours.headers["RateLimit-Remaining"]) == remaining + 1
    lines = [(r.name, r.getMessage()) for r in caplog.records if r.name.startswith("api.")]
    person, request = ("api.auth", "request by person sub=42"), "api.requests"
    assert [name for name, _ in lines] == ["api.auth", request, "api.auth", request]
    assert lines[0] == lines[2] == person
    assert caplog.records[0].request_id == REQUEST_ID
    ours_line, flasks_line = (_line(r) for r in caplog.records if r.name == request)
    assert ours_line == flasks_line and ours_line["caller"] == "jwt:42"


def test_a_refused_or_rightless_jwt_is_left_to_flask(make_gateway, records, problem):
    gateway = make_gateway(**jwt_settings("HS256", secret=SECRET))
    path = f"/v1/clients/{records['client'][0]}/links"
    forged = hand_signed({"alg": "HS256", "typ": "JWT"}, claims(), b"not-the-secret-" * 3)
    lister = jwt.encode(claims(rights=["clients:read"]), SECRET, algorithm="HS256")

    refused, refused_fast = gateway.get(path, {"Authorization": f"Bearer {forged}"})
    forbidden, forbidden_fast = gateway.get(path, {"Authorization": f"Bearer {lister}"})

    assert not refused_fast and not forbidden_fast
    problem(refused, 401, "unauthorized")
    problem(forbidden, 403, "forbidden")
