"""Once linked, changes reach CaseWare Cloud in the same request; some switch the link off."""

from tests.api.links_support import assignments, entities, history_of, link_of, switch, users


def _linked(http, auth, new_client, new_contact, cwc_sim):
    client = new_client(city="Utrecht")
    assert switch(http, auth, "client", client["id"], True).status_code == 200
    contact = new_contact(client["id"], first_name="Piet", email="piet@jansen.nl")
    assert switch(http, auth, "contact", contact["id"], True).status_code == 200
    return client, contact


def _calls(cwc_sim, method):
    return [c for c in cwc_sim.calls() if c["method"] == method]


def test_a_changed_client_field_is_forwarded_in_the_request(
    http, auth, new_client, new_contact, cwc_sim
):
    client, _ = _linked(http, auth, new_client, new_contact, cwc_sim)

    response = http.patch(
        f"/v1/clients/{client['id']}", json={"name": "Jansen & Zn", "city": "Zeist"}, headers=auth
    )

    assert response.status_code == 200 and response.get_json()["city"] == "Zeist"
    [entity] = entities(cwc_sim)
    assert (entity["Name"], entity["OperatingName"], entity["addresses"][0]["City"]) == (
        "Jansen & Zn",
        "Jansen & Zn",
        "Zeist",
    )
    event = history_of(http, auth, "client", client["id"])[0]
    assert (event["action"], event["result"]) == ("forward", "synced")
    assert "city" in event["detail"] and "name" in event["detail"]
    assert event["request_id"] == response.headers["X-Request-ID"]


def test_a_changed_contact_field_is_forwarded(http, auth, new_client, new_contact, cwc_sim):
    _, contact = _linked(http, auth, new_client, new_contact, cwc_sim)

    http.patch(
        f"/v1/contacts/{contact['id']}", json={"mobile": "06-99", "infix": "van"}, headers=auth
    )

    [user] = users(cwc_sim)
    assert (user["MobilePhone"], user["MiddleName"]) == ("06-99", "van")
    assert link_of(http, auth, "contact", contact["id"])["sync"]["state"] == "synced"


def test_changes_that_sync_nothing_are_not_sent(http, auth, new_client, new_contact, cwc_sim):
    client, contact = _linked(http, auth, new_client, new_contact, cwc_sim)
    cwc_sim.clear_calls()

    http.patch(f"/v1/clients/{client['id']}", json={"status": "prospect"}, headers=auth)
    http.patch(f"/v1/clients/{client['id']}", json={"city": "Utrecht"}, headers=auth)  # unchanged
    http.patch(f"/v1/contacts/{contact['id']}", json={"first_name": "Piet"}, headers=auth)

    assert _calls(cwc_sim, "PATCH") == [] and _calls(cwc_sim, "POST") == []


def test_unlinked_records_are_not_forwarded(http, auth, new_client, cwc_sim):
    client = new_client()
    http.patch(f"/v1/clients/{client['id']}", json={"name": "Other"}, headers=auth)
    assert cwc_sim.calls() == [] and entities(cwc_sim) == []


def test_a_refused_change_is_saved_and_shown_failed_until_a_later_one_succeeds(
    http, auth, new_client, new_contact, cwc_sim
):
    _, contact = _linked(http, auth, new_client, new_contact, cwc_sim)
    cwc_sim.seed(users=[{"Email": "taken@jansen.nl", "LastName": "Other"}])

    response = http.patch(
        f"/v1/contacts/{contact['id']}", json={"email": "taken@jansen.nl"}, headers=auth
    )

    assert response.status_code == 200 and response.get_json()["email"] == "taken@jansen.nl"
    link = link_of(http, auth, "contact", contact["id"])
    assert link["active"] is True and link["sync"]["state"] == "failed"
    assert "e-mail" in link["sync"]["last_error"]
    event = history_of(http, auth, "contact", contact["id"])[0]
    assert (event["action"], event["result"]) == ("forward", "failed")

    http.patch(
        f"/v1/contacts/{contact['id']}",
        json={"email": "piet2@jansen.nl", "mobile": "06-1"},
        headers=auth,
    )

    link = link_of(http, auth, "contact", contact["id"])
    assert link["sync"]["state"] == "synced" and link["sync"]["last_error"] is None
    mine = [u for u in users(cwc_sim) if u["CWGuid"] == link["sync"]["remote_id"]][0]
    assert (mine["Email"], mine["MobilePhone"]) == ("piet2@jansen.nl", "06-1")


