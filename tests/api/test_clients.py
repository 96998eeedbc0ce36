"""/v1/clients: what a caller sees when creating, reading, changing, filtering and deleting."""

import re

UTC_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
OPTIONAL = (
    "address",
    "postcode",
    "city",
    "country",
    "phone",
    "email",
    "website",
    "facebook",
    "twitter",
    "linkedin",
)
# A valid address of exactly 254 characters: 64 + 1 + 63 + 1 + 63 + 1 + 58 + 3.
EMAIL_254 = "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 58 + ".nl"


def test_create_answers_201_with_the_stored_client_and_its_location(http, auth):
    response = http.post("/v1/clients", json={"number": "1001", "name": "Jansen"}, headers=auth)

    assert response.status_code == 201
    body = response.get_json()
    assert isinstance(body["id"], int)
    assert body["number"] == "1001" and body["name"] == "Jansen"
    assert response.headers["Location"] == f"/v1/clients/{body['id']}"
    assert http.get(response.headers["Location"], headers=auth).get_json() == body
    assert http.get("/v1/clients", headers=auth).get_json()["items"] == [body]


def test_defaults_kind_business_status_active_and_times_in_utc_with_a_z(http, auth, new_client):
    created = new_client()
    read = http.get(f"/v1/clients/{created['id']}", headers=auth).get_json()
    for body in (created, read):
        assert (body["kind"], body["status"]) == ("business", "active")
        assert all(body[field] is None for field in OPTIONAL)
        assert UTC_Z.match(body["created_at"]), body["created_at"]
        assert UTC_Z.match(body["updated_at"]), body["updated_at"]


def test_every_field_at_its_maximum_length_is_stored_and_read_back(http, auth):
    full = {
        "number": "9" * 32,
        "name": "n" * 200,
        "kind": "private",
        "status": "prospect",
        "address": "a" * 200,
        "postcode": "p" * 16,
        "city": "c" * 100,
        "country": "BE",
        "phone": "1" * 32,
        "email": EMAIL_254,
        "website": "w" * 255,
        "facebook": "f" * 255,
        "twitter": "t" * 255,
        "linkedin": "l" * 255,
    }
    assert len(EMAIL_254) == 254
    created = http.post("/v1/clients", json=full, headers=auth)
    assert created.status_code == 201, created.get_json()

    read = http.get(f"/v1/clients/{created.get_json()['id']}", headers=auth).get_json()
    assert {k: read[k] for k in full} == full


def test_unicode_is_stored_as_sent(http, auth, new_client):
    name = "Café Ĳsselmeer 北京 😀 שלום"  # right-to-left script, but no bidi override
    created = new_client(name=name, city="Zürich")
    read = http.get(f"/v1/clients/{created['id']}", headers=auth).get_json()
    assert read["name"] == name and read["city"] == "Zürich"


def test_patch_changes_only_the_fields_sent(http, auth, new_client):
    created = new_client(city="Delft", phone="015-1234567")

    response = http.patch(f"/v1/clients/{created['id']}", json={"city": "Gouda"}, headers=auth)

    assert response.status_code == 200
    read = http.get(f"/v1/clients/{created['id']}", headers=auth).get_json()
    assert response.get_json() == read
    assert read["city"] == "Gouda"
    assert read["phone"] == "015-1234567"
    assert read["name"] == created["name"] and read["created_at"] == created["created_at"]


def test_patch_null_clears_an_optional_field(http, auth, new_client):
    created = new_client(city="Delft", email="info@jansen.nl", country="NL")

    response = http.patch(
        f"/v1/clients/{created['id']}",
        json={"city": None, "email": None, "country": None},
        headers=auth,
    )

    assert response.status_code == 200
    read = http.get(f"/v1/clients/{created['id']}", headers=auth).get_json()
    assert (read["city"], read["email"], read["country"]) == (None, None, None)


