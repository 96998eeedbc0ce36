"""The simulator's rate limit, fault switches and control routes, through Flask's test client."""

from __future__ import annotations

import pytest

from tests.unit.simulator_support import SimApi, error_message


@pytest.fixture
def api() -> SimApi:
    return SimApi()


def faults(api, **switches):
    answer = api.control("POST", "/faults", switches)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_json()


# Rate limit --------------------------------------------------------------------------


RATE_HEADERS = {
    "x-ratelimit-burst-capacity",
    "x-ratelimit-replenish-rate",
    "x-ratelimit-remaining",
    "x-ratelimit-requested-tokens",
}


def test_token_bucket_answers_a_bare_429_with_the_real_headers_and_no_retry_after():
    api = SimApi(rate_capacity=3, rate_refill_per_second=0.25)
    api.token()  # spends one
    ok = api("GET", "/roles")
    assert ok.status_code == 200
    assert ok.headers["x-ratelimit-burst-capacity"] == "3"
    assert ok.headers["x-ratelimit-replenish-rate"] == "0.25"
    assert ok.headers["x-ratelimit-remaining"] == "1"
    assert ok.headers["x-ratelimit-requested-tokens"] == "1"

    api("GET", "/roles")
    limited = api("GET", "/roles")

    assert limited.status_code == 429
    assert limited.data == b"" and "Content-Type" not in limited.headers
    assert "Retry-After" not in limited.headers
    assert limited.headers["x-ratelimit-remaining"] == "0"
    assert {name.lower() for name, _ in limited.headers.items()} >= RATE_HEADERS


def test_the_bucket_sends_retry_after_only_when_a_switch_asks(api):
    api.token()
    answer = api.control(
        "POST", "/ratelimit", {"capacity": 1, "refill_per_second": 0.5, "retry_after": True}
    )
    assert answer.get_json() == {"capacity": 1, "refill_per_second": 0.5, "retry_after": True}

    assert api("GET", "/roles").status_code == 200
    limited = api("GET", "/roles")
    assert (limited.status_code, limited.headers["Retry-After"]) == (429, "2")
    assert limited.data == b""

    api.control("POST", "/ratelimit", {"capacity": 1, "refill_per_second": 0.5})
    api("GET", "/roles")
    assert "Retry-After" not in api("GET", "/roles").headers


def test_set_rate_limit_takes_retry_after_as_a_keyword():
    from adapters.caseware_cloud.simulator.server import SimulatorHandle

    api = SimApi()
    handle = SimulatorHandle(api.sim, server=None, host="127.0.0.1")  # no socket needed
    handle.set_rate_limit(1, 1, retry_after=True)
    api.token()
    assert api("GET", "/roles").headers["Retry-After"] == "1"
    handle.set_rate_limit(capacity=1, refill_per_second=1)
    api.control("POST", "/clock", {"advance": 5})
    api("GET", "/roles")
    assert "Retry-After" not in api("GET", "/roles").headers


def test_every_api_answer_carries_the_ratelimit_headers(api):
    answers = [
        api("GET", "/roles"),
        api("GET", "/entities/nope"),
        api("GET", "/roles", auth=False),
        api("GET", "/no-such-route"),
    ]
    faults(api, outage=True)
    answers.append(api("GET", "/roles"))

    for answer in answers:
        assert {name.lower() for name, _ in answer.headers.items()} >= RATE_HEADERS


def test_the_bucket_refills_with_time():
    api = SimApi(rate_capacity=1, rate_refill_per_second=1)
    api.token()
    assert api("GET", "/roles").status_code == 429

    api.control("POST", "/clock", {"advance": 1})
    assert api("GET", "/roles").status_code == 200


def test_the_bucket_can_be_set_by_a_control_route(api):
    api.token()
    answer = api.control("POST", "/ratelimit", {"capacity": 1, "refill_per_second": 0.01})
    assert answer.status_code == 200

    assert api("GET", "/roles").status_code == 200
    assert api("GET", "/roles").status_code == 429
    assert api.control("POST", "/ratelimit", {"capacity": 0}).status_code == 400


def test_the_default_bucket_is_generous(api):
    statuses = {api("GET", "/roles").status_code for _ in range(200)}
    assert statuses == {200}


# Fault switches ----------------------------------------------------------------------


def test_fail_next_fails_that_many_matching_calls(api):
    api.token()
    faults(api, fail_next={"count": 2, "status": 503, "path_contains": "/entities"})

    assert api("GET", "/roles").status_code == 200
    assert [api("GET", "/entities").status_code for _ in range(3)] == [503, 503, 200]


def test_fail_next_can_match_the_method_and_send_retry_after(api):
    api.token()
    faults(api, fail_next={"status": 429, "retry_after": "4", "method": "post"})

    assert api("GET", "/entities").status_code == 200
    answer = api("POST", "/users", {"OwnerType": "Contact", "Email": "a@b.example"})
    assert (answer.status_code, answer.headers["Retry-After"]) == (429, "4")
    error_message(answer)
    assert api.state()["users"] == []