def test_removing_a_linked_contacts_email_is_saved_and_fails_upstream(
    http, auth, new_client, new_contact, cwc_sim
):
    _, contact = _linked(http, auth, new_client, new_contact, cwc_sim)
    response = http.patch(f"/v1/contacts/{contact['id']}", json={"email": None}, headers=auth)
    assert response.status_code == 200 and response.get_json()["email"] is None
    link = link_of(http, auth, "contact", contact["id"])
    assert link["sync"]["state"] == "failed" and link["sync"]["last_error"]
    assert users(cwc_sim)[0]["Email"] == "piet@jansen.nl"


def test_a_linked_client_that_becomes_suspect_is_switched_off(
    http, auth, new_client, new_contact, cwc_sim
):
    client, contact = _linked(http, auth, new_client, new_contact, cwc_sim)

    assert (
        http.patch(
            f"/v1/clients/{client['id']}", json={"status": "suspect"}, headers=auth
        ).status_code
        == 200
    )

    link = link_of(http, auth, "client", client["id"])
    assert link["active"] is False and link["ineligible_reasons"] == ["suspect_client"]
    event = history_of(http, auth, "client", client["id"])[0]
    assert (event["action"], event["detail"]) == ("auto_unlink", "suspect_client")
    assert link_of(http, auth, "contact", contact["id"])["active"] is False
    assert entities(cwc_sim)[0]["Type"] == "I" and assignments(cwc_sim) == set()


def test_a_linked_client_that_becomes_private_is_switched_off(
    http, auth, new_client, new_contact, cwc_sim
):
    client, _ = _linked(http, auth, new_client, new_contact, cwc_sim)
    http.patch(f"/v1/clients/{client['id']}", json={"kind": "private"}, headers=auth)
    event = history_of(http, auth, "client", client["id"])[0]
    assert (event["action"], event["detail"]) == ("auto_unlink", "private_client")
    assert entities(cwc_sim)[0]["Type"] == "I"


def test_deleting_a_linked_contact_withdraws_its_access(
    http, auth, new_client, new_contact, cwc_sim
):
    _, contact = _linked(http, auth, new_client, new_contact, cwc_sim)

    assert http.delete(f"/v1/contacts/{contact['id']}", headers=auth).status_code == 204

    assert assignments(cwc_sim) == set()
    assert users(cwc_sim)[0]["Type"] == "I"


def test_deleting_a_linked_client_sets_its_entity_inactive(
    http, auth, new_client, new_contact, cwc_sim
):
    client, _ = _linked(http, auth, new_client, new_contact, cwc_sim)
    assert http.delete(f"/v1/clients/{client['id']}", headers=auth).status_code == 204
    [entity] = entities(cwc_sim)
    assert entity["Type"] == "I" and assignments(cwc_sim) == set()


def test_an_unreachable_caseware_cloud_still_saves_the_change_and_delivers_it_later(
    app, http, auth, new_client, new_contact, cwc_sim
):
    client, contact = _linked(http, auth, new_client, new_contact, cwc_sim)
    cwc_sim.set_faults(outage=True)

    changed = http.patch(f"/v1/clients/{client['id']}", json={"city": "Zeist"}, headers=auth)
    deleted = http.delete(f"/v1/contacts/{contact['id']}", headers=auth)

    assert changed.status_code == 200 and changed.get_json()["city"] == "Zeist"
    assert deleted.status_code == 204
    assert link_of(http, auth, "client", client["id"])["sync"]["state"] == "pending"
    assert entities(cwc_sim)[0]["addresses"][0]["City"] == "Utrecht"

    cwc_sim.clear_faults()
    while app.extensions["courier"].run_due():
        pass

    assert entities(cwc_sim)[0]["addresses"][0]["City"] == "Zeist"
    assert assignments(cwc_sim) == set() and users(cwc_sim)[0]["Type"] == "I"
    assert link_of(http, auth, "client", client["id"])["sync"]["state"] == "synced"
