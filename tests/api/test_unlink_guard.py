"""The unlink guard (api.md): past the limit, withdrawals wait for an admin, by every route.

Against the simulator over real sockets, on SQLite and PostgreSQL. A withdrawal is a contact's
access (its user set inactive, its role taken away) or a client's entity set inactive.
"""

import logging
import re
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from sqlalchemy import select

from db.models import Delivery
from domain import links as L
from domain.rights import ALL_RIGHTS
from services.delivery import Courier
from services.links import Upstream, client_off
from services.tokens import OPERATOR
from services.unlink_guard import UnlinkGuard
from tests.api.links_support import assignments, entities, history_of, link_of, switch, users
from tests.api.test_delivery import drain
from tests.api.test_links_untrusted import drain_all

LIMIT = 10  # the scenario; set as an operator would, through the configuration
TRIPPED = "unlink_guard_tripped"


@pytest.fixture
def app_settings():
    return {"UNLINK_GUARD_LIMIT": LIMIT}


@pytest.fixture
def guard(app):
    """guard(limit, window_seconds=3600): the app's guard set to another limit."""

    def set_to(limit: int, window_seconds: float = 3600.0) -> None:
        app.extensions["courier"].guard = UnlinkGuard(limit, window_seconds)

    return set_to


@pytest.fixture
def linked(http, auth, new_client, new_contact):
    """linked(count, contacts=False) -> [(client, contact or None)], every switch on and synced."""

    def make(count: int, contacts: bool = False):
        made = []
        for n in range(count):
            client = new_client(number=f"G{n:03}", name=f"Klant {n}")
            assert switch(http, auth, "client", client["id"], True).status_code == 200
            contact = None
            if contacts:
                contact = new_contact(client["id"], email=f"c{n}@firm.example")
                assert switch(http, auth, "contact", contact["id"], True).status_code == 200
            made.append((client, contact))
        return made

    return make


def listed(http, auth, state: str) -> dict:
    response = http.get(f"/v1/deliveries?state={state}&page_size=100", headers=auth)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def withdrawn(sim) -> int:
    """What CaseWare Cloud shows withdrawn: entities and users set inactive."""
    return sum(e["Type"] == "I" for e in entities(sim)) + sum(u["Type"] == "I" for u in users(sim))


def ready_held(http) -> int:
    response = http.get("/readyz")
    assert response.status_code == 200
    return response.get_json()["checks"]["held_deliveries"]


def gauge(http, name: str) -> float:
    text = http.get("/metrics").get_data(as_text=True)
    return float(re.search(rf"^{name} (\S+)$", text, re.MULTILINE).group(1))


def trips(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if getattr(r, "event", None) == TRIPPED]


def release(http, auth, body) -> dict:
    response = http.post("/v1/deliveries/release", json=body, headers=auth)
    assert response.status_code == 202, response.get_json()
    return response.get_json()


