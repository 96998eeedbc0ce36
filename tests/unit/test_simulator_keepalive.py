"""The simulator keeps HTTP/1.1 connections alive, as CWC does, over real sockets."""

from __future__ import annotations

import http.client
import socket
import time

import pytest
import requests

from tests.unit.simulator_support import CLIENT_ID, CLIENT_SECRET, SocketSim


@pytest.fixture
def sim():
    running = SocketSim()
    yield running
    running.close()


def connection(sim) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", sim.handle.port, timeout=5)


def path(sim, rest: str) -> str:
    return sim.handle.simulator.prefix + rest


def bearer(sim) -> dict[str, str]:
    return {"Authorization": f"Bearer {sim.token()}"}


def test_five_calls_on_one_session_use_one_connection(sim):
    sim.token()
    answers = [sim("GET", "/roles") for _ in range(4)]

    assert [a.status_code for a in answers] == [200] * 4
    assert all(a.raw.version == 11 for a in answers)
    assert all("close" not in a.headers.get("Connection", "") for a in answers)
    assert sim.handle.connections_accepted() == 1
    assert sim.handle.state()["connections_accepted"] == 1
    assert [c["connection"] for c in sim.handle.calls()] == [1] * 5


def test_an_unread_request_body_is_drained_before_the_next_request(sim):
    conn = connection(sim)
    big = b'{"people": [' + b'"x",' * 50_000 + b'"y"]}'
    # No route reads this body: the server must skip it to find the next request line.
    conn.request("PATCH", path(sim, "/nowhere/role-assignments"), body=big, headers=bearer(sim))
    first = conn.getresponse()
    assert (first.status, first.read()) == (404, b"")

    conn.request("GET", path(sim, "/roles"), headers=bearer(sim))
    second = conn.getresponse()

    assert second.status == 200 and second.read().startswith(b"[")
    assert sim.handle.connections_accepted() == 2  # the session's, and this one
    conn.close()


def test_a_chunked_request_body_is_read_and_the_connection_kept(sim):
    conn = connection(sim)
    body = [b'{"ClientId": "', CLIENT_ID.encode(), b'", "ClientSecret": "', CLIENT_SECRET.encode()]
    body.append(b'"}')
    conn.request(
        "POST",
        path(sim, "/auth/token"),
        body=iter(body),
        headers={"Content-Type": "application/json"},
        encode_chunked=True,
    )
    answer = conn.getresponse()
    assert answer.status == 200 and b"Token" in answer.read()

    conn.request("GET", path(sim, "/roles"), headers=bearer(sim))
    assert conn.getresponse().status == 200
    assert sim.handle.connections_accepted() == 2
    conn.close()


def test_a_reset_on_a_kept_alive_connection_is_logged_before_the_drop(sim):
    assert sim("GET", "/roles").status_code == 200
    sim.handle.set_faults(fail_next={"status": "reset", "path_contains": "/entities"})

    with pytest.raises(requests.ConnectionError):
        sim("GET", "/entities")

    reset = sim.handle.calls()[-1]
    assert (reset["path"], reset["reset"], reset["status"], reset["connection"]) == (
        "/entities",
        True,
        None,
        1,
    )
    assert sim("GET", "/entities").status_code == 200
    assert sim.handle.calls()[-1]["connection"] == 2


def test_reset_all_still_resets_kept_alive_connections(sim):
    sim("GET", "/roles")
    sim.handle.set_faults(reset_all=True)

    for _ in range(2):
        with pytest.raises(requests.ConnectionError):
            sim("GET", "/roles")
    assert [c["reset"] for c in sim.handle.calls()[-2:]] == [True, True]


def test_idle_connections_are_closed_after_the_idle_timeout():
    sim = SocketSim(idle_timeout=0.3)
    try:
        raw = socket.create_connection(("127.0.0.1", sim.handle.port), timeout=5)
        raw.sendall(b"GET /_sim/faults HTTP/1.1\r\nHost: sim\r\n\r\n")
        assert raw.recv(65536).startswith(b"HTTP/1.1 200")

        started = time.monotonic()
        assert raw.recv(1) == b""  # the server closed the idle connection
        assert 0.2 < time.monotonic() - started < 3
        raw.close()
    finally:
        sim.close()


def test_stop_does_not_wait_for_idle_kept_alive_connections():
    sim = SocketSim()
    sim("GET", "/roles")
    raw = socket.create_connection(("127.0.0.1", sim.handle.port), timeout=5)
    raw.sendall(b"GET /_sim/faults HTTP/1.1\r\nHost: sim\r\n\r\n")
    raw.recv(65536)

    started = time.monotonic()
    sim.close()

    assert time.monotonic() - started < 2
    assert raw.recv(1) == b""
    raw.close()


def test_refusing_connections_closes_the_kept_alive_ones_too(sim):
    assert sim("GET", "/roles").status_code == 200
    sim.handle.refuse_connections()

    with pytest.raises(requests.ConnectionError):
        sim("GET", "/roles")

    sim.handle.accept_connections()
    assert sim("GET", "/roles").status_code == 200


def test_the_outage_route_answers_before_its_own_connection_closes(sim):
    answer = sim.session.post(f"{sim.handle.control_url}/outage", json={"seconds": 0.3}, timeout=5)

    assert answer.status_code == 202
    with pytest.raises(requests.ConnectionError):
        sim("GET", "/roles")
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            assert sim("GET", "/roles").status_code == 200
            break
        except requests.ConnectionError:
            time.sleep(0.05)
    else:
        pytest.fail("the simulator did not listen again")


def test_an_http_1_0_request_is_answered_and_the_connection_closed(sim):
    raw = socket.create_connection(("127.0.0.1", sim.handle.port), timeout=5)
    raw.sendall(b"GET /_sim/faults HTTP/1.0\r\n\r\n")

    received = b""
    while chunk := raw.recv(65536):
        received += chunk

    head, _, body = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200") and b"Connection: close" in head
    assert body.startswith(b"{")
    raw.close()
