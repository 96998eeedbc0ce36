"""The simulator's misbehaving answers: slow drip, oversized, bad bodies, odd tokens and ids."""

from __future__ import annotations

import json
import threading
import time

import pytest
import requests

from adapters.caseware_cloud.simulator import answers
from tests.unit.simulator_support import CLIENT_ID, CLIENT_SECRET, SimApi, SocketSim

COLLABORATOR = "Contact - Entity Collaborator"


@pytest.fixture
def api() -> SimApi:
    return SimApi()


@pytest.fixture
def sim():
    running = SocketSim()
    yield running
    running.close()


def faults(api, **switches):
    answer = api.control("POST", "/faults", switches)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_json()


# slow_drip -----------------------------------------------------------------------------


def test_slow_drip_sends_the_head_at_once_and_the_body_slowly(sim):
    normal = sim("GET", "/roles").content
    sim.handle.set_faults(slow_drip={"bytes_per_second": 1000, "path_contains": "/roles"})

    started = time.monotonic()
    answer = sim("GET", "/roles", stream=True)
    head_after = time.monotonic() - started
    body = answer.content
    body_after = time.monotonic() - started

    assert answer.status_code == 200 and body == normal
    assert head_after < 0.25 <= len(normal) / 1000 - 0.1 < body_after


def test_slow_drip_can_drip_the_head_too(sim):
    sim.token()
    sim.handle.set_faults(slow_drip={"bytes_per_second": 1000, "headers": True, "count": 1})

    started = time.monotonic()
    answer = sim("GET", "/roles", stream=True)

    assert time.monotonic() - started > 0.15  # some 200 bytes of head at 1000 a second
    assert answer.status_code == 200 and json.loads(answer.content)
    assert sim("GET", "/roles").status_code == 200  # count 1: spent


def handler_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if "process_request_thread" in t.name]


def test_slow_drip_stops_when_the_client_goes_and_holds_no_lock(sim):
    sim.token()
    sim.handle.set_faults(slow_drip={"bytes_per_second": 2, "path_contains": "/roles"})
    dripping = sim("GET", "/roles", stream=True)
    assert dripping.raw.read(1) == b"["

    # Meanwhile other calls are answered at once: the drip holds no lock.
    other = SocketSim.__new__(SocketSim)
    other.handle, other.session, other._token = sim.handle, requests.Session(), None
    started = time.monotonic()
    assert other("GET", "/entities").status_code == 200
    assert time.monotonic() - started < 0.5
    other.session.close()

    dripping.close()  # the client goes away mid-body
    deadline = time.monotonic() + 5
    while handler_threads() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert handler_threads() == []


# oversized -----------------------------------------------------------------------------


@pytest.mark.parametrize("content_length", [True, False])
def test_oversized_streams_a_json_array_of_that_size(sim, content_length):
    sim.token()
    sim.handle.set_faults(oversized={"megabytes": 40, "content_length": content_length})

    answer = sim("GET", "/entities", params={"search": "EntityNo='1'"}, stream=True)
    size = sum(len(chunk) for chunk in answer.iter_content(1024 * 1024))

    assert answer.status_code == 200 and size == 40 * 1024 * 1024
    if content_length:
        assert answer.headers["Content-Length"] == str(size)
    else:
        assert answer.headers["Transfer-Encoding"] == "chunked"
        assert "Content-Length" not in answer.headers


def test_an_oversized_body_is_valid_json_made_in_chunks(api):
    api.token()
    faults(api, oversized={"megabytes": 0.5, "count": 1})
    response = answers.oversized(200, True)
    first = next(iter(response.response))

    assert response.is_streamed and len(first) <= 2 * answers.CHUNK  # never built whole
    answer = api("GET", "/entities")
    items = answer.get_json()
    assert len(answer.data) == 512 * 1024 and items[0]["OwnerType"] == "Client"
    assert len({item["CWGuid"] for item in items}) == len(items)
    assert api("GET", "/entities").get_json() == []  # count 1: spent


# bad_body ------------------------------------------------------------------------------


def test_bad_body_html_is_a_gateway_page_with_the_status_asked(api):
    api.token()
    faults(api, bad_body={"kind": "html", "status": 502})

    answer = api("GET", "/roles")

    assert answer.status_code == 502 and answer.mimetype == "text/html"
    assert answer.get_data(as_text=True).lstrip().startswith("<!DOCTYPE html>")


def test_bad_body_not_json_is_plain_text_with_status_200_by_default(api):
    faults(api, bad_body={"kind": "not_json", "path_contains": "/users"})

    answer = api("GET", "/users")

    assert (answer.status_code, answer.mimetype) == (200, "text/plain")
    assert answer.get_json(silent=True) is None
    assert api("GET", "/roles").status_code == 200


def test_bad_body_wrong_shape_swaps_lists_and_objects_and_does_not_carry_out_the_call(api):
    entity = api.create_entity()["CWGuid"]
    faults(api, bad_body={"kind": "wrong_shape"})  # the token is already fetched

    listed = api("GET", "/entities").get_json()
    one = api("GET", f"/entities/{entity}").get_json()
    created = api("POST", "/users", {"OwnerType": "Contact", "Email": "a@b.nl"})

    assert isinstance(listed, dict) and isinstance(one, list)
    assert created.status_code == 200 and isinstance(created.get_json(), list)
    assert api.state()["users"] == []


