"""Nothing lost: changes kept through outages and delivered later, in order, exactly once."""

import time
from dataclasses import replace
from datetime import datetime

import pytest
from sqlalchemy import text

from adapters.caseware_cloud import CaseWareCloud
from services.delivery import DELIVERED, Courier, Result
from services.delivery_policy import DeliveryPolicy
from tests.api.links_support import assignments, entities, history_of, link_of, switch, users


def drain(app) -> None:
    """Let the courier deliver everything that is due, as the background loop would."""
    while app.extensions["courier"].run_due():
        pass


def pending(http, auth) -> list[dict]:
    return http.get("/v1/deliveries?state=pending", headers=auth).get_json()["items"]


def test_an_outage_during_a_link_and_changes_ends_with_one_entity_holding_the_last_values(
    app, http, auth, new_client, cwc_sim
):
    client = new_client(city="Utrecht")
    cwc_sim.set_faults(outage=True)

    assert switch(http, auth, "client", client["id"], True).status_code == 202
    for city in ("Zeist", "Bunnik", "Houten"):
        response = http.patch(f"/v1/clients/{client['id']}", json={"city": city}, headers=auth)
        assert response.status_code == 200 and response.get_json()["city"] == city
    assert [d["operation"] for d in pending(http, auth)] == ["link_client"] + ["update_client"] * 3
    assert entities(cwc_sim) == []

    cwc_sim.clear_faults()
    cwc_sim.clear_calls()
    drain(app)

    [entity] = entities(cwc_sim)
    assert entity["addresses"][0]["City"] == "Houten" and entity["Type"] == "A"
    # Delivered later from the queue, yet traced to the requests that made the changes.
    request_ids = {c["request_id"] for c in cwc_sim.calls() if c["path"].endswith("/entities")}
    assert request_ids and None not in request_ids
    assert pending(http, auth) == []
    link = link_of(http, auth, "client", client["id"])
    assert (link["sync"]["state"], link["sync"]["remote_id"]) == ("synced", entity["CWGuid"])
    posts = [
        c for c in cwc_sim.calls() if c["method"] == "POST" and c["path"].endswith("/entities")
    ]
    assert len([c for c in posts if c["status"] == 201]) == 1


def test_a_request_never_overtakes_an_older_pending_change(app, http, auth, new_client, cwc_sim):
    client = new_client(city="Utrecht")
    assert switch(http, auth, "client", client["id"], True).status_code == 200
    cwc_sim.set_faults(outage=True)
    http.patch(f"/v1/clients/{client['id']}", json={"city": "Zeist"}, headers=auth)
    cwc_sim.clear_faults()
    cwc_sim.clear_calls()

    # The older change is not due yet; the new request delivers it first, then its own.
    http.patch(f"/v1/clients/{client['id']}", json={"phone": "030-9"}, headers=auth)

    patches = [c for c in cwc_sim.calls() if c["method"] == "PATCH"]
    assert patches and pending(http, auth) == []
    [entity] = entities(cwc_sim)
    assert (entity["addresses"][0]["City"], entity["Phone"]) == ("Zeist", "030-9")
    address_patch = next(i for i, c in enumerate(patches) if "addresses" in c["path"])
    phone_patch = max(i for i, c in enumerate(patches) if "addresses" not in c["path"])
    assert address_patch < phone_patch


def test_one_stuck_client_does_not_hold_back_another(app, http, auth, new_client, cwc_sim):
    stuck, other = new_client(number="1"), new_client(number="2")
    cwc_sim.set_faults(outage=True)
    assert switch(http, auth, "client", stuck["id"], True).status_code == 202
    cwc_sim.clear_faults()

    assert switch(http, auth, "client", other["id"], True).status_code == 200
    assert [e["EntityNo"] for e in entities(cwc_sim)] == ["2"]
    assert link_of(http, auth, "client", stuck["id"])["sync"]["state"] == "pending"


