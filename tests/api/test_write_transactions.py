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
