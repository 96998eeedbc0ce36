"""Bearer tokens and rights: every /v1 route needs a valid token holding its one right."""

import hashlib
import re
from datetime import timedelta

import pytest

from db.models import utcnow
from domain.rights import ALL_RIGHTS

# Every /v1 route: (method, path, body, the right it needs, its success status).
ROUTES = [
    ("GET", "/v1/clients", None, "clients:read", 200),
    ("POST", "/v1/clients", {"number": "2002", "name": "Nieuw"}, "clients:write", 201),
    ("GET", "/v1/clients/{client_id}", None, "clients:read", 200),
    ("PATCH", "/v1/clients/{client_id}", {"name": "Anders"}, "clients:write", 200),
    ("DELETE", "/v1/clients/{client_id}", None, "clients:write", 204),
    ("GET", "/v1/clients/{client_id}/contacts", None, "clients:read", 200),
    ("POST", "/v1/clients/{client_id}/contacts", {"last_name": "Nieuw"}, "clients:write", 201),
    ("GET", "/v1/contacts/{contact_id}", None, "clients:read", 200),
    ("PATCH", "/v1/contacts/{contact_id}", {"infix": "de"}, "clients:write", 200),
    ("DELETE", "/v1/contacts/{contact_id}", None, "clients:write", 204),
    ("GET", "/v1/tokens", None, "admin", 200),
    ("POST", "/v1/tokens", {"name": "new", "rights": ["clients:read"]}, "admin", 201),
    ("DELETE", "/v1/tokens/{name}", None, "admin", 204),
    ("GET", "/v1/reconciliations", None, "admin", 200),
    ("POST", "/v1/reconciliations", {"repair": False}, "admin", 202),
    ("GET", "/v1/reconciliations/{reconciliation_id}", None, "admin", 200),
    ("GET", "/v1/reconciliations/{reconciliation_id}/results", None, "admin", 200),
]
ROUTE_IDS = [f"{method} {path}" for method, path, *_ in ROUTES]


@pytest.fixture
def world(http, auth, new_client, new_contact, make_token):
    """A client with a contact, a token to revoke and a reconciliation; the values for the
    route templates."""
    client = new_client()
    contact = new_contact(client["id"])
    make_token("victim", ["clients:read"])
    reconciliation = http.post("/v1/reconciliations", json={}, headers=auth).get_json()
    return {
        "client_id": client["id"],
        "contact_id": contact["id"],
        "name": "victim",
        "reconciliation_id": reconciliation["id"],
    }


def _call(http, method, path, body, world, headers):
    return http.open(path.format(**world), method=method, json=body, headers=headers)


def _bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


def _tokens(http, auth) -> list[dict]:
    """GET /v1/tokens as a list, whether it answers an array or the list envelope."""
    body = http.get("/v1/tokens", headers=auth).get_json()
    return body["items"] if isinstance(body, dict) else body


def test_the_table_covers_every_v1_route(app):
    # Links, link jobs and deliveries have their own rights and tests.
    served = {
        (method, re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule))
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/v1/")
        and rule.rule != "/v1/openapi.json"
        and "/links" not in rule.rule
        and not rule.rule.startswith("/v1/deliveries")
        and not rule.rule.startswith("/v1/link-jobs")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert served == {(method, path) for method, path, *_ in ROUTES}


@pytest.mark.parametrize(("method", "path", "body", "right", "status"), ROUTES, ids=ROUTE_IDS)
def test_every_other_right_is_not_enough_and_the_required_one_alone_is(
    http, make_token, world, snapshot, problem, method, path, body, right, status
):
    lacking = make_token("lacking", [r for r in ALL_RIGHTS if r != right])
    exact = make_token("exact", [right])
    before = snapshot([world["client_id"]])

    refused = _call(http, method, path, body, world, _bearer(lacking))

    assert problem(refused, 403, "forbidden")["required_right"] == right
    assert snapshot([world["client_id"]]) == before
    allowed = _call(http, method, path, body, world, _bearer(exact))
    assert allowed.status_code == status, allowed.get_json()


def test_no_token_is_a_401_with_a_bearer_challenge_on_every_route(
    http, auth, world, snapshot, problem
):
    before = snapshot([world["client_id"]])
    for method, path, body, _right, _status in ROUTES:
        response = _call(http, method, path, body, world, {})
        problem(response, 401, "unauthorized")
        assert response.headers["WWW-Authenticate"].startswith("Bearer"), (method, path)
    assert snapshot([world["client_id"]]) == before


BAD_HEADERS = [
    "Bearer cwg_unknownunknownunknownunknownunknown",
    "Bearer not-even-our-prefix",
    "Bearer",
    "Bearer ",
    "Basic dGVzdGVyOnNlY3JldA==",
    "Basic x",
    "Token cwg_x",
    "cwg_x",
    "Bearer " + "x" * 5000,
]


