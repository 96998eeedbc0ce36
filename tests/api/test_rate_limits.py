"""Rate limits (api.md): reads and writes per caller, failed authentications per address."""

import pytest

READS, WRITES, FAILURES = 3, 2, 3
OTHER_ADDRESS = {"REMOTE_ADDR": "192.0.2.7"}
# Any address whose port refuses: a Redis that is configured but down.
REDIS_DOWN = "redis://127.0.0.1:1/0"


@pytest.fixture
def app_settings():
    return {
        "RATE_LIMIT_READS": f"{READS}/minute",
        "RATE_LIMIT_WRITES": f"{WRITES}/minute",
        "RATE_LIMIT_AUTH_FAILURES": f"{FAILURES}/minute",
    }


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


def check_limited(response, problem, limit: int) -> None:
    """A 429 rate_limited problem with Retry-After and the RateLimit-* headers."""
    problem(response, 429, "rate_limited")
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert response.headers["RateLimit-Limit"] == str(limit)
    assert response.headers["RateLimit-Remaining"] == "0"
    assert 0 <= int(response.headers["RateLimit-Reset"]) <= 60


def test_reads_are_limited_per_caller_and_the_headers_say_what_is_left(http, make_token, problem):
    alice, bob = bearer(make_token("alice")), bearer(make_token("bob"))
    answers = [http.get("/v1/clients", headers=alice) for _ in range(READS)]

    assert [a.status_code for a in answers] == [200] * READS
    assert [a.headers["RateLimit-Remaining"] for a in answers] == ["2", "1", "0"]
    assert {a.headers["RateLimit-Limit"] for a in answers} == {str(READS)}
    assert all(0 < int(a.headers["RateLimit-Reset"]) <= 60 for a in answers)
    assert "Retry-After" not in answers[0].headers
    refused = http.get("/v1/clients/1", headers=alice)
    check_limited(refused, problem, READS)
    assert "reads" in refused.get_json()["detail"]
    # Another caller has a budget of its own; HEAD is a read too.
    assert http.head("/v1/clients", headers=bob).headers["RateLimit-Remaining"] == "2"
    assert http.get("/v1/clients", headers=bob).status_code == 200


def test_a_caller_over_its_read_limit_can_still_write(http, make_token):
    alice = bearer(make_token("alice"))
    for _ in range(READS + 1):
        http.get("/v1/clients", headers=alice)

    created = http.post("/v1/clients", json={"number": "1", "name": "Jansen BV"}, headers=alice)

    assert created.status_code == 201
    assert created.headers["RateLimit-Limit"] == str(WRITES)
    assert created.headers["RateLimit-Remaining"] == "1"


def test_a_write_over_the_limit_is_refused_and_changes_nothing(http, make_token, problem):
    alice, bob = bearer(make_token("alice")), bearer(make_token("bob"))
    for n in range(WRITES):
        body = {"number": str(n), "name": f"Client {n}"}
        assert http.post("/v1/clients", json=body, headers=alice).status_code == 201

    refused = http.post("/v1/clients", json={"number": "9", "name": "Late BV"}, headers=alice)

    check_limited(refused, problem, WRITES)
    assert "writes" in refused.get_json()["detail"]
    listed = http.get("/v1/clients", headers=bob).get_json()
    assert listed["total"] == WRITES
    # Refused before anything else: even an error the route would give is not reached.
    check_limited(http.delete("/v1/clients/12345", headers=alice), problem, WRITES)
    assert http.get("/v1/clients", headers=alice).status_code == 200  # reads still go


def test_failed_authentications_are_limited_per_address(http, make_token, problem):
    valid = bearer(make_token("alice"))
    failures = [http.get("/v1/clients", headers=bearer("wrong")) for _ in range(FAILURES)]
    assert [f.status_code for f in failures] == [401] * FAILURES
    assert failures[-1].headers["RateLimit-Remaining"] == "0"

    refused = http.get("/v1/clients", headers=bearer("wrong"))
    check_limited(refused, problem, FAILURES)
    assert "authentications" in refused.get_json()["detail"]
    # While over, the address is refused even with a valid token; another address is not.
    check_limited(http.get("/v1/clients", headers=valid), problem, FAILURES)
    check_limited(http.get("/v1/clients"), problem, FAILURES)
    assert http.get("/v1/clients", headers=valid, environ_base=OTHER_ADDRESS).status_code == 200


def test_successful_authentications_do_not_count_against_the_address(http, make_token, problem):
    valid = bearer(make_token("alice"))
    for _ in range(READS):
        assert http.get("/v1/clients", headers=valid).status_code == 200
    answers = [http.get("/v1/tokens", headers=bearer("wrong")) for _ in range(FAILURES)]

    assert [a.status_code for a in answers] == [401] * FAILURES
    check_limited(http.get("/v1/tokens", headers=bearer("wrong")), problem, FAILURES)


@pytest.mark.parametrize(
    "path", ["/healthz", "/readyz", "/metrics", "/v1/openapi.json", "/docs"]
)  # fmt: skip
def test_operations_and_documentation_are_not_limited(http, problem, path):
    for _ in range(FAILURES):
        http.get("/v1/clients", headers=bearer("wrong"))
    check_limited(http.get("/v1/clients"), problem, FAILURES)  # this address is over

    answers = [http.get(path) for _ in range(max(READS, FAILURES) + 2)]

    assert {a.status_code for a in answers} == {200}
    assert not any("RateLimit-Limit" in a.headers for a in answers)


@pytest.mark.parametrize(
    "app_settings", [{"REDIS_URL": REDIS_DOWN, "RATE_LIMIT_READS": "2/minute"}]
)
def test_with_redis_down_each_process_keeps_the_limits_in_memory(http, make_token, problem):
    alice = bearer(make_token("alice"))
    answers = [http.get("/v1/clients", headers=alice) for _ in range(2)]

    assert [a.status_code for a in answers] == [200, 200]
    assert [a.headers["RateLimit-Remaining"] for a in answers] == ["1", "0"]
    check_limited(http.get("/v1/clients", headers=alice), problem, 2)


def test_the_openapi_document_shows_the_429_and_the_headers_on_limited_routes(http):
    spec = http.get("/v1/openapi.json").get_json()
    listing = spec["paths"]["/v1/clients"]["get"]["responses"]

    assert listing["429"] == {"$ref": "#/components/responses/TOO_MANY_REQUESTS"}
    assert set(listing["200"]["headers"]) >= {"RateLimit-Limit", "RateLimit-Remaining"}
    too_many = spec["components"]["responses"]["TOO_MANY_REQUESTS"]
    assert set(too_many["headers"]) >= {"Retry-After", "RateLimit-Reset"}
    assert "application/problem+json" in too_many["content"]
    assert "429" not in spec["paths"]["/healthz"]["get"]["responses"]