def test_thirty_clients_made_private_withdraw_ten_hold_the_rest_and_agree_after_a_release(
    app, http, auth, linked, cwc_sim, caplog
):
    # Each of the 30 clients has one linked contact: 60 withdrawals, 30 of each kind.
    pairs = linked(30, contacts=True)
    caplog.set_level(logging.INFO)

    for client, _contact in pairs:
        response = http.patch(f"/v1/clients/{client['id']}", json={"kind": "private"}, headers=auth)
        assert response.status_code == 200 and response.get_json()["kind"] == "private"
    drain(app)

    # CaseWare Cloud saw ten withdrawals: the first five clients, each contact then entity.
    assert withdrawn(cwc_sim) == LIMIT
    assert sorted(e["EntityNo"] for e in entities(cwc_sim) if e["Type"] == "I") == [
        f"G{n:03}" for n in range(5)
    ]
    assert len(assignments(cwc_sim)) == 25
    # The other fifty are held, and say so everywhere.
    held = listed(http, auth, "held")
    assert held["total"] == 50 and {d["state"] for d in held["items"]} == {"held"}
    assert {d["operation"] for d in held["items"]} == {"unlink_client", "unlink_contact"}
    assert ready_held(http) == 50 and gauge(http, "gateway_held_deliveries") == 50
    assert listed(http, auth, "pending")["total"] == 0
    # Locally everything happened as asked: every switch is off.
    for n, (client, contact) in enumerate(pairs):
        for kind, record in (("client", client), ("contact", contact)):
            link = link_of(http, auth, kind, record["id"])
            assert link["active"] is False
            assert link["sync"]["state"] == ("off" if n < 5 else "pending")
    client, contact = pairs[-1]
    [newest, *_] = history_of(http, auth, "client", client["id"])
    assert (newest["action"], newest["result"]) == ("auto_unlink", "held")
    assert newest["detail"].startswith("private_client")
    [newest, *_] = history_of(http, auth, "contact", contact["id"])
    assert (newest["action"], newest["result"]) == ("auto_unlink", "held")
    assert newest["detail"].startswith("client_unlinked")
    # Said once, loudly, not once per held withdrawal.
    [tripped] = trips(caplog)
    assert tripped.levelno >= logging.WARNING and tripped.limit == LIMIT

    answer = release(http, auth, {"all": True})
    drain(app)

    assert answer["total"] == 50 and len(answer["items"]) == 50
    assert all(e["Type"] == "I" for e in entities(cwc_sim)) and len(entities(cwc_sim)) == 30
    assert all(u["Type"] == "I" for u in users(cwc_sim)) and len(users(cwc_sim)) == 30
    assert assignments(cwc_sim) == set()
    for client, contact in pairs:
        for kind, record in (("client", client), ("contact", contact)):
            link = link_of(http, auth, kind, record["id"])
            assert (link["active"], link["sync"]["state"]) == (False, "off")
    assert listed(http, auth, "held")["total"] == 0 and listed(http, auth, "pending")["total"] == 0
    assert ready_held(http) == 0 and gauge(http, "gateway_held_deliveries") == 0
    delivered, released = history_of(http, auth, "client", pairs[-1][0]["id"])[:2]
    assert (delivered["action"], delivered["result"]) == ("delivery", "synced")
    assert (released["action"], released["result"], released["actor"]) == (
        "delivery",
        "pending",
        "tester",
    )
    assert len(trips(caplog)) == 1


def test_every_route_to_a_withdrawal_passes_the_guard(
    app, http, auth, linked, new_contact, cwc_sim, guard
):
    guard(1)
    pairs = linked(6, contacts=True)
    first_contact = pairs[0][1]
    assert switch(http, auth, "contact", first_contact["id"], False).status_code == 200
    assert withdrawn(cwc_sim) == 1  # the guard's one slot is taken
    (_, by_switch), (by_delete, _), (off, _), (suspect, _), (deleted, _) = pairs[1:]
    spare = new_contact(by_delete["id"], email="spare@firm.example")
    assert switch(http, auth, "contact", spare["id"], True).status_code == 200

    routes = [
        lambda: switch(http, auth, "contact", by_switch["id"], False),
        lambda: http.delete(f"/v1/contacts/{spare['id']}", headers=auth),
        lambda: switch(http, auth, "client", off["id"], False),
        lambda: http.patch(
            f"/v1/clients/{suspect['id']}", json={"status": "suspect"}, headers=auth
        ),
        lambda: http.delete(f"/v1/clients/{deleted['id']}", headers=auth),
    ]
    for route in routes:
        assert route().status_code in (202, 200, 204)
    drain(app)

    held = listed(http, auth, "held")["items"]
    assert [(d["record"]["type"], d["operation"]) for d in held] == [
        ("contact", "unlink_contact"),  # switched off
        ("contact", "unlink_contact"),  # deleted
        ("contact", "unlink_contact"),  # its client switched off...
        ("client", "unlink_client"),  # ...and the client's entity
        ("contact", "unlink_contact"),  # its client made suspect
        ("client", "unlink_client"),
        ("contact", "unlink_contact"),  # its client deleted
        ("client", "unlink_client"),
    ]
    assert withdrawn(cwc_sim) == 1
    assert held[1]["record"]["id"] == spare["id"]  # its history went with it

    release(http, auth, {"all": True})
    drain(app)

    assert withdrawn(cwc_sim) == 1 + 8
    active = {e["EntityNo"] for e in entities(cwc_sim) if e["Type"] == "A"}
    assert active == {"G000", "G001", "G002"}
    assert listed(http, auth, "held")["total"] == listed(http, auth, "pending")["total"] == 0


