"""?linked=true|false on GET /v1/clients and GET /v1/clients/{id}/contacts (api.md: Clients,
Contacts): only the records whose CaseWare Cloud switch is on, or only the others."""

import pytest

from tests.api.links_support import switch


def ids(response) -> list[int]:
    assert response.status_code == 200, response.get_json()
    return [item["id"] for item in response.get_json()["items"]]


@pytest.fixture
def three_clients(http, auth, new_client):
    """One linked, one never linked, one linked and switched off again."""
    linked, never, was = (new_client(number=n) for n in ("1001", "1002", "1003"))
    for client in (linked, was):
        assert switch(http, auth, "client", client["id"], True).status_code == 200
    assert switch(http, auth, "client", was["id"], False).status_code == 200
    return linked["id"], never["id"], was["id"]


def test_clients_linked_or_not(http, auth, three_clients):
    linked, never, was = three_clients

    on = http.get("/v1/clients?linked=true", headers=auth)
    off = http.get("/v1/clients?linked=false", headers=auth)

    assert ids(on) == [linked] and on.get_json()["total"] == 1
    assert ids(off) == [never, was] and off.get_json()["total"] == 2
    assert ids(http.get("/v1/clients", headers=auth)) == [linked, never, was]


def test_linked_combines_with_the_other_filters(http, auth, three_clients, new_client):
    linked, *_ = three_clients
    suspect = new_client(number="1004", status="suspect")

    assert ids(http.get("/v1/clients?linked=true&status=active", headers=auth)) == [linked]
    assert ids(http.get("/v1/clients?linked=true&status=suspect", headers=auth)) == []
    assert suspect["id"] in ids(http.get("/v1/clients?linked=false&status=suspect", headers=auth))


def test_contacts_linked_or_not(http, auth, new_client, new_contact):
    client = new_client()
    assert switch(http, auth, "client", client["id"], True).status_code == 200
    linked, never, was = (
        new_contact(client["id"], last_name=name, email=f"{name.lower()}@example.nl")
        for name in ("Jansen", "Pieters", "Smit")
    )
    for contact in (linked, was):
        assert switch(http, auth, "contact", contact["id"], True).status_code == 200
    assert switch(http, auth, "contact", was["id"], False).status_code == 200
    url = f"/v1/clients/{client['id']}/contacts"

    assert ids(http.get(f"{url}?linked=true", headers=auth)) == [linked["id"]]
    assert ids(http.get(f"{url}?linked=false", headers=auth)) == [never["id"], was["id"]]
    assert len(ids(http.get(url, headers=auth))) == 3


def test_another_clients_linked_contacts_stay_out(http, auth, new_client, new_contact):
    first, second = new_client(number="1001"), new_client(number="1002")
    for client in (first, second):
        assert switch(http, auth, "client", client["id"], True).status_code == 200
    other = new_contact(second["id"], email="other@example.nl")
    assert switch(http, auth, "contact", other["id"], True).status_code == 200

    assert ids(http.get(f"/v1/clients/{first['id']}/contacts?linked=true", headers=auth)) == []


@pytest.mark.parametrize("value", ["yes", "1", "True", "", "null"])
@pytest.mark.parametrize("path", ["/v1/clients", "/v1/clients/{id}/contacts"])
def test_anything_but_true_or_false_is_a_422(http, auth, new_client, problem, path, value):
    client = new_client()
    answer = http.get(f"{path.format(id=client['id'])}?linked={value}", headers=auth)

    problem(answer, 422, "validation_error", field="linked")


def test_the_openapi_document_states_the_filter(http):
    spec = http.get("/v1/openapi.json").get_json()
    for path in ("/v1/clients", "/v1/clients/{client_id}/contacts"):
        parameters = {p["name"]: p for p in spec["paths"][path]["get"]["parameters"]}
        assert parameters["linked"]["in"] == "query"
        assert parameters["linked"]["schema"]["type"] == "boolean"
