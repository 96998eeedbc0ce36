"""Racing requests on one record: serialised, nothing lost, CaseWare Cloud ends as we do."""

import time
from concurrent.futures import ThreadPoolExecutor

from db.models import Link
from services.delivery import Courier
from services.delivery_policy import DeliveryPolicy
from tests.api.links_support import assignments, entities, link_of, switch, users
from tests.api.test_delivery import drain, pending


def _in_parallel(app, calls):
    """Run each call with its own test client on its own thread; returns the status codes."""

    def run(call):
        return call(app.test_client())

    with ThreadPoolExecutor(max_workers=6) as pool:
        return list(pool.map(run, calls))


def test_racing_data_changes_end_equal_on_both_sides(app, http, auth, new_client, cwc_sim):
    client = new_client()
    assert switch(http, auth, "client", client["id"], True).status_code == 200
    cities = [f"Stad {n}" for n in range(12)]

    url = f"/v1/clients/{client['id']}"
    statuses = _in_parallel(
        app,
        [
            lambda c, city=city: c.patch(url, json={"city": city}, headers=auth).status_code
            for city in cities
        ],
    )

    assert statuses == [200] * len(cities)
    drain(app)
    ours = http.get(f"/v1/clients/{client['id']}", headers=auth).get_json()["city"]
    assert ours in cities and pending(http, auth) == []
    [entity] = entities(cwc_sim)
    assert entity["addresses"][0]["City"] == ours
    assert link_of(http, auth, "client", client["id"])["sync"]["state"] == "synced"


def test_racing_switches_of_one_contact_end_equal_on_both_sides(
    app, http, auth, new_client, new_contact, cwc_sim
):
    client = new_client()
    switch(http, auth, "client", client["id"], True)
    contact = new_contact(client["id"], email="piet@jansen.nl")
    wanted = [True, False] * 5

    statuses = _in_parallel(app, [
        lambda c, on=on: switch(c, auth, "contact", contact["id"], on).status_code for on in wanted
    ])  # fmt: skip

    assert set(statuses) <= {200, 202}
    drain(app)
    link = link_of(http, auth, "contact", contact["id"])
    assert link["sync"]["state"] in ("synced", "off") and pending(http, auth) == []
    [user] = users(cwc_sim)
    entity = entities(cwc_sim)[0]["CWGuid"]
    if link["active"]:
        assert user["Type"] == "A" and assignments(cwc_sim) == {(entity, user["CWGuid"])}
    else:
        assert user["Type"] == "I" and assignments(cwc_sim) == set()


def test_a_client_switched_off_while_its_contacts_change_leaves_no_access_behind(
    app, http, auth, new_client, new_contact, cwc_sim
):
    client = new_client()
    switch(http, auth, "client", client["id"], True)
    contacts = [new_contact(client["id"], email=f"c{n}@jansen.nl") for n in range(3)]
    for contact in contacts:
        switch(http, auth, "contact", contact["id"], True)

    calls = [lambda c: switch(c, auth, "client", client["id"], False).status_code]
    for contact in contacts:
        url = f"/v1/contacts/{contact['id']}"
        calls.append(
            lambda c, url=url: c.patch(url, json={"mobile": "06-1"}, headers=auth).status_code
        )
    assert set(_in_parallel(app, calls)) <= {200, 202}
    drain(app)

    assert assignments(cwc_sim) == set()
    assert entities(cwc_sim)[0]["Type"] == "I"
    assert all(not link_of(http, auth, "contact", k["id"])["active"] for k in contacts)
    assert pending(http, auth) == []


def test_several_couriers_share_the_queue_and_deliver_each_change_once(
    app, http, auth, new_client, cwc_sim
):
    clients = [new_client(number=f"Q{n}") for n in range(6)]
    cwc_sim.set_faults(outage=True)
    for client in clients:
        switch(http, auth, "client", client["id"], True)
        for city in ("Zeist", "Houten"):
            http.patch(f"/v1/clients/{client['id']}", json={"city": city}, headers=auth)
    cwc_sim.clear_faults()
    cwc_sim.clear_calls()
    couriers = [
        Courier(app.extensions["uow_factory"], app.extensions["cwc"], DeliveryPolicy())
        for _ in range(3)
    ]

    def work(courier):
        own_http, delivered = app.test_client(), 0
        while (n := courier.run_due(limit=3)) or pending(own_http, auth):
            delivered += n
        return delivered

    with ThreadPoolExecutor(max_workers=3) as pool:
        counts = list(pool.map(work, couriers))

    assert sum(counts) == 18  # 6 links and 12 changes, each delivered by exactly one courier
    created = [
        c for c in cwc_sim.calls() if c["method"] == "POST" and c["path"].endswith("/entities")
    ]
    assert len(created) == 6 and sorted(e["EntityNo"] for e in entities(cwc_sim)) == [
        f"Q{n}" for n in range(6)
    ]
    assert {e["addresses"][0]["City"] for e in entities(cwc_sim)} == {"Houten"}


def test_one_email_switched_on_for_two_contacts_at_once_is_linked_once(
    app, http, auth, new_client, new_contact, problem, cwc_sim
):
    holding, daughter = new_client(number="1001"), new_client(number="1002")
    for client in (holding, daughter):
        assert switch(http, auth, "client", client["id"], True).status_code == 200
    first = new_contact(holding["id"], email="boss@holding.nl")
    second = new_contact(daughter["id"], email="Boss@Holding.nl")

    # The first switch is half-way: its transaction holds the e-mail and has turned its link on.
    with app.extensions["uow_factory"]() as first_switch, ThreadPoolExecutor(1) as pool:
        first_switch.links.lock_email("boss@holding.nl")
        first_switch.links.add(
            Link(record_type="contact", record_id=first["id"], active=True, sync_state="pending")
        )
        racing = pool.submit(switch, app.test_client(), auth, "contact", second["id"], True)
        time.sleep(0.3)  # room for the racing switch to reach its check; not a timing assertion
        first_switch.commit()
        answer = racing.result()

    body = problem(answer, 422, "not_eligible")
    assert body["ineligible_reasons"] == ["email_in_use"]
    assert users(cwc_sim) == []
