"""An attacker's findings (issue 10), each checked through the HTTP interface."""

import hashlib
import io
import json
import logging
import re
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from app import _configure_logging, create_app
from db.models import IdempotencyRecord

FORGED_HOST = "evil.example"
MIB = 1024 * 1024


@pytest.fixture
def answers(http, auth, new_client):
    """One answer of every kind: data, errors, the docs, their assets, the metrics."""
    client = new_client()
    return {
        "a client": http.get(f"/v1/clients/{client['id']}", headers=auth),
        "a list": http.get("/v1/clients", headers=auth),
        "a create": http.post("/v1/clients", json={"number": "2", "name": "X"}, headers=auth),
        "a 401": http.get("/v1/clients"),
        "a 404 route": http.get("/no/such/route"),
        "a 404 resource": http.get("/v1/clients/999", headers=auth),
        "a 405": http.put("/v1/clients", headers=auth),
        "a 422": http.post("/v1/clients", json={}, headers=auth),
        "the spec": http.get("/v1/openapi.json"),
        "the docs": http.get("/docs"),
        "a docs asset": http.get("/docs/assets/swagger-ui.css"),
        "the metrics": http.get("/metrics"),
        "health": http.get("/healthz"),
    }


def test_every_answer_carries_the_security_headers(answers):
    for label, answer in answers.items():
        headers = answer.headers
        assert headers.get("X-Content-Type-Options") == "nosniff", label
        assert headers.get("X-Frame-Options") == "DENY", label
        assert "frame-ancestors 'none'" in headers.get("Content-Security-Policy", ""), label
        assert headers.get("Referrer-Policy") == "no-referrer", label


def test_api_answers_may_not_be_stored_by_any_cache(answers):
    for label, answer in answers.items():
        if answer.request.path.startswith("/v1/"):
            assert answer.headers.get("Cache-Control") == "no-store", label


def test_only_the_docs_page_may_run_scripts_and_only_its_own(answers):
    for label, answer in answers.items():
        policy = answer.headers["Content-Security-Policy"]
        if label == "the docs":
            assert "script-src 'self';" in policy and "unsafe" not in policy.split("style-src")[0]
            assert "<script>" not in answer.get_data(as_text=True)  # no inline script to allow
        else:
            assert policy.startswith("default-src 'none'"), label


@pytest.mark.parametrize(
    "path", ["/docs/assets//swagger-ui.css", "/v1//clients", "/docs//assets/swagger-ui.css"]
)
def test_a_redirect_never_names_the_host_the_caller_sent(http, auth, path):
    answer = http.get(path, headers={**auth, "Host": FORGED_HOST})

    assert answer.status_code in (301, 302, 307, 308, 404), answer.status_code
    location = answer.headers.get("Location", "")
    assert FORGED_HOST not in location and not location.startswith("//"), location
    if answer.status_code != 404:
        assert location.startswith("/"), location


# CORS ----------------------------------------------------------------------------------------

FRONTEND = "https://auditcase.example.nl"


@pytest.fixture
def cors_http(app):
    """A gateway on the same database with CORS_ORIGINS naming the AuditCase frontend."""
    settings = {**app.config, "CORS_ORIGINS": [FRONTEND, "https://other.example.nl"]}
    with_cors = create_app(SimpleNamespace(**settings))
    yield with_cors.test_client()
    with_cors.extensions["cwc"].close()
    with_cors.extensions["db_engine"].dispose()
    with_cors.extensions["db_reader_engine"].dispose()


def test_without_cors_origins_no_answer_carries_cors_headers(http, auth):
    preflight = http.options("/v1/clients", headers=_preflight("POST"))
    answer = http.get("/v1/clients", headers={**auth, "Origin": FRONTEND})

    for response in (preflight, answer):
        assert not [h for h, _ in response.headers.items() if h.startswith("Access-Control-")]


def test_a_preflight_from_the_frontend_is_answered_without_a_token(cors_http):
    answer = cors_http.options(
        "/v1/clients/1", headers=_preflight("PATCH", "authorization, if-match, content-type")
    )

    assert answer.status_code == 200
    assert answer.headers["Access-Control-Allow-Origin"] == FRONTEND
    assert "PATCH" in answer.headers["Access-Control-Allow-Methods"]
    allowed = _names(answer.headers["Access-Control-Allow-Headers"])
    assert {"authorization", "if-match", "content-type"} <= allowed
    assert "Access-Control-Allow-Credentials" not in answer.headers


def test_every_header_the_api_reads_may_be_sent(cors_http):
    wanted = "authorization, content-type, if-match, idempotency-key, x-request-id"
    answer = cors_http.options("/v1/clients", headers=_preflight("POST", wanted))

    assert _names(answer.headers["Access-Control-Allow-Headers"]) == _names(wanted)


