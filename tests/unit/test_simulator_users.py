"""The simulator's users, roles and role assignments, against caseware-cloud.md."""

from __future__ import annotations

import pytest

from tests.unit.simulator_support import SimApi, error_message

COLLABORATOR = "Contact - Entity Collaborator"


@pytest.fixture
def api() -> SimApi:
    return SimApi()


USER = {
    "OwnerType": "Contact",
    "FirstName": "Anna",
    "MiddleName": "de",
    "LastName": "Vries",
    "Initials": "A.",
    "Email": "anna@example.com",
    "Phone": "030-1",
    "MobilePhone": "06-1",
}


def test_create_answers_201_with_the_user(api):
    answer = api("POST", "/users", USER)

    assert answer.status_code == 201
    user = answer.get_json()
    assert user["Id"] > 0 and user["CWGuid"]
    assert {k: user[k] for k in USER} == USER
    assert user["Type"] == "A"
    assert api("GET", f"/users/{user['CWGuid']}").get_json() == user


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"FirstName": "F" * 30}, 201),
        ({"FirstName": "F" * 31}, 400),
        ({"Email": "e" * 88 + "@example.com"}, 201),
        ({"Email": "e" * 89 + "@example.com"}, 400),
        ({"Email": None}, 400),
        ({"Email": "no-at-sign"}, 400),
        ({"OwnerType": None}, 400),
        ({"LastName": 7}, 400),
    ],
)
def test_create_validates_lengths_and_required_fields(api, change, status):
    answer = api("POST", "/users", {**USER, **change})

    assert answer.status_code == status
    if status == 400:
        error_message(answer)


def test_duplicate_email_is_409_without_regard_to_case(api):
    api.create_user(Email="Anna@Example.com")

    answer = api("POST", "/users", {**USER, "Email": "anna@EXAMPLE.com"})

    assert answer.status_code == 409
    assert "in use" in error_message(answer)
    assert len(api.state()["users"]) == 1


def test_patch_without_owner_type_is_400(api):
    guid = api.create_user()["CWGuid"]

    answer = api("PATCH", f"/users/{guid}", {"LastName": "Other"})

    assert answer.status_code == 400
    assert "OwnerType" in error_message(answer)


def test_patch_deactivates_and_reactivates(api):
    guid = api.create_user()["CWGuid"]

    off = api(
        "PATCH",
        f"/users/{guid}",
        {"OwnerType": "Contact", "Type": "I", "InActiveDate": "2026-11-29"},
    )
    assert off.status_code == 200
    assert (off.get_json()["Type"], off.get_json()["InActiveDate"]) == ("I", "2026-11-29")

    on = api("PATCH", f"/users/{guid}", {"OwnerType": "Contact", "Type": "A", "InActiveDate": None})
    assert (on.get_json()["Type"], on.get_json()["InActiveDate"]) == ("A", None)
    assert on.get_json()["LastName"] == "Vries"


@pytest.mark.parametrize(
    "change", [{"InActiveDate": "29-11-2026"}, {"Type": "Z"}, {"FirstName": "x" * 31}]
)
def test_invalid_patches_are_400(api, change):
    guid = api.create_user()["CWGuid"]
    assert api("PATCH", f"/users/{guid}", {"OwnerType": "Contact", **change}).status_code == 400


def test_patch_to_an_email_in_use_is_409_but_own_case_change_is_fine(api):
    api.create_user(Email="piet@example.com")
    guid = api.create_user()["CWGuid"]

    taken = api("PATCH", f"/users/{guid}", {"OwnerType": "Contact", "Email": "PIET@example.com"})
    own = api("PATCH", f"/users/{guid}", {"OwnerType": "Contact", "Email": "Anna@Example.com"})

    assert taken.status_code == 409
    assert own.status_code == 200


def test_delete_answers_204_and_the_user_is_gone(api):
    guid = api.create_user()["CWGuid"]

    answer = api("DELETE", f"/users/{guid}")

    assert answer.status_code == 204 and answer.data == b""
    assert api("GET", f"/users/{guid}").status_code == 404
    assert api("DELETE", f"/users/{guid}").status_code == 404
    assert api("PATCH", f"/users/{guid}", {"OwnerType": "Contact"}).status_code == 404


# Roles and role assignments ----------------------------------------------------------


def test_roles_are_seeded(api):
    roles = api("GET", "/roles").get_json()

    names = [r["Name"] for r in roles]
    assert "Contact - Entity Access" in names and COLLABORATOR in names
    assert all(r["CWGuid"] for r in roles)


def assign(api, entity, people, roles, remove):
    body = {"people": people, "roleIds": roles, "isRemove": remove}
    return api("PATCH", f"/entities/{entity}/role-assignments", body)


def test_grant_and_withdraw_a_role(api):
    entity, user = api.create_entity()["CWGuid"], api.create_user()["CWGuid"]
    role = api.role(COLLABORATOR)

    granted = assign(api, entity, [user], [role], False)
    assert (granted.status_code, granted.get_json()) == (200, {})
    [held] = api.state()["role_assignments"]
    assert (held["entity"], held["user"], held["role"], held["role_name"]) == (
        entity,
        user,
        role,
        COLLABORATOR,
    )

    withdrawn = assign(api, entity, [user], [role], True)
    assert (withdrawn.status_code, withdrawn.get_json()) == (200, {})
    assert api.state()["role_assignments"] == []


def test_first_collaborator_grant_invites_once(api):
    one, two = api.create_entity()["CWGuid"], api.create_entity(EntityNo="2")["CWGuid"]
    user = api.create_user()["CWGuid"]

    assign(api, one, [user], [api.role("Contact - Entity Access")], False)
    assert api.state()["invitations"] == []
    assign(api, one, [user], [api.role(COLLABORATOR)], False)
    assign(api, two, [user], [api.role(COLLABORATOR)], False)
    assert api.state()["invitations"] == [user]


def test_assignments_to_unknown_things_are_404(api):
    entity, user = api.create_entity()["CWGuid"], api.create_user()["CWGuid"]
    role = api.role(COLLABORATOR)

    assert assign(api, "nope", [user], [role], False).status_code == 404
    assert assign(api, entity, ["nope"], [role], True).status_code == 404
    assert assign(api, entity, [user], ["nope"], False).status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"people": "x", "roleIds": ["r"], "isRemove": False},
        {"people": [], "roleIds": ["r"], "isRemove": False},
        {"people": ["u"], "roleIds": [1], "isRemove": False},
        {"people": ["u"], "roleIds": ["r"], "isRemove": "no"},
    ],
)
def test_malformed_assignments_are_400(api, body):
    entity = api.create_entity()["CWGuid"]
    answer = api("PATCH", f"/entities/{entity}/role-assignments", body)
    assert answer.status_code == 400
    error_message(answer)


def test_deleting_a_user_drops_its_assignments(api):
    entity, user = api.create_entity()["CWGuid"], api.create_user()["CWGuid"]
    assign(api, entity, [user], [api.role(COLLABORATOR)], False)

    api("DELETE", f"/users/{user}")

    assert api.state()["role_assignments"] == []
