"""Reconciliation: a drift check against CaseWare Cloud (the simulator, over real sockets) after
people edited it by hand, and its repair through the delivery queue."""

import json
import time
from datetime import timedelta

import pytest

from db.models import utcnow
from services.reconciliation_runner import ReconciliationRunner
from services.worker import BackgroundCourier
from tests.api.links_support import history_of, link_of
from tests.api.reconciliation_support import (
    ByHand,
    linked_firm,
    not_in_sync,
    remote_id,
    results,
    start,
)

NO_COUNTS = {"in_sync": 0, "drifted": 0, "missing": 0, "repaired": 0}


def _run(app, http, auth, body=None) -> dict:
    """Start a reconciliation and run it to its end here; returns it as GET shows it."""
    response = start(http, auth, body)
    assert response.status_code == 202, response.get_json()
    job_id = response.get_json()["id"]
    app.extensions["reconciliation_runner"].run_to_end(job_id, poll=0.01)
    return http.get(f"/v1/reconciliations/{job_id}", headers=auth).get_json()


def _writes(sim) -> list[dict]:
    return [c for c in sim.calls() if c["method"] in ("POST", "PATCH") and "auth" not in c["path"]]


def _metric(http, name: str) -> float:
    for line in http.get("/metrics").get_data(as_text=True).splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} not in /metrics")


def test_a_check_reports_exactly_the_edits_made_by_hand_and_repair_undoes_them(
    app, http, auth, new_client, new_contact, cwc_sim
):
    first, second, piet, anna, karel = linked_firm(http, auth, new_client, new_contact)
    person = ByHand(cwc_sim)
    entity = remote_id(http, auth, "client", first["id"])
    person.rename_entity(entity, "Jansen Brood")
    person.remove_access(entity, remote_id(http, auth, "contact", piet["id"]))
    person.set_user_inactive(remote_id(http, auth, "contact", karel["id"]))
    cwc_sim.clear_calls()

    job = _run(app, http, auth)

    assert (job["state"], job["repair"], job["total"], job["processed"]) == ("done", False, 5, 5)
    assert job["counts"] == {"in_sync": 2, "drifted": 1, "missing": 2, "repaired": 0}
    assert job["finished_at"] and job["created_by"] == "tester"
    items = results(http, auth, job["id"])
    assert [(i["record"]["type"], i["record"]["id"]) for i in items] == [
        ("client", first["id"]),
        ("contact", piet["id"]),
        ("contact", anna["id"]),
        ("client", second["id"]),
        ("contact", karel["id"]),
    ]
    found = not_in_sync(items)
    assert set(found) == {
        ("client", first["id"]),
        ("contact", piet["id"]),
        ("contact", karel["id"]),
    }
    drifted = found[("client", first["id"])]
    assert drifted["state"] == "drifted"
    assert drifted["differences"] == [
        {"field": "name", "gateway": "Bakkerij Jansen BV", "caseware_cloud": "Jansen Brood"}
    ]
    assert found[("contact", piet["id"])]["state"] == "missing"
    assert "access" in found[("contact", piet["id"])]["detail"]
    assert found[("contact", karel["id"])]["state"] == "missing"
    assert "inactive" in found[("contact", karel["id"])]["detail"]
    assert _writes(cwc_sim) == []  # a check without repair writes nothing to CaseWare Cloud
    reads = [c for c in cwc_sim.calls() if c["method"] == "GET" and "pageSize" in c["query"]]
    assert reads and all("pageSize=50" in c["query"] for c in reads)
    assert _metric(http, "gateway_reconciliation_drifted_records") == 3

    repair = _run(app, http, auth, {"repair": True})

    assert repair["counts"] == {"in_sync": 2, "drifted": 0, "missing": 0, "repaired": 3}
    assert {i["state"] for i in results(http, auth, repair["id"], state="repaired")} == {"repaired"}
    assert _metric(http, "gateway_reconciliation_drifted_records") == 0
    again = _run(app, http, auth)
    assert again["counts"] == {**NO_COUNTS, "in_sync": 5}
    assert [e["Name"] for e in cwc_sim.state()["entities"]][0] == "Bakkerij Jansen BV"
    for kind, record in (("client", first), ("contact", piet), ("contact", karel)):
        event = history_of(http, auth, kind, record["id"])[0]
        assert (event["action"], event["result"], event["actor"]) == ("forward", "synced", "tester")
        assert event["detail"].startswith(f"reconciliation {repair['id']}:")
        assert link_of(http, auth, kind, record["id"])["sync"]["state"] == "synced"