def test_an_unknown_or_malformed_authorization_is_a_401(http, auth, world, snapshot, problem):
    before = snapshot([world["client_id"]])
    for header in BAD_HEADERS + [auth["Authorization"] + "x", auth["Authorization"].lower()[:-1]]:
        for method, path, body, _right, _status in ROUTES[:5]:
            response = _call(http, method, path, body, world, {"Authorization": header})
            problem(response, 401, "unauthorized")
            assert response.headers["WWW-Authenticate"].startswith("Bearer"), header
    assert snapshot([world["client_id"]]) == before


def test_a_token_is_refused_once_it_has_expired(http, make_token, uow, problem):
    secret = make_token("brief", ["clients:read"], expires_at=utcnow() + timedelta(hours=1))
    assert http.get("/v1/clients", headers=_bearer(secret)).status_code == 200

    with uow() as work:
        work.tokens.by_name("brief").expires_at = utcnow() - timedelta(seconds=1)
        work.commit()

    response = http.get("/v1/clients", headers=_bearer(secret))
    problem(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_token_is_refused_from_its_next_request(http, auth, make_token, problem):
    secret = make_token("leaving", ["clients:read"])
    assert http.get("/v1/clients", headers=_bearer(secret)).status_code == 200

    assert http.delete("/v1/tokens/leaving", headers=auth).status_code == 204

    response = http.get("/v1/clients", headers=_bearer(secret))
    problem(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    names = [t["name"] for t in _tokens(http, auth)]
    assert "leaving" not in names
    problem(http.delete("/v1/tokens/leaving", headers=auth), 404, "not_found")


def test_a_new_token_answers_its_secret_and_expiry_and_the_secret_works(http, auth):
    response = http.post(
        "/v1/tokens",
        json={"name": "robot", "rights": ["clients:write", "clients:read"]},
        headers=auth,
    )

    assert response.status_code == 201
    body = response.get_json()
    assert set(body) >= {"name", "rights", "token", "created_at", "expires_at"}
    assert body["name"] == "robot"
    assert sorted(body["rights"]) == ["clients:read", "clients:write"]
    assert body["expires_at"] is None
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", body["created_at"])
    assert len(body["token"]) >= 32
    robot = _bearer(body["token"])
    assert http.get("/v1/clients", headers=robot).status_code == 200
    assert http.get("/v1/tokens", headers=robot).status_code == 403

    # An expiry is kept, and shown in UTC.
    response = http.post(
        "/v1/tokens",
        json={"name": "temp", "rights": [], "expires_at": "2099-01-02T03:04:05+02:00"},
        headers=auth,
    )
    assert response.status_code == 201
    assert response.get_json()["expires_at"] == "2099-01-02T01:04:05Z"
    listed = {t["name"]: t for t in _tokens(http, auth)}
    assert listed["temp"]["expires_at"] == "2099-01-02T01:04:05Z"


def test_the_token_list_never_holds_a_secret_or_hash(http, auth):
    created = http.post(
        "/v1/tokens", json={"name": "robot", "rights": ["clients:read"]}, headers=auth
    ).get_json()
    secret = created["token"]

    response = http.get("/v1/tokens", headers=auth)

    text = response.get_data(as_text=True)
    assert secret not in text
    assert hashlib.sha256(secret.encode()).hexdigest() not in text
    items = _tokens(http, auth)
    assert {t["name"] for t in items} == {"tester", "robot"}
    for token in items:
        assert set(token) == {"name", "rights", "created_at", "expires_at", "last_used_at"}


def test_the_token_list_uses_the_list_envelope(http, auth):
    body = http.get("/v1/tokens", headers=auth).get_json()
    assert isinstance(body, dict)
    assert {"items", "total", "page", "page_size"} <= set(body)


BAD_NEW_TOKENS = [
    ({"name": "x", "rights": ["root"]}, "rights"),
    ({"name": "x", "rights": ["clients:read", "CLIENTS:WRITE"]}, "rights"),
    ({"name": "x", "rights": [], "expires_at": "2000-01-01T00:00:00Z"}, "expires_at"),
    ({"name": "x", "rights": [], "expires_at": "2099-01-01T00:00:00"}, "expires_at"),
    ({"name": "a b", "rights": []}, "name"),
    ({"name": "x" * 65, "rights": []}, "name"),
]


def test_a_name_in_use_is_a_409_and_an_unknown_right_a_422_naming_the_field(
    http, auth, snapshot, problem
):
    before = snapshot()
    taken = http.post("/v1/tokens", json={"name": "tester", "rights": []}, headers=auth)
    problem(taken, 409, "conflict")
    for body, field in BAD_NEW_TOKENS:
        answer = problem(http.post("/v1/tokens", json=body, headers=auth), 422, "validation_error")
        assert any(key == field or key.startswith(f"{field}.") for key in answer["errors"]), answer
    assert snapshot() == before
