"""The simulator reads the wire as ASP.NET does (names and GUIDs in any case) and compares
logins by ASCII case only, against caseware-cloud.md part A."""

from __future__ import annotations

import pytest

from adapters.caseware_cloud.simulator.wire import ascii_lower, same_login
from tests.unit.simulator_support import CLIENT_ID, CLIENT_SECRET, SimApi, error_message

COLLABORATOR = "Contact - Entity Collaborator"


@pytest.fixture
def api() -> SimApi:
    return SimApi()


# Property names, GUIDs and query parameter names ---------------------------------------


def test_property_names_are_read_in_any_case_and_answered_in_pascal_case(api):
    body = {"id": 0, "entityNo": "7", "NAME": "Lower", "ownertype": "Client", "type": "A"}
    answer = api("POST", "/entities", body)

    assert answer.status_code == 201
    entity = answer.get_json()
    assert (entity["EntityNo"], entity["Name"], entity["OwnerType"]) == ("7", "Lower", "Client")
    assert not {"entityNo", "NAME", "ownertype", "type", "id"} & set(entity)


def test_a_patch_in_lower_camel_case_changes_the_pascal_case_fields(api):
    guid = api.create_user()["CWGuid"]

    answer = api("PATCH", f"/users/{guid}", {"ownerType": "Contact", "lastName": "Jansen"})

    assert answer.status_code == 200
    assert answer.get_json()["LastName"] == "Jansen" and "lastName" not in answer.get_json()


def test_the_token_body_is_read_in_any_case(api):
    answer = api.http.post(
        f"{api.prefix}/auth/token",
        json={"clientId": CLIENT_ID, "CLIENTSECRET": CLIENT_SECRET, "language": "en"},
    )
    assert answer.status_code == 200 and answer.get_json()["Token"]


def test_role_assignments_take_any_case_of_their_names(api):
    entity, user = api.create_entity()["CWGuid"], api.create_user()["CWGuid"]
    body = {"People": [user], "RoleIds": [api.role(COLLABORATOR)], "IsRemove": False}

    assert api("PATCH", f"/entities/{entity}/role-assignments", body).status_code == 200
    assert len(api.state()["role_assignments"]) == 1


def test_guids_in_paths_and_bodies_are_found_in_any_letter_case(api):
    entity = api.create_entity()
    user = api.create_user()
    role = api.role(COLLABORATOR)
    upper_entity, upper_user = entity["CWGuid"].upper(), user["CWGuid"].upper()

    assert api("GET", f"/entities/{upper_entity}").get_json()["CWGuid"] == entity["CWGuid"]
    assert api("GET", f"/users/{upper_user}").status_code == 200
    grant = {"people": [upper_user], "roleIds": [role.upper()], "isRemove": False}
    assert api("PATCH", f"/entities/{upper_entity}/role-assignments", grant).status_code == 200
    [held] = api.state()["role_assignments"]
    assert (held["entity"], held["user"], held["role"]) == (
        entity["CWGuid"],
        user["CWGuid"],
        role,
    )
    address = {
        "AddressCategory": "Business",
        "OwnerCWGuid": upper_entity,
        "OwnerId": entity["Id"],
    }
    assert api("POST", f"/entities/{upper_entity}/addresses", address).status_code == 201
    patch = {"OwnerType": "Client", "Type": "A", "CWGuid": upper_entity}
    assert api("PATCH", f"/entities/{entity['CWGuid']}", patch).status_code == 200


def test_query_parameter_names_are_read_in_any_case(api):
    for n in range(3):
        api.create_entity(EntityNo=str(n), Name=f"e{n}")

    found = api("GET", "/entities", query={"Search": "EntityNo='1'"}).get_json()
    paged = api("GET", "/entities", query={"PAGE": 2, "PageSize": 2}).get_json()

    assert [e["Name"] for e in found] == ["e1"]
    assert [e["Name"] for e in paged] == ["e2"]
    assert api("GET", "/entities", query={"pagesize": 101}).status_code == 400


def test_search_field_names_are_read_in_any_case_but_values_exactly(api):
    api.create_user(Email="Anna@Example.com")

    assert len(api("GET", "/users", query={"search": "email='Anna@Example.com'"}).get_json()) == 1
    assert api("GET", "/users", query={"search": "EMAIL='anna@example.com'"}).get_json() == []


# E-mail identity: ASCII A-Z to a-z, nothing else --------------------------------------


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("office@example.nl", "OFFICE@Example.NL"),
        ("Straße@example.de", "STRAßE@EXAMPLE.DE"),
        ("é@example.fr", "é@EXAMPLE.fr"),
    ],
)
def test_same_login_maps_only_ascii_letters(a, b):
    assert same_login(a, b) and same_login(b, a)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("office@example.nl", "o\ufb03ce@example.nl"),  # the ligature ﬃ is not ffi
        ("strasse@example.de", "straße@example.de"),  # ß is not ss
        ("kees@example.nl", "\u212aees@example.nl"),  # the Kelvin sign is not k
        ("KEES@example.nl", "\u212aEES@example.nl"),
        ("émile@example.fr", "Émile@example.fr"),  # É is not é: only A-Z are mapped
        ("anna@example.com", "anna@example.com "),
        ("anna@example.com", None),
    ],
)
def test_same_login_folds_nothing_else(a, b):
    assert not same_login(a, b) and not same_login(b, a)


def test_ascii_lower_leaves_other_letters_alone():
    assert ascii_lower("ÉMILE-\u212a-ß-\ufb03-ABC") == "Émile-\u212a-ß-\ufb03-abc"


@pytest.mark.parametrize(
    ("existing", "new"),
    [
        ("office@example.nl", "o\ufb03ce@example.nl"),
        ("o\ufb03ce@example.nl", "office@example.nl"),
        ("strasse@example.de", "straße@example.de"),
        ("straße@example.de", "strasse@example.de"),
        ("kees@example.nl", "\u212aees@example.nl"),
        ("\u212aees@example.nl", "kees@example.nl"),
        ("émile@example.fr", "Émile@example.fr"),
        ("Émile@example.fr", "émile@example.fr"),
    ],
)
def test_addresses_that_unicode_folding_would_equate_are_different_logins(api, existing, new):
    api.create_user(Email=existing)

    assert api("POST", "/users", {"OwnerType": "Contact", "Email": new}).status_code == 201
    mine = api.create_user(Email="mine@example.nl")["CWGuid"]
    patch = {"OwnerType": "Contact", "Email": new.replace("@", "2@")}
    assert api("PATCH", f"/users/{mine}", patch).status_code == 200


@pytest.mark.parametrize(
    ("existing", "new"),
    [
        ("office@example.nl", "Office@Example.NL"),
        ("o\ufb03ce@example.nl", "O\ufb03CE@EXAMPLE.NL"),
        ("straße@example.de", "STRAßE@example.de"),
        ("émile@example.fr", "éMILE@example.fr"),
    ],
)
def test_the_same_login_by_ascii_case_is_409_on_create_and_patch(api, existing, new):
    api.create_user(Email=existing)
    other = api.create_user(Email="other@example.nl")["CWGuid"]

    created = api("POST", "/users", {"OwnerType": "Contact", "Email": new})
    patched = api("PATCH", f"/users/{other}", {"OwnerType": "Contact", "Email": new})

    assert created.status_code == patched.status_code == 409
    assert "in use" in error_message(created) and "in use" in error_message(patched)
