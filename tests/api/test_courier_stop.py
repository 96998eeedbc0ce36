"""A stopping courier claims nothing more, cuts a slow delivery short and gives its lease back,
so that the next process delivers at once instead of waiting for the lease to run out."""

import time

from sqlalchemy import text

from services.delivery import Courier
from services.worker import BackgroundCourier
from tests.api.links_support import entities, switch


def _outbox(app) -> dict[int, dict]:
    with app.extensions["db_engine"].connect() as conn:
        rows = conn.execute(
            text("SELECT record_id, state, attempts, lease_owner, last_error FROM deliveries")
        )
        return {row.record_id: dict(row._mapping) for row in rows}


def _wait_for_a_lease(app, seconds=10.0) -> int:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        leased = [r for r in _outbox(app).values() if r["lease_owner"] is not None]
        if leased:
            return leased[0]["record_id"]
        time.sleep(0.02)
    raise AssertionError("the courier claimed nothing")


def test_a_courier_stopped_mid_delivery_leaves_it_pending_unleased_and_claims_no_more(
    app, http, auth, new_client, cwc_sim
):
    clients = [new_client("2001"), new_client("2002")]
    cwc_sim.set_faults(outage=True)
    for client in clients:
        assert switch(http, auth, "client", client["id"], True).status_code == 202
    before = _outbox(app)
    cwc_sim.clear_faults()
    # Every call slower than the stop allows (TestConfig: DELIVERY_WAIT_SECONDS=1).
    cwc_sim.set_faults(latency_ms=1500)

    background = BackgroundCourier(app.extensions["courier"], 0.01)
    background.start()
    under_way = _wait_for_a_lease(app)
    assert background.stop(timeout=10)

    after = _outbox(app)
    assert {r["state"] for r in after.values()} == {"pending"}
    assert [r for r in after.values() if r["lease_owner"] is not None] == []
    assert after[under_way]["last_error"].startswith("the gateway stopped during the delivery")
    [other] = set(after) - {under_way}
    assert after[other] == before[other]  # never claimed after the stop
    assert entities(cwc_sim) == []

    # The next process (another courier, another owner) takes both at once.
    cwc_sim.clear_faults()
    courier = app.extensions["courier"]
    successor = Courier(app.extensions["uow_factory"], app.extensions["cwc"], courier.policy)
    assert successor.run_due() == 2
    assert sorted(e["EntityNo"] for e in entities(cwc_sim)) == ["2001", "2002"]
    assert {r["state"] for r in _outbox(app).values()} == {"done"}
