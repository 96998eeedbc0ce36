"""The simulator's token endpoint and bearer checks, against caseware-cloud.md."""

from __future__ import annotations

import pytest

from tests.unit.simulator_support import CLIENT_ID, CLIENT_SECRET, SimApi, error_message


@pytest.fixture
def api() -> SimApi:
    return SimApi()


def token_call(api, body, **kwargs):
    return api.http.post(f"{api.prefix}/auth/token", json=body, **kwargs)


def test_token_for_the_right_credentials(api):
    answer = token_call(
        api, {"ClientId": CLIENT_ID, "ClientSecret": CLIENT_SECRET, "Language": "en"}
    )

    assert answer.status_code == 200
    assert answer.mimetype == "application/json"
    body = answer.get_json()
    assert list(body) == ["Token"] and isinstance(body["Token"], str) and body["Token"]


@pytest.mark.parametrize(
    "body",
    [
        {"ClientId": CLIENT_ID, "ClientSecret": "wrong"},
        {"ClientId": "other", "ClientSecret": CLIENT_SECRET},
    ],
)
def test_wrong_credentials_are_401(api, body):
    answer = token_call(api, body)

    assert answer.status_code == 401
    assert "credentials" in error_message(answer)


@pytest.mark.parametrize(
    "body",
    [
        {"ClientId": CLIENT_ID},
        {"ClientSecret": CLIENT_SECRET},
        ["x"],
        {"ClientId": 1, "ClientSecret": 2},
    ],
)
def test_malformed_token_requests_are_400(api, body):
    assert token_call(api, body).status_code == 400


def test_a_token_request_that_is_not_json_is_400(api):
    answer = api.http.post(f"{api.prefix}/auth/token", data="ClientId=x")
    assert answer.status_code == 400
    error_message(answer)


@pytest.mark.parametrize("header", [None, "Bearer nonsense", "Basic dXNlcjpwYXNz", "Bearer"])
def test_calls_without_a_valid_bearer_token_are_401(api, header):
    headers = {"Authorization": header} if header else {}
    answer = api("GET", "/roles", auth=False, headers=headers)

    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"] == "Bearer"
    error_message(answer)


def test_a_token_lives_30_minutes(api):
    token = api.new_token()
    assert api("GET", "/roles", token=token).status_code == 200

    api.control("POST", "/clock", {"advance": 30 * 60 - 1})
    assert api("GET", "/roles", token=token).status_code == 200

    api.control("POST", "/clock", {"advance": 1})
    answer = api("GET", "/roles", token=token)
    assert answer.status_code == 401
    assert "expired" in error_message(answer)
    assert api("GET", "/roles", token=api.new_token()).status_code == 200


def test_token_lifetime_can_be_shortened_for_tests():
    api = SimApi(token_ttl=5)
    token = api.new_token()

    api.control("POST", "/clock", {"advance": 5})
    assert api("GET", "/roles", token=token).status_code == 401


def test_several_tokens_are_valid_at_once(api):
    first, second = api.new_token(), api.new_token()

    assert first != second
    assert api("GET", "/roles", token=first).status_code == 200
    assert api("GET", "/roles", token=second).status_code == 200


def test_request_id_is_echoed_or_made(api):
    given = api("GET", "/roles", headers={"X-Request-ID": "abc-123"})
    made = api("GET", "/roles")

    assert given.headers["X-Request-ID"] == "abc-123"
    assert made.headers["X-Request-ID"]


def test_unknown_routes_answer_404_as_an_aspnet_route_miss(api):
    inside = api("GET", "/nothing-here")
    outside = api.http.get("/otherfirm/ms/caseware-cloud/api/v2/roles")

    assert inside.status_code == outside.status_code == 404
    assert inside.data == b""  # no route matched: ASP.NET answers nothing in the body
    error_message(outside)


def test_the_firm_sets_the_prefix():
    api = SimApi(firm="acme-accountants")

    assert api.prefix == "/acme-accountants/ms/caseware-cloud/api/v2"
    assert api("GET", "/roles").status_code == 200
