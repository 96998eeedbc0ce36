"""SIGTERM, as systemd stops a unit: gunicorn answers every request it took, refuses the rest,
and leaves no lease behind; the standalone worker stops between deliveries. After a restart
every change reaches CaseWare Cloud exactly once. On SQLite and on PostgreSQL."""

import http.client
import json
import os
import signal
import sys
import threading
from collections import Counter
from urllib.parse import urlsplit

import pytest
import requests
from sqlalchemy import create_engine, text

from tests.conftest import BACKENDS
from tests.e2e.conftest import Process, each_database, wait_until

SWITCHES = 40
LATE = 10  # switches sent just after SIGTERM
LATENCY_MS = 200  # per CaseWare Cloud call: a switch takes several
GRACEFUL_TIMEOUT = 30  # gunicorn.conf.py
SWITCH_ON = {"caseware_cloud": {"active": True}}


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path):
    """SQLite, and PostgreSQL in a throwaway schema when the suite has one."""
    yield from each_database(request.param, tmp_path)


@pytest.fixture
def poll_seconds():
    return "0.2"


@pytest.fixture
def gateway_env(poll_seconds):
    # A lease left behind would hold its change for two minutes: far past the test's waits.
    # One courier thread per worker, so that a queue is still there when SIGTERM comes.
    return {
        "DELIVERY_LEASE_SECONDS": "120",
        "DELIVERY_COURIER_THREADS": "1",
        "DELIVERY_POLL_SECONDS": poll_seconds,
    }


def _switch(base: str, headers: dict, client_id: int, sent: threading.Event | None = None):
    """PATCH a client's link on a connection of its own: "refused" when no connection was
    made, else (status, body). Anything that breaks once connected is raised: a cut request."""
    address = urlsplit(base)
    conn = http.client.HTTPConnection(address.hostname, address.port, timeout=60)
    try:
        try:
            conn.connect()
        except ConnectionRefusedError:
            return "refused"
        body = json.dumps(SWITCH_ON)
        conn.request("PATCH", f"/v1/clients/{client_id}/links", body=body,
                     headers={**headers, "Content-Type": "application/json"})  # fmt: skip
        if sent is not None:
            sent.set()
        answer = conn.getresponse()
        return answer.status, json.loads(answer.read())
    finally:
        conn.close()


def _new_clients(base, headers, first: int, count: int) -> list[int]:
    return [
        requests.post(
            f"{base}/v1/clients",
            json={"number": str(n), "name": f"Stop {n} BV"},
            headers=headers,
            timeout=10,
        ).json()["id"]  # fmt: skip
        for n in range(first, first + count)
    ]


def _outbox(database_url) -> list[dict]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT record_id, state, lease_owner FROM deliveries"))
            return [dict(row._mapping) for row in rows]
    finally:
        engine.dispose()


def _entity_numbers(sim) -> Counter:
    entities = requests.get(f"{sim}/_sim/state", timeout=5).json()["entities"]
    return Counter(e["EntityNo"] for e in entities)


def _wait_all_synced(base, headers, ids):
    def synced():
        states = {
            requests.get(f"{base}/v1/clients/{i}/links", headers=headers, timeout=5).json()[
                "caseware_cloud"
            ]["sync"]["state"]
            for i in ids
        }
        return states == {"synced"}

    wait_until(synced, 60, "every switched link to show synced")