def test_switching_a_record_on_again_cancels_its_held_withdrawal(
    app, http, auth, linked, cwc_sim, guard
):
    guard(1)
    (filler, filler_contact), (_client, contact) = linked(2, contacts=True)
    assert switch(http, auth, "contact", filler_contact["id"], False).status_code == 200
    response = switch(http, auth, "contact", contact["id"], False)
    assert response.status_code == 202
    assert link_of(http, auth, "contact", contact["id"])["sync"]["state"] == "pending"
    assert switch(http, auth, "client", filler["id"], False).status_code == 202  # held too
    cwc_sim.clear_calls()

    response = switch(http, auth, "contact", contact["id"], True)

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["caseware_cloud"]["sync"]["state"] == "synced"
    drain(app)
    # CaseWare Cloud still grants the access: nothing was withdrawn, nothing needs restoring.
    user = next(u for u in users(cwc_sim) if u["Email"] == "c1@firm.example")
    entity = next(e for e in entities(cwc_sim) if e["EntityNo"] == "G001")
    assert user["Type"] == "A" and (entity["CWGuid"], user["CWGuid"]) in assignments(cwc_sim)
    assert not [c for c in cwc_sim.calls() if c["method"] == "PATCH" and "users" in c["path"]]
    on, off = history_of(http, auth, "contact", contact["id"])[:2]
    assert (on["action"], on["result"], on["detail"]) == (
        "link_on",
        "synced",
        "held withdrawal cancelled",
    )
    assert (off["action"], off["result"]) == ("link_off", "held")
    # The other held withdrawal is untouched; a client switched on again cancels its own too.
    [still] = listed(http, auth, "held")["items"]
    assert still["record"] == {"type": "client", "id": filler["id"]}

    response = switch(http, auth, "client", filler["id"], True)

    assert response.status_code == 200, response.get_json()
    assert listed(http, auth, "held")["total"] == 0 and ready_held(http) == 0
    assert next(e for e in entities(cwc_sim) if e["EntityNo"] == "G000")["Type"] == "A"
    retried = http.post(f"/v1/deliveries/{still['id']}/retry", headers=auth)
    assert retried.status_code == 409  # cancelled: nothing to send


def test_a_change_behind_a_held_withdrawal_waits_in_the_queue_not_in_the_request(
    app, http, auth, linked, cwc_sim, guard
):
    guard(1)
    (_filler, filler_contact), (client, contact) = linked(2, contacts=True)
    assert switch(http, auth, "contact", filler_contact["id"], False).status_code == 200
    assert switch(http, auth, "contact", contact["id"], False).status_code == 202
    naps = []  # the request's pauses while it waits for an older change of its client
    own = app.extensions["courier"]
    app.extensions["courier"] = Courier(
        app.extensions["uow_factory"], app.extensions["cwc"], own.policy,
        sleep=naps.append, guard=own.guard,
    )  # fmt: skip

    response = http.patch(f"/v1/clients/{client['id']}", json={"city": "Zeist"}, headers=auth)

    # Saved and queued behind the held withdrawal; the caller does not wait for a person.
    assert response.status_code == 200 and naps == []
    assert link_of(http, auth, "client", client["id"])["sync"]["state"] == "pending"
    assert [d["operation"] for d in listed(http, auth, "pending")["items"]] == ["update_client"]
    drain(app)
    entity = next(e for e in entities(cwc_sim) if e["EntityNo"] == "G001")
    assert entity["addresses"][0]["City"] != "Zeist"

    release(http, auth, {"all": True})
    drain(app)

    entity = next(e for e in entities(cwc_sim) if e["EntityNo"] == "G001")
    assert entity["addresses"][0]["City"] == "Zeist"
    assert all(u["Type"] == "I" for u in users(cwc_sim))
    assert link_of(http, auth, "client", client["id"])["sync"]["state"] == "synced"


def test_a_link_stays_pending_while_its_withdrawal_is_held_behind_an_older_change(
    app, http, auth, linked, new_contact, cwc_sim, guard
):
    guard(1)
    (filler, filler_contact), (client, _) = linked(2, contacts=True)
    contact = new_contact(client["id"], email="late@firm.example")
    cwc_sim.set_faults(outage=True)
    assert switch(http, auth, "contact", contact["id"], True).status_code == 202
    assert switch(http, auth, "contact", filler_contact["id"], False).status_code == 202
    assert switch(http, auth, "contact", contact["id"], False).status_code == 202  # held
    cwc_sim.clear_faults()

    drain_all(app, http, auth)  # the circuit may pause the courier for its 0.2 s first

    # Its link-on reached CaseWare Cloud; its withdrawal waits for a person: still pending.
    [user] = [u for u in users(cwc_sim) if u["Email"] == "late@firm.example"]
    assert user["Type"] == "A"
    assert link_of(http, auth, "contact", contact["id"])["sync"]["state"] == "pending"
    assert link_of(http, auth, "contact", filler_contact["id"])["sync"]["state"] == "off"
    release(http, auth, {"all": True})
    drain(app)
    assert link_of(http, auth, "contact", contact["id"])["sync"]["state"] == "off"
    [user] = [u for u in users(cwc_sim) if u["Email"] == "late@firm.example"]
    assert user["Type"] == "I"


