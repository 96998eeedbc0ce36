"""Link jobs end to end: a job of 300 clients against 300 single switches, its dry run, and
the runner's guarantees (one result per record, cancel, several runners), over the simulator."""

import json
import re
import threading

import pytest
from sqlalchemy import text

from services.link_job_runner import LinkJobRunner
from tests.api.link_jobs_support import (
    business_tables,
    by_record,
    drain,
    job_of,
    make_clients,
    results_of,
    run_jobs,
    start_job,
)
from tests.api.links_support import entities, history_of, link_of, switch, users

DRY_TO_REAL = {"would_link": "linked", "would_unlink": "unlinked"}


@pytest.fixture
def app_settings():
    # A loaded machine must not turn a switch into a 202: the twins are compared as delivered.
    return {"DELIVERY_WAIT_SECONDS": 15.0}


def _single_outcome(response) -> tuple[str, list[str]]:
    """What a PATCH answered, in a job's words."""
    body = response.get_json()
    if response.status_code == 200:
        active = body["caseware_cloud"]["active"]
        return ("linked" if active else "unlinked"), []
    if response.status_code == 202:
        return "pending", []
    assert response.status_code == 422, body
    if body["code"] == "not_eligible":
        return "not_eligible", body["ineligible_reasons"]
    return "refused", []


def _twin_key(value: str) -> str:
    """A record's data with its twin set's prefix taken out (A0007 / b-p13@ -> X0007 / x-p13@)."""
    value = re.sub(r"\b[AB](\d{4})\b", r"X\1", value)
    return re.sub(r"\b[ab]-p(\d+)@", r"x-p\1@", value)


_GUIDS = {"Id", "CWGuid", "OwnerCWGuid", "OwnerId"}


def _without_ids(value):
    if isinstance(value, dict):
        return {k: _without_ids(v) for k, v in value.items() if k not in _GUIDS}
    if isinstance(value, list):
        return [_without_ids(v) for v in value]
    return value


def _cwc_side(sim, prefix: str) -> dict:
    """What CaseWare Cloud holds for one twin: entities, users and accesses, by their keys."""
    state = sim.state()
    mine = [e for e in state["entities"] if e["EntityNo"].startswith(prefix)]
    people = [u for u in state["users"] if u["Email"].startswith(prefix.lower() + "-")]
    number = {e["CWGuid"]: e["EntityNo"] for e in mine}
    email = {u["CWGuid"]: u["Email"] for u in people}
    accesses = [
        (number[a["entity"]], email[a["user"]], a["role_name"])
        for a in state["role_assignments"]
        if a["entity"] in number
    ]
    return json.loads(
        _twin_key(
            json.dumps(
                {
                    "entities": sorted(_without_ids(mine), key=lambda e: e["EntityNo"]),
                    "users": sorted(_without_ids(people), key=lambda u: u["Email"]),
                    "accesses": sorted(accesses),
                }
            )
        )
    )


_LINKS = text(
    "SELECT 'client', c.number, '', l.active, l.sync_state, l.last_error, l.changed_by "
    "FROM clients c LEFT JOIN links l ON l.record_type = 'client' AND l.record_id = c.id "
    "WHERE c.number LIKE :prefix UNION ALL "
    "SELECT 'contact', c.number, p.last_name, l.active, l.sync_state, l.last_error, l.changed_by "
    "FROM contacts p JOIN clients c ON c.id = p.client_id "
    "LEFT JOIN links l ON l.record_type = 'contact' AND l.record_id = p.id "
    "WHERE c.number LIKE :prefix"
)
_HISTORY = text(
    "SELECT h.record_type, COALESCE(c.number, k.number), COALESCE(p.last_name, ''), "
    "h.actor, h.action, h.result, h.detail, h.request_id FROM link_history h "
    "LEFT JOIN clients c ON h.record_type = 'client' AND c.id = h.record_id "
    "LEFT JOIN contacts p ON h.record_type = 'contact' AND p.id = h.record_id "
    "LEFT JOIN clients k ON k.id = p.client_id ORDER BY h.id"
)


