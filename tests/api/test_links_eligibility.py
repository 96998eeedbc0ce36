"""Who may be linked: GET shows it at all times, PATCH refuses with the reasons."""

import pytest

from tests.api.links_support import entities, link_of, switch, users


def test_a_new_client_is_off_and_eligible(http, auth, new_client):
    link = link_of(http, auth, "client", new_client()["id"])
    assert link["active"] is False and link["eligible"] is True
    assert link["ineligible_reasons"] == []
    assert link["sync"]["state"] == "off" and link["sync"]["remote_id"] is None


@pytest.mark.parametrize(
    ("fields", "reasons"),
    [
        ({"kind": "private"}, ["private_client"]),
        ({"status": "suspect"}, ["suspect_client"]),
        ({"kind": "private", "status": "suspect"}, ["private_client", "suspect_client"]),
    ],
)
def test_private_and_suspect_clients_cannot_be_linked(
    http, auth, new_client, problem, cwc_sim, fields, reasons
):
    client = new_client(**fields)
    assert link_of(http, auth, "client", client["id"])["ineligible_reasons"] == reasons

    body = problem(switch(http, auth, "client", client["id"], True), 422, "not_eligible")

    assert body["ineligible_reasons"] == reasons
    assert link_of(http, auth, "client", client["id"])["active"] is False
    assert entities(cwc_sim) == []


def test_a_contact_needs_a_linked_client_and_an_email(
    http, auth, new_client, new_contact, problem, cwc_sim
):
    client = new_client()
    without_email = new_contact(client["id"])
    assert link_of(http, auth, "contact", without_email["id"])["ineligible_reasons"] == [
        "client_not_linked",
        "email_missing",
    ]
    body = problem(switch(http, auth, "contact", without_email["id"], True), 422, "not_eligible")
    assert body["ineligible_reasons"] == ["client_not_linked", "email_missing"]

    assert switch(http, auth, "client", client["id"], True).status_code == 200
    assert link_of(http, auth, "contact", without_email["id"])["ineligible_reasons"] == [
        "email_missing"
    ]
    problem(switch(http, auth, "contact", without_email["id"], True), 422, "not_eligible")
    assert users(cwc_sim) == []


def test_an_email_already_linked_by_another_contact_is_in_use(
    http, auth, new_client, new_contact, problem
):
    client = new_client()
    first = new_contact(client["id"], email="info@jansen.nl")
    second = new_contact(client["id"], last_name="Pietersen", email="INFO@Jansen.nl")
    switch(http, auth, "client", client["id"], True)
    assert switch(http, auth, "contact", first["id"], True).status_code == 200

    assert link_of(http, auth, "contact", second["id"])["ineligible_reasons"] == ["email_in_use"]
    body = problem(switch(http, auth, "contact", second["id"], True), 422, "not_eligible")
    assert body["ineligible_reasons"] == ["email_in_use"]


def test_links_need_their_rights(http, make_token, new_client, problem):
    client = new_client()
    readers = {"Authorization": f"Bearer {make_token('reader', ['links:read'])}"}
    clerks = {"Authorization": f"Bearer {make_token('clerk', ['clients:read', 'clients:write'])}"}

    assert http.get(f"/v1/clients/{client['id']}/links", headers=readers).status_code == 200
    body = problem(switch(http, readers, "client", client["id"], True), 403, "forbidden")
    assert body["required_right"] == "links:write"
    body = problem(http.get(f"/v1/clients/{client['id']}/links", headers=clerks), 403, "forbidden")
    assert body["required_right"] == "links:read"
    problem(http.get(f"/v1/clients/{client['id']}/links/history", headers=clerks), 403, "forbidden")
    problem(http.get(f"/v1/clients/{client['id']}/links"), 401, "unauthorized")


def test_unknown_records_and_bad_bodies(http, auth, new_client, problem):
    problem(http.get("/v1/clients/999/links", headers=auth), 404, "not_found")
    problem(switch(http, auth, "contact", 999, True), 404, "not_found")
    client = new_client()
    for body in (
        {},
        {"caseware_cloud": {}},
        {"caseware_cloud": {"active": "yes"}},
        {"caseware_cloud": {"active": True, "remote_id": "x"}},
        {"other": {"active": True}},
    ):
        problem(
            http.patch(f"/v1/clients/{client['id']}/links", json=body, headers=auth),
            422,
            "validation_error",
        )
    assert link_of(http, auth, "client", client["id"])["active"] is False
