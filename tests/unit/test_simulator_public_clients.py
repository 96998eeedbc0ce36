"""Two public CWC API V2 clients that nobody here wrote, replayed against the simulator.

The request shapes (method, path, query, headers, body casing and field names) are written from
reading the clients, not copied from them:

- HelloID: Tools4everBV/HelloID-Conn-Prov-Target-Caseware (PowerShell; create.ps1, update.ps1,
  Enable.ps1, Disable.ps1, delete.ps1, import.ps1, permissions/...). Bodies go through
  ConvertTo-Json with ContentType application/json; queries through HttpUtility.UrlEncode.
- Maconomy: a Maconomy-to-CaseWare Cloud entity sync, class CasewareService (httpx; its base
  URL ends in /ms/caseware-cloud and it appends /api/v2/...). The search index showed the file
  (id 68876224934) without its repository's name.

Where Part A covers a call the simulator must accept it; where it does not, the test says what
the simulator does and why.
"""

from __future__ import annotations

import json
import re
import urllib.parse

import pytest

from tests.unit.simulator_support import CLIENT_ID, CLIENT_SECRET, SocketSim

COLLABORATOR = "Contact - Entity Collaborator"


@pytest.fixture
def sim():
    running = SocketSim()
    yield running
    running.close()


def powershell_json(body: dict) -> dict:
    """What ConvertTo-Json sends with ContentType 'application/json'."""
    return {"data": json.dumps(body, indent=4), "headers": {"Content-Type": "application/json"}}


def url_encode(text: str) -> str:
    """System.Web.HttpUtility.UrlEncode: lower-case hex escapes, a space as '+'."""
    return re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), urllib.parse.quote_plus(text))


def seed_user(sim, **fields) -> str:
    fields = {"Email": "jan@firm.example", "FirstName": "Jan", "LastName": "Smit", **fields}
    return sim.handle.seed(users=[{"OwnerType": "Staff", **fields}])["users"][0]


# HelloID ------------------------------------------------------------------------------


def test_helloid_token_request_is_accepted(sim):
    # Tools4everBV/HelloID-Conn-Prov-Target-Caseware, create.ps1 (every script alike)
    body = {"ClientId": CLIENT_ID, "ClientSecret": CLIENT_SECRET, "Language": "en"}
    answer = sim.session.post(
        f"{sim.handle.api_url}/auth/token", timeout=5, **powershell_json(body)
    )
    assert answer.status_code == 200 and answer.json()["Token"]


def test_helloid_correlates_by_email_search(sim):
    # HelloID create.ps1: GET users?search=<UrlEncode("Email='<mail>'")>, reads CWGuid, Title
    guid = seed_user(sim)
    query = "search=" + url_encode("Email='jan@firm.example'")
    assert "%3d%27jan%40firm.example%27" in query

    answer = sim("GET", f"/users?{query}")

    assert answer.status_code == 200
    [user] = answer.json()
    assert user["CWGuid"] == guid
    assert {"LastName", "FirstName", "MiddleName", "Email", "Title", "CWGuid"} <= set(user)


def test_helloid_update_patches_changed_fields_with_the_owner_type_read(sim):
    # HelloID update.ps1: GET users/{ref}, then PATCH users/{ref} {OwnerType, <changed>}
    guid = seed_user(sim)
    owner_type = sim("GET", f"/users/{guid}").json()["OwnerType"]

    body = {"OwnerType": owner_type, "Title": "Manager"}
    answer = sim("PATCH", f"/users/{guid}", **powershell_json(body))

    assert answer.status_code == 200 and answer.json()["Title"] == "Manager"


def test_helloid_disable_and_enable_set_and_clear_the_inactive_date(sim):
    # HelloID Disable.ps1: PATCH {OwnerType, InActiveDate: (Get-Date).ToString('yyyy-MM-dd')}
    # HelloID Enable.ps1: PATCH {OwnerType, InActiveDate: $null}; neither sends Type.
    guid = seed_user(sim, CanLogin=True)

    off = sim(
        "PATCH",
        f"/users/{guid}",
        **powershell_json({"OwnerType": "Staff", "InActiveDate": "2026-11-29"}),
    )
    assert off.status_code == 200
    assert (off.json()["InActiveDate"], off.json()["CanLogin"]) == ("2026-11-29", False)

    on = sim(
        "PATCH", f"/users/{guid}", **powershell_json({"OwnerType": "Staff", "InActiveDate": None})
    )
    assert on.status_code == 200
    assert (on.json()["InActiveDate"], on.json()["CanLogin"]) == (None, True)


def test_helloid_delete_removes_the_user_and_a_second_look_is_404(sim):
    # HelloID delete.ps1: GET users/{ref}, then DELETE users/{ref}
    guid = seed_user(sim)

    assert sim("DELETE", f"/users/{guid}").status_code == 204
    assert sim("GET", f"/users/{guid}").status_code == 404


