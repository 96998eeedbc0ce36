"""An attacker's findings (issue 10), each checked through the HTTP interface."""

import pytest

FORGED_HOST = "evil.example"


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