def _gateway_side(app, prefix: str) -> tuple[list, dict, set]:
    """The links of one twin, its history per record (actor, action, result, detail), and the
    request ids that history carries."""
    with app.extensions["db_engine"].connect() as conn:
        rows = conn.execute(_LINKS, {"prefix": prefix + "%"}).all()
        links = sorted((kind, _twin_key(number), name, *rest) for kind, number, name, *rest in rows)
        history, request_ids = {}, set()
        for kind, number, name, *event, request_id in conn.execute(_HISTORY):
            if number.startswith(prefix):
                key = (kind, _twin_key(number), _twin_key(name))
                history.setdefault(key, []).append(tuple(event))
                request_ids.add(request_id)
    return links, history, request_ids


def _switch_one_by_one(app, auth, made, callers=4) -> list[tuple[str, list[str]]]:
    """A PATCH per record: each client, then each of its contacts, as a caller clicks through
    them; several callers at once, each on its own run of 25 clients (two clients that share
    an e-mail are always in one run, so the outcomes do not depend on who is faster)."""
    runs = [made[start : start + 25] for start in range(0, len(made), 25)]
    outcomes: list[list] = [[] for _ in runs]

    def caller(numbers):
        http = app.test_client()
        for number in numbers:
            for client, people in runs[number]:
                response = switch(http, auth, "client", client.id, True)
                outcomes[number].append(_single_outcome(response))
                for person in people:
                    response = switch(http, auth, "contact", person.id, True)
                    outcomes[number].append(_single_outcome(response))

    threads = [
        threading.Thread(target=caller, args=(range(n, len(runs), callers),))
        for n in range(callers)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return [outcome for run in outcomes for outcome in run]


def _seed_adoptable(sim, prefix: str) -> dict:
    """An inactive entity for client 7 and an inactive user for client 13's contact."""
    return sim.seed(
        entities=[{"EntityNo": f"{prefix}0007", "Name": "Old", "Type": "I"}],
        users=[
            {
                "Email": f"{prefix.lower()}-p13@example.nl",
                "LastName": "Old",
                "Type": "I",
                "InActiveDate": "2026-01-01",
            }
        ],
    )


def test_a_job_of_300_clients_ends_as_300_single_switches_would_and_its_dry_run_foretold_it(
    app, http, auth, cwc_sim
):
    cwc_sim.set_rate_limit(1_000_000, 1_000_000)  # this test is about outcomes, not pacing
    singles = make_clients(app, "A", 300, shared_email_every=25)
    twins = make_clients(app, "B", 300, shared_email_every=25)
    _seed_adoptable(cwc_sim, "A")
    seeded = _seed_adoptable(cwc_sim, "B")

    single_outcomes = _switch_one_by_one(app, auth, singles)

    twin_ids = [client.id for client, _ in twins]
    tables, sim_before = business_tables(app), _cwc_side(cwc_sim, "B")
    cwc_sim.clear_calls()
    dry = start_job(http, auth, twin_ids, with_contacts=True, dry_run=True)
    run_jobs(app)

    assert job_of(http, auth, dry["id"])["state"] == "done"
    assert business_tables(app) == tables, "a dry run wrote to links, history or the outbox"
    assert _cwc_side(cwc_sim, "B") == sim_before
    writes = [c for c in cwc_sim.calls() if c["method"] != "GET" and "auth/token" not in c["path"]]
    assert writes == []
    foretold = results_of(http, auth, dry["id"])

    headers = {**auth, "X-Request-ID": "job-of-300"}
    response = http.post(
        "/v1/link-jobs",
        json={"action": "link", "clients": twin_ids, "with_contacts": True},
        headers=headers,
    )
    assert response.status_code == 202
    job = response.get_json()
    run_jobs(app)
    drain(app)

    done = job_of(http, auth, job["id"])
    real = results_of(http, auth, job["id"])
    assert done["state"] == "done" and done["processed"] == done["total"] == len(real)
    assert len(real) == len(single_outcomes) == 300 + 300 + 75
    # The same outcome per record as its own PATCH, in the same order.
    assert [(r["outcome"], r["reasons"]) for r in real] == [
        (outcome, reasons) for outcome, reasons in single_outcomes
    ]
    assert {o for o, _ in single_outcomes} == {"linked", "not_eligible"}
    # The dry run foretold each of them.
    assert [r["record"] for r in foretold] == [r["record"] for r in real]
    assert [(DRY_TO_REAL.get(f["outcome"], f["outcome"]), f["reasons"]) for f in foretold] == [
        (r["outcome"], r["reasons"]) for r in real
    ]
    counts = {k: v for k, v in done["counts"].items() if v}
    assert counts == {
        "linked": sum(o == "linked" for o, _ in single_outcomes),
        "not_eligible": sum(o == "not_eligible" for o, _ in single_outcomes),
    }

    # Whether CaseWare Cloud's entity or user was adopted, as the dry run said.
    client_7, contact_13 = twins[6][0], twins[12][1][0]
    details = {
        (f["record"]["type"], f["record"]["id"]): f["detail"]
        for f in foretold
        if f["outcome"] == "would_link"
    }
    assert details.pop(("client", client_7.id)) == "entity would be adopted (number B0007 exists)"
    assert details.pop(("contact", contact_13.id)) == (
        "user would be adopted (its e-mail address exists)"
    )
    assert set(details.values()) == {"entity would be created", "user would be created"}
    assert link_of(http, auth, "client", client_7.id)["sync"]["remote_id"] == seeded["entities"][0]
    assert link_of(http, auth, "contact", contact_13.id)["sync"]["remote_id"] == seeded["users"][0]

    # The same end state in the gateway and in CaseWare Cloud, and the same history.
    single_links, single_history, single_requests = _gateway_side(app, "A")
    job_links, job_history, job_requests = _gateway_side(app, "B")
    assert job_links == single_links
    assert job_history == single_history
    assert job_requests == {"job-of-300"}
    assert len(single_requests) == len(single_history)  # a request id of its own per PATCH
    assert _cwc_side(cwc_sim, "B") == _cwc_side(cwc_sim, "A")
    linked_clients = sum(r["outcome"] == "linked" for r in real if r["record"]["type"] == "client")
    assert len([e for e in entities(cwc_sim) if e["EntityNo"].startswith("B")]) == linked_clients


def test_an_unlink_job_takes_the_contacts_and_its_dry_run_foretold_it(app, http, auth, cwc_sim):
    made = make_clients(app, "C", 12)
    ids = [client.id for client, _ in made]
    start_job(http, auth, ids, with_contacts=True)
    run_jobs(app)
    linked = len(entities(cwc_sim)) + len(users(cwc_sim))  # clients and contacts switched on
    tables, state = business_tables(app), cwc_sim.state()

    dry = start_job(http, auth, ids, action="unlink", dry_run=True)
    run_jobs(app)
    assert business_tables(app) == tables
    assert cwc_sim.state()["role_assignments"] == state["role_assignments"]
    assert cwc_sim.state()["entities"] == state["entities"]

    job = start_job(http, auth, ids, action="unlink")
    assert job["with_contacts"] is False and job["total"] == 12 + 12 + 3  # contacts all the same
    run_jobs(app)
    foretold, real = results_of(http, auth, dry["id"]), results_of(http, auth, job["id"])
    assert [DRY_TO_REAL.get(f["outcome"], f["outcome"]) for f in foretold] == [
        r["outcome"] for r in real
    ]
    outcomes = by_record(real)
    client, (person, *_) = made[2]
    assert outcomes[("client", client.id)]["outcome"] == "unlinked"
    assert outcomes[("contact", person.id)] == {
        "record": {"type": "contact", "id": person.id},
        "outcome": "unlinked",
        "reasons": [],
        "detail": "client_unlinked",
    }
    assert job_of(http, auth, job["id"])["counts"] == {
        **dict.fromkeys(job["counts"], 0),
        "unlinked": linked,
        "unchanged": 27 - linked,
    }
    assert {e["Type"] for e in entities(cwc_sim)} == {"I"}  # inactive, never deleted
    assert {u["Type"] for u in users(cwc_sim)} == {"I"}
    assert cwc_sim.state()["role_assignments"] == []
    [off, on] = history_of(http, auth, "contact", person.id)[:2]
    assert (off["action"], off["result"], off["detail"]) == (
        "auto_unlink",
        "synced",
        "client_unlinked",
    )
    assert on["action"] == "link_on"


def test_a_refusal_and_a_deleted_client_are_results_not_failures(
    app, http, auth, cwc_sim, new_client, new_contact
):
    twice = new_client(number="2001")
    cwc_sim.seed(entities=[{"EntityNo": "2001", "Name": "A"}, {"EntityNo": "2001", "Name": "B"}])
    gone, fine = new_client(number="2002"), new_client(number="2003")
    person = new_contact(twice["id"], email="p@example.nl")
    ids = [twice["id"], gone["id"], fine["id"]]

    dry = start_job(http, auth, ids, with_contacts=True, dry_run=True)
    run_jobs(app)
    job = start_job(http, auth, ids, with_contacts=True)
    assert http.delete(f"/v1/clients/{gone['id']}", headers=auth).status_code == 204
    run_jobs(app)

    foretold, real = by_record(results_of(http, auth, dry["id"])), results_of(http, auth, job["id"])
    assert [(r["record"]["id"], r["outcome"]) for r in real] == [
        (twice["id"], "refused"),
        (person["id"], "not_eligible"),
        (gone["id"], "not_eligible"),
        (fine["id"], "linked"),
    ]
    assert "more than one" in real[0]["detail"].lower()
    assert foretold[("client", twice["id"])]["outcome"] == "refused"
    assert "more than one" in foretold[("client", twice["id"])]["detail"].lower()
    assert real[1]["reasons"] == ["client_not_linked"]
    assert real[2]["detail"] == "the client no longer exists"
    assert link_of(http, auth, "client", twice["id"])["active"] is False  # nothing half-done
    [event] = history_of(http, auth, "client", twice["id"])
    assert (event["action"], event["result"]) == ("link_on", "refused")


def test_each_record_is_switched_as_the_caller_within_the_jobs_request(
    app, http, make_token, new_client, new_contact
):
    headers = {"Authorization": f"Bearer {make_token('onboarding-tool')}"}
    client = new_client(number="3001")
    person = new_contact(client["id"], email="anna@example.nl")
    response = http.post(
        "/v1/link-jobs",
        json={"action": "link", "clients": [client["id"]], "with_contacts": True},
        headers={**headers, "X-Request-ID": "onboard-42"},
    )
    assert response.status_code == 202
    assert response.headers["Location"] == f"/v1/link-jobs/{response.get_json()['id']}"
    assert set(response.get_json()) == {
        "id", "action", "with_contacts", "dry_run", "state", "total", "processed", "counts",
        "created_by", "created_at", "finished_at",
    }  # fmt: skip
    assert response.get_json()["state"] == "queued"
    assert response.get_json()["created_by"] == "onboarding-tool"
    run_jobs(app)

    for kind, record_id in (("client", client["id"]), ("contact", person["id"])):
        [event] = history_of(http, headers, kind, record_id)
        assert (event["actor"], event["action"], event["result"], event["request_id"]) == (
            "onboarding-tool",
            "link_on",
            "synced",
            "onboard-42",
        )
        assert link_of(http, headers, kind, record_id)["changed_by"] == "onboarding-tool"
    job = http.get(response.headers["Location"], headers=headers)
    assert job.get_json()["state"] == "done" and job.get_json()["finished_at"]
    assert job.headers["ETag"]


def test_with_contacts_off_a_link_job_leaves_the_contacts_alone(app, http, auth, cwc_sim):
    made = make_clients(app, "D", 4)
    job = start_job(http, auth, [client.id for client, _ in made])
    assert job["total"] == 4
    run_jobs(app)
    assert all(r["record"]["type"] == "client" for r in results_of(http, auth, job["id"]))
    assert users(cwc_sim) == []


def test_two_runners_on_one_job_do_each_record_once(app, http, auth, cwc_sim):
    cwc_sim.set_faults(latency_ms=5)
    made = make_clients(app, "E", 20)
    job = start_job(http, auth, [client.id for client, _ in made], with_contacts=True)
    ours = app.extensions["link_job_runner"]
    other = LinkJobRunner(
        app.extensions["uow_factory"],
        app.extensions["reader_factory"],
        app.extensions["courier"],
        app.extensions["cwc"],
        ours.policy,
    )

    def work(runner):
        while job_of(app.test_client(), auth, job["id"])["state"] != "done":
            runner.run_round(limit=2)  # let go often, so that the two take turns

    threads = [threading.Thread(target=work, args=(runner,)) for runner in (ours, other)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    results = results_of(http, auth, job["id"])
    assert len(results) == len(by_record(results)) == job["total"]
    with app.extensions["db_engine"].connect() as conn:
        events = conn.execute(
            text("SELECT record_type, record_id, count(*) FROM link_history GROUP BY 1, 2")
        ).all()
    assert {count for _type, _id, count in events} == {1}
    numbers = [e["EntityNo"] for e in entities(cwc_sim)]
    emails = [u["Email"] for u in users(cwc_sim)]
    assert len(numbers) == len(set(numbers)) and len(emails) == len(set(emails))


def test_cancel_stops_a_job_and_leaves_the_rest_as_it_was(app, http, auth, problem, cwc_sim):
    made = make_clients(app, "F", 8)
    ids = [client.id for client, _ in made]
    job = start_job(http, auth, ids)
    assert app.extensions["link_job_runner"].run_round(limit=3) == 3

    response = http.post(f"/v1/link-jobs/{job['id']}/cancel", headers=auth)
    assert response.status_code == 202
    cancelled = response.get_json()
    assert (cancelled["state"], cancelled["processed"]) == ("cancelled", 3)
    assert cancelled["finished_at"]
    assert run_jobs(app) == 0
    assert job_of(http, auth, job["id"])["processed"] == 3
    for client, _ in made[3:]:
        assert link_of(http, auth, "client", client.id)["active"] is False
        assert history_of(http, auth, "client", client.id) == []
    assert len(entities(cwc_sim)) == 3

    again = problem(http.post(f"/v1/link-jobs/{job['id']}/cancel", headers=auth), 409, "conflict")
    assert "cancelled" in again["detail"]
    finished = start_job(http, auth, ids[:1])
    run_jobs(app)
    body = problem(http.post(f"/v1/link-jobs/{finished['id']}/cancel", headers=auth), 409)
    assert "done" in body["detail"]
    problem(http.post("/v1/link-jobs/999999/cancel", headers=auth), 404, "not_found")


def test_a_running_job_stops_at_the_next_record_after_a_cancel(app, http, auth, cwc_sim):
    cwc_sim.set_faults(latency_ms=20)  # a record takes a while: the cancel lands mid-job
    made = make_clients(app, "G", 40)
    job = start_job(http, auth, [client.id for client, _ in made])
    runner = threading.Thread(target=run_jobs, args=(app,))
    runner.start()
    for _ in range(6000):
        if job_of(http, auth, job["id"])["processed"] >= 2:
            break
        threading.Event().wait(0.01)
    answer = http.post(f"/v1/link-jobs/{job['id']}/cancel", headers=auth).get_json()
    runner.join(60)

    final = job_of(http, auth, job["id"])
    assert final["state"] == "cancelled"
    # No record is switched once the cancel is answered: each checks the job in its own commit.
    assert final["processed"] == answer["processed"] < final["total"]
    assert len(entities(cwc_sim)) == sum(final["counts"].values())


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"action": "link", "clients": []}, "clients"),
        ({"action": "link", "clients": list(range(1, 1002))}, "clients"),
        ({"action": "link"}, "clients"),
        ({"action": "relink", "clients": [1]}, "action"),
        ({"clients": [1]}, "action"),
        ({"action": "link", "clients": ["1"]}, "clients.0"),
        ({"action": "link", "clients": [0]}, "clients.0"),
        ({"action": "link", "clients": [1.5]}, "clients.0"),
        ({"action": "link", "clients": [1], "with_contacts": "yes"}, "with_contacts"),
        ({"action": "link", "clients": [1], "dry_run": 1}, "dry_run"),
        ({"action": "link", "clients": [1], "state": "done"}, "state"),
    ],
)
def test_a_bad_job_is_refused_and_nothing_is_started(http, auth, problem, new_client, body, field):
    new_client()
    problem(http.post("/v1/link-jobs", json=body, headers=auth), 422, "validation_error", field)
    assert http.get("/v1/link-jobs", headers=auth).get_json()["total"] == 0


