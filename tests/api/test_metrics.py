"""/metrics: Prometheus text, no token, counts what happened, leaks nothing."""

import re
from datetime import timedelta

from tests.api.links_support import switch


def _metrics(http) -> str:
    response = http.get("/metrics")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    return response.get_data(as_text=True)


def test_requests_deliveries_and_the_queue_are_counted(http, auth, new_client, cwc_sim):
    client = new_client(number="SECRET-NUMBER-77")
    http.get(f"/v1/clients/{client['id']}", headers=auth)
    switch(http, auth, "client", client["id"], True)
    cwc_sim.set_faults(outage=True)
    http.patch(f"/v1/clients/{client['id']}", json={"city": "Zeist"}, headers=auth)

    text = _metrics(http)

    route = 'route="/v1/clients/<id:client_id>"'
    assert f'gateway_http_requests_total{{method="GET",{route},status="200"}} 1.0' in text
    assert 'gateway_cwc_deliveries_total{outcome="delivered"} 1.0' in text
    assert 'gateway_cwc_deliveries_total{outcome="pending"} 1.0' in text
    assert "gateway_pending_deliveries 1.0" in text
    assert "gateway_http_request_seconds_bucket" in text
    assert "SECRET-NUMBER-77" not in text and auth["Authorization"].split()[1] not in text


def test_the_backlog_shows_what_waits_how_long_and_what_was_refused(
    http, auth, new_client, uow, cwc_sim
):
    assert "gateway_oldest_pending_delivery_seconds 0.0" in _metrics(http)
    refused, waiting = new_client(number="1001"), new_client(number="1002")
    for client in (refused, waiting):
        switch(http, auth, "client", client["id"], True)
    cwc_sim.set_faults(
        fail_next={"count": 1, "status": 400, "method": "PATCH", "path_contains": "/entities"}
    )
    http.patch(f"/v1/clients/{refused['id']}", json={"name": "Anders"}, headers=auth)
    cwc_sim.set_faults(outage=True)
    http.patch(f"/v1/clients/{waiting['id']}", json={"name": "Later"}, headers=auth)
    with uow() as work:  # the waiting change has waited an hour
        [delivery], _total = work.deliveries.list("pending", 1, 10)
        delivery.created_at -= timedelta(hours=1)
        work.commit()

    text = _metrics(http)

    assert "gateway_pending_deliveries 1.0" in text
    assert "gateway_failed_deliveries 1.0" in text
    age = re.search(r"^gateway_oldest_pending_delivery_seconds (\S+)$", text, re.MULTILINE)
    assert 3600 <= float(age.group(1)) < 3700


def test_made_up_methods_and_paths_add_no_series(http, auth):
    def series() -> list[str]:
        text = _metrics(http)
        assert "BREW" not in text and "nowhere" not in text
        return sorted(line.rsplit(" ", 1)[0] for line in text.splitlines() if "{" in line)

    http.get("/v1/clients", headers=auth)
    http.open("/v1/nowhere", method="BREW", headers=auth)  # the one "other"/"unmatched" series
    http.get("/v1/clients/1x", headers=auth)
    http.open("/x", method="DELETE")
    before = series()

    for n in range(50):
        http.open(f"/v1/nowhere-{n}", method=f"BREW{n}", headers=auth)
        http.open(f"/v1/clients/{n}x", method="GET", headers=auth)
        http.open(f"/{'x' * n}", method="DELETE")

    # The same series, whatever the callers sent; only their counts moved.
    assert series() == before
    assert 'method="other",route="unmatched"' in _metrics(http)
