"""/metrics: Prometheus text, no token, counts what happened, leaks nothing."""

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