def test_patch_null_on_a_required_field_is_refused(http, auth, new_client, problem):
    created = new_client()
    for field in ("number", "name", "kind", "status"):
        response = http.patch(f"/v1/clients/{created['id']}", json={field: None}, headers=auth)
        problem(response, 422, "validation_error", field=field)
    assert http.get(f"/v1/clients/{created['id']}", headers=auth).get_json() == created


def test_a_duplicate_number_on_create_is_a_409_and_creates_nothing(http, auth, new_client, problem):
    new_client(number="1001")

    response = http.post("/v1/clients", json={"number": "1001", "name": "Other"}, headers=auth)

    problem(response, 409, "conflict")
    assert http.get("/v1/clients", headers=auth).get_json()["total"] == 1


def test_patching_to_a_number_in_use_is_a_409_and_changes_nothing(http, auth, new_client, problem):
    new_client(number="1001")
    second = new_client(number="1002", name="Second")

    response = http.patch(
        f"/v1/clients/{second['id']}", json={"number": "1001", "name": "Renamed"}, headers=auth
    )

    problem(response, 409, "conflict")
    assert http.get(f"/v1/clients/{second['id']}", headers=auth).get_json() == second
    own = http.patch(f"/v1/clients/{second['id']}", json={"number": "1002"}, headers=auth)
    assert own.status_code == 200  # its own number is no conflict


def test_an_unknown_client_is_a_404(http, auth, new_client, problem):
    created = new_client()
    unknown = f"/v1/clients/{created['id'] + 1000}"

    problem(http.get(unknown, headers=auth), 404, "not_found")
    problem(http.patch(unknown, json={"name": "x"}, headers=auth), 404, "not_found")
    problem(http.delete(unknown, headers=auth), 404, "not_found")

    assert http.get("/v1/clients", headers=auth).get_json()["items"] == [created]


def test_delete_answers_204_and_takes_the_clients_contacts_and_no_others(
    http, auth, new_client, new_contact, problem
):
    doomed = new_client(number="1001")
    kept = new_client(number="1002")
    gone = [new_contact(doomed["id"], last_name=f"C{i}")["id"] for i in range(2)]
    survivor = new_contact(kept["id"])

    response = http.delete(f"/v1/clients/{doomed['id']}", headers=auth)

    assert response.status_code == 204
    assert response.get_data() == b""
    problem(http.get(f"/v1/clients/{doomed['id']}", headers=auth), 404, "not_found")
    problem(http.delete(f"/v1/clients/{doomed['id']}", headers=auth), 404, "not_found")
    assert http.get("/v1/clients", headers=auth).get_json()["items"] == [kept]
    for contact_id in gone:
        problem(http.get(f"/v1/contacts/{contact_id}", headers=auth), 404, "not_found")
    problem(http.get(f"/v1/clients/{doomed['id']}/contacts", headers=auth), 404, "not_found")
    assert http.get(f"/v1/contacts/{survivor['id']}", headers=auth).get_json() == survivor


def test_filters_by_number_status_and_kind(http, auth, new_client):
    a = new_client(number="A1", kind="business", status="active")
    b = new_client(number="B2", kind="private", status="active")
    c = new_client(number="C3", kind="business", status="prospect")
    d = new_client(number="D4", kind="private", status="inactive")

    def ids(query):
        body = http.get(f"/v1/clients?{query}", headers=auth).get_json()
        assert body["total"] == len(body["items"])
        return [item["id"] for item in body["items"]]

    assert ids("number=B2") == [b["id"]]
    assert ids("number=b2") == []
    assert ids("number=nope") == []
    assert ids("status=active") == [a["id"], b["id"]]
    assert ids("status=inactive") == [d["id"]]
    assert ids("status=suspect") == []
    assert ids("kind=business") == [a["id"], c["id"]]
    assert ids("kind=private") == [b["id"], d["id"]]
    assert ids("kind=private&status=active") == [b["id"]]
    assert ids("") == [a["id"], b["id"], c["id"], d["id"]]