def test_unknown_and_repeated_client_ids_are_named(http, auth, problem, new_client):
    client = new_client()
    body = {"action": "link", "clients": [client["id"], 99999, 100001]}
    unknown = problem(http.post("/v1/link-jobs", json=body, headers=auth), 422, field="clients")
    assert "99999, 100001" in unknown["detail"] and "99999" in unknown["errors"]["clients"][0]
    body = {"action": "unlink", "clients": [client["id"], client["id"]]}
    repeated = problem(http.post("/v1/link-jobs", json=body, headers=auth), 422, field="clients")
    assert str(client["id"]) in repeated["detail"]
    problem(
        http.post("/v1/link-jobs", data="{", headers=auth, content_type="application/json"), 400
    )
    assert http.get("/v1/link-jobs", headers=auth).get_json()["total"] == 0


def test_reading_needs_links_read_and_starting_or_cancelling_links_write(
    app, http, make_token, problem, new_client
):
    client = new_client()
    reader = {"Authorization": f"Bearer {make_token('reader', ['links:read'])}"}
    writer = {"Authorization": f"Bearer {make_token('writer', ['links:write'])}"}
    body = {"action": "link", "clients": [client["id"]]}

    for headers in ({}, {"Authorization": "Bearer nope"}):
        answer = problem(http.post("/v1/link-jobs", json=body, headers=headers), 401)
        assert answer["code"] == "unauthorized"
        problem(http.get("/v1/link-jobs", headers=headers), 401)
    refused = problem(http.post("/v1/link-jobs", json=body, headers=reader), 403, "forbidden")
    assert refused["required_right"] == "links:write"
    job = http.post("/v1/link-jobs", json=body, headers=writer)
    assert job.status_code == 202
    url = f"/v1/link-jobs/{job.get_json()['id']}"
    for path in ("/v1/link-jobs", url, url + "/results"):
        assert problem(http.get(path, headers=writer), 403)["required_right"] == "links:read"
        assert http.get(path, headers=reader).status_code == 200
    assert problem(http.post(url + "/cancel", headers=reader), 403)["required_right"] == (
        "links:write"
    )
    assert http.post(url + "/cancel", headers=writer).status_code == 202
    for path in ("/v1/link-jobs/77", "/v1/link-jobs/77/results"):
        problem(http.get(path, headers=reader), 404, "not_found")


