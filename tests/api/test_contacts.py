"""A client's contact persons: /v1/clients/{id}/contacts and /v1/contacts/{id}."""

import re

UTC_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
OPTIONAL = ("first_name", "infix", "initials", "email", "phone", "mobile")


def test_create_answers_201_with_the_contact_and_its_location(http, auth, new_client):
    client = new_client()

    response = http.post(
        f"/v1/clients/{client['id']}/contacts",
        json={"first_name": "Jan", "infix": "van der", "last_name": "Berg"},
        headers=auth,
    )

    assert response.status_code == 201
    body = response.get_json()
    assert isinstance(body["id"], int)
    assert body["client_id"] == client["id"]
    assert (body["first_name"], body["infix"], body["last_name"]) == ("Jan", "van der", "Berg")
    assert all(body[field] is None for field in ("initials", "email", "phone", "mobile"))
    assert UTC_Z.match(body["created_at"]) and UTC_Z.match(body["updated_at"])
    assert response.headers["Location"] == f"/v1/contacts/{body['id']}"
    assert http.get(response.headers["Location"], headers=auth).get_json() == body


def test_every_field_at_its_maximum_length_is_stored_and_read_back(http, auth, new_client):
    client = new_client()
    full = {
        "first_name": "f" * 30,
        "infix": "i" * 20,
        "last_name": "l" * 100,
        "initials": "J" * 20,
        "email": "a" * 89 + "@example.nl",
        "phone": "1" * 32,
        "mobile": "6" * 32,
    }
    assert len(full["email"]) == 100
    created = http.post(f"/v1/clients/{client['id']}/contacts", json=full, headers=auth)
    assert created.status_code == 201, created.get_json()

    read = http.get(f"/v1/contacts/{created.get_json()['id']}", headers=auth).get_json()
    assert {k: read[k] for k in full} == full


def test_a_clients_list_holds_its_own_contacts_only(http, auth, new_client, new_contact):
    mine = new_client(number="1001")
    other = new_client(number="1002")
    first = new_contact(mine["id"], last_name="Eerste")
    second = new_contact(mine["id"], last_name="Tweede")
    new_contact(other["id"], last_name="Ander")

    body = http.get(f"/v1/clients/{mine['id']}/contacts", headers=auth).get_json()

    assert body == {"items": [first, second], "total": 2, "page": 1, "page_size": 20}


def test_patch_changes_only_the_fields_sent(http, auth, new_client, new_contact):
    contact = new_contact(new_client()["id"], first_name="Jan", phone="010-1")

    response = http.patch(f"/v1/contacts/{contact['id']}", json={"phone": "010-2"}, headers=auth)

    assert response.status_code == 200
    read = http.get(f"/v1/contacts/{contact['id']}", headers=auth).get_json()
    assert response.get_json() == read
    assert (read["phone"], read["first_name"], read["last_name"]) == ("010-2", "Jan", "Jansen")
    assert read["client_id"] == contact["client_id"]


def test_patch_null_clears_an_optional_field_but_not_last_name(
    http, auth, new_client, new_contact, problem
):
    contact = new_contact(new_client()["id"], **{field: "x@y.nl" for field in OPTIONAL})

    response = http.patch(
        f"/v1/contacts/{contact['id']}", json=dict.fromkeys(OPTIONAL), headers=auth
    )

    assert response.status_code == 200
    read = http.get(f"/v1/contacts/{contact['id']}", headers=auth).get_json()
    assert all(read[field] is None for field in OPTIONAL)
    assert read["last_name"] == "Jansen"

    refused = http.patch(f"/v1/contacts/{contact['id']}", json={"last_name": None}, headers=auth)
    problem(refused, 422, "validation_error", field="last_name")
    assert http.get(f"/v1/contacts/{contact['id']}", headers=auth).get_json() == read


def test_delete_answers_204_and_the_contact_is_gone(http, auth, new_client, new_contact, problem):
    client = new_client()
    contact = new_contact(client["id"])

    response = http.delete(f"/v1/contacts/{contact['id']}", headers=auth)

    assert response.status_code == 204
    assert response.get_data() == b""
    problem(http.get(f"/v1/contacts/{contact['id']}", headers=auth), 404, "not_found")
    assert http.get(f"/v1/clients/{client['id']}/contacts", headers=auth).get_json()["total"] == 0
    assert http.get(f"/v1/clients/{client['id']}", headers=auth).status_code == 200


def test_an_unknown_contact_or_client_is_a_404(
    http, auth, new_client, new_contact, problem, snapshot
):
    client = new_client()
    unknown = new_contact(client["id"])["id"] + 1000
    no_client = client["id"] + 1000
    before = snapshot([client["id"]])

    problem(http.get(f"/v1/contacts/{unknown}", headers=auth), 404, "not_found")
    response = http.patch(f"/v1/contacts/{unknown}", json={"last_name": "X"}, headers=auth)
    problem(response, 404, "not_found")
    problem(http.delete(f"/v1/contacts/{unknown}", headers=auth), 404, "not_found")
    problem(http.get(f"/v1/clients/{no_client}/contacts", headers=auth), 404, "not_found")
    response = http.post(f"/v1/clients/{no_client}/contacts", json={"last_name": "X"}, headers=auth)
    problem(response, 404, "not_found")

    assert snapshot([client["id"]]) == before