def test_fail_after_write_performs_the_write_then_fails(api):
    api.token()
    faults(api, fail_after_write={"count": 1, "status": 503, "path_contains": "/entities"})

    assert api("GET", "/entities").status_code == 200  # reads are not writes
    body = {"EntityNo": "1", "Name": "n", "OwnerType": "Client", "Type": "A"}
    assert api("POST", "/entities", body).status_code == 503
    assert len(api.state()["entities"]) == 1
    assert api("POST", "/entities", body).status_code == 201


def test_error_rate_fails_calls_at_random_with_the_status_asked(api):
    api.token()
    faults(api, error_rate=1.0, error_status=502)
    assert api("GET", "/roles").status_code == 502

    faults(api, error_rate=0.0)
    assert api("GET", "/roles").status_code == 200


def test_outage_answers_503_to_everything_but_the_control_routes(api):
    faults(api, outage=True)

    assert api.http.post(f"{api.prefix}/auth/token", json={}).status_code == 503
    assert api.control("GET", "/state").status_code == 200

    api.control("DELETE", "/faults")
    assert api("GET", "/roles").status_code == 200


def test_rate_limit_storm_answers_429_with_the_given_retry_after(api):
    api.token()
    faults(api, rate_limit_storm="2")

    answers = [api("GET", "/roles") for _ in range(3)]
    assert {(a.status_code, a.headers["Retry-After"]) for a in answers} == {(429, "2")}
    assert {a.headers["x-ratelimit-remaining"] for a in answers} == {"0"}

    faults(api, rate_limit_storm=None)
    assert api("GET", "/roles").status_code == 200


def test_latency_switch_is_recorded(api):
    described = faults(api, latency_ms=250, latency_path_contains="/users")
    assert (described["latency_ms"], described["latency_path_contains"]) == (250, "/users")
    assert api.sim.faults.latency_for("/users") == 0.25
    assert api.sim.faults.latency_for("/roles") == 0


@pytest.mark.parametrize(
    "switches",
    [
        {"colour": "red"},
        {"error_rate": 2},
        {"error_status": 200},
        {"latency_ms": -1},
        {"fail_next": {"count": -1}},
        {"fail_next": {"status": "teapot"}},
        {"fail_next": "all"},
    ],
)
def test_bad_switches_are_400(api, switches):
    answer = api.control("POST", "/faults", switches)
    assert answer.status_code == 400
    error_message(answer)


def test_faults_are_listed_and_cleared(api):
    faults(api, outage=True, fail_next={"count": 3})

    listed = api.control("GET", "/faults").get_json()
    assert listed["outage"] is True and listed["fail_next"][0]["count"] == 3

    cleared = api.control("DELETE", "/faults").get_json()
    assert cleared["outage"] is False and cleared["fail_next"] == []


# Control routes ----------------------------------------------------------------------


def test_call_log_records_method_path_status_and_request_id(api):
    api.token()
    api("GET", "/roles", headers={"X-Request-ID": "req-7"})
    api("GET", "/entities/nope")

    calls = api.control("GET", "/calls").get_json()
    assert [(c["method"], c["path"], c["status"]) for c in calls] == [
        ("POST", "/auth/token", 200),
        ("GET", "/roles", 200),
        ("GET", "/entities/nope", 404),
    ]
    assert [c["request_id"] for c in calls] == [None, "req-7", None]
    assert [c["connection"] for c in calls] == [None, None, None]  # no socket under test

    assert api.control("DELETE", "/calls").status_code == 204
    assert api.control("GET", "/calls").get_json() == []


def test_reset_forgets_data_tokens_and_faults_and_reseeds_roles(api):
    token = api.token()
    api.create_entity()
    api.create_user()
    faults(api, fail_next={"count": 5, "path_contains": "/users"})
    api.control("POST", "/ratelimit", {"capacity": 1, "refill_per_second": 0.001})

    state = api.control("POST", "/reset").get_json()

    assert state["entities"] == [] and state["users"] == []
    assert "Contact - Entity Collaborator" in [r["Name"] for r in state["roles"]]
    assert api("GET", "/roles", token=token).status_code == 401
    assert api("GET", "/users", token=api.new_token()).status_code == 200


def test_seed_inserts_records_as_given(api):
    answer = api.control(
        "POST",
        "/seed",
        {
            "entities": [
                {"EntityNo": "7", "Name": "Seeded", "Type": "I", "addresses": [{"City": "X"}]}
            ],
            "users": [{"Email": "Mixed@Case.example", "Type": "I"}],
            "roles": ["Custom role"],
        },
    )

    assert answer.status_code == 201
    made = answer.get_json()
    state = api.state()
    [entity] = state["entities"]
    assert entity["CWGuid"] == made["entities"][0] and entity["Type"] == "I"
    assert entity["addresses"][0]["OwnerCWGuid"] == entity["CWGuid"]
    assert state["users"][0]["CWGuid"] == made["users"][0]
    assert "Custom role" in [r["Name"] for r in state["roles"]]


def test_clock_only_moves_forward(api):
    assert api.control("POST", "/clock", {"advance": -5}).status_code == 400
    assert api.control("POST", "/clock", {"advance": "soon"}).status_code == 400


def test_outage_route_needs_a_socket_under_the_test_client(api):
    assert api.control("POST", "/outage", {"seconds": 1}).status_code == 409
    assert api.control("POST", "/outage", {"seconds": 0}).status_code == 400