def test_jobs_are_listed_newest_first_and_results_in_pages(app, http, auth, problem):
    made = make_clients(app, "H", 10)  # the 10th is private
    ids = [client.id for client, _ in made]
    first, second, third = (start_job(http, auth, ids[:n], dry_run=True) for n in (1, 2, 10))
    run_jobs(app)

    page = http.get("/v1/link-jobs?page_size=2", headers=auth).get_json()
    assert [job["id"] for job in page["items"]] == [third["id"], second["id"]]
    assert (page["total"], page["page"], page["page_size"]) == (3, 1, 2)
    last = http.get("/v1/link-jobs?page=2&page_size=2", headers=auth).get_json()
    assert [job["id"] for job in last["items"]] == [first["id"]]
    assert last["items"][0]["counts"]["would_link"] == 1
    problem(http.get("/v1/link-jobs?page_size=101", headers=auth), 422, "validation_error")

    url = f"/v1/link-jobs/{third['id']}/results"
    pages = [http.get(f"{url}?page={n}&page_size=4", headers=auth).get_json() for n in (1, 2, 3)]
    assert [p["total"] for p in pages] == [10, 10, 10]
    assert [len(p["items"]) for p in pages] == [4, 4, 2]
    records = [item["record"]["id"] for p in pages for item in p["items"]]
    assert records == ids
    would = http.get(f"{url}?outcome=would_link", headers=auth).get_json()
    assert would["total"] == 9 and {i["outcome"] for i in would["items"]} == {"would_link"}
    problem(http.get(f"{url}?outcome=maybe", headers=auth), 422, "validation_error")


