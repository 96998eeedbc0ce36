"""The fields a simulated user carries and how they are checked, against caseware-cloud.md."""

from __future__ import annotations

import pytest

from tests.unit.simulator_support import SimApi, error_message

COLLABORATOR = "Contact - Entity Collaborator"


@pytest.fixture
def api() -> SimApi:
    return SimApi()


def test_a_user_carries_the_fields_part_a_lists(api):
    user = api.create_user(Email="anna@example.com")

    assert user["UserName"] == "anna@example.com"
    assert (user["Title"], user["Type"], user["InActiveDate"]) == (None, "A", None)
    assert (user["CanLogin"], user["Admin"], user["IsSingleSignOnUser"]) == (False, False, False)
    assert user["FirmWideRoleIds"] == []
    assert api("GET", f"/users/{user['CWGuid']}").get_json() == user
    assert api("GET", "/users").get_json() == [user]


def test_the_user_name_is_cut_to_50_characters():
    api = SimApi()
    email = "a" * 60 + "@example.com"

    assert api.create_user(Email=email)["UserName"] == email[:50]
    given = api("POST", "/users", {"OwnerType": "Contact", "Email": "b@x.nl", "UserName": "u" * 50})
    assert given.get_json()["UserName"] == "u" * 50
    answer = api(
        "POST", "/users", {"OwnerType": "Contact", "Email": "c@x.nl", "UserName": "u" * 51}
    )
    assert answer.status_code == 400 and "UserName" in error_message(answer)


def grant(api, entity, user, remove=False):
    body = {"people": [user], "roleIds": [api.role(COLLABORATOR)], "isRemove": remove}
    assert api("PATCH", f"/entities/{entity}/role-assignments", body).status_code == 200


def can_login(api, guid):
    return api("GET", f"/users/{guid}").get_json()["CanLogin"]


def test_can_login_once_the_collaborator_role_activated_the_login_and_while_active(api):
    entity, user = api.create_entity()["CWGuid"], api.create_user()["CWGuid"]
    assert can_login(api, user) is False

    grant(api, entity, user)
    assert can_login(api, user) is True

    off = {"OwnerType": "Contact", "Type": "I", "InActiveDate": "2026-11-29"}
    assert api("PATCH", f"/users/{user}", off).get_json()["CanLogin"] is False
    on = {"OwnerType": "Contact", "Type": "A", "InActiveDate": None}
    assert api("PATCH", f"/users/{user}", on).get_json()["CanLogin"] is True


def test_an_inactive_date_alone_ends_the_login(api):
    entity, user = api.create_entity()["CWGuid"], api.create_user()["CWGuid"]
    grant(api, entity, user)

    api("PATCH", f"/users/{user}", {"OwnerType": "Contact", "InActiveDate": "2026-11-29"})
    assert can_login(api, user) is False
    api("PATCH", f"/users/{user}", {"OwnerType": "Contact", "InActiveDate": None})
    assert can_login(api, user) is True


@pytest.mark.parametrize(
    "change",
    [
        {"CanLogin": True},
        {"FirmWideRoleIds": [1]},
        {"Id": 999},
        {"CWGuid": "00000000-0000-4000-8000-000000000000"},
    ],
)
def test_read_only_fields_cannot_be_changed(api, change):
    guid = api.create_user()["CWGuid"]

    answer = api("PATCH", f"/users/{guid}", {"OwnerType": "Contact", **change})

    assert answer.status_code == 400
    assert "cannot be changed" in error_message(answer)


def test_read_only_fields_sent_back_unchanged_are_fine(api):
    user = api.create_user()

    answer = api("PATCH", f"/users/{user['CWGuid']}", {**user, "Title": "Dr."})

    assert answer.status_code == 200 and answer.get_json()["Title"] == "Dr."


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"Type": "X"}, 400),
        ({"Type": "I"}, 201),
        ({"InActiveDate": "2026-02-30"}, 400),
        ({"InActiveDate": "29-11-2026"}, 400),
        ({"InActiveDate": 20261129}, 400),
        ({"InActiveDate": "2026-11-29"}, 201),
        ({"InActiveDate": "2026-11-29T00:00:00"}, 201),
        ({"Admin": True}, 400),
        ({"Admin": "no"}, 400),
        ({"IsSingleSignOnUser": 1}, 400),
        ({"Title": 3}, 400),
        ({"CanLogin": True}, 400),
        ({"OwnerType": "Client"}, 400),
        ({"OwnerType": "contact"}, 400),
        ({"OwnerType": "Staff", "Admin": True}, 201),
        ({"OwnerType": "Employee"}, 201),
    ],
)
def test_create_validates_the_user_fields(api, change, status):
    body = {"OwnerType": "Contact", "Email": "anna@example.com", **change}

    answer = api("POST", "/users", body)

    assert answer.status_code == status, answer.get_data(as_text=True)
    if status == 400:
        error_message(answer)


@pytest.mark.parametrize("owner_type", ["Contact ", "Klant", "", None, 1])
def test_a_patch_needs_an_owner_type_the_service_knows(api, owner_type):
    guid = api.create_user()["CWGuid"]

    answer = api("PATCH", f"/users/{guid}", {"OwnerType": owner_type})

    assert answer.status_code == 400
    assert "OwnerType" in error_message(answer)


@pytest.mark.parametrize("owner_type", ["Contact", "Prospect", "client", None])
def test_entities_take_owner_type_client_only(api, owner_type):
    body = {"EntityNo": "1", "Name": "n", "OwnerType": owner_type, "Type": "A"}
    created = api("POST", "/entities", body)
    guid = api.create_entity()["CWGuid"]
    patched = api("PATCH", f"/entities/{guid}", {"OwnerType": owner_type, "Type": "A"})

    assert created.status_code == patched.status_code == 400
    assert "OwnerType" in error_message(created)


def test_seeded_users_get_the_fields_and_may_be_seeded_with_a_login(api):
    made = api.control(
        "POST",
        "/seed",
        {"users": [{"Email": "staff@example.nl", "OwnerType": "Staff", "CanLogin": True}]},
    ).get_json()

    user = api("GET", f"/users/{made['users'][0]}").get_json()
    assert (user["CanLogin"], user["UserName"], user["FirmWideRoleIds"]) == (
        True,
        "staff@example.nl",
        [],
    )