def test_a_429_storm_is_waited_out_as_retry_after_says(app, http, auth, new_client, cwc_sim):
    client = new_client()
    cwc_sim.set_faults(rate_limit_storm=30)

    response = switch(http, auth, "client", client["id"], True)

    assert response.status_code == 202
    [delivery] = pending(http, auth)
    created = datetime.fromisoformat(delivery["created_at"])
    assert (datetime.fromisoformat(delivery["next_attempt_at"]) - created).total_seconds() >= 29
    drain(app)  # not due: nothing is sent while CaseWare Cloud asked us to wait
    assert entities(cwc_sim) == [] and len(pending(http, auth)) == 1

    cwc_sim.clear_faults()
    assert http.post(f"/v1/deliveries/{delivery['id']}/retry", headers=auth).status_code == 202
    drain(app)
    assert len(entities(cwc_sim)) == 1 and pending(http, auth) == []


def test_5xx_bursts_are_retried_until_they_pass(app, http, auth, new_client, cwc_sim):
    client = new_client()
    cwc_sim.set_faults(fail_next={"count": 5, "status": 502})

    assert switch(http, auth, "client", client["id"], True).status_code == 202
    drain(app)

    assert len(entities(cwc_sim)) == 1
    assert link_of(http, auth, "client", client["id"])["sync"]["state"] == "synced"


def test_timeouts_leave_the_change_pending_and_it_arrives_later(
    app, http, auth, new_client, cwc_sim
):
    fast = {"CWC_MAX_ATTEMPTS": "2", "CWC_BACKOFF_BASE": "0.001", "CWC_BACKOFF_CAP": "0.002"}
    impatient = CaseWareCloud.from_config(cwc_sim.config(CWC_READ_TIMEOUT="0.2", **fast))
    app.extensions["courier"] = Courier(
        app.extensions["uow_factory"],
        impatient,
        DeliveryPolicy(backoff_base=0.001, backoff_cap=0.002),
    )
    client = new_client()
    cwc_sim.set_faults(latency_ms=500)

    assert switch(http, auth, "client", client["id"], True).status_code == 202
    assert "timed out" in pending(http, auth)[0]["last_error"]

    cwc_sim.clear_faults()
    drain(app)
    # A create whose answer timed out may have happened: it is adopted, never made twice.
    assert len(entities(cwc_sim)) == 1
    impatient.close()


def test_a_create_accepted_but_answered_with_an_error_is_adopted_not_repeated(
    app, http, auth, new_client, new_contact, cwc_sim
):
    client = new_client()
    cwc_sim.set_faults(
        fail_after_write={"count": 1, "status": 500, "method": "POST", "path_contains": "/entities"}
    )
    switch(http, auth, "client", client["id"], True)
    drain(app)
    contact = new_contact(client["id"], email="piet@jansen.nl")
    cwc_sim.set_faults(
        fail_after_write={
            "count": 1,
            "status": "reset",
            "method": "POST",
            "path_contains": "/users",
        }
    )
    switch(http, auth, "contact", contact["id"], True)
    drain(app)

    assert len(entities(cwc_sim)) == 1 and len(users(cwc_sim)) == 1
    assert link_of(http, auth, "contact", contact["id"])["sync"]["state"] == "synced"


def test_a_crash_between_caseware_clouds_answer_and_our_commit_repeats_without_duplicates(
    app, http, auth, new_client, cwc_sim, monkeypatch
):
    client = new_client()
    cwc_sim.set_faults(outage=True)
    switch(http, auth, "client", client["id"], True)
    cwc_sim.clear_faults()

    # The one corner no real part reaches on cue: the process dies right after CaseWare Cloud
    # created the entity, before the outcome is committed. Its lease then runs out.
    dying = Courier(
        app.extensions["uow_factory"], app.extensions["cwc"], DeliveryPolicy(lease_seconds=0.5)
    )

    def die(*_args, **_kwargs):
        raise SystemExit("killed")

    monkeypatch.setattr(dying, "_settle", die)
    with pytest.raises(SystemExit):
        dying.run_due()
    assert len(entities(cwc_sim)) == 1 and len(pending(http, auth)) == 1

    time.sleep(0.6)
    drain(app)  # another worker takes the expired lease and delivers again

    [entity] = entities(cwc_sim)
    assert pending(http, auth) == []
    assert link_of(http, auth, "client", client["id"])["sync"]["remote_id"] == entity["CWGuid"]


