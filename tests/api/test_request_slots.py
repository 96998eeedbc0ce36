"""The thread a worker keeps free of CaseWare Cloud's slowness delivers too, but only what
CaseWare Cloud answers within DELIVERY_SPARE_WAIT_SECONDS; past that the change is left pending
(a switch answers 202) and the courier delivers it."""

import time

import pytest

from tests.api.links_support import entities, link_of, switch

SPARE_SECONDS = 0.3
SLOW_CALL_MS = 600  # past the spare's time, within a slot's (TestConfig: 1 s)


@pytest.fixture
def app_settings():
    return {
        "DELIVERY_REQUEST_SLOTS": 1,
        "DELIVERY_SLOT_WAIT_SECONDS": 0.01,
        "DELIVERY_SPARE_WAIT_SECONDS": SPARE_SECONDS,
    }


@pytest.fixture
def linked_client(http, auth, new_client):
    client = new_client()
    assert switch(http, auth, "client", client["id"], True).status_code == 200
    return client


@pytest.fixture
def slot_taken(app):
    """The one request slot, held as by a request waiting on CaseWare Cloud."""
    with app.extensions["courier"]._request_slots.take(60) as seconds:
        assert seconds == 60
        yield


def change_website(http, auth, client, value):
    return http.patch(f"/v1/clients/{client['id']}", json={"website": value}, headers=auth)


def test_with_every_slot_taken_the_spare_delivers_within_the_request(
    http, auth, linked_client, cwc_sim, slot_taken
):
    answer = change_website(http, auth, linked_client, "https://spare.example")

    assert answer.status_code == 200, answer.get_json()
    assert entities(cwc_sim)[0]["WebSite"] == "https://spare.example"
    assert sync_state(http, auth, linked_client) == "synced"


def sync_state(http, auth, client) -> str:
    return link_of(http, auth, "client", client["id"])["sync"]["state"]


def test_the_spare_leaves_the_change_pending_when_caseware_cloud_takes_longer_than_its_time(
    app, http, auth, linked_client, cwc_sim, slot_taken
):
    cwc_sim.set_faults(latency_ms=SLOW_CALL_MS)

    assert change_website(http, auth, linked_client, "https://slow.example").status_code == 200
    assert sync_state(http, auth, linked_client) == "pending"

    cwc_sim.clear_faults()
    time.sleep(SLOW_CALL_MS / 1000)  # the call cut short may still land: it is safe to repeat
    assert app.extensions["courier"].run_due() == 1
    assert entities(cwc_sim)[0]["WebSite"] == "https://slow.example"
    assert sync_state(http, auth, linked_client) == "synced"


def test_a_slot_holder_waits_its_full_time_for_the_same_slow_answer(
    http, auth, linked_client, cwc_sim
):
    cwc_sim.set_faults(latency_ms=SLOW_CALL_MS)

    assert change_website(http, auth, linked_client, "https://patient.example").status_code == 200

    assert sync_state(http, auth, linked_client) == "synced"


def test_with_the_slots_and_the_spare_taken_a_change_waits_for_the_courier(
    app, http, auth, linked_client, cwc_sim, slot_taken
):
    with app.extensions["courier"]._request_slots.take(60) as spare:
        assert spare == SPARE_SECONDS
        assert change_website(http, auth, linked_client, "https://later.example").status_code == 200

    assert sync_state(http, auth, linked_client) == "pending"
    assert entities(cwc_sim)[0]["WebSite"] != "https://later.example"
    assert app.extensions["courier"].run_due() == 1
    assert entities(cwc_sim)[0]["WebSite"] == "https://later.example"


def test_a_switch_that_may_create_the_record_never_takes_the_spare(
    app, http, auth, new_client, cwc_sim, slot_taken
):
    """Cut short by the spare's time, a create would leave the record unknown to the gateway
    for CWC_CREATE_SETTLE_SECONDS; it waits for a slot, or the courier, instead."""
    client = new_client(number="2002")

    assert switch(http, auth, "client", client["id"], True).status_code == 202
    assert entities(cwc_sim) == []
    assert app.extensions["courier"].run_due() == 1
    assert [entity["EntityNo"] for entity in entities(cwc_sim)] == ["2002"]