def test_helloid_account_import_pages_users_by_50_and_reads_can_login(sim):
    # HelloID import.ps1: GET users?pageSize=50&page=N until an empty page; reads CanLogin,
    # UserName, CWGuid, FirstName, LastName, Email
    for n in range(51):
        seed_user(sim, Email=f"u{n}@firm.example")
    pages = []
    for page in (1, 2, 3):
        pages.append(sim("GET", f"/users?pageSize=50&page={page}").json())

    assert [len(p) for p in pages] == [50, 1, 0]
    assert all({"CanLogin", "UserName", "CWGuid"} <= set(u) for u in pages[0])


def test_helloid_permission_lists_page_roles_by_50(sim):
    # HelloID permissions/groups/permissions.ps1 and permissions/roles/permissions.ps1:
    # GET roles?pageSize=50&page=N, reads Name and CWGuid
    first = sim("GET", "/roles?pageSize=50&page=1").json()

    assert COLLABORATOR in [r["Name"] for r in first] and all(r["CWGuid"] for r in first)
    assert sim("GET", "/roles?pageSize=50&page=2").json() == []


def test_helloid_permission_import_reads_firm_wide_role_ids_and_id(sim):
    # HelloID permissions/groups/import.ps1: users pages, then roles pages (its page counter
    # is not reset, so it asks for a roles page past the end); matches role.Id against
    # user.FirmWideRoleIds
    seed_user(sim)
    users = sim("GET", "/users?pageSize=50&page=1").json()

    assert all(u["FirmWideRoleIds"] == [] for u in users)
    assert sim("GET", "/roles?pageSize=50&page=2").json() == []
    assert all(isinstance(r["Id"], int) for r in sim("GET", "/roles?pageSize=50&page=1").json())


@pytest.mark.parametrize("remove", [False, True])
def test_helloid_user_role_assignment_is_a_route_part_a_does_not_have(sim, remove):
    """PATCH users/{ref}/role-assignments {roleIds, isRemove} is not in Part A (only the
    entity's role-assignments is): the simulator answers ASP.NET's route miss, a bare 404, and
    changes nothing. HelloID's groups scripts would report that as an error; its roles
    scripts treat any 404 as already done, the very trap Part A's 404 rule names."""
    # HelloID permissions/groups/grantPermission.ps1 and revokePermission.ps1
    guid = seed_user(sim)
    role = next(r["CWGuid"] for r in sim("GET", "/roles").json() if r["Name"] == COLLABORATOR)

    body = {"roleIds": [role], "isRemove": remove}
    answer = sim("PATCH", f"/users/{guid}/role-assignments", **powershell_json(body))

    assert (answer.status_code, answer.content) == (404, b"")
    assert sim.handle.state()["role_assignments"] == []


@pytest.mark.parametrize("remove", [False, True])
def test_helloid_group_user_assignment_is_a_route_part_a_does_not_have(sim, remove):
    """PATCH groups/{id}/user-assignments {isRemove, people} and GET groups are not in
    Part A: a bare 404 (route miss) and nothing changes. The lower-camel body would be read
    without regard to case if the route existed."""
    # HelloID permissions/roles/grantPermission.ps1 and revokePermission.ps1; README (groups)
    guid = seed_user(sim)

    body = {"isRemove": remove, "people": [guid]}
    answer = sim("PATCH", "/groups/1/user-assignments", **powershell_json(body))

    assert (answer.status_code, answer.content) == (404, b"")
    assert sim("GET", "/groups").status_code == 404


# Maconomy entity sync (CasewareService) ------------------------------------------------


def maconomy_url(sim, path: str) -> str:
    # Its base is https://{region}.casewarecloud.com/{firm}/ms/caseware-cloud; it adds /api/v2.
    return sim.handle.api_url.removesuffix("/api/v2") + path


def maconomy(sim, method, path, **kwargs):
    headers = {"Authorization": f"Bearer {sim.token()}", "Content-Type": "application/json"}
    return sim.session.request(
        method, maconomy_url(sim, path), headers=headers, timeout=5, **kwargs
    )


def test_maconomy_token_request_is_accepted(sim):
    # CasewareService._get_access_token: POST /api/v2/auth/token, json ClientId/ClientSecret/
    # Language, header Content-Type: application/json; reads "Token"
    answer = sim.session.post(
        maconomy_url(sim, "/api/v2/auth/token"),
        headers={"Content-Type": "application/json"},
        json={"ClientId": CLIENT_ID, "ClientSecret": CLIENT_SECRET, "Language": "en"},
        timeout=5,
    )
    assert answer.status_code == 200 and isinstance(answer.json()["Token"], str)


