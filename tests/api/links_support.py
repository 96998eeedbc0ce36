"""Helpers for the link tests: switch a link, read what the simulator holds."""

ON = {"caseware_cloud": {"active": True}}
OFF = {"caseware_cloud": {"active": False}}


def switch(http, auth, kind: str, record_id: int, active: bool, **headers):
    """PATCH /v1/{kind}s/{id}/links; returns the response."""
    body = ON if active else OFF
    return http.patch(f"/v1/{kind}s/{record_id}/links", json=body, headers={**auth, **headers})


def link_of(http, auth, kind: str, record_id: int) -> dict:
    response = http.get(f"/v1/{kind}s/{record_id}/links", headers=auth)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["caseware_cloud"]


def history_of(http, auth, kind: str, record_id: int) -> list[dict]:
    response = http.get(f"/v1/{kind}s/{record_id}/links/history", headers=auth)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]


def entities(sim) -> list[dict]:
    return sim.state()["entities"]


def users(sim) -> list[dict]:
    return sim.state()["users"]


def assignments(sim) -> set[tuple[str, str]]:
    """(entity CWGuid, user CWGuid) pairs with the collaborator role."""
    return {
        (a["entity"], a["user"])
        for a in sim.state()["role_assignments"]
        if a["role_name"] == "Contact - Entity Collaborator"
    }
