"""A misbehaving CaseWare Cloud costs a 202 or a clear refusal, never a 500, a stuck delivery,
a held thread or another person's login; delivery resumes once it behaves."""

import threading
import time

import pytest

from tests.api.links_support import assignments, link_of, switch, users
from tests.api.test_delivery import drain, pending

DEADLINE = 1.0  # TestConfig.DELIVERY_WAIT_SECONDS


def drain_all(app, http, auth, seconds: float = 10.0) -> None:
    """Deliver until nothing waits; the circuit may pause the courier for its 0.2 s first."""
    deadline = time.monotonic() + seconds
    while pending(http, auth) and time.monotonic() < deadline:
        drain(app)
        time.sleep(0.05)


def linked_client(http, auth, new_client, number="1001", **fields):
    client = new_client(number=number, **fields)
    assert switch(http, auth, "client", client["id"], True).status_code == 200
    return client


def test_ten_switches_on_a_drip_fed_answer_cost_the_deadline_and_healthz_stays_quick(
    app, http, auth, new_client, cwc_sim
):
    clients = [new_client(number=str(2000 + n)) for n in range(10)]
    http.get("/healthz")
    switch(http, auth, "client", new_client(number="1999")["id"], True)  # a token first
    cwc_sim.set_faults(slow_drip={"bytes_per_second": 2, "path_contains": "/entities"})
    answers, health = {}, []
    done = threading.Event()

    def switch_on(client_id):
        client = app.test_client()
        started = time.monotonic()
        status = switch(client, auth, "client", client_id, True).status_code
        answers[client_id] = (status, time.monotonic() - started)

    def probe():
        client = app.test_client()
        while not done.is_set():
            started = time.monotonic()
            assert client.get("/healthz").status_code == 200
            health.append(time.monotonic() - started)
            time.sleep(0.05)

    prober = threading.Thread(target=probe)
    prober.start()
    threads = [threading.Thread(target=switch_on, args=(c["id"],)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    done.set()
    prober.join(5)

    assert sorted(status for status, _ in answers.values()) == [202] * 10
    assert max(took for _, took in answers.values()) < DEADLINE + 1, answers
    assert health and max(health) < 1.0, max(health)

    cwc_sim.clear_faults()
    drain_all(app, http, auth)
    for client in clients:
        assert link_of(http, auth, "client", client["id"])["sync"]["state"] == "synced"
    assert len(cwc_sim.state()["entities"]) == 11


@pytest.mark.parametrize(
    ("faults", "reason"),
    [
        ({"odd_token": "non_ascii"}, "usable Token"),
        ({"odd_token": "crlf"}, "usable Token"),
        ({"bad_body": {"kind": "html", "status": 200}}, "not JSON"),
        ({"bad_body": {"kind": "html", "status": 503}}, "server error"),
        ({"long_ids": {"length": 300}}, "CWGuid"),
        ({"oversized": {"megabytes": 50}}, "larger than"),
    ],
    ids=["token-non-ascii", "token-crlf", "html-200", "html-503", "long-id", "oversized"],
)
def test_a_bad_answer_is_a_clean_202_with_its_reason_and_delivery_resumes(
    app, http, auth, new_client, cwc_sim, faults, reason
):
    client = new_client()
    cwc_sim.set_faults(**faults)

    response = switch(http, auth, "client", client["id"], True)

    assert response.status_code == 202, response.get_json()
    [waiting] = pending(http, auth)
    assert reason in waiting["last_error"], waiting["last_error"]
    assert waiting["attempts"] == 1 and "<" not in waiting["last_error"]
    link = link_of(http, auth, "client", client["id"])
    assert link["sync"]["state"] == "pending" and link["sync"]["remote_id"] is None

    cwc_sim.clear_faults()
    drain_all(app, http, auth)

    [entity] = cwc_sim.state()["entities"]
    link = link_of(http, auth, "client", client["id"])
    assert (link["sync"]["state"], link["sync"]["remote_id"]) == ("synced", entity["CWGuid"])
    assert pending(http, auth) == []


def test_a_look_alike_login_that_cwc_calls_taken_is_refused_and_left_alone(
    http, auth, new_client, new_contact, cwc_sim, problem
):
    client = linked_client(http, auth, new_client)
    contact = new_contact(client["id"], email="strasse@jansen.example")
    [other] = cwc_sim.seed(
        users=[{"OwnerType": "Contact", "Email": "straße@jansen.example", "FirstName": "Ot"}]
    )["users"]
    cwc_sim.set_faults(fail_next={"status": 409, "method": "POST", "path_contains": "/users"})

    body = problem(switch(http, auth, "contact", contact["id"], True), 422, "upstream_rejected")

    assert "another login" in body["detail"]
    [held] = [u for u in users(cwc_sim) if u["CWGuid"] == other]
    assert (held["FirstName"], held["Email"]) == ("Ot", "straße@jansen.example")
    assert not any(other in call["path"] for call in cwc_sim.calls())
    assert all(user != other for _, user in assignments(cwc_sim))
    assert link_of(http, auth, "contact", contact["id"])["active"] is False


def test_a_look_alike_login_gets_a_user_of_its_own(http, auth, new_client, new_contact, cwc_sim):
    client = linked_client(http, auth, new_client)
    contact = new_contact(client["id"], email="office@jansen.example")
    [other] = cwc_sim.seed(users=[{"OwnerType": "Contact", "Email": "o\ufb03ce@jansen.example"}])[
        "users"
    ]

    assert switch(http, auth, "contact", contact["id"], True).status_code == 200

    remote = link_of(http, auth, "contact", contact["id"])["sync"]["remote_id"]
    assert remote != other
    assert {user for _, user in assignments(cwc_sim)} == {remote}


def test_the_gateways_own_email_in_use_check_uses_the_same_rule(
    http, auth, new_client, new_contact
):
    client = linked_client(http, auth, new_client)
    first = new_contact(client["id"], email="kees@jansen.example")
    kelvin = new_contact(client["id"], last_name="K", email="\u212aees@jansen.example")
    upper = new_contact(client["id"], last_name="U", email="KEES@Jansen.example")
    assert switch(http, auth, "contact", first["id"], True).status_code == 200

    # The Kelvin sign is another login: eligible. Upper case A-Z is the same login: not.
    assert link_of(http, auth, "contact", kelvin["id"])["eligible"] is True
    reasons = link_of(http, auth, "contact", upper["id"])["ineligible_reasons"]
    assert reasons == ["email_in_use"]


def test_a_route_404_on_a_withdrawal_never_shows_the_access_gone(
    http, auth, new_client, new_contact, cwc_sim
):
    client = linked_client(http, auth, new_client)
    contact = new_contact(client["id"], email="anna@jansen.example")
    assert switch(http, auth, "contact", contact["id"], True).status_code == 200
    remote = link_of(http, auth, "contact", contact["id"])["sync"]["remote_id"]
    cwc_sim.set_faults(
        fail_next={"status": 404, "method": "PATCH", "path_contains": "/role-assignments"}
    )

    response = switch(http, auth, "contact", contact["id"], False)

    assert response.status_code in (200, 202)  # the switch is kept, as for any refusal
    link = link_of(http, auth, "contact", contact["id"])
    assert link["sync"]["state"] == "failed"
    assert "404" in link["sync"]["last_error"]
    assert any(user == remote for _, user in assignments(cwc_sim))  # the truth: still there


def test_a_429_storm_without_retry_after_drains_with_fewer_429s_than_successes(
    app, http, auth, new_client, cwc_sim
):
    client = linked_client(http, auth, new_client)
    cwc_sim.set_faults(outage=True)
    for n in range(30):
        http.patch(f"/v1/clients/{client['id']}", json={"phone": f"030-{n:07d}"}, headers=auth)
    waiting = http.get("/v1/deliveries?state=pending&page_size=100", headers=auth).get_json()
    assert waiting["total"] == 30
    cwc_sim.clear_faults()
    cwc_sim.set_rate_limit(capacity=2, refill_per_second=25)
    cwc_sim.clear_calls()

    drain_all(app, http, auth)

    statuses = [call["status"] for call in cwc_sim.calls()]
    assert pending(http, auth) == []
    assert statuses.count(429) < statuses.count(200), statuses
    assert cwc_sim.state()["entities"][0]["Phone"] == "030-0000029"