@pytest.mark.serial  # its late switches race gunicorn's closing of the socket: not under load
def test_sigterm_during_a_burst_of_switches_cuts_no_request_and_loses_nothing(
    gateway, simulator, database_url
):
    base, headers, sim = gateway["base"], gateway["headers"], simulator["base"]
    gunicorn = gateway["start"]()
    ids = _new_clients(base, headers, 7000, SWITCHES)
    late_ids = _new_clients(base, headers, 7500, LATE)
    requests.post(f"{sim}/_sim/faults", json={"latency_ms": LATENCY_MS}, timeout=5)
    requests.delete(f"{sim}/_sim/calls", timeout=5)

    answers, cut, sent = {}, {}, [threading.Event() for _ in ids]

    def switch(client_id, sent_event=None):
        try:
            answers[client_id] = _switch(base, headers, client_id, sent_event)
        except Exception as error:  # noqa: BLE001 - every way of being cut counts
            cut[client_id] = repr(error)

    burst = [threading.Thread(target=switch, args=(i, e)) for i, e in zip(ids, sent, strict=True)]
    for thread in burst:
        thread.start()
    for event in sent:
        assert event.wait(30), "a switch of the burst could not be sent"
    # Mid-burst: CaseWare Cloud is being called, and some switches still wait on it.
    wait_until(lambda: len(requests.get(f"{sim}/_sim/calls", timeout=5).json()) >= 10, 30,
               "the burst to reach CaseWare Cloud")  # fmt: skip
    assert len(answers) < SWITCHES

    os.kill(gunicorn.popen.pid, signal.SIGTERM)  # the master, as systemd's KillMode=mixed does
    late = [threading.Thread(target=switch, args=(i,)) for i in late_ids]
    for thread in late:
        thread.start()
    for thread in burst + late:
        thread.join(GRACEFUL_TIMEOUT + 10)
    assert gunicorn.popen.wait(GRACEFUL_TIMEOUT) == 0  # within the graceful timeout

    assert cut == {}  # no request that got a connection was cut or reset
    assert set(answers) == set(ids + late_ids)
    assert all(answers[i] != "refused" for i in ids)  # connected before SIGTERM: all answered
    switched = {i: a for i, a in answers.items() if a != "refused"}
    assert {status for status, _body in switched.values()} <= {200, 202}

    # The outbox keeps every change not yet delivered, with no lease held.
    outbox = _outbox(database_url)
    assert [row for row in outbox if row["lease_owner"] is not None] == []
    assert {row["state"] for row in outbox} <= {"pending", "done"}
    pending = {row["record_id"] for row in outbox if row["state"] == "pending"}
    assert pending, "the stop should leave queued changes for the next start, not drain them"
    delivered = _entity_numbers(sim)
    number_of = {i: str(7000 + n) for n, i in enumerate(ids)}
    number_of |= {i: str(7500 + n) for n, i in enumerate(late_ids)}
    for client_id, (status, _body) in switched.items():
        if status == 200:  # synced: CaseWare Cloud holds it already
            assert delivered[number_of[client_id]] == 1
        assert client_id in pending or delivered[number_of[client_id]] == 1

    requests.delete(f"{sim}/_sim/faults", timeout=5)
    gateway["start"]()
    _wait_all_synced(base, headers, list(switched))
    delivered = _entity_numbers(sim)
    assert sorted(delivered) == sorted(number_of[i] for i in switched)
    assert set(delivered.values()) == {1}  # each exactly once
    assert all(row["state"] == "done" for row in _outbox(database_url))


@pytest.mark.parametrize("poll_seconds", ["0"])  # the gateway leaves delivery to the worker
@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_the_standalone_worker_stops_between_deliveries_and_leaves_no_lease(
    gateway, simulator, database_url, stop_signal, tmp_path
):
    base, headers, sim = gateway["base"], gateway["headers"], simulator["base"]
    gateway["start"]()
    ids = _new_clients(base, headers, 8000, 12)
    requests.post(f"{sim}/_sim/faults", json={"outage": True}, timeout=5)
    for client_id in ids:
        assert _switch(base, headers, client_id)[0] == 202
    requests.delete(f"{sim}/_sim/faults", timeout=5)
    requests.post(f"{sim}/_sim/faults", json={"latency_ms": LATENCY_MS}, timeout=5)

    args = [sys.executable, "-m", "flask", "--app", "app", "worker", "--interval", "0.2"]
    env = {**gateway["env"], "DELIVERY_COURIER_THREADS": "2"}
    worker = Process(args, env, tmp_path / "worker.log")
    wait_until(lambda: sum(_entity_numbers(sim).values()) >= 2, 30, "the worker to deliver")
    os.kill(worker.popen.pid, stop_signal)
    assert worker.popen.wait(15) == 0

    outbox = _outbox(database_url)
    assert [row for row in outbox if row["lease_owner"] is not None] == []
    assert any(row["state"] == "pending" for row in outbox)
    assert "finishing the deliveries under way" in worker.log.read_text()
    worker.kill()

    # The stop is what needed slow calls; the rest is delivered at full speed (seconds less).
    requests.delete(f"{sim}/_sim/faults", timeout=5)
    again = Process(args, env, tmp_path / "worker-again.log")
    try:
        _wait_all_synced(base, headers, ids)
    finally:
        again.kill(signal.SIGTERM)
    delivered = _entity_numbers(sim)
    assert sorted(delivered) == [str(n) for n in range(8000, 8012)]
    assert set(delivered.values()) == {1}
