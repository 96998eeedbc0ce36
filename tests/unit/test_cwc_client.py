"""The CWC low-level client and error table, with a hand-written fake session (no server)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest
import requests

from adapters.caseware_cloud import (
    CwcEmailInUse,
    CwcHttpClient,
    CwcNotFound,
    CwcRejected,
    CwcUnavailable,
    RetryPolicy,
)
from adapters.caseware_cloud.client import parse_retry_after
from adapters.caseware_cloud.errors import error_class_for
from adapters.caseware_cloud.lookup import list_all

SECRET = "top-secret-value"
A, B, C, D = (f"{n:08x}-0000-4000-8000-000000000000" for n in range(4))  # CWGuids
TOKEN = "bearer-token-value"


def response(status: int, body=None, headers=None) -> requests.Response:
    answer = requests.Response()
    answer.status_code = status
    answer._content = b"" if body is None else json.dumps(body).encode()
    answer._content_consumed = True  # the body is all there: iter_content serves it
    if body is not None:
        answer.headers["Content-Type"] = "application/json; charset=utf-8"
    answer.headers.update(headers or {})
    return answer


class FakeSession:
    """Answers from a script and records what was sent."""

    def __init__(self, *answers: requests.Response) -> None:
        self.answers = list(answers)
        self.sent: list[dict] = []

    def request(self, method, url, **kwargs):
        self.sent.append({"method": method, "url": url, **kwargs})
        return self.answers.pop(0)

    def close(self) -> None:
        pass


def client(session, **options) -> CwcHttpClient:
    options.setdefault("retry", RetryPolicy(backoff_base=0, backoff_cap=0))
    return CwcHttpClient(
        "https://eu.example/firm/ms/caseware-cloud/api/v2/",
        "client-id",
        SECRET,
        session=session,
        connect_timeout=1.5,
        read_timeout=7,
        sleep=lambda s: None,
        **options,
    )


def token_answer():
    return response(200, {"Token": TOKEN})


def test_every_call_has_a_connect_and_read_timeout_and_the_request_id():
    session = FakeSession(token_answer(), response(200, []), response(201, {"CWGuid": "g"}))
    http = client(session, request_id_provider=lambda: "req-9")

    http.request("GET", "entities", params={"page": 1})
    http.request("POST", "users", json={"Email": "a@b"}, create=True)

    assert [s["timeout"] for s in session.sent] == [(1.5, 7)] * 3
    assert {s["headers"]["X-Request-ID"] for s in session.sent} == {"req-9"}
    assert session.sent[0]["url"] == "https://eu.example/firm/ms/caseware-cloud/api/v2/auth/token"
    assert session.sent[0]["json"] == {
        "ClientId": "client-id",
        "ClientSecret": SECRET,
        "Language": "en",
    }
    assert "Authorization" not in session.sent[0]["headers"]
    assert session.sent[1]["headers"]["Authorization"] == f"Bearer {TOKEN}"


def test_an_empty_answer_is_none():
    http = client(FakeSession(token_answer(), response(204)))
    assert http.request("DELETE", "users/x") is None


def test_secret_and_token_echoed_by_cwc_are_redacted():
    echo = {"errors": [{"message": f"bad {SECRET} and {TOKEN}"}]}
    http = client(FakeSession(token_answer(), response(400, echo)))

    with pytest.raises(CwcRejected) as caught:
        http.request("GET", "entities")

    text = str(caught.value) + repr(caught.value) + (caught.value.cwc_message or "")
    assert SECRET not in text and TOKEN not in text
    assert "bad *** and ***" in caught.value.cwc_message
    assert SECRET not in repr(http)


def test_a_2xx_that_is_not_json_is_passing_trouble():
    bad = response(200)
    bad._content = b"<html>proxy</html>"
    http = client(FakeSession(token_answer(), bad), retry=RetryPolicy(max_attempts=1))

    with pytest.raises(CwcUnavailable):
        http.request("GET", "entities")


def test_a_5xx_on_a_create_is_not_retried():
    session = FakeSession(token_answer(), response(502), response(201, {"CWGuid": "g"}))

    with pytest.raises(CwcUnavailable) as caught:
        client(session).request("POST", "entities", json={}, create=True)

    assert caught.value.maybe_performed is True
    assert len(session.sent) == 2


def test_upstream_request_id_is_kept_on_the_error():
    answer = response(404, {"errors": [{"message": "gone"}]}, {"X-Request-ID": "cwc-77"})
    with pytest.raises(CwcNotFound) as caught:
        client(FakeSession(token_answer(), answer)).request("GET", "users/x")

    assert caught.value.request_id == "cwc-77"
    assert str(caught.value) == "GET users/x -> 404: unknown CWGuid (gone) [request cwc-77]"


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, CwcRejected),
        (401, CwcRejected),
        (403, CwcRejected),
        (404, CwcNotFound),
        (409, CwcEmailInUse),
        (418, CwcRejected),
        (422, CwcRejected),
        (429, CwcUnavailable),
        (500, CwcUnavailable),
        (503, CwcUnavailable),
    ],
)
def test_the_status_table(status, kind):
    assert error_class_for(status)[0] is kind


def test_error_kinds_nest_as_documented():
    assert issubclass(CwcEmailInUse, CwcRejected)
    assert not issubclass(CwcUnavailable, CwcRejected)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("5", 5.0), ("0", 0.0), (" 2.5 ", 2.5), ("-3", 0.0), (None, None), ("", None), ("soon", None)],
)
def test_retry_after_in_seconds(value, expected):
    assert parse_retry_after(value) == expected


def test_retry_after_as_an_http_date():
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    earlier = format_datetime(datetime.now(UTC) - timedelta(seconds=30), usegmt=True)

    assert 25 < parse_retry_after(later) <= 30
    assert parse_retry_after(earlier) == 0


def test_retry_after_is_capped():
    session = FakeSession(token_answer(), response(429, headers={"Retry-After": "86400"}))
    http = client(session, retry=RetryPolicy(max_attempts=1, retry_after_cap=60))

    with pytest.raises(CwcUnavailable) as caught:
        http.request("GET", "entities")
    assert caught.value.retry_after == 60


@pytest.mark.parametrize("attempt", [1, 2, 3, 8])
def test_backoff_stays_within_full_jitter_bounds(attempt):
    policy = RetryPolicy(backoff_base=0.5, backoff_cap=4)
    ceiling = min(4, 0.5 * 2 ** (attempt - 1))

    assert policy.delay(attempt, None, lambda: 0.0) == 0
    assert policy.delay(attempt, None, lambda: 0.999999) == pytest.approx(ceiling, rel=1e-5)
    assert policy.delay(attempt, 3.0, lambda: 0.5) == 3.0


def test_a_list_that_ignores_paging_is_read_once():
    same_page = [{"CWGuid": A}, {"CWGuid": B}]
    session = FakeSession(token_answer(), *(response(200, same_page) for _ in range(5)))

    items = list(list_all(client(session), "roles", page_size=2))

    assert [i["CWGuid"] for i in items] == [A, B]
    assert len(session.sent) == 3  # token, page 1, page 2 (the same again: stop)


def test_paging_stops_at_an_empty_page():
    pages = [[{"CWGuid": A}, {"CWGuid": B}], [{"CWGuid": C}, {"CWGuid": D}], []]
    session = FakeSession(token_answer(), *(response(200, page) for page in pages))

    items = list(list_all(client(session), "users", page_size=2))

    assert [i["CWGuid"] for i in items] == [A, B, C, D]
    assert [s["params"]["page"] for s in session.sent[1:]] == [1, 2, 3]