@pytest.mark.parametrize(
    "app_settings", [{"CWC_FIELD_MAP": json.dumps({"entity": {"website": "Url"}})}]
)
def test_a_field_map_correction_applies_to_the_check(
    app, http, auth, new_client, new_contact, cwc_sim
):
    client = new_client(website="https://jansen.nl")
    assert (
        http.patch(
            f"/v1/clients/{client['id']}/links",
            json={"caseware_cloud": {"active": True}},
            headers=auth,
        ).status_code
        == 200
    )
    person = ByHand(cwc_sim)
    entity = remote_id(http, auth, "client", client["id"])
    # WebSite is no longer this firm's field: a change there is no drift; Url is.
    person.change_entity(entity, WebSite="https://elsewhere.nl")
    assert _run(app, http, auth)["counts"] == {**NO_COUNTS, "in_sync": 1}
    person.change_entity(entity, Url="https://other.nl")

    job = _run(app, http, auth, {"repair": True})

    [item] = results(http, auth, job["id"])
    assert item["differences"] == [
        {"field": "website", "gateway": "https://jansen.nl", "caseware_cloud": "https://other.nl"}
    ]
    [stored] = cwc_sim.state()["entities"]
    assert stored["Url"] == "https://jansen.nl"


def test_only_admins_start_and_read_reconciliations(http, make_token, auth, problem):
    writer = {"Authorization": f"Bearer {make_token('writer', ['links:write', 'links:read'])}"}
    body = problem(start(http, writer), 403, "forbidden")
    assert body["required_right"] == "admin"
    problem(http.get("/v1/reconciliations", headers=writer), 403, "forbidden")
    problem(http.post("/v1/reconciliations", json={}), 401, "unauthorized")
    problem(http.get("/v1/reconciliations/1/results"), 401, "unauthorized")
    assert http.get("/v1/reconciliations", headers=auth).get_json()["total"] == 0


@pytest.mark.parametrize(
    "body, field",
    [
        ({"clients": []}, "clients"),
        ({"clients": ["1"]}, "clients.0"),
        ({"clients": [0]}, "clients.0"),
        ({"clients": list(range(1, 1002))}, "clients"),
        ({"repair": "yes"}, "repair"),
        ({"repair": None}, "repair"),
        ({"state": "done"}, "state"),
    ],
)
def test_a_bad_body_is_refused_and_starts_nothing(http, auth, problem, body, field):
    problem(start(http, auth, body), 422, "validation_error", field=field)
    assert http.get("/v1/reconciliations", headers=auth).get_json()["total"] == 0


def test_an_unknown_client_is_named_and_an_unknown_reconciliation_is_404(
    http, auth, new_client, problem
):
    client = new_client()
    body = problem(start(http, auth, {"clients": [client["id"], 999]}), 422, "validation_error")
    assert "999" in body["errors"]["clients"][0] and str(client["id"]) not in body["detail"]
    problem(http.get("/v1/reconciliations/999", headers=auth), 404, "not_found")
    problem(http.get("/v1/reconciliations/999/results", headers=auth), 404, "not_found")
    problem(http.get("/v1/reconciliations/1/results?state=odd", headers=auth), 422, field="state")


def test_start_answers_202_with_a_location_and_honours_idempotency_keys(
    app, http, auth, new_client, new_contact, cwc_sim, problem
):
    first, *_ = linked_firm(http, auth, new_client, new_contact)
    key = {"Idempotency-Key": "drift-1"}
    cwc_sim.clear_calls()

    response = start(http, auth, {"clients": [first["id"]]}, **key)
    replay = start(http, auth, {"clients": [first["id"]]}, **key)

    assert response.status_code == 202
    job = response.get_json()
    assert response.headers["Location"] == f"/v1/reconciliations/{job['id']}"
    assert (job["state"], job["total"], job["processed"], job["counts"]) == (
        "queued", 3, 0, NO_COUNTS
    )  # fmt: skip
    assert replay.status_code == 202 and replay.headers["Idempotent-Replayed"] == "true"
    assert replay.get_json()["id"] == job["id"] and replay.headers["Location"]
    problem(start(http, auth, {"repair": True}, **key), 422, "idempotency_key_reused")
    assert http.get("/v1/reconciliations", headers=auth).get_json()["total"] == 1
    assert cwc_sim.calls() == []  # the check itself runs in the background


def test_results_and_reconciliations_are_paged(app, http, auth, new_client, new_contact, cwc_sim):
    linked_firm(http, auth, new_client, new_contact)
    older = _run(app, http, auth)
    newer = _run(app, http, auth)

    page = http.get(f"/v1/reconciliations/{older['id']}/results?page=2&page_size=2", headers=auth)
    listing = http.get("/v1/reconciliations?page_size=1", headers=auth).get_json()

    body = page.get_json()
    assert (body["total"], body["page"], body["page_size"], len(body["items"])) == (5, 2, 2, 2)
    assert [i["record"]["type"] for i in body["items"]] == ["contact", "client"]
    assert (listing["total"], [j["id"] for j in listing["items"]]) == (2, [newer["id"]])
    none = http.get(f"/v1/reconciliations/{older['id']}/results?state=missing", headers=auth)
    assert none.get_json()["total"] == 0


