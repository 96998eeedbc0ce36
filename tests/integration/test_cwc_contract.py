"""The CaseWare Cloud adapter against the simulator over real HTTP: every port operation."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from adapters.caseware_cloud import CwcEmailInUse, CwcRejected
from tests.integration.cwc_helpers import calls_to, entity_in, user_in


def writes(sim):
    return [(c["method"], c["path"]) for c in sim.calls() if c["method"] != "GET"]


# Entities ----------------------------------------------------------------------------


def test_create_entity_sends_the_mapped_fields_and_a_business_address(sim, cwc, client_record):
    guid = cwc.create_entity(client_record)

    entity = entity_in(sim, guid)
    assert entity["EntityNo"] == "1001"
    assert entity["Name"] == entity["OperatingName"] == "Bakkerij de Vries B.V."
    assert (entity["OwnerType"], entity["Type"]) == ("Client", "A")
    assert entity["CountryCode"] == "NL"
    assert entity["Phone"] == "030-1234567"
    assert entity["Email"] == "info@devries.example"
    assert entity["WebSite"] == "https://devries.example"
    assert (entity["Facebook"], entity["Twitter"], entity["LinkedIn"]) == (
        "devriesbakkerij",
        "@devries",
        "bakkerij-de-vries",
    )
    [address] = entity["addresses"]
    assert address["AddressCategory"] == "Business"
    assert address["Address1"] == "Dorpsstraat 12a"
    assert (address["PostalCode"], address["City"], address["Country"]) == (
        "1234 AB",
        "Utrecht",
        "NL",
    )
    assert address["OwnerId"] == entity["Id"]


def test_find_entity_by_number_including_a_quote(sim, cwc, client_record):
    assert cwc.find_entity("1001") is None
    guid = cwc.create_entity(client_record)
    odd = cwc.create_entity({**client_record, "number": "O'Neil-7"})

    assert cwc.find_entity("1001") == guid
    assert cwc.find_entity("O'Neil-7") == odd
    assert cwc.find_entity("100") is None


def test_update_entity_sends_only_what_changed(sim, cwc, client_record):
    guid = cwc.create_entity(client_record)
    sim.clear_calls()

    cwc.update_entity(guid, {"phone": "010-999"})
    assert writes(sim) == [("PATCH", f"/entities/{guid}")]
    sim.clear_calls()

    cwc.update_entity(guid, {"city": "Zwolle", "postcode": "8000 AA"})
    assert [w[0] for w in writes(sim)] == ["PATCH"]
    assert writes(sim)[0][1].startswith("/entities/addresses/")

    entity = entity_in(sim, guid)
    assert entity["Phone"] == "010-999"
    assert entity["Name"] == "Bakkerij de Vries B.V."
    [address] = entity["addresses"]
    assert (address["City"], address["PostalCode"]) == ("Zwolle", "8000 AA")
    assert address["Address1"] == "Dorpsstraat 12a"


def test_update_entity_name_and_country_reach_entity_and_address(sim, cwc, client_record):
    guid = cwc.create_entity(client_record)

    cwc.update_entity(guid, {"name": "De Vries Holding", "country": "BE"})

    entity = entity_in(sim, guid)
    assert entity["Name"] == entity["OperatingName"] == "De Vries Holding"
    assert entity["CountryCode"] == "BE"
    assert entity["addresses"][0]["Country"] == "BE"


def test_update_entity_creates_a_missing_business_address(sim, cwc):
    [guid] = sim.seed(
        entities=[
            {"EntityNo": "2002", "Name": "Old", "addresses": [{"AddressCategory": "Mailing"}]}
        ]
    )["entities"]

    cwc.update_entity(guid, {"address": "Kerkplein 1", "city": "Delft"})

    addresses = entity_in(sim, guid)["addresses"]
    business = [a for a in addresses if a["AddressCategory"] == "Business"]
    assert len(addresses) == 2 and len(business) == 1
    assert (business[0]["Address1"], business[0]["City"]) == ("Kerkplein 1", "Delft")


def test_set_entity_inactive_and_reactivate(sim, cwc, client_record):
    guid = cwc.create_entity(client_record)

    cwc.set_entity_inactive(guid)
    assert entity_in(sim, guid)["Type"] == "I"
    cwc.reactivate_entity(guid)
    assert entity_in(sim, guid)["Type"] == "A"
    assert entity_in(sim, guid)["Name"] == "Bakkerij de Vries B.V."


def test_ensure_entity_creates_once_and_repeats_without_writes(sim, cwc, client_record):
    first = cwc.ensure_entity(client_record)
    sim.clear_calls()
    again = cwc.ensure_entity(client_record, known_guid=first)
    by_number = cwc.ensure_entity(client_record)

    assert first == again == by_number
    assert writes(sim) == []
    [entity] = sim.state()["entities"]
    assert len(entity["addresses"]) == 1


def test_ensure_entity_adopts_by_number_reactivates_and_overwrites(sim, cwc, client_record):
    [guid] = sim.seed(
        entities=[
            {
                "EntityNo": "1001",
                "Name": "Edited in CWC",
                "OperatingName": "Edited",
                "Type": "I",
                "Phone": "000",
                "addresses": [
                    {"AddressCategory": "Business", "Address1": "Oude weg 1", "City": "Gouda"},
                    {"AddressCategory": "Mailing", "Address1": "Postbus 5"},
                ],
            }
        ]
    )["entities"]

    assert cwc.ensure_entity(client_record) == guid

    [entity] = sim.state()["entities"]
    assert entity["Type"] == "A"
    assert entity["Name"] == entity["OperatingName"] == "Bakkerij de Vries B.V."
    assert entity["Phone"] == "030-1234567"
    by_category = {a["AddressCategory"]: a for a in entity["addresses"]}
    assert by_category["Business"]["Address1"] == "Dorpsstraat 12a"
    assert by_category["Business"]["City"] == "Utrecht"
    assert by_category["Mailing"]["Address1"] == "Postbus 5"
    assert len(entity["addresses"]) == 2


def test_ensure_entity_adopted_without_address_gets_one(sim, cwc, client_record):
    [guid] = sim.seed(entities=[{"EntityNo": "1001", "Name": "Bare"}])["entities"]

    assert cwc.ensure_entity(client_record) == guid

    [address] = entity_in(sim, guid)["addresses"]
    assert address["Address1"] == "Dorpsstraat 12a"


def test_ensure_entity_known_guid_wins_over_number(sim, cwc, client_record):
    [guid] = sim.seed(entities=[{"EntityNo": "9999", "Name": "Renumbered"}])["entities"]

    assert cwc.ensure_entity(client_record, known_guid=guid) == guid

    [entity] = sim.state()["entities"]
    assert entity["EntityNo"] == "1001"


def test_ensure_entity_with_a_vanished_known_guid_creates(sim, cwc, client_record):
    guid = cwc.ensure_entity(client_record, known_guid=str(uuid.uuid4()))

    [entity] = sim.state()["entities"]
    assert entity["CWGuid"] == guid


# Users -------------------------------------------------------------------------------


def test_create_find_and_update_user(sim, cwc, contact_record):
    guid = cwc.create_user(contact_record)

    user = user_in(sim, guid)
    assert (user["FirstName"], user["MiddleName"], user["LastName"]) == ("Anna", "de", "Vries")
    assert (user["Initials"], user["Email"]) == ("A.M.", "anna@devries.example")
    assert (user["Phone"], user["MobilePhone"]) == ("030-7654321", "06-12345678")
    assert user["OwnerType"] == "Contact"

    assert cwc.find_user("anna@devries.example") == guid
    assert cwc.find_user("ANNA@devries.example") == guid
    assert cwc.find_user("someone@else.example") is None

    cwc.update_user(guid, {"mobile": "06-00000000"})
    assert user_in(sim, guid)["MobilePhone"] == "06-00000000"
    assert user_in(sim, guid)["FirstName"] == "Anna"


def test_find_user_with_a_quote_in_the_address(sim, cwc, contact_record):
    guid = cwc.create_user({**contact_record, "email": "o'brien@devries.example"})

    assert cwc.find_user("o'brien@devries.example") == guid


def test_deactivate_and_reactivate_user(sim, cwc, contact_record):
    guid = cwc.create_user(contact_record)

    cwc.deactivate_user(guid)
    user = user_in(sim, guid)
    assert (user["Type"], user["InActiveDate"]) == ("I", date.today().isoformat())

    cwc.reactivate_user(guid)
    user = user_in(sim, guid)
    assert (user["Type"], user["InActiveDate"]) == ("A", None)


def test_ensure_user_adopts_by_email_in_another_case_and_reactivates(sim, cwc, contact_record):
    [guid] = sim.seed(
        users=[
            {
                "Email": "Anna@DeVries.Example",
                "FirstName": "Ann",
                "LastName": "Old",
                "Type": "I",
                "InActiveDate": "2025-01-31",
            }
        ]
    )["users"]

    assert cwc.ensure_user(contact_record) == guid

    [user] = sim.state()["users"]
    assert (user["Type"], user["InActiveDate"]) == ("A", None)
    assert (user["FirstName"], user["LastName"]) == ("Anna", "Vries")
    assert user["Email"] == "anna@devries.example"


def test_ensure_user_known_guid_takes_a_changed_email(sim, cwc, contact_record):
    guid = cwc.ensure_user(contact_record)

    changed = {**contact_record, "email": "anna.devries@devries.example"}
    assert cwc.ensure_user(changed, known_guid=guid) == guid

    [user] = sim.state()["users"]
    assert user["Email"] == "anna.devries@devries.example"


def test_ensure_user_is_idempotent(sim, cwc, contact_record):
    guid = cwc.ensure_user(contact_record)
    sim.clear_calls()

    assert cwc.ensure_user(contact_record, known_guid=guid) == guid
    assert cwc.ensure_user(contact_record) == guid
    assert writes(sim) == []
    assert len(sim.state()["users"]) == 1


def test_ensure_user_does_not_adopt_a_staff_login(sim, cwc, contact_record):
    sim.seed(users=[{"Email": "anna@devries.example", "OwnerType": "Staff"}])

    with pytest.raises(CwcEmailInUse):
        cwc.ensure_user(contact_record)
    [user] = sim.state()["users"]
    assert user["OwnerType"] == "Staff"


def test_ensure_user_needs_an_email(sim, cwc, contact_record):
    with pytest.raises(ValueError):
        cwc.ensure_user({**contact_record, "email": None})
    assert sim.state()["users"] == []


# Access ------------------------------------------------------------------------------


def role_guid(sim, name):
    return next(r["CWGuid"] for r in sim.state()["roles"] if r["Name"] == name)


def test_collaborator_role_id_is_looked_up_once(sim, cwc):
    expected = role_guid(sim, "Contact - Entity Collaborator")

    assert cwc.collaborator_role_id() == expected
    assert cwc.collaborator_role_id() == expected
    assert len(calls_to(sim, "GET", "/roles")) == 1


def test_collaborator_role_id_is_found_on_a_later_page(sim, make_cwc):
    expected = role_guid(sim, "Contact - Entity Collaborator")

    assert make_cwc(CWC_PAGE_SIZE="1").collaborator_role_id() == expected
    assert len(calls_to(sim, "GET", "/roles")) == 4  # the fourth seeded role


def test_collaborator_role_name_is_configurable(sim, make_cwc):
    [custom] = sim.seed(roles=["Klant - Samenwerker"])["roles"]

    assert make_cwc(CWC_COLLABORATOR_ROLE="Klant - Samenwerker").collaborator_role_id() == custom
    with pytest.raises(CwcRejected, match="no role named"):
        make_cwc(CWC_COLLABORATOR_ROLE="Missing role").collaborator_role_id()


def test_grant_and_withdraw_access(sim, cwc, client_record, contact_record):
    entity, user = cwc.create_entity(client_record), cwc.create_user(contact_record)
    collaborator = role_guid(sim, "Contact - Entity Collaborator")

    cwc.grant_access(entity, user)
    cwc.grant_access(entity, user)
    assert [(a["entity"], a["user"], a["role"]) for a in sim.state()["role_assignments"]] == [
        (entity, user, collaborator)
    ]

    cwc.withdraw_access(entity, user)
    assert sim.state()["role_assignments"] == []


def test_link_contact_creates_grants_and_repeats_safely(sim, cwc, client_record, contact_record):
    entity = cwc.ensure_entity(client_record)

    user = cwc.link_contact(entity, contact_record)
    assert cwc.link_contact(entity, contact_record, known_user_guid=user) == user

    state = sim.state()
    assert [u["CWGuid"] for u in state["users"]] == [user]
    assert [(a["entity"], a["user"]) for a in state["role_assignments"]] == [(entity, user)]
    assert state["invitations"] == [user]


def test_link_contact_refused_deactivates_the_user_it_created(
    sim, cwc, client_record, contact_record
):
    entity = cwc.ensure_entity(client_record)
    sim.set_faults(fail_next={"count": 1, "status": 403, "path_contains": "/role-assignments"})

    with pytest.raises(CwcRejected):
        cwc.link_contact(entity, contact_record)

    [user] = sim.state()["users"]
    assert user["Type"] == "I"
    assert sim.state()["role_assignments"] == []


def test_a_refusal_while_undoing_still_surfaces_the_first_refusal(
    sim, cwc, client_record, contact_record, caplog
):
    entity = cwc.ensure_entity(client_record)
    sim.set_faults(fail_next={"count": 1, "status": 403, "path_contains": "/role-assignments"})
    sim.set_faults(
        fail_next={"count": 1, "status": 400, "method": "PATCH", "path_contains": "/users"}
    )

    with pytest.raises(CwcRejected) as refused:
        cwc.link_contact(entity, contact_record)

    assert refused.value.status == 403
    assert "could not undo" in caplog.text


def test_unlink_contact_keeps_a_user_linked_elsewhere(sim, cwc, client_record, contact_record):
    one = cwc.ensure_entity(client_record)
    two = cwc.ensure_entity({**client_record, "number": "1002"})
    user = cwc.link_contact(one, contact_record)
    cwc.link_contact(two, contact_record, known_user_guid=user)

    cwc.unlink_contact(one, user, still_linked_elsewhere=True)

    assert [a["entity"] for a in sim.state()["role_assignments"]] == [two]
    assert user_in(sim, user)["Type"] == "A"


def test_unlink_then_relink_contact_reactivates_the_same_user(
    sim, cwc, client_record, contact_record
):
    entity = cwc.ensure_entity(client_record)
    user = cwc.link_contact(entity, contact_record)

    cwc.unlink_contact(entity, user, still_linked_elsewhere=False)
    assert sim.state()["role_assignments"] == []
    assert user_in(sim, user)["Type"] == "I"

    assert cwc.link_contact(entity, contact_record) == user
    assert user_in(sim, user)["Type"] == "A"
    assert len(sim.state()["role_assignments"]) == 1


def test_unlink_client_sets_the_entity_inactive_and_relinking_reactivates(sim, cwc, client_record):
    entity = cwc.ensure_entity(client_record)

    cwc.unlink_client(entity)
    assert entity_in(sim, entity)["Type"] == "I"

    assert cwc.ensure_entity(client_record, known_guid=entity) == entity
    assert entity_in(sim, entity)["Type"] == "A"
    assert len(sim.state()["entities"]) == 1


def test_check_answers_when_cwc_does(sim, cwc):
    cwc.check()
    assert calls_to(sim, "GET", "/entities")[-1]["status"] == 200