def test_a_refusal_in_the_background_fails_the_link_and_is_not_retried(
    app, http, auth, new_client, new_contact, cwc_sim
):
    client = new_client()
    switch(http, auth, "client", client["id"], True)
    contact = new_contact(client["id"], email="boss@jansen.nl")
    cwc_sim.set_faults(outage=True)
    assert switch(http, auth, "contact", contact["id"], True).status_code == 202
    cwc_sim.clear_faults()
    cwc_sim.seed(users=[{"Email": "boss@jansen.nl", "OwnerType": "Staff", "LastName": "Boss"}])

    drain(app)

    link = link_of(http, auth, "contact", contact["id"])
    assert (
        link["active"] is True and link["sync"]["state"] == "failed" and link["sync"]["last_error"]
    )
    failed = http.get("/v1/deliveries?state=failed", headers=auth).get_json()["items"]
    assert [(d["operation"], d["record"]) for d in failed] == [
        ("link_contact", {"type": "contact", "id": contact["id"]})
    ]
    assert history_of(http, auth, "contact", contact["id"])[0]["action"] == "delivery"
    cwc_sim.clear_calls()
    drain(app)
    assert cwc_sim.calls() == []


def test_the_circuit_opens_after_repeated_failures_and_closes_after_a_probe(
    app, http, auth, new_client, cwc_sim
):
    clients = [new_client(number=str(n)) for n in range(7)]
    cwc_sim.set_faults(outage=True)
    for client in clients[:5]:
        assert switch(http, auth, "client", client["id"], True).status_code == 202
    cwc_sim.clear_calls()

    assert switch(http, auth, "client", clients[5]["id"], True).status_code == 202
    assert cwc_sim.calls() == []  # open: queued at once, CaseWare Cloud left alone
    paused = [d for d in pending(http, auth) if d["record"]["id"] == clients[5]["id"]][0]
    assert paused["attempts"] == 0 and "paused" in paused["last_error"]

    cwc_sim.clear_faults()
    time.sleep(app.config["CWC_BREAKER_RESET_SECONDS"] + 0.05)
    assert switch(http, auth, "client", clients[6]["id"], True).status_code == 200  # the probe
    drain(app)
    assert len(entities(cwc_sim)) == 7


def test_deliveries_are_for_admins_and_retry_knows_its_ids(http, make_token, problem):
    clerk = {"Authorization": f"Bearer {make_token('clerk', ['clients:read', 'links:write'])}"}
    admin = {"Authorization": f"Bearer {make_token('root', ['admin'])}"}
    assert (
        problem(http.get("/v1/deliveries", headers=clerk), 403, "forbidden")["required_right"]
        == "admin"
    )
    problem(http.post("/v1/deliveries/1/retry", headers=clerk), 403, "forbidden")
    problem(http.post("/v1/deliveries/999/retry", headers=admin), 404, "not_found")
    problem(http.get("/v1/deliveries?state=done", headers=admin), 422, "validation_error")
    assert http.get("/v1/deliveries", headers=admin).get_json()["total"] == 0


def test_readiness_counts_pending_deliveries(app, http, auth, new_client, cwc_sim):
    cwc_sim.set_faults(outage=True)
    switch(http, auth, "client", new_client()["id"], True)
    body = http.get("/readyz").get_json()
    assert body["status"] == "ok" and body["checks"]["pending_deliveries"] == 1


