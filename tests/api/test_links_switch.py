"""Switching links on and off, as CaseWare Cloud (the simulator, over HTTP) sees it."""

from tests.api.links_support import assignments, entities, history_of, link_of, switch, users


def _linked_client(http, auth, new_client, **fields):
    client = new_client(**fields)
    response = switch(http, auth, "client", client["id"], True)
    assert response.status_code == 200, response.get_json()
    return client, response.get_json()["caseware_cloud"]


def test_switching_a_client_on_creates_its_entity_with_its_address(http, auth, new_client, cwc_sim):
    client, link = _linked_client(
        http, auth, new_client, address="Dorpsstraat 12a", postcode="1234 AB", city="Utrecht",
        country="NL", phone="030-1234567", email="info@jansen.nl", website="https://jansen.nl",
        facebook="jansen", twitter="@jansen", linkedin="bakkerij-jansen",
    )  # fmt: skip

    assert link["active"] is True and link["sync"]["state"] == "synced"
    [entity] = entities(cwc_sim)
    assert link["sync"]["remote_id"] == entity["CWGuid"]
    assert (entity["EntityNo"], entity["Name"], entity["OperatingName"]) == (
        "1001",
        client["name"],
        client["name"],
    )
    assert (entity["Type"], entity["CountryCode"], entity["Email"]) == ("A", "NL", "info@jansen.nl")
    assert (entity["Phone"], entity["WebSite"], entity["LinkedIn"]) == (
        "030-1234567",
        "https://jansen.nl",
        "bakkerij-jansen",
    )
    [address] = entity["addresses"]
    assert (address["Address1"], address["PostalCode"], address["City"], address["Country"]) == (
        "Dorpsstraat 12a",
        "1234 AB",
        "Utrecht",
        "NL",
    )


def test_switching_a_contact_on_creates_its_user_and_grants_access(
    http, auth, new_client, new_contact, cwc_sim
):
    client, client_link = _linked_client(http, auth, new_client)
    contact = new_contact(
        client["id"],
        first_name="Anna",
        infix="de",
        last_name="Vries",
        initials="A.",
        email="anna@jansen.nl",
        phone="030-1",
        mobile="06-1",
    )

    response = switch(http, auth, "contact", contact["id"], True)

    assert response.status_code == 200
    link = response.get_json()["caseware_cloud"]
    [user] = users(cwc_sim)
    assert link["sync"] == {**link["sync"], "state": "synced", "remote_id": user["CWGuid"]}
    assert (user["FirstName"], user["MiddleName"], user["LastName"], user["Initials"]) == (
        "Anna",
        "de",
        "Vries",
        "A.",
    )
    assert (user["Email"], user["Phone"], user["MobilePhone"], user["Type"]) == (
        "anna@jansen.nl",
        "030-1",
        "06-1",
        "A",
    )
    assert assignments(cwc_sim) == {(client_link["sync"]["remote_id"], user["CWGuid"])}


def test_an_existing_entity_and_user_are_adopted_not_duplicated(
    http, auth, new_client, new_contact, cwc_sim
):
    seeded = cwc_sim.seed(
        entities=[{"EntityNo": "1001", "Name": "Old name", "Type": "I"}],
        users=[
            {
                "Email": "Piet@Jansen.NL",
                "LastName": "Old",
                "Type": "I",
                "InActiveDate": "2026-01-01",
            }
        ],
    )
    client, link = _linked_client(http, auth, new_client, name="Bakkerij Jansen BV")
    contact = new_contact(client["id"], last_name="Jansen", email="piet@jansen.nl")
    assert switch(http, auth, "contact", contact["id"], True).status_code == 200

    [entity], [user] = entities(cwc_sim), users(cwc_sim)
    assert link["sync"]["remote_id"] == entity["CWGuid"] == seeded["entities"][0]
    assert (entity["Type"], entity["Name"]) == (
        "A",
        "Bakkerij Jansen BV",
    )  # reactivated, overwritten
    assert user["CWGuid"] == seeded["users"][0]
    assert (user["Type"], user["LastName"], user["InActiveDate"]) == ("A", "Jansen", None)


def test_two_entities_with_one_number_are_not_guessed(http, auth, new_client, problem, cwc_sim):
    cwc_sim.seed(entities=[{"EntityNo": "1001", "Name": "A"}, {"EntityNo": "1001", "Name": "B"}])
    client = new_client()

    body = problem(switch(http, auth, "client", client["id"], True), 422, "upstream_rejected")

    assert "more than one" in body["detail"].lower()
    assert link_of(http, auth, "client", client["id"])["active"] is False
    assert {e["Name"] for e in entities(cwc_sim)} == {"A", "B"}
    [event] = history_of(http, auth, "client", client["id"])
    assert (event["action"], event["result"]) == ("link_on", "refused")