def test_a_retry_with_the_same_idempotency_key_starts_no_second_job(
    http, auth, problem, new_client
):
    client = new_client()
    headers = {**auth, "Idempotency-Key": "onboard-firm-7"}
    body = {"action": "link", "clients": [client["id"]], "dry_run": True}
    first = http.post("/v1/link-jobs", json=body, headers=headers)
    again = http.post("/v1/link-jobs", json=body, headers=headers)

    assert first.status_code == again.status_code == 202
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    assert again.headers["Location"] == first.headers["Location"]
    assert http.get("/v1/link-jobs", headers=auth).get_json()["total"] == 1
    other = {**body, "dry_run": False}
    problem(http.post("/v1/link-jobs", json=other, headers=headers), 422, "idempotency_key_reused")
    assert http.get("/v1/link-jobs", headers=auth).get_json()["total"] == 1


def test_a_job_keeps_to_caseware_clouds_rate_limit(app, http, auth, cwc_sim):
    made = make_clients(app, "R", 12)
    cwc_sim.set_rate_limit(4, 25)  # a small bucket: a burst of 4, then 25 calls a second
    job = start_job(http, auth, [client.id for client, _ in made], with_contacts=True)
    run_jobs(app)

    counts = job_of(http, auth, job["id"])["counts"]
    assert counts["pending"] == 0 and counts["linked"] > 12  # each confirmed, none left waiting
    statuses = [call["status"] for call in cwc_sim.calls()]
    assert statuses.count(429) < sum(200 <= s < 300 for s in statuses) / 3