def test_a_release_of_given_ids_releases_those_only_and_can_be_repeated(
    app, http, auth, linked, cwc_sim, guard, problem
):
    guard(1)
    clients = [client for client, _ in linked(4)]
    for client in clients:
        switch(http, auth, "client", client["id"], False)
    first, second, third = [d["id"] for d in listed(http, auth, "held")["items"]]

    answer = release(http, auth, {"ids": [second]})
    drain(app)

    assert [(d["id"], d["state"]) for d in answer["items"]] == [(second, "pending")]
    assert answer["total"] == 1
    assert [e["Type"] for e in entities(cwc_sim)] == ["I", "A", "I", "A"]
    assert [d["id"] for d in listed(http, auth, "held")["items"]] == [first, third]
    assert link_of(http, auth, "client", clients[2]["id"])["sync"]["state"] == "off"
    assert link_of(http, auth, "client", clients[1]["id"])["sync"]["state"] == "pending"
    # Again: nothing more is released, nothing changes.
    assert release(http, auth, {"ids": [second]})["total"] == 0
    # An unknown id is named, and then nothing is released.
    body = problem(
        http.post("/v1/deliveries/release", json={"ids": [first, 987654]}, headers=auth),
        422,
        "validation_error",
        field="ids",
    )
    assert body["errors"]["ids"] == ["Unknown delivery ids: 987654."]
    drain(app)
    assert [d["id"] for d in listed(http, auth, "held")["items"]] == [first, third]
    assert [e["Type"] for e in entities(cwc_sim)] == ["I", "A", "I", "A"]
    # A retry is not a way past the guard.
    problem(http.post(f"/v1/deliveries/{first}/retry", headers=auth), 409, "conflict")


BAD_BODIES = [
    {},
    {"ids": []},
    {"all": False},
    {"all": "yes"},
    {"all": None},
    {"ids": [1], "all": True},
    {"ids": ["1"]},
    {"ids": [0]},
    {"ids": [1.5]},
    {"ids": [True]},
    {"ids": 1},
    {"ids": list(range(1, 1002))},
    {"all": True, "later": True},
    [],
    ["all"],
]


def test_only_an_admin_releases_and_a_bad_body_is_a_422_that_releases_nothing(
    app, http, auth, linked, cwc_sim, guard, make_token, problem
):
    guard(1)
    clients = [client for client, _ in linked(2)]
    for client in clients:
        switch(http, auth, "client", client["id"], False)
    [held] = listed(http, auth, "held")["items"]
    lacking = make_token("no-admin", [r for r in ALL_RIGHTS if r != "admin"])
    bearer = {"Authorization": f"Bearer {lacking}"}

    refused = http.post("/v1/deliveries/release", json={"all": True}, headers=bearer)
    assert problem(refused, 403, "forbidden")["required_right"] == "admin"
    refused = http.get("/v1/deliveries?state=held", headers=bearer)
    assert problem(refused, 403, "forbidden")["required_right"] == "admin"
    problem(http.post("/v1/deliveries/release", json={"all": True}), 401, "unauthorized")
    for body in BAD_BODIES:
        response = http.post("/v1/deliveries/release", json=body, headers=auth)
        problem(response, 422, "validation_error")
    response = http.post(
        "/v1/deliveries/release",
        data="all",
        headers={**auth, "Content-Type": "application/json"},
    )
    problem(response, 400, "bad_request")
    problem(http.get("/v1/deliveries?state=cancelled", headers=auth), 422, "validation_error")
    drain(app)

    assert [d["id"] for d in listed(http, auth, "held")["items"]] == [held["id"]]
    assert [e["Type"] for e in entities(cwc_sim)] == ["I", "A"]