def test_an_interrupted_check_resumes_without_checking_a_record_twice(
    app, http, auth, uow, new_client, new_contact, cwc_sim
):
    linked_firm(http, auth, new_client, new_contact)
    job_id = start(http, auth).get_json()["id"]
    app_runner = app.extensions["reconciliation_runner"]
    dead = ReconciliationRunner(
        app.extensions["uow_factory"],
        app.extensions["cwc"],
        app.extensions["courier"],
        slice_records=2,
    )
    assert dead.run_due() is True  # it claims the job, checks two records, and dies
    assert len(results(http, auth, job_id)) == 2
    assert app_runner.run_due() is False  # the dead owner's lease still holds
    with uow() as work:
        work.reconciliations.get(job_id).leased_until = utcnow() - timedelta(seconds=1)
        work.commit()
    cwc_sim.clear_calls()

    app_runner.run_to_end(job_id, poll=0.01)

    job = http.get(f"/v1/reconciliations/{job_id}", headers=auth).get_json()
    items = results(http, auth, job_id)
    assert (job["state"], job["processed"], job["counts"]["in_sync"], len(items)) == (
        "done", 5, 5, 5
    )  # fmt: skip
    assert len({(i["record"]["type"], i["record"]["id"]) for i in items}) == 5
    first_entity = remote_id(http, auth, "client", items[0]["record"]["id"])
    first_user = remote_id(http, auth, "contact", items[1]["record"]["id"])
    paths = [c["path"] for c in cwc_sim.calls()]
    assert f"/entities/{first_entity}" not in paths and f"/users/{first_user}" not in paths


def test_the_background_worker_runs_it_and_waits_while_caseware_cloud_is_away(
    app, http, auth, new_client, new_contact, cwc_sim
):
    linked_firm(http, auth, new_client, new_contact)
    cwc_sim.set_faults(outage=True)
    job_id = start(http, auth).get_json()["id"]
    runner = app.extensions["reconciliation_runner"]
    runner.run_due()
    waiting = http.get(f"/v1/reconciliations/{job_id}", headers=auth).get_json()
    assert (waiting["state"], waiting["processed"]) == ("running", 0)
    assert "503" in waiting["last_error"] or "unavailable" in waiting["last_error"].lower()
    cwc_sim.clear_faults()
    background = BackgroundCourier(app.extensions["courier"], 0.02, rounds=[runner.run_due])
    background.start()
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            job = http.get(f"/v1/reconciliations/{job_id}", headers=auth).get_json()
            if job["state"] == "done":
                break
            time.sleep(0.05)
    finally:
        background.stop()
    assert (job["state"], job["counts"]["in_sync"], job["last_error"]) == ("done", 5, None)


def test_an_odd_answer_is_never_compared_and_the_check_waits_for_a_good_one(
    app, http, auth, new_client, new_contact, cwc_sim
):
    first, *_ = linked_firm(http, auth, new_client, new_contact)
    job_id = start(http, auth, {"clients": [first["id"]]}).get_json()["id"]
    cwc_sim.set_faults(malformed_ids={"value": "not-a-guid", "path_contains": "role-assignments"})
    runner = app.extensions["reconciliation_runner"]

    runner.run_due()

    waiting = http.get(f"/v1/reconciliations/{job_id}", headers=auth).get_json()
    assert (waiting["state"], waiting["processed"]) == ("running", 1)  # the client; not Piet
    assert "CWGuid" in waiting["last_error"] and "not-a-guid" not in waiting["last_error"]
    cwc_sim.clear_faults()
    runner.run_to_end(job_id, poll=0.01)  # once the pause is over
    job = http.get(f"/v1/reconciliations/{job_id}", headers=auth).get_json()
    assert (job["state"], job["counts"]["in_sync"], job["last_error"]) == ("done", 3, None)


def test_the_command_line_shows_progress_and_a_table_of_differences(
    app, http, auth, new_client, new_contact, cwc_sim
):
    first, second, piet, *_ = linked_firm(http, auth, new_client, new_contact)
    person = ByHand(cwc_sim)
    person.rename_entity(remote_id(http, auth, "client", first["id"]), "Jansen Brood")
    person.change_user(remote_id(http, auth, "contact", piet["id"]), MobilePhone="06-99")
    person.set_entity_inactive(remote_id(http, auth, "client", second["id"]))
    cli = app.test_cli_runner()

    checked = cli.invoke(args=["drift", "--client", str(first["id"])])
    repaired = cli.invoke(args=["drift", "--repair"])
    after = cli.invoke(args=["drift"])

    assert checked.exit_code == 0, checked.output
    assert "Checking 3 records" in checked.output
    lines = checked.output.splitlines()
    assert any("name" in x and "Bakkerij Jansen BV" in x and "Jansen Brood" in x for x in lines)
    assert any(f"contact {piet['id']}" in x and "mobile" in x and "06-99" in x for x in lines)
    assert "1 in sync, 2 drifted, 0 missing, 0 repaired" in checked.output
    assert repaired.exit_code == 0, repaired.output
    assert "inactive" in repaired.output and "2 in sync, 0 drifted, 0 missing, 3 repaired" in (
        repaired.output
    )
    assert "5 in sync, 0 drifted, 0 missing, 0 repaired" in after.output
    assert "No differences" in after.output