def test_the_frontend_may_read_the_headers_the_api_sends(cors_http, auth):
    answer = cors_http.post(
        "/v1/clients",
        json={"number": "1", "name": "X"},
        headers={**auth, "Origin": FRONTEND, "Idempotency-Key": "k"},
    )

    assert answer.status_code == 201
    assert answer.headers["Access-Control-Allow-Origin"] == FRONTEND
    exposed = _names(answer.headers["Access-Control-Expose-Headers"])
    assert exposed >= {"etag", "x-request-id", "idempotent-replayed", "location", "retry-after"}
    assert exposed >= {"ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"}


def test_an_origin_not_named_gets_no_cors_headers(cors_http, auth):
    preflight = cors_http.options(
        "/v1/clients", headers={**_preflight("POST"), "Origin": "https://evil.example"}
    )
    answer = cors_http.get("/v1/clients", headers={**auth, "Origin": "https://evil.example"})

    for response in (preflight, answer):
        assert "Access-Control-Allow-Origin" not in response.headers


def _preflight(method: str, headers: str = "authorization") -> dict:
    return {
        "Origin": FRONTEND,
        "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": headers,
    }


def _names(header: str) -> set[str]:
    return {name.strip().lower() for name in header.split(",")}


# What the logs keep -------------------------------------------------------------------------

REFUSE_TOKENS = {
    "sqlite": [
        "CREATE TRIGGER refuse_tokens BEFORE INSERT ON tokens "
        "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION refuse_insert() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$",
        "CREATE TRIGGER refuse_tokens BEFORE INSERT ON tokens "
        "FOR EACH ROW EXECUTE FUNCTION refuse_insert()",
    ],
}
ALLOW_TOKENS = {
    "sqlite": ["DROP TRIGGER refuse_tokens"],
    "postgresql": ["DROP TRIGGER refuse_tokens ON tokens", "DROP FUNCTION refuse_insert()"],
}


@pytest.fixture
def database_refuses_tokens(app, backend):
    """The database itself refuses every new token, as a broken database would."""

    def run(statements):
        with app.extensions["db_engine"].begin() as conn:
            for statement in statements:
                conn.exec_driver_sql(statement)

    run(REFUSE_TOKENS[backend])
    yield
    run(ALLOW_TOKENS[backend])


def test_a_database_error_is_logged_without_the_values_of_the_statement(
    http, auth, database_refuses_tokens, caplog
):
    body = {"name": "leaky-name-4711", "rights": ["clients:read"]}
    answer = http.post("/v1/tokens", json=body, headers=auth)

    assert answer.status_code == 500  # the database refused: nothing the caller can fix
    assert "INSERT INTO tokens" in caplog.text  # the statement is there for the operator
    assert "leaky-name-4711" not in caplog.text
    assert "clients:read" not in caplog.text


# Times a caller sends -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "expires_at",
    ["9999-12-31T23:59:59-05:00", "0001-01-01T00:30:00+01:00", "2030-01-01T00:00:00", "2030-13-01"],
)
def test_a_time_that_is_no_time_in_utc_is_a_422_on_its_field(
    http, auth, snapshot, problem, expires_at
):
    before = snapshot()
    body = {"name": "robot", "rights": [], "expires_at": expires_at}
    answer = http.post("/v1/tokens", json=body, headers=auth)

    problem(answer, 422, "validation_error", field="expires_at")
    assert snapshot() == before


def test_a_time_late_in_the_last_year_is_kept_in_utc(http, auth):
    body = {"name": "robot", "rights": [], "expires_at": "9999-12-31T18:00:00-05:00"}
    answer = http.post("/v1/tokens", json=body, headers=auth)

    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["expires_at"] == "9999-12-31T23:00:00Z"


