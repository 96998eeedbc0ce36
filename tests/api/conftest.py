"""Helpers shared by the HTTP-level tests: problem checks, snapshots, the unit of work."""

import pytest

PROBLEM_JSON = "application/problem+json"
PROBLEM_MEMBERS = {"type", "title", "status", "detail", "code"}


def check_problem(response, status: int, code: str | None = None, field: str | None = None):
    """Assert `response` is a problem+json answer; returns its body."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    assert response.mimetype == PROBLEM_JSON, response.headers.get("Content-Type")
    body = response.get_json(force=True)
    assert set(body) >= PROBLEM_MEMBERS, body
    assert body["status"] == status
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    if code is not None:
        assert body["code"] == code, body
    if field is not None:
        assert field in body.get("errors", {}), body
    return body


@pytest.fixture
def problem():
    """problem(response, 404, "not_found", field=None) -> the checked problem body."""
    return check_problem


@pytest.fixture
def backend(app) -> str:
    """'sqlite' or 'postgresql': the database this run of the test uses."""
    return app.extensions["db_engine"].dialect.name


@pytest.fixture
def xfail_on(request, backend):
    """xfail_on("sqlite", reason=...) marks this run a strict xfail on the named backends only."""

    def mark(*backends: str, reason: str) -> None:
        if backend in backends:
            request.applymarker(pytest.mark.xfail(strict=True, reason=reason))

    return mark


@pytest.fixture
def uow(app):
    """A fresh unit of work, to arrange what the API cannot (expired rows, running keys)."""
    return lambda: app.extensions["uow_factory"]()


@pytest.fixture
def snapshot(http, auth):
    """snapshot(client_ids=()) -> everything a caller can read: clients, contacts, tokens."""

    def take(client_ids=()):
        state = {"clients": http.get("/v1/clients?page_size=100", headers=auth).get_json()}
        for client_id in client_ids:
            response = http.get(f"/v1/clients/{client_id}/contacts?page_size=100", headers=auth)
            state[f"contacts of {client_id}"] = (response.status_code, response.get_json())
        tokens = http.get("/v1/tokens", headers=auth).get_json()
        tokens = tokens["items"] if isinstance(tokens, dict) else tokens  # envelope or array
        # last_used_at moves on every request (TOKEN_TOUCH_SECONDS=0): not a change by the caller.
        state["tokens"] = [{k: v for k, v in t.items() if k != "last_used_at"} for t in tokens]
        return state

    return take


@pytest.fixture
def new_contact(http, auth):
    """new_contact(client_id, last_name="Jansen", **fields) -> the created contact's JSON."""

    def create(client_id: int, last_name="Jansen", **fields):
        response = http.post(
            f"/v1/clients/{client_id}/contacts",
            json={"last_name": last_name, **fields},
            headers=auth,
        )
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return create