def test_a_refused_login_leaves_nothing_half_done(
    http, auth, new_client, new_contact, problem, cwc_sim
):
    # A staff login already owns the address: CaseWare Cloud will not give it to a contact.
    cwc_sim.seed(users=[{"Email": "boss@jansen.nl", "OwnerType": "Staff", "LastName": "Boss"}])
    client, _ = _linked_client(http, auth, new_client)
    contact = new_contact(client["id"], email="boss@jansen.nl")

    body = problem(switch(http, auth, "contact", contact["id"], True), 422, "upstream_rejected")

    assert "e-mail" in body["detail"]
    link = link_of(http, auth, "contact", contact["id"])
    assert link["active"] is False and link["sync"]["state"] == "off"
    assert [u["OwnerType"] for u in users(cwc_sim)] == ["Staff"]
    assert assignments(cwc_sim) == set()


GRANT_REFUSED = {"count": 1, "status": 403, "path_contains": "/role-assignments"}


def test_a_refused_grant_closes_the_login_it_opened_and_a_retry_reopens_it(
    http, auth, new_client, new_contact, problem, cwc_sim
):
    client, _ = _linked_client(http, auth, new_client)
    contact = new_contact(client["id"], email="anna@jansen.nl")
    cwc_sim.set_faults(fail_next=GRANT_REFUSED)

    problem(switch(http, auth, "contact", contact["id"], True), 422, "upstream_rejected")

    [user] = users(cwc_sim)
    assert (user["Email"], user["Type"]) == ("anna@jansen.nl", "I")  # no open login left
    assert user["InActiveDate"]
    assert assignments(cwc_sim) == set()
    assert link_of(http, auth, "contact", contact["id"])["active"] is False

    assert switch(http, auth, "contact", contact["id"], True).status_code == 200
    [again] = users(cwc_sim)
    assert (again["CWGuid"], again["Type"], again["InActiveDate"]) == (user["CWGuid"], "A", None)
    assert len(assignments(cwc_sim)) == 1


def test_a_refused_grant_leaves_an_adopted_active_login_active(
    http, auth, new_client, new_contact, problem, cwc_sim
):
    # The person already logs in to CaseWare Cloud for another firm client: keep that working.
    cwc_sim.seed(users=[{"Email": "anna@jansen.nl", "OwnerType": "Contact", "Type": "A"}])
    client, _ = _linked_client(http, auth, new_client)
    contact = new_contact(client["id"], email="anna@jansen.nl")
    cwc_sim.set_faults(fail_next=GRANT_REFUSED)

    problem(switch(http, auth, "contact", contact["id"], True), 422, "upstream_rejected")

    [user] = users(cwc_sim)
    assert (user["Type"], user.get("InActiveDate")) == ("A", None)


def test_a_refused_address_leaves_the_new_entity_inactive_and_a_retry_reuses_it(
    http, auth, new_client, problem, cwc_sim
):
    client = new_client(address="Dorpsstraat 1", city="Utrecht")
    cwc_sim.set_faults(
        fail_next={"count": 1, "status": 400, "method": "POST", "path_contains": "/addresses"}
    )

    problem(switch(http, auth, "client", client["id"], True), 422, "upstream_rejected")

    [entity] = entities(cwc_sim)
    assert entity["Type"] == "I"  # set inactive, never deleted
    assert link_of(http, auth, "client", client["id"])["active"] is False

    assert switch(http, auth, "client", client["id"], True).status_code == 200
    [again] = entities(cwc_sim)
    assert (again["CWGuid"], again["Type"]) == (entity["CWGuid"], "A")
    assert [a["Address1"] for a in again["addresses"]] == ["Dorpsstraat 1"]


def test_switching_a_contact_off_withdraws_access_and_deactivates_the_user(
    http, auth, new_client, new_contact, cwc_sim
):
    client, _ = _linked_client(http, auth, new_client)
    contact = new_contact(client["id"], email="piet@jansen.nl")
    switch(http, auth, "contact", contact["id"], True)

    response = switch(http, auth, "contact", contact["id"], False)

    assert response.status_code == 200
    assert response.get_json()["caseware_cloud"]["sync"]["state"] == "off"
    assert assignments(cwc_sim) == set()
    [user] = users(cwc_sim)
    assert user["Type"] == "I" and user["InActiveDate"]
    assert [e["action"] for e in history_of(http, auth, "contact", contact["id"])] == [
        "link_off",
        "link_on",
    ]


