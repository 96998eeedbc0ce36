"""Lists answer {items, total, page, page_size}: page from 1, page_size 20 by default."""

import pytest

from db.models import Client


@pytest.fixture
def clients_25(uow):
    """25 clients, numbered C01..C25, stored in one go; returns their ids in creation order."""
    with uow() as work:
        rows = [Client(number=f"C{i:02}", name=f"Client {i}") for i in range(1, 26)]
        work.session.add_all(rows)
        work.commit()
    return [row.id for row in rows]


def test_the_envelope_its_defaults_and_page_size_100(http, auth, clients_25):
    body = http.get("/v1/clients", headers=auth).get_json()

    assert set(body) == {"items", "total", "page", "page_size"}
    assert (body["total"], body["page"], body["page_size"]) == (25, 1, 20)
    assert [item["id"] for item in body["items"]] == clients_25[:20]
    second = http.get("/v1/clients?page=2", headers=auth).get_json()
    assert (second["total"], second["page"], second["page_size"]) == (25, 2, 20)
    assert [item["id"] for item in second["items"]] == clients_25[20:]
    hundred = http.get("/v1/clients?page_size=100", headers=auth).get_json()
    assert (hundred["total"], hundred["page"], hundred["page_size"]) == (25, 1, 100)
    assert [item["id"] for item in hundred["items"]] == clients_25


OUT_OF_RANGE = [
    ("page_size=101", "page_size"),
    ("page_size=0", "page_size"),
    ("page=0", "page"),
    ("page=-1", "page"),
]


def test_out_of_range_paging_is_a_422_naming_the_parameter(http, auth, problem):
    for query, field in OUT_OF_RANGE:
        for path in ("/v1/clients", "/v1/clients/1/contacts"):
            response = http.get(f"{path}?{query}", headers=auth)
            problem(response, 422, "validation_error", field=field)


def test_past_the_last_page_is_empty_with_the_right_total(http, auth, clients_25):
    body = http.get("/v1/clients?page=4&page_size=10", headers=auth).get_json()
    assert body == {"items": [], "total": 25, "page": 4, "page_size": 10}


def test_an_absurd_page_number_is_not_a_server_error(http, auth, new_client):
    new_client()
    response = http.get(f"/v1/clients?page={10**20}", headers=auth)
    assert response.status_code in (200, 422), response.get_json()


def test_the_order_is_stable_and_pages_neither_overlap_nor_skip(http, auth, clients_25):
    # Change some clients so that an order by update time or by row position would show it.
    for client_id in (clients_25[3], clients_25[0]):
        http.patch(f"/v1/clients/{client_id}", json={"city": "Leiden"}, headers=auth)

    seen = []
    for page in range(1, 6):
        body = http.get(f"/v1/clients?page={page}&page_size=6", headers=auth).get_json()
        assert body["total"] == 25
        seen += [item["id"] for item in body["items"]]
    assert seen == clients_25
    again = http.get("/v1/clients?page_size=100", headers=auth).get_json()["items"]
    assert [item["id"] for item in again] == clients_25


def test_a_filter_is_counted_in_total(http, auth, clients_25):
    for client_id in clients_25[:7]:
        http.patch(f"/v1/clients/{client_id}", json={"status": "prospect"}, headers=auth)

    body = http.get("/v1/clients?status=prospect&page_size=5&page=2", headers=auth).get_json()

    assert (body["total"], body["page"], body["page_size"]) == (7, 2, 5)
    assert [item["id"] for item in body["items"]] == clients_25[5:7]


def test_contacts_are_paged_the_same_way(http, auth, new_client, new_contact):
    client_id = new_client()["id"]
    ids = [new_contact(client_id, last_name=f"C{i}")["id"] for i in range(5)]

    body = http.get(f"/v1/clients/{client_id}/contacts?page=2&page_size=2", headers=auth)

    assert body.get_json()["total"] == 5
    assert (body.get_json()["page"], body.get_json()["page_size"]) == (2, 2)
    assert [item["id"] for item in body.get_json()["items"]] == ids[2:4]
    last = http.get(f"/v1/clients/{client_id}/contacts?page=3&page_size=2", headers=auth)
    assert [item["id"] for item in last.get_json()["items"]] == ids[4:]