# odd_token -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("switch", "token"),
    [
        ("non_ascii", "tök€n-ünïcode"),
        ("crlf", "abc\r\nX-Evil: 1"),
        ("empty", ""),
        ("long", "t" * 10_000),
        ("not_string", 12345),
        ("literally this", "literally this"),
    ],
)
def test_odd_token_answers_that_token_and_never_accepts_it(api, switch, token):
    faults(api, odd_token=switch)

    answer = api.http.post(
        f"{api.prefix}/auth/token", json={"ClientId": CLIENT_ID, "ClientSecret": CLIENT_SECRET}
    )
    wrong = api.http.post(f"{api.prefix}/auth/token", json={"ClientId": "x", "ClientSecret": "y"})

    assert (answer.status_code, answer.get_json()) == (200, {"Token": token})
    assert wrong.status_code == 401
    assert api.sim.issued_tokens() == []
    faults(api, odd_token=None)
    assert api("GET", "/roles").status_code == 200


def test_an_odd_token_over_a_socket_arrives_as_sent(sim):
    sim.handle.set_faults(odd_token="crlf")
    answer = requests.post(
        f"{sim.handle.api_url}/auth/token",
        json={"ClientId": CLIENT_ID, "ClientSecret": CLIENT_SECRET},
        timeout=5,
    )
    assert answer.json() == {"Token": "abc\r\nX-Evil: 1"}


# long_ids and malformed_ids ------------------------------------------------------------


def test_long_ids_stretch_the_answers_guids_but_not_the_stored_ones(api):
    entity = api.create_entity()
    address = {"AddressCategory": "Business", "OwnerCWGuid": entity["CWGuid"], "OwnerId": 1}
    api("POST", f"/entities/{entity['CWGuid']}/addresses", address)
    faults(api, long_ids={"length": 300, "path_contains": "/entities"})

    found = api("GET", "/entities", query={"search": "EntityNo='1001'"}).get_json()
    [listed] = api("GET", f"/entities/{entity['CWGuid']}/addresses").get_json()

    assert len(found[0]["CWGuid"]) == 300 and found[0]["Id"] == entity["Id"]
    assert len(listed["CWGuid"]) == len(listed["OwnerCWGuid"]) == 300
    assert entity["CWGuid"] not in found[0]["CWGuid"]
    assert api.state()["entities"][0]["CWGuid"] == entity["CWGuid"]

    faults(api, long_ids=None)
    again = api("GET", "/entities", query={"search": "EntityNo='1001'"}).get_json()
    assert again[0]["CWGuid"] == entity["CWGuid"]
    assert api("GET", f"/entities/{again[0]['CWGuid']}").status_code == 200


def test_malformed_ids_answer_a_non_guid_for_a_count_of_calls(api):
    api.create_user()
    faults(api, malformed_ids={"count": 1, "path_contains": "/users"})

    assert api("GET", "/users").get_json()[0]["CWGuid"] == "not-a-guid"
    assert len(api("GET", "/users").get_json()[0]["CWGuid"]) == 36


# A 404 from a route --------------------------------------------------------------------


def test_a_route_404_while_the_entity_and_user_exist(api):
    entity, user = api.create_entity()["CWGuid"], api.create_user()["CWGuid"]
    faults(
        api,
        fail_next={"status": 404, "method": "PATCH", "path_contains": "/role-assignments"},
    )
    body = {"people": [user], "roleIds": [api.role(COLLABORATOR)], "isRemove": True}

    missed = api("PATCH", f"/entities/{entity}/role-assignments", body)

    assert (missed.status_code, missed.data) == (404, b"")  # ASP.NET's route miss: no body
    assert "Content-Type" not in missed.headers
    assert api("GET", f"/entities/{entity}").status_code == 200
    assert api("GET", f"/users/{user}").status_code == 200


# Switches ------------------------------------------------------------------------------


def test_new_switches_are_listed_and_cleared(api):
    listed = faults(
        api,
        slow_drip={"bytes_per_second": 3, "method": "get"},
        oversized={"megabytes": 1, "content_length": False},
        bad_body={"kind": "html"},
        long_ids={"count": 2},
        malformed_ids={"value": "zzz"},
        odd_token="empty",
    )

    assert listed["slow_drip"] == [
        {
            "count": None,
            "bytes_per_second": 3.0,
            "headers": False,
            "method": "GET",
            "path_contains": None,
        }
    ]
    assert listed["oversized"][0]["content_length"] is False
    assert listed["bad_body"][0]["status"] == 200
    assert listed["long_ids"][0] == {
        "count": 2,
        "length": 300,
        "method": None,
        "path_contains": None,
    }
    assert listed["malformed_ids"][0]["value"] == "zzz" and listed["odd_token"] == "empty"
    cleared = api.control("DELETE", "/faults").get_json()
    assert all(cleared[name] in ([], None) for name in ("slow_drip", "bad_body", "odd_token"))


@pytest.mark.parametrize(
    "switches",
    [
        {"slow_drip": {"bytes_per_second": 0}},
        {"slow_drip": {"headers": "yes"}},
        {"oversized": {"megabytes": -1}},
        {"bad_body": {"kind": "xml"}},
        {"bad_body": {"kind": "html", "status": 99}},
        {"long_ids": {"length": 36}},
        {"malformed_ids": {"value": 7}},
        {"odd_token": 12345},
        {"slow_drip": "fast"},
        {"long_ids": {"count": -1}},
    ],
)
def test_bad_new_switches_are_400(api, switches):
    assert api.control("POST", "/faults", switches).status_code == 400