def test_withdrawals_older_than_the_window_no_longer_count_and_released_ones_never_do(
    app, http, auth, linked, cwc_sim, guard, uow
):
    guard(2, window_seconds=600)
    clients = [client["id"] for client, _ in linked(6)]

    def off(n: int) -> int:
        return switch(http, auth, "client", clients[n], False).status_code

    assert [off(0), off(1), off(2)] == [200, 200, 202]
    with uow() as work:  # the two let through were sent 601 s ago: out of the window now
        for delivery in work.session.scalars(select(Delivery).where(Delivery.held_at.is_(None))):
            delivery.created_at -= timedelta(seconds=601)
        work.commit()

    assert off(3) == 200
    [held] = listed(http, auth, "held")["items"]
    release(http, auth, {"ids": [held["id"]]})
    drain(app)
    # In the window now: the fourth (let through) and the third (released, so not counted).
    assert off(4) == 200
    assert off(5) == 202

    assert [e["Type"] for e in entities(cwc_sim)] == ["I", "I", "I", "I", "I", "A"]
    assert [d["record"]["id"] for d in listed(http, auth, "held")["items"]] == [clients[5]]


def test_the_guard_says_so_once_per_trip(app, http, auth, linked, guard, caplog):
    guard(1)
    clients = [client["id"] for client, _ in linked(5)]
    caplog.set_level(logging.INFO)
    for client_id in clients[:3]:
        switch(http, auth, "client", client_id, False)
    assert len(trips(caplog)) == 1 and listed(http, auth, "held")["total"] == 2

    release(http, auth, {"all": True})
    drain(app)
    for client_id in clients[3:]:  # the window is still full: a new trip, said once again
        switch(http, auth, "client", client_id, False)

    assert len(trips(caplog)) == 2 and listed(http, auth, "held")["total"] == 2
    assert trips(caplog)[1].delivery_id == listed(http, auth, "held")["items"][0]["id"]


def test_a_switch_racing_for_the_last_slot_is_held(app, http, auth, linked, cwc_sim, guard):
    guard(1)
    (first, _), (second, _) = linked(2)
    upstream = Upstream(app.extensions["courier"])

    # The first switch-off is half-way: it has passed the guard and not yet committed.
    with app.extensions["uow_factory"]() as work, ThreadPoolExecutor(1) as pool:
        client = work.clients.get(first["id"], for_update=True)
        link = work.links.for_record("client", first["id"], for_update=True)
        client_off(work, OPERATOR, upstream, client, link, L.LINK_OFF)
        racing = pool.submit(switch, app.test_client(), auth, "client", second["id"], False)
        time.sleep(0.3)  # room for the racing switch to reach the guard; not a timing assertion
        work.commit()
        answer = racing.result()
    upstream.deliver(work)
    drain(app)

    assert answer.status_code == 202
    [held] = listed(http, auth, "held")["items"]
    assert held["record"] == {"type": "client", "id": second["id"]}
    assert [e["Type"] for e in entities(cwc_sim)] == ["I", "A"]


def test_many_workers_at_once_never_let_more_through_than_the_limit(
    app, http, auth, linked, cwc_sim, guard
):
    guard(5)
    clients = [client["id"] for client, _ in linked(20)]

    def private(client_id: int) -> int:
        own = app.test_client()  # each thread its own client, and its own database connection
        url = f"/v1/clients/{client_id}"
        return own.patch(url, json={"kind": "private"}, headers=auth).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(private, clients))
    drain(app)

    assert statuses == [200] * 20
    assert withdrawn(cwc_sim) == 5
    assert listed(http, auth, "held")["total"] == 15


def test_an_operator_lists_and_releases_held_deliveries_on_the_command_line(
    app, http, auth, linked, cwc_sim, guard
):
    guard(1)
    clients = [client["id"] for client, _ in linked(3)]
    for client_id in clients:
        switch(http, auth, "client", client_id, False)
    first, second = [d["id"] for d in listed(http, auth, "held")["items"]]

    def cli(*args: str):
        with app.app_context():  # as `flask --app app` runs its commands
            return app.test_cli_runner().invoke(args=["deliveries", *args])

    shown = cli("--state", "held")
    released = cli("--release", str(first))
    unknown = cli("--release", "987654")
    drain(app)

    assert shown.exit_code == 0 and shown.output.startswith("2 deliveries (held)")
    assert [line.split("\t")[:3] for line in shown.output.splitlines()[1:]] == [
        [str(first), "held", "unlink_client"],
        [str(second), "held", "unlink_client"],
    ]
    assert released.exit_code == 0 and released.output.startswith("1 held deliveries released")
    assert unknown.exit_code != 0 and "987654" in unknown.output
    assert [e["Type"] for e in entities(cwc_sim)] == ["I", "I", "A"]
    assert cli("--release-all").exit_code == 0
    drain(app)
    assert [e["Type"] for e in entities(cwc_sim)] == ["I", "I", "I"]