@pytest.fixture
def app_log(app):
    """What the app's own log handler (app._configure_logging) writes, as text."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    written = io.StringIO()
    _configure_logging(app, stream=written)
    yield written
    root.handlers[:], root.level = handlers, level


def test_the_app_log_redacts_secrets_from_whatever_logs_them(app_log, make_token):
    secret = make_token("robot", ["clients:read"])
    jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJqYW4ifQ.c2lnbmF0dXJl"
    werkzeug = logging.getLogger("werkzeug")
    werkzeug.warning('"GET /v1/clients?access_token=%s&page=2 HTTP/1.1" 401 -', secret)
    werkzeug.warning("GET /v1/clients?jwt=%s", jwt)
    werkzeug.warning("GET /v1/clients?password=hunter2&secret=s3&key=k1&token=t1")
    try:
        raise ValueError(f"refused Bearer {secret}")
    except ValueError:
        logging.getLogger("api.errors").exception("unhandled error")

    text = app_log.getvalue()
    for value in (secret, jwt, "hunter2", "s3&", "k1", "t1"):
        assert value not in text
    assert "page=2" in text and text.count("[redacted]") >= 7


# Bodies sent in chunks ----------------------------------------------------------------------


def _chunked(body: bytes) -> dict:
    """A body as a chunked request carries it: a stream, no Content-Length."""
    return {
        "input_stream": io.BytesIO(body),
        "headers": {"Transfer-Encoding": "chunked", "Content-Type": "application/json"},
        "environ_overrides": {"wsgi.input_terminated": True},  # as gunicorn says of chunked
    }


def test_a_chunked_body_over_1_mib_is_a_413(http, auth, snapshot, problem):
    before = snapshot()
    body = json.dumps({"number": "1", "name": "x" * MIB}).encode()
    request = _chunked(body)
    answer = http.post("/v1/clients", headers={**auth, **request.pop("headers")}, **request)

    problem(answer, 413, "payload_too_large")
    assert snapshot() == before


def test_a_chunked_body_of_exactly_1_mib_is_read_whole(http, auth, problem):
    padding = MIB - len(json.dumps({"number": "1", "name": ""}))
    body = json.dumps({"number": "1", "name": "x" * padding}).encode()
    assert len(body) == MIB
    request = _chunked(body)
    answer = http.post("/v1/clients", headers={**auth, **request.pop("headers")}, **request)

    problem(answer, 422, "validation_error", field="name")  # too long a name, but valid JSON


# Text a reader cannot see -------------------------------------------------------------------

BLANK_VALUES = [" ", "   ", "\ufeff", "\u200b", "\u0085", "\u00a0\u3000", "\u2800", "\u3164"]
# Control (Cc) and format (Cf) characters, refused anywhere in a text.
HIDDEN_CHARACTERS = [
    *("\t", "\n", "\r", "\x1b", "\x7f", "\u0085", "\u009b", "\u00ad", "\u200b", "\u200d"),
    *("\u200e", "\u202e", "\u2066", "\u2069", "\ufeff", "\U000e0041"),
]
REQUIRED_TEXT = [  # (method, path, a valid body, the required text field)
    ("POST", "/v1/clients", {"number": "7", "name": "Valid"}, "number"),
    ("POST", "/v1/clients", {"number": "7", "name": "Valid"}, "name"),
    ("PATCH", "/v1/clients/{client_id}", {}, "name"),
    ("POST", "/v1/clients/{client_id}/contacts", {"last_name": "Valid"}, "last_name"),
    ("PATCH", "/v1/contacts/{contact_id}", {}, "last_name"),
]
ANY_TEXT = REQUIRED_TEXT + [
    ("PATCH", "/v1/clients/{client_id}", {}, "city"),
    ("PATCH", "/v1/clients/{client_id}", {}, "email"),
    ("PATCH", "/v1/contacts/{contact_id}", {}, "first_name"),
    ("PATCH", "/v1/contacts/{contact_id}", {}, "infix"),
]


@pytest.fixture
def ids(new_client, new_contact):
    client = new_client(number="1001")
    return {"client_id": client["id"], "contact_id": new_contact(client["id"])["id"]}


def test_a_required_text_that_shows_nothing_is_a_422_naming_it(http, auth, ids, snapshot, problem):
    before = snapshot([ids["client_id"]])
    for method, path, valid, field in REQUIRED_TEXT:
        for value in BLANK_VALUES:
            body = {**valid, field: value}
            answer = http.open(path.format(**ids), method=method, json=body, headers=auth)
            problem(answer, 422, "validation_error", field=field)
    assert snapshot([ids["client_id"]]) == before


OPTIONAL_TEXT = [  # (path, optional text field)
    ("/v1/clients/{client_id}", "city"),
    ("/v1/clients/{client_id}", "address"),
    ("/v1/contacts/{contact_id}", "first_name"),
    ("/v1/contacts/{contact_id}", "infix"),
]


def test_an_optional_text_may_be_empty_but_never_only_blanks(http, auth, ids, snapshot, problem):
    before = snapshot([ids["client_id"]])
    for path, field in OPTIONAL_TEXT:
        for value in BLANK_VALUES:
            answer = http.patch(path.format(**ids), json={field: value}, headers=auth)
            problem(answer, 422, "validation_error", field=field)
    assert snapshot([ids["client_id"]]) == before

    for path, field in OPTIONAL_TEXT:
        answer = http.patch(path.format(**ids), json={field: ""}, headers=auth)
        assert answer.status_code == 200 and answer.get_json()[field] == "", answer.get_json()


def test_a_control_or_format_character_anywhere_is_a_422_naming_the_field(
    http, auth, ids, snapshot, problem
):
    before = snapshot([ids["client_id"]])
    for method, path, valid, field in ANY_TEXT:
        for hidden in HIDDEN_CHARACTERS:
            value = f"a{hidden}b@example.nl" if field == "email" else f"Jan{hidden}sen"
            body = {**valid, field: value}
            answer = http.open(path.format(**ids), method=method, json=body, headers=auth)
            problem(answer, 422, "validation_error", field=field)
    assert snapshot([ids["client_id"]]) == before


def test_text_with_ordinary_spaces_and_any_script_is_kept(http, auth, ids):
    body = {"name": "  De Vries\u00a0& Zn. 日本 Ω  ", "city": "Den Haag"}
    answer = http.patch(f"/v1/clients/{ids['client_id']}", json=body, headers=auth)

    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["name"] == body["name"]


# A new token, asked for twice -----------------------------------------------------------------


def test_a_repeated_token_request_replays_the_first_answer_without_the_secret(http, auth, uow):
    body = {"name": "robot", "rights": ["clients:read"]}
    headers = {**auth, "Idempotency-Key": "new-robot"}
    first = http.post("/v1/tokens", json=body, headers=headers)
    again = http.post("/v1/tokens", json=body, headers=headers)

    assert first.status_code == again.status_code == 201, again.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Cache-Control"] == "no-store"
    secret = first.get_json()["token"]
    assert secret and again.get_json() == {**first.get_json(), "token": None}
    listed = http.get("/v1/tokens", headers=auth).get_json()["items"]
    assert [t["name"] for t in listed].count("robot") == 1
    with uow() as work:
        stored = " ".join(
            r.response_body or "" for r in work.session.scalars(select(IdempotencyRecord))
        )
    assert secret not in stored and hashlib.sha256(secret.encode()).hexdigest() not in stored
    robot = {"Authorization": f"Bearer {secret}"}
    assert http.get("/v1/clients", headers=robot).status_code == 200  # the first secret works


# Header rules in the OpenAPI document ------------------------------------------------------

MUTATING = {"post", "patch", "put", "delete"}


@pytest.fixture
def spec(http):
    return http.get("/v1/openapi.json").get_json()


def _parameters(spec, operation) -> dict:
    """An operation's parameters by name."""
    return {parameter["name"]: parameter for parameter in operation.get("parameters", [])}