def test_a_long_cascade_answers_202_in_time_and_the_courier_finishes_it(
    app, http, auth, new_client, new_contact, cwc_sim
):
    client = new_client()
    switch(http, auth, "client", client["id"], True)
    for n in range(3):
        contact = new_contact(client["id"], email=f"c{n}@jansen.nl")
        switch(http, auth, "contact", contact["id"], True)
    courier = app.extensions["courier"]
    courier.policy = replace(courier.policy, wait_seconds=0.2)
    # Each withdrawal now takes longer than the request may spend on all of them.
    cwc_sim.set_faults(latency_ms=250, latency_path_contains="/role-assignments")

    response = switch(http, auth, "client", client["id"], False)

    assert response.status_code == 202
    assert response.get_json()["caseware_cloud"]["sync"]["state"] == "pending"
    assert pending(http, auth), "the rest waits for the background courier"
    cwc_sim.clear_faults()
    drain(app)
    assert assignments(cwc_sim) == set()
    assert entities(cwc_sim)[0]["Type"] == "I"
    assert {u["Type"] for u in users(cwc_sim)} == {"I"}
    assert link_of(http, auth, "client", client["id"])["sync"]["state"] == "off"


def test_a_slow_caseware_cloud_costs_the_caller_a_202_not_minutes(
    app, http, auth, new_client, cwc_sim
):
    courier = app.extensions["courier"]
    courier.policy = replace(courier.policy, wait_seconds=0.3)
    client = new_client()
    # Slower than the request may wait, though well within the adapter's own read timeout.
    cwc_sim.set_faults(latency_ms=1000, latency_path_contains="/entities")

    response = switch(http, auth, "client", client["id"], True)

    assert response.status_code == 202
    [waiting] = pending(http, auth)
    assert "out of time for this request" in waiting["last_error"]
    cwc_sim.clear_faults()
    drain(app)
    assert len(entities(cwc_sim)) == 1
    assert link_of(http, auth, "client", client["id"])["sync"]["state"] == "synced"


def test_a_delivery_never_outlives_its_lease(app, http, auth, new_client, cwc_sim):
    """Past its lease another courier may take the change: this one must be done by then, or
    both would send it (two entities for one client)."""
    client = new_client()
    cwc_sim.set_faults(outage=True)
    switch(http, auth, "client", client["id"], True)
    cwc_sim.clear_faults()
    cwc_sim.set_faults(slow_drip={"bytes_per_second": 2, "path_contains": "/entities"})
    courier = Courier(
        app.extensions["uow_factory"], app.extensions["cwc"], DeliveryPolicy(lease_seconds=1.0)
    )
    time.sleep(0.3)  # the switch's own attempt is due again

    started = time.monotonic()
    courier.run_due()

    assert time.monotonic() - started < 1.0  # cut off within the lease, not by CWC_ timeouts
    [waiting] = pending(http, auth)
    assert waiting["attempts"] >= 2  # the attempt was counted and recorded as passing trouble
    assert waiting["last_error"]


def test_an_outcome_whose_lease_ran_out_changes_nothing(app, http, auth, new_client, cwc_sim):
    """A courier slower than its lease finds another courier has the delivery: its outcome is
    not recorded, not on the delivery, not on the link, not in the history."""
    client = new_client()
    cwc_sim.set_faults(outage=True)
    assert switch(http, auth, "client", client["id"], True).status_code == 202
    cwc_sim.clear_faults()
    courier = app.extensions["courier"]
    claim = courier._claim(key=None, up_to=None, due_only=False)
    with app.extensions["db_engine"].begin() as conn:  # the lease ran out; another took it
        conn.execute(text("UPDATE deliveries SET lease_owner = 'another courier'"))
    lines = len(history_of(http, auth, "client", client["id"]))

    courier._settle(claim, Result(DELIVERED, remote_id="guid-never-seen"), in_request=False)

    [delivery] = pending(http, auth)
    assert delivery["id"] == claim.delivery_id
    link = link_of(http, auth, "client", client["id"])
    assert link["sync"]["state"] == "pending" and link["sync"]["remote_id"] is None
    assert len(history_of(http, auth, "client", client["id"])) == lines
