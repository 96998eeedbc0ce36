"""The simulator's entities and addresses, against caseware-cloud.md."""

from __future__ import annotations

import pytest

from tests.unit.simulator_support import SimApi, error_message


@pytest.fixture
def api() -> SimApi:
    return SimApi()


ENTITY = {
    "Id": 0,
    "EntityNo": "1001",
    "Name": "Acme B.V.",
    "OperatingName": "Acme",
    "OwnerType": "Client",
    "Type": "A",
    "CountryCode": "NL",
    "Phone": "020-1234567",
    "Email": "info@acme.example",
    "WebSite": "https://acme.example",
    "Facebook": "acme",
    "Twitter": "@acme",
    "LinkedIn": "acme-bv",
}


def test_create_answers_201_with_the_entity(api):
    answer = api("POST", "/entities", ENTITY)

    assert answer.status_code == 201
    entity = answer.get_json()
    assert isinstance(entity["Id"], int) and entity["Id"] > 0
    assert isinstance(entity["CWGuid"], str) and entity["CWGuid"]
    assert {k: entity[k] for k in ENTITY if k != "Id"} == {
        k: v for k, v in ENTITY.items() if k != "Id"
    }
    assert api("GET", f"/entities/{entity['CWGuid']}").get_json() == entity


@pytest.mark.parametrize(
    "change",
    [
        {"EntityNo": None},
        {"Name": ""},
        {"OwnerType": None},
        {"Type": "X"},
        {"Name": 12},
        {"Id": 5},
    ],
)
def test_invalid_creates_are_400(api, change):
    answer = api("POST", "/entities", {**ENTITY, **change})

    assert answer.status_code == 400
    error_message(answer)
    assert api.state()["entities"] == []


def test_a_body_that_is_not_an_object_is_400(api):
    assert api("POST", "/entities", ["x"]).status_code == 400


def test_two_entities_may_share_an_entity_number(api):
    assert api("POST", "/entities", ENTITY).status_code == 201
    assert api("POST", "/entities", ENTITY).status_code == 201
    assert len(api.state()["entities"]) == 2


def test_get_unknown_entity_is_404(api):
    answer = api("GET", "/entities/00000000-0000-0000-0000-000000000000")

    assert answer.status_code == 404
    assert "CWGuid" in error_message(answer)


@pytest.mark.parametrize("missing", ["OwnerType", "Type"])
def test_patch_without_owner_type_or_type_is_400(api, missing):
    guid = api.create_entity()["CWGuid"]
    body = {"Name": "New", "OwnerType": "Client", "Type": "A"}
    del body[missing]

    answer = api("PATCH", f"/entities/{guid}", body)

    assert answer.status_code == 400
    assert missing in error_message(answer)
    assert api("GET", f"/entities/{guid}").get_json()["Name"] == "Acme"


def test_patch_changes_only_the_fields_sent(api):
    guid = api.create_entity(Phone="1", Email="a@b.example")["CWGuid"]

    answer = api("PATCH", f"/entities/{guid}", {"Phone": "2", "OwnerType": "Client", "Type": "A"})

    assert answer.status_code == 200
    assert answer.get_json()["Phone"] == "2"
    entity = api("GET", f"/entities/{guid}").get_json()
    assert (entity["Phone"], entity["Email"], entity["Name"]) == ("2", "a@b.example", "Acme")


def test_patch_type_i_sets_inactive_and_a_reactivates(api):
    guid = api.create_entity()["CWGuid"]

    api("PATCH", f"/entities/{guid}", {"OwnerType": "Client", "Type": "I"})
    assert api("GET", f"/entities/{guid}").get_json()["Type"] == "I"
    api("PATCH", f"/entities/{guid}", {"OwnerType": "Client", "Type": "A"})
    assert api("GET", f"/entities/{guid}").get_json()["Type"] == "A"


def test_patch_cannot_change_the_guid_and_unknown_is_404(api):
    guid = api.create_entity()["CWGuid"]
    fixed = {"OwnerType": "Client", "Type": "A"}

    assert api("PATCH", f"/entities/{guid}", {**fixed, "CWGuid": "other"}).status_code == 400
    assert api("PATCH", "/entities/nope", fixed).status_code == 404


# Addresses ---------------------------------------------------------------------------


def address_body(entity, **fields):
    return {
        "Name": "Acme",
        "Address1": "Dorpsstraat 1",
        "Address2": "",
        "City": "Utrecht",
        "PostalCode": "1234 AB",
        "Country": "NL",
        "AddressCategory": "Business",
        "OwnerCWGuid": entity["CWGuid"],
        "OwnerId": entity["Id"],
        **fields,
    }


def test_address_create_answers_201_with_a_bare_integer(api):
    entity = api.create_entity()

    answer = api("POST", f"/entities/{entity['CWGuid']}/addresses", address_body(entity))

    assert answer.status_code == 201
    address_id = answer.get_json()
    assert isinstance(address_id, int) and not isinstance(address_id, bool)
    [address] = api("GET", f"/entities/{entity['CWGuid']}/addresses").get_json()
    assert address["Id"] == address_id
    assert (address["PostalCode"], address["AddressCategory"]) == ("1234 AB", "Business")
    assert address["CWGuid"]


@pytest.mark.parametrize(
    "change",
    [{"OwnerCWGuid": None}, {"OwnerId": None}, {"OwnerId": 999}, {"OwnerId": "1"}, {"City": 5}],
)
def test_invalid_address_creates_are_400(api, change):
    entity = api.create_entity()

    answer = api("POST", f"/entities/{entity['CWGuid']}/addresses", address_body(entity, **change))

    assert answer.status_code == 400
    error_message(answer)


def test_address_of_an_unknown_entity_is_404(api):
    entity = api.create_entity()
    assert api("POST", "/entities/nope/addresses", address_body(entity)).status_code == 404
    assert api("GET", "/entities/nope/addresses").status_code == 404


def test_address_patch_has_no_entity_segment_and_may_be_partial(api):
    entity = api.create_entity()
    api("POST", f"/entities/{entity['CWGuid']}/addresses", address_body(entity))
    [address] = api("GET", f"/entities/{entity['CWGuid']}/addresses").get_json()

    answer = api("PATCH", f"/entities/addresses/{address['CWGuid']}", {"City": "Zwolle"})

    assert answer.status_code == 200
    [address] = api("GET", f"/entities/{entity['CWGuid']}/addresses").get_json()
    assert (address["City"], address["Address1"]) == ("Zwolle", "Dorpsstraat 1")


def test_address_patch_unknown_is_404_and_owner_is_fixed(api):
    entity = api.create_entity()
    api("POST", f"/entities/{entity['CWGuid']}/addresses", address_body(entity))
    [address] = api("GET", f"/entities/{entity['CWGuid']}/addresses").get_json()

    assert api("PATCH", "/entities/addresses/nope", {"City": "X"}).status_code == 404
    moved = api("PATCH", f"/entities/addresses/{address['CWGuid']}", {"OwnerId": 42})
    assert moved.status_code == 400


def test_state_lists_entities_with_their_addresses(api):
    one, two = api.create_entity(), api.create_entity(EntityNo="1002")
    api("POST", f"/entities/{two['CWGuid']}/addresses", address_body(two))

    entities = {e["CWGuid"]: e for e in api.state()["entities"]}

    assert entities[one["CWGuid"]]["addresses"] == []
    assert [a["OwnerCWGuid"] for a in entities[two["CWGuid"]]["addresses"]] == [two["CWGuid"]]