def _operations(spec):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in MUTATING | {"get"}:
                yield f"{method.upper()} {path}", method, _parameters(spec, operation)


def test_every_operation_states_the_header_rules_it_honours(spec):
    for label, method, parameters in _operations(spec):
        request_id = parameters["X-Request-ID"]
        assert "replaced" in request_id["description"], label
        if method in MUTATING:
            key = parameters["Idempotency-Key"]["schema"]
            assert key["maxLength"] == 255 and key["minLength"] == 1 and key["pattern"], label
        if "If-Match" in parameters:
            assert parameters["If-Match"]["schema"]["pattern"], label
    with_tags = [label for label, _, parameters in _operations(spec) if "If-Match" in parameters]
    assert "PATCH /v1/clients/{client_id}" in with_tags
    assert "DELETE /v1/contacts/{contact_id}" in with_tags


def test_the_documented_header_patterns_are_the_ones_enforced(spec, http, auth, new_client):
    post = _parameters(spec, spec["paths"]["/v1/clients"]["post"])
    key_pattern = re.compile(post["Idempotency-Key"]["schema"]["pattern"])
    for key in ("k-1", "~!x" * 85, "a b", "ä", "x" * 256, ""):
        body = {"number": f"n{len(key)}", "name": "X"}
        answer = http.post("/v1/clients", json=body, headers={**auth, "Idempotency-Key": key})
        assert (answer.status_code == 201) == bool(key_pattern.fullmatch(key)), (key, answer)

    id_text = post["X-Request-ID"]["description"]
    id_pattern = re.compile(re.search(r"`([^`]+)`", id_text).group(1))
    for offered in ("abc-1:2.3_4", "x" * 128, "x" * 129, "a b", "a/b"):
        echoed = http.get("/healthz", headers={"X-Request-ID": offered}).headers["X-Request-ID"]
        assert (echoed == offered) == bool(id_pattern.fullmatch(offered)), offered

    client = new_client(number="if-match")
    etag = http.get(f"/v1/clients/{client['id']}", headers=auth).headers["ETag"]
    patch = _parameters(spec, spec["paths"]["/v1/clients/{client_id}"]["patch"])
    tag_pattern = re.compile(patch["If-Match"]["schema"]["pattern"])
    assert tag_pattern.fullmatch(etag) and tag_pattern.fullmatch("*")
    assert tag_pattern.fullmatch(f'"other", {etag}') and tag_pattern.fullmatch(f"W/{etag}")
    assert not tag_pattern.fullmatch("") and not tag_pattern.fullmatch("nonsense")
