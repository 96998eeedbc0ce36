"""A gateway killed right after answering 202 delivers the change once it is back."""

import requests

from tests.e2e.conftest import wait_until


def test_a_change_accepted_before_a_sigkill_arrives_once_after_restart(gateway, simulator):
    base, headers, sim = gateway["base"], gateway["headers"], simulator["base"]
    first = gateway["start"]()
    client = requests.post(f"{base}/v1/clients", json={"number": "9001", "name": "Kill Test BV"},
                           headers=headers, timeout=10).json()  # fmt: skip
    requests.post(f"{sim}/_sim/faults", json={"outage": True}, timeout=5)

    switch_on = {"caseware_cloud": {"active": True}}
    url = f"{base}/v1/clients/{client['id']}/links"
    answer = requests.patch(url, json=switch_on, headers=headers, timeout=10)
    assert answer.status_code == 202
    first.kill()  # SIGKILL, master and workers: nothing gets to clean up

    requests.delete(f"{sim}/_sim/faults", timeout=5)
    assert requests.get(f"{sim}/_sim/state", timeout=5).json()["entities"] == []
    gateway["start"]()

    def delivered():
        entities = requests.get(f"{sim}/_sim/state", timeout=5).json()["entities"]
        return entities if entities else None

    [entity] = wait_until(delivered, 30, "the queued link to reach CaseWare Cloud")

    def synced():
        url = f"{base}/v1/clients/{client['id']}/links"
        link = requests.get(url, headers=headers, timeout=5).json()
        return link if link["caseware_cloud"]["sync"]["state"] == "synced" else None

    link = wait_until(synced, 30, "the link to show synced")
    assert entity["EntityNo"] == "9001"
    assert link["caseware_cloud"]["sync"]["remote_id"] == entity["CWGuid"]
    assert len(requests.get(f"{sim}/_sim/state", timeout=5).json()["entities"]) == 1
    pending = requests.get(f"{base}/v1/deliveries?state=pending", headers=headers, timeout=5).json()
    assert pending["total"] == 0
