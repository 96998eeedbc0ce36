"""Helpers for the reconciliation tests: a person editing CaseWare Cloud by hand, and checks."""

import requests

from tests.api.links_support import switch

COLLABORATOR = "Contact - Entity Collaborator"


class ByHand:
    """A person at CaseWare Cloud: its public API, with an API client of their own."""

    def __init__(self, sim):
        self.base = sim.api_url
        self.session = requests.Session()
        answer = self.session.post(
            f"{self.base}/auth/token",
            json={"ClientId": sim.client_id, "ClientSecret": sim.client_secret},
            timeout=5,
        )
        answer.raise_for_status()
        self.session.headers["Authorization"] = f"Bearer {answer.json()['Token']}"
        self.state = sim.state

    def _patch(self, path: str, body: dict) -> None:
        self.session.patch(f"{self.base}/{path}", json=body, timeout=5).raise_for_status()

    def change_entity(self, guid: str, **fields) -> None:
        self._patch(f"entities/{guid}", {"OwnerType": "Client", "Type": "A", **fields})

    def rename_entity(self, guid: str, name: str) -> None:
        self.change_entity(guid, Name=name)

    def set_entity_inactive(self, guid: str) -> None:
        self._patch(f"entities/{guid}", {"OwnerType": "Client", "Type": "I"})

    def set_user_inactive(self, guid: str) -> None:
        body = {"OwnerType": "Contact", "Type": "I", "InActiveDate": "2026-11-29"}
        self._patch(f"users/{guid}", body)

    def change_user(self, guid: str, **fields) -> None:
        self._patch(f"users/{guid}", {"OwnerType": "Contact", **fields})

    def change_address(self, entity_guid: str, **fields) -> None:
        entity = next(e for e in self.state()["entities"] if e["CWGuid"] == entity_guid)
        self._patch(f"entities/addresses/{entity['addresses'][0]['CWGuid']}", fields)

    def remove_access(self, entity_guid: str, user_guid: str) -> None:
        role = next(r for r in self.state()["roles"] if r["Name"] == COLLABORATOR)
        body = {"people": [user_guid], "roleIds": [role["CWGuid"]], "isRemove": True}
        self._patch(f"entities/{entity_guid}/role-assignments", body)


def remote_id(http, auth, kind: str, record_id: int) -> str:
    response = http.get(f"/v1/{kind}s/{record_id}/links", headers=auth)
    return response.get_json()["caseware_cloud"]["sync"]["remote_id"]


def linked_firm(http, auth, new_client, new_contact):
    """Two linked clients: the first with contacts Piet and Anna, the second with Karel."""
    first = new_client("1001", "Bakkerij Jansen BV", city="Utrecht", country="NL")
    second = new_client("1002", "Van Dijk Installatie", city="Amersfoort")
    piet = new_contact(first["id"], "Jansen", first_name="Piet", email="piet@jansen.nl")
    anna = new_contact(first["id"], "Vries", first_name="Anna", email="anna@jansen.nl")
    karel = new_contact(second["id"], "Dijk", first_name="Karel", email="karel@vandijk.nl")
    for kind, record in (
        ("client", first),
        ("client", second),
        ("contact", piet),
        ("contact", anna),
        ("contact", karel),
    ):
        assert switch(http, auth, kind, record["id"], True).status_code == 200
    return first, second, piet, anna, karel


def start(http, auth, body=None, **headers):
    """POST /v1/reconciliations; returns the response."""
    return http.post("/v1/reconciliations", json=body or {}, headers={**auth, **headers})


def results(http, auth, job_id: int, **query) -> list[dict]:
    """Every result of a reconciliation, paged through."""
    items, page = [], 1
    while True:
        response = http.get(
            f"/v1/reconciliations/{job_id}/results",
            query_string={"page": page, "page_size": 100, **query},
            headers=auth,
        )
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        items += body["items"]
        if page * 100 >= body["total"]:
            return items
        page += 1


def not_in_sync(items: list[dict]) -> dict[tuple[str, int], dict]:
    """{(type, id): result} of the results that are not in_sync."""
    return {
        (item["record"]["type"], item["record"]["id"]): item
        for item in items
        if item["state"] != "in_sync"
    }
