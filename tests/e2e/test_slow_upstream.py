"""Under gunicorn: switches waiting on a drip-fed CaseWare Cloud answer 202 by the deadline, and
/healthz answers at once throughout, on SQLite and on PostgreSQL."""

import threading
import time

import pytest
import requests

from tests.conftest import BACKENDS
from tests.e2e.conftest import each_database, wait_until

DEADLINE = 2.0
SWITCHES = 10


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path):
    """SQLite, and PostgreSQL in a throwaway schema when the suite has one."""
    yield from each_database(request.param, tmp_path)


@pytest.fixture
def gateway_env():
    # The courier has no request deadline: CWC_CALL_TIMEOUT bounds its calls, and so how long
    # a graceful stop waits for one under way.
    return {
        "DELIVERY_WAIT_SECONDS": str(DEADLINE),
        "CWC_MAX_ATTEMPTS": "3",
        "CWC_CALL_TIMEOUT": "3",
        "CWC_CREATE_SETTLE_SECONDS": "3",
    }


@pytest.mark.serial  # it times /healthz: next to another worker's load, its margin shrinks
def test_switches_on_a_drip_fed_upstream_cost_the_deadline_and_healthz_stays_quick(
    gateway, simulator
):
    base, headers, sim = gateway["base"], gateway["headers"], simulator["base"]
    gateway["start"]()
    ids = []
    for n in range(SWITCHES):
        body = {"number": str(5000 + n), "name": f"Drip {n} BV"}
        ids.append(requests.post(f"{base}/v1/clients", json=body, headers=headers, timeout=10)
                   .json()["id"])  # fmt: skip
    drip = {"slow_drip": {"bytes_per_second": 1, "path_contains": "/entities"}}
    requests.post(f"{sim}/_sim/faults", json=drip, timeout=5).raise_for_status()
    answers, health, done = {}, [], threading.Event()

    def switch_on(client_id):
        started = time.monotonic()
        url = f"{base}/v1/clients/{client_id}/links"
        answer = requests.patch(url, json={"caseware_cloud": {"active": True}},
                                headers=headers, timeout=60)  # fmt: skip
        answers[client_id] = (answer.status_code, time.monotonic() - started)

    def probe():
        while not done.is_set():
            started = time.monotonic()
            assert requests.get(f"{base}/healthz", timeout=10).status_code == 200
            health.append(time.monotonic() - started)
            time.sleep(0.1)

    prober = threading.Thread(target=probe)
    prober.start()
    switches = [threading.Thread(target=switch_on, args=(i,)) for i in ids]
    for thread in switches:
        thread.start()
    for thread in switches:
        thread.join(60)
    time.sleep(0.5)  # and a little after: threads cut off must be free again
    done.set()
    prober.join(15)

    assert sorted(status for status, _ in answers.values()) == [202] * SWITCHES
    assert max(took for _, took in answers.values()) < DEADLINE + 1, answers
    assert len(health) > 10 and max(health) < 1.0, max(health)

    requests.delete(f"{sim}/_sim/faults", timeout=5)

    def all_synced():
        states = [
            requests.get(f"{base}/v1/clients/{i}/links", headers=headers, timeout=5).json()[
                "caseware_cloud"
            ]["sync"]["state"]
            for i in ids
        ]
        return states if set(states) == {"synced"} else None

    wait_until(all_synced, 60, "every switch to be delivered once CaseWare Cloud behaves")
    entities = requests.get(f"{sim}/_sim/state", timeout=5).json()["entities"]
    assert sorted(e["EntityNo"] for e in entities) == [str(5000 + n) for n in range(SWITCHES)]