def test_maconomy_searches_by_entity_number_with_page_size_50(sim):
    # CasewareService._search_entity: GET /api/v2/entities, params search=EntityNo='VSKY-<n>'
    # (a quote doubled), page=1, pageSize=50; a 401 fetches a new token once
    sim.handle.seed(entities=[{"EntityNo": "VSKY-O'Neil", "Name": "O'Neil"}])
    params = {"search": "EntityNo='VSKY-O''Neil'", "page": 1, "pageSize": 50}

    answer = maconomy(sim, "GET", "/api/v2/entities", params=params)

    assert answer.status_code == 200
    assert [e["EntityNo"] for e in answer.json()] == ["VSKY-O'Neil"]


def test_maconomy_creates_an_entity_with_organization_type(sim):
    """POST /api/v2/entities as Part A, plus "OrganizationType": "Corporation", a field Part A
    does not list: the simulator, like an ASP.NET model binder, takes the call; it keeps the
    unknown field as sent (it stores what it is given), so the answer echoes it."""
    # CasewareService.create_entity
    body = {
        "Id": 0,
        "EntityNo": "VSKY-1001",
        "Name": "Job 1001",
        "OwnerType": "Client",
        "CountryCode": "US",
        "OperatingName": "Job 1001",
        "OrganizationType": "Corporation",
        "Type": "A",
    }
    answer = maconomy(sim, "POST", "/api/v2/entities", json=body)

    assert answer.status_code == 201
    entity = answer.json()
    assert isinstance(entity["CWGuid"], str) and isinstance(entity["Id"], int)
    assert entity["OrganizationType"] == "Corporation"


def test_maconomy_updates_an_entity_after_reading_it(sim):
    # CasewareService.update_entity: GET /api/v2/entities/{guid}, compares CWGuid ignoring
    # case, then PATCH {Name, OperatingName, OwnerType: Client, Type: A}
    guid = sim.handle.seed(entities=[{"EntityNo": "VSKY-1", "Name": "Old"}])["entities"][0]

    read = maconomy(sim, "GET", f"/api/v2/entities/{guid.upper()}")
    body = {"Name": "New", "OperatingName": "New", "OwnerType": "Client", "Type": "A"}
    patched = maconomy(sim, "PATCH", f"/api/v2/entities/{guid}", json=body)

    assert read.status_code == 200 and read.json()["CWGuid"].casefold() == guid.casefold()
    assert patched.status_code == 200 and patched.json()["Name"] == "New"


def test_maconomy_adds_and_changes_an_address(sim):
    """POST /api/v2/entities/{guid}/addresses with Id 0, OwnerCWGuid, OwnerId and Address3
    (not in Part A's list; stored as sent) answers a bare integer; the client then pages the
    addresses by 50 to find its CWGuid and PATCHes /entities/addresses/{guid} without owner
    fields. All accepted."""
    # CasewareService.create_entity_address, get_entity_addresses, update_entity_address
    entity = maconomy(
        sim,
        "POST",
        "/api/v2/entities",
        json={"Id": 0, "EntityNo": "VSKY-2", "Name": "n", "OwnerType": "Client", "Type": "A"},
    ).json()
    fields = {
        "Address1": "Main St 1",
        "Address2": "",
        "Address3": "",
        "AddressCategory": "Business",
        "City": "Springfield",
        "Country": "US",
        "Name": "HQ",
    }
    body = {"Id": 0, **fields, "OwnerCWGuid": entity["CWGuid"], "OwnerId": entity["Id"]}

    created = maconomy(sim, "POST", f"/api/v2/entities/{entity['CWGuid']}/addresses", json=body)
    listed = maconomy(
        sim,
        "GET",
        f"/api/v2/entities/{entity['CWGuid']}/addresses",
        params={"page": 1, "pageSize": 50},
    )
    [address] = [a for a in listed.json() if a["Id"] == created.json()]
    changed = maconomy(
        sim,
        "PATCH",
        f"/api/v2/entities/addresses/{address['CWGuid']}",
        json={**fields, "City": "Shelbyville"},
    )

    assert created.status_code == 201 and isinstance(created.json(), int)
    assert changed.status_code == 200 and changed.json()["City"] == "Shelbyville"


def test_maconomy_honours_retry_after_only_when_sent(sim):
    # CasewareService._rate_limit_delay: Retry-After as seconds or a date, else 2**n seconds
    sim.token()
    sim.handle.set_rate_limit(1, 0.5)
    maconomy(sim, "GET", "/api/v2/entities")
    limited = maconomy(sim, "GET", "/api/v2/entities")

    assert limited.status_code == 429 and "Retry-After" not in limited.headers
    assert limited.headers["x-ratelimit-replenish-rate"] == "0.5"