def test_switching_a_client_off_unlinks_its_contacts_and_keeps_the_entity(
    http, auth, new_client, new_contact, cwc_sim
):
    client, _ = _linked_client(http, auth, new_client)
    contacts = [new_contact(client["id"], email=f"c{i}@jansen.nl") for i in range(2)]
    for contact in contacts:
        switch(http, auth, "contact", contact["id"], True)
    assert len(assignments(cwc_sim)) == 2

    assert switch(http, auth, "client", client["id"], False).status_code == 200

    [entity] = entities(cwc_sim)
    assert entity["Type"] == "I"  # inactive, never deleted: it holds the client's files
    assert assignments(cwc_sim) == set()
    assert {u["Type"] for u in users(cwc_sim)} == {"I"}
    for contact in contacts:
        assert link_of(http, auth, "contact", contact["id"])["active"] is False
        event = history_of(http, auth, "contact", contact["id"])[0]
        assert (event["action"], event["detail"]) == ("auto_unlink", "client_unlinked")


def test_switching_back_on_reactivates_the_same_entity_and_user(
    http, auth, new_client, new_contact, cwc_sim
):
    client, first = _linked_client(http, auth, new_client)
    contact = new_contact(client["id"], email="piet@jansen.nl")
    user_guid = switch(http, auth, "contact", contact["id"], True).get_json()["caseware_cloud"][
        "sync"
    ]["remote_id"]
    switch(http, auth, "client", client["id"], False)

    again = switch(http, auth, "client", client["id"], True).get_json()["caseware_cloud"]
    contact_again = switch(http, auth, "contact", contact["id"], True).get_json()["caseware_cloud"]

    assert again["sync"]["remote_id"] == first["sync"]["remote_id"]
    assert contact_again["sync"]["remote_id"] == user_guid
    [entity], [user] = entities(cwc_sim), users(cwc_sim)
    assert (entity["Type"], user["Type"]) == ("A", "A")
    assert assignments(cwc_sim) == {(entity["CWGuid"], user_guid)}


def test_switching_on_twice_changes_nothing_more(http, auth, new_client, cwc_sim):
    client, link = _linked_client(http, auth, new_client)
    again = switch(http, auth, "client", client["id"], True)
    assert again.status_code == 200
    assert again.get_json()["caseware_cloud"]["sync"]["remote_id"] == link["sync"]["remote_id"]
    assert len(entities(cwc_sim)) == 1
    assert len(history_of(http, auth, "client", client["id"])) == 1


def test_unreachable_caseware_cloud_keeps_the_switch_and_delivers_it_later(
    app, http, auth, new_client, cwc_sim
):
    client = new_client()
    cwc_sim.refuse_connections()

    response = switch(http, auth, "client", client["id"], True)

    assert response.status_code == 202
    link = response.get_json()["caseware_cloud"]
    assert link["active"] is True and link["sync"]["state"] == "pending"
    cwc_sim.accept_connections()
    assert entities(cwc_sim) == []

    while app.extensions["courier"].run_due():
        pass

    [entity] = entities(cwc_sim)
    link = link_of(http, auth, "client", client["id"])
    assert link["sync"]["state"] == "synced" and link["sync"]["remote_id"] == entity["CWGuid"]
    actions = [(e["action"], e["result"]) for e in history_of(http, auth, "client", client["id"])]
    assert actions == [("delivery", "synced"), ("link_on", "pending")]


def test_a_stale_if_match_is_refused_and_a_replay_is_answered_once(
    http, auth, new_client, problem, cwc_sim
):
    client = new_client()
    tag = http.get(f"/v1/clients/{client['id']}/links", headers=auth).headers["ETag"]
    first = switch(
        http, auth, "client", client["id"], True, **{"If-Match": tag, "Idempotency-Key": "k1"}
    )
    assert first.status_code == 200 and first.headers["ETag"] != tag

    replay = switch(
        http, auth, "client", client["id"], True, **{"If-Match": tag, "Idempotency-Key": "k1"}
    )
    assert replay.headers["Idempotent-Replayed"] == "true" and replay.get_json() == first.get_json()
    problem(
        switch(http, auth, "client", client["id"], False, **{"If-Match": tag}),
        412,
        "precondition_failed",
    )
    assert link_of(http, auth, "client", client["id"])["active"] is True
    assert len(entities(cwc_sim)) == 1


def test_history_says_who_when_and_which_request(http, make_token, new_client):
    admin = {"Authorization": f"Bearer {make_token('frontend')}"}
    client = (
        new_client.__wrapped__(http, admin) if hasattr(new_client, "__wrapped__") else new_client()
    )
    response = switch(http, admin, "client", client["id"], True, **{"X-Request-ID": "req-42"})
    assert response.headers["X-Request-ID"] == "req-42"
    [event] = history_of(http, admin, "client", client["id"])
    assert event["actor"] == "frontend" and event["request_id"] == "req-42"
    assert event["at"].endswith("Z") and (event["action"], event["result"]) == ("link_on", "synced")
