"""The simulator on a real socket: connection faults, refusing connections, the command line."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from adapters.caseware_cloud.simulator import start_in_thread

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def handle():
    running = start_in_thread("socket-client", "socket-secret")
    yield running
    running.stop()


def token(handle) -> str:
    answer = requests.post(
        f"{handle.api_url}/auth/token",
        json={"ClientId": "socket-client", "ClientSecret": "socket-secret", "Language": "en"},
        timeout=5,
    )
    assert answer.status_code == 200
    return answer.json()["Token"]


def get(handle, path, **kwargs):
    headers = {"Authorization": f"Bearer {token(handle)}"}
    return requests.get(f"{handle.api_url}{path}", headers=headers, timeout=5, **kwargs)


def test_urls_name_the_real_port_and_the_firm():
    with start_in_thread("a", "b", firm="kantoor") as running:
        assert running.port > 0
        assert (
            running.api_url == f"http://127.0.0.1:{running.port}/kantoor/ms/caseware-cloud/api/v2"
        )
        assert running.control_url == f"http://127.0.0.1:{running.port}/_sim"
        state = requests.get(f"{running.control_url}/state", timeout=5).json()
        assert state == running.state()


def test_reset_switch_closes_the_connection_without_an_answer(handle):
    bearer = token(handle)
    handle.set_faults(fail_next={"count": 1, "status": "reset", "path_contains": "/roles"})

    with pytest.raises(requests.ConnectionError):
        requests.get(
            f"{handle.api_url}/roles", headers={"Authorization": f"Bearer {bearer}"}, timeout=5
        )

    [call] = [c for c in handle.calls() if c["path"] == "/roles"]
    assert (call["reset"], call["status"]) == (True, None)


def test_reset_after_write_keeps_the_write(handle):
    bearer = token(handle)
    handle.set_faults(fail_after_write={"status": "reset", "method": "POST"})

    with pytest.raises(requests.ConnectionError):
        requests.post(
            f"{handle.api_url}/entities",
            json={"EntityNo": "1", "Name": "n", "OwnerType": "Client", "Type": "A"},
            headers={"Authorization": f"Bearer {bearer}"},
            timeout=5,
        )
    assert len(handle.state()["entities"]) == 1


def test_refused_connections_then_the_same_port_again(handle):
    port = handle.port
    handle.refuse_connections()

    with pytest.raises(requests.ConnectionError):
        requests.get(f"{handle.control_url}/state", timeout=5)

    handle.accept_connections()
    assert handle.port == port
    assert get(handle, "/roles").status_code == 200


def test_outage_route_refuses_connections_for_a_while(handle):
    answer = requests.post(f"{handle.control_url}/outage", json={"seconds": 0.6}, timeout=5)
    assert answer.status_code == 202

    with pytest.raises(requests.ConnectionError):
        requests.get(f"{handle.control_url}/state", timeout=5)

    deadline = time.monotonic() + 5
    while True:
        try:
            assert requests.get(f"{handle.control_url}/state", timeout=5).status_code == 200
            break
        except requests.ConnectionError:
            assert time.monotonic() < deadline, "the simulator did not listen again"
            time.sleep(0.05)


def test_latency_outlasts_a_short_read_timeout(handle):
    bearer = token(handle)
    handle.set_faults(latency_ms=400, latency_path_contains="/roles")

    with pytest.raises(requests.ReadTimeout):
        requests.get(
            f"{handle.api_url}/roles", headers={"Authorization": f"Bearer {bearer}"}, timeout=0.05
        )


def test_fault_switches_over_http(handle):
    answer = requests.post(f"{handle.control_url}/faults", json={"outage": True}, timeout=5)
    assert answer.json()["outage"] is True

    assert requests.post(f"{handle.api_url}/auth/token", json={}, timeout=5).status_code == 503
    requests.delete(f"{handle.control_url}/faults", timeout=5)
    assert get(handle, "/roles").status_code == 200


def test_command_line_makes_and_prints_credentials():
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "adapters.caseware_cloud.simulator", "--port", "0", "--firm", "cli"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        printed = dict(process.stdout.readline().strip().split("=", 1) for _ in range(3))
        assert printed["CWC_BASE_URL"].endswith("/cli/ms/caseware-cloud/api/v2")
        answer = requests.post(
            f"{printed['CWC_BASE_URL']}/auth/token",
            json={
                "ClientId": printed["CWC_CLIENT_ID"],
                "ClientSecret": printed["CWC_CLIENT_SECRET"],
            },
            timeout=5,
        )
        assert answer.status_code == 200 and answer.json()["Token"]
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_command_line_does_not_print_a_secret_it_was_given():
    env = {**os.environ, "PYTHONPATH": str(REPO), "PYTHONUNBUFFERED": "1"}
    command = [sys.executable, "-m", "adapters.caseware_cloud.simulator", "--port", "0"]
    process = subprocess.Popen(
        [*command, "--client-id", "given-id", "--client-secret", "given-secret-xyz"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        lines = [process.stdout.readline() for _ in range(4)]
        assert "CWC_CLIENT_ID=given-id\n" in lines
        assert not any("given-secret-xyz" in line for line in lines)
    finally:
        process.terminate()
        process.wait(timeout=10)
