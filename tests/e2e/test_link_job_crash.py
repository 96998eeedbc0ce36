"""A link job whose gunicorn is killed (SIGKILL) halfway finishes after a restart, with a
standalone worker beside it: each record once, nothing twice in CaseWare Cloud."""

import sys
from collections import Counter

import pytest
import requests

from tests.conftest import BACKENDS
from tests.e2e.conftest import Process, each_database, wait_until

CLIENTS = 40


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path):
    """SQLite, and PostgreSQL in a throwaway schema when the suite has one."""
    yield from each_database(request.param, tmp_path)


@pytest.fixture
def gateway_env():
    return {
        "LINK_JOB_LEASE_SECONDS": "2",  # a dead process's job is taken over soon
        "DELIVERY_WAIT_SECONDS": "2",
        "CWC_CREATE_SETTLE_SECONDS": "1",
        "RATE_LIMIT_WRITES": "100000/minute",
        "RATE_LIMIT_READS": "100000/minute",
    }


def _get(url, headers=None):
    answer = requests.get(url, headers=headers, timeout=10)
    answer.raise_for_status()
    return answer.json()


def _all_results(base, headers, job_id) -> list[dict]:
    items, page = [], 1
    while True:
        url = f"{base}/v1/link-jobs/{job_id}/results?page={page}&page_size=100"
        body = _get(url, headers)
        items.extend(body["items"])
        if page * 100 >= body["total"]:
            return items
        page += 1


def test_a_job_killed_halfway_finishes_after_a_restart_without_a_duplicate(
    gateway, simulator, tmp_path
):
    base, headers, sim = gateway["base"], gateway["headers"], simulator["base"]
    first = gateway["start"]()
    ids, contacts = [], []
    for n in range(CLIENTS):
        body = {"number": f"{7000 + n}", "name": f"Kill Job {n} BV"}
        client = requests.post(f"{base}/v1/clients", json=body, headers=headers, timeout=10)
        ids.append(client.json()["id"])
        person = {"last_name": f"Person {n}", "email": f"person{n}@example.nl"}
        url = f"{base}/v1/clients/{ids[-1]}/contacts"
        contacts.append(requests.post(url, json=person, headers=headers, timeout=10).json()["id"])
    # Each call a little slow, so that the kill lands while records are being switched.
    requests.post(f"{sim}/_sim/faults", json={"latency_ms": 30}, timeout=5).raise_for_status()

    body = {"action": "link", "clients": ids, "with_contacts": True}
    started = requests.post(f"{base}/v1/link-jobs", json=body, headers=headers, timeout=10)
    assert started.status_code == 202
    job_url = base + started.headers["Location"]
    total = started.json()["total"]
    assert total == 2 * CLIENTS

    halfway = wait_until(
        lambda: (job := _get(job_url, headers))["processed"] >= total // 2 and job,
        60,
        "the job to get halfway",
    )
    first.kill()  # SIGKILL, master and workers, in the middle of the job
    assert halfway["state"] == "running" and halfway["processed"] < total

    # The kill is what needed slow calls: the second half runs at full speed (seconds less).
    requests.delete(f"{sim}/_sim/faults", timeout=5).raise_for_status()
    gateway["start"]()
    worker = Process(
        [sys.executable, "-m", "flask", "--app", "app", "worker", "--interval", "0.2"],
        gateway["env"],
        tmp_path / "worker.log",
    )
    try:
        done = wait_until(
            lambda: (job := _get(job_url, headers))["state"] == "done" and job,
            120,
            "the job to finish after the restart",
        )

        def delivered():
            url = f"{base}/v1/deliveries?state=pending"
            return _get(url, headers)["total"] == 0

        wait_until(delivered, 60, "every delivery to reach CaseWare Cloud")
    finally:
        worker.kill()

    assert done["processed"] == done["total"] == total
    results = _all_results(base, headers, started.json()["id"])
    records = Counter((r["record"]["type"], r["record"]["id"]) for r in results)
    assert len(results) == total and set(records.values()) == {1}  # each record exactly once
    assert {r["outcome"] for r in results} <= {"linked", "pending"}

    state = _get(f"{sim}/_sim/state")
    numbers = Counter(e["EntityNo"] for e in state["entities"])
    emails = Counter(u["Email"] for u in state["users"])
    assert len(numbers) == CLIENTS and set(numbers.values()) == {1}  # no entity twice
    assert len(emails) == CLIENTS and set(emails.values()) == {1}  # no user twice
    assert len(state["role_assignments"]) == CLIENTS
    for kind, record_id in [("client", i) for i in ids] + [("contact", c) for c in contacts]:
        link = _get(f"{base}/v1/{kind}s/{record_id}/links", headers)["caseware_cloud"]
        assert (link["active"], link["sync"]["state"]) == (True, "synced")
        history = _get(f"{base}/v1/{kind}s/{record_id}/links/history", headers)["items"]
        assert [e["action"] for e in history].count("link_on") <= 1  # never switched twice
        assert {e["request_id"] for e in history} == {started.headers["X-Request-ID"]}
