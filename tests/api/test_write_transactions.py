"""A switch delivered within its request is two write transactions: the switch with its
outbox row, then the outcome. On SQLite every write transaction queues for the one write lock,
so a third one (reading the answer, say) would slow every concurrent switch."""

import pytest
from sqlalchemy import event

from tests.api.links_support import switch


@pytest.fixture
def write_transactions(app):
    """The writer engine's transactions, counted as they begin; the token's last use is noted
    once an hour here, as in production, not at every request as elsewhere in the tests."""
    app.config["TOKEN_TOUCH_SECONDS"] = 3600
    begun = []
    engine = app.extensions["db_engine"]

    def count(_conn):
        begun.append(1)

    event.listen(engine, "begin", count)
    yield begun
    event.remove(engine, "begin", count)


def test_a_delivered_switch_is_two_write_transactions(
    http, auth, new_client, new_contact, write_transactions
):
    client = new_client()
    assert switch(http, auth, "client", client["id"], True).status_code == 200
    contact = new_contact(client["id"], email="piet@jansen.example")
    write_transactions.clear()

    for active in (True, False, True):
        answer = switch(http, auth, "contact", contact["id"], active)
        assert answer.status_code == 200, answer.get_json()
        assert answer.get_json()["caseware_cloud"]["active"] is active

    assert len(write_transactions) == 3 * 2


def test_a_read_is_no_write_transaction(http, auth, new_client, write_transactions):
    client = new_client()
    write_transactions.clear()

    for _ in range(3):
        assert http.get(f"/v1/clients/{client['id']}/links", headers=auth).status_code == 200

    assert write_transactions == []


def test_an_idle_courier_polls_without_a_write_transaction(app, write_transactions):
    """Each gateway process polls every DELIVERY_POLL_SECONDS on several threads, for
    deliveries, link jobs and reconciliations; on SQLite a write transaction per poll would
    queue behind, and hold up, every switch."""
    courier = app.extensions["courier"]
    jobs, reconciliations = (
        app.extensions["link_job_runner"],
        app.extensions["reconciliation_runner"],
    )

    for _ in range(5):
        assert courier.run_due() == 0
        assert jobs.run_round() == 0
        assert not reconciliations.run_due()

    assert write_transactions == []


def test_a_due_delivery_is_still_claimed_after_the_cheap_look(app, http, auth, new_client, cwc_sim):
    client = new_client()
    cwc_sim.set_faults(rate_limit_storm=30)
    assert switch(http, auth, "client", client["id"], True).status_code == 202
    courier = app.extensions["courier"]
    assert courier.run_due() == 0  # not due: CaseWare Cloud asked for 30 s
    cwc_sim.clear_faults()
    [delivery] = http.get("/v1/deliveries", headers=auth).get_json()["items"]
    assert http.post(f"/v1/deliveries/{delivery['id']}/retry", headers=auth).status_code == 202

    assert courier.run_due() == 1
    link = http.get(f"/v1/clients/{client['id']}/links", headers=auth).get_json()
    assert link["caseware_cloud"]["sync"]["state"] == "synced"


@pytest.fixture
def link_reads(app):
    """SELECTs of the links table by the writer: the reader's answer is not counted."""
    reads = []
    engine = app.extensions["db_engine"]

    def count(_conn, _cursor, statement, *_):
        if statement.lstrip().startswith("SELECT links."):
            reads.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    yield reads
    event.remove(engine, "before_cursor_execute", count)


def test_a_switch_reads_each_link_it_needs_once(http, auth, new_client, new_contact, link_reads):
    """The eligibility check and the delivery's preparation share what the switch locked."""
    client = new_client()
    assert switch(http, auth, "client", client["id"], True).status_code == 200
    assert len(link_reads) == 1  # the client's, found missing and made
    contact = new_contact(client["id"], email="piet@jansen.example")
    link_reads.clear()

    assert switch(http, auth, "contact", contact["id"], True).status_code == 200

    assert len(link_reads) == 2  # the contact's (made) and its client's


def test_a_contact_change_locks_its_client_and_itself_in_two_statements(
    app, http, auth, new_client, new_contact
):
    """The lock order of every writer (client, then contact), one statement each: the client is
    found from the contact inside the statement that locks it."""
    contact = new_contact(new_client()["id"], email="piet@jansen.example")
    app.config["TOKEN_TOUCH_SECONDS"] = 3600  # no note of the token's use among the statements
    http.get("/v1/clients", headers=auth)  # the last one noted
    before_the_update = []
    engine = app.extensions["db_engine"]

    def note(_conn, _cursor, statement, *_):
        if not any(s.startswith("UPDATE contacts") for s in before_the_update):
            before_the_update.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", note)
    try:
        answer = http.patch(
            f"/v1/contacts/{contact['id']}", json={"phone": "0612345678"}, headers=auth
        )
    finally:
        event.remove(engine, "before_cursor_execute", note)

    assert answer.status_code == 200
    reads = [s for s in before_the_update if s.startswith("SELECT")]
    assert [s.split(" FROM ")[1].split()[0] for s in reads] == ["clients", "contacts"]
    assert "(SELECT contacts.client_id FROM contacts" in reads[0]
