"""A randomized soak: many link switches and data changes under injected faults, then a check
that CaseWare Cloud (the simulator) holds exactly what the gateway holds. Used by the suite at a
small size and by bench/soak.py at a larger one."""

import random
import time
from collections import Counter

OK = {200, 201, 202, 204}
EXPECTED_REFUSALS = {"not_eligible"}  # a contact whose client is off, say
FAULTS = [
    {"error_rate": 0.3, "error_status": 503},
    {"outage": True},
    {"fail_next": {"count": 3, "status": 429, "retry_after": 0}},
    {"fail_next": {"count": 2, "status": "reset"}},
    {"fail_after_write": {"count": 1, "status": 500, "method": "POST"}},
]


class Soak:
    """Drives the gateway through its HTTP interface; `http` is a Flask test client."""

    def __init__(self, app, http, auth, sim, seed: int):
        self.app, self.http, self.auth, self.sim = app, http, auth, sim
        self.rng = random.Random(seed)
        self.clients: list[int] = []
        self.contacts: dict[int, int] = {}  # contact id -> client id
        self.statuses: Counter = Counter()
        self._serial = 0

    def _call(self, method: str, url: str, body=None):
        response = self.http.open(url, method=method, json=body, headers=self.auth)
        self.statuses[response.status_code] += 1
        if response.status_code not in OK:
            code = (response.get_json(silent=True) or {}).get("code")
            answer = (method, url, body, response.status_code, response.get_data(as_text=True))
            assert response.status_code == 422 and code in EXPECTED_REFUSALS, answer
        return response

    def _new_contact(self, client_id: int) -> None:
        self._serial += 1
        body = {"last_name": f"Contact {self._serial}", "email": f"c{self._serial}@soak.example"}
        contact = self._call("POST", f"/v1/clients/{client_id}/contacts", body).get_json()
        self.contacts[contact["id"]] = client_id

    def setup(self, clients: int = 4, contacts_each: int = 3) -> None:
        for n in range(clients):
            body = {"number": f"S{n}", "name": f"Soak {n}", "city": "Utrecht", "country": "NL"}
            client_id = self._call("POST", "/v1/clients", body).get_json()["id"]
            self.clients.append(client_id)
            for _ in range(contacts_each):
                self._new_contact(client_id)

    def step(self) -> None:
        rng, roll = self.rng, self.rng.random()
        client_id = rng.choice(self.clients)
        mine = [c for c, owner in self.contacts.items() if owner == client_id]
        if roll < 0.08:
            self.sim.clear_faults()
            if rng.random() < 0.6:
                self.sim.set_faults(**rng.choice(FAULTS))
        elif roll < 0.25:
            on = rng.random() < 0.7
            self._call(
                "PATCH", f"/v1/clients/{client_id}/links", {"caseware_cloud": {"active": on}}
            )
        elif roll < 0.45 and mine:
            on = rng.random() < 0.7
            self._call(
                "PATCH",
                f"/v1/contacts/{rng.choice(mine)}/links",
                {"caseware_cloud": {"active": on}},
            )
        elif roll < 0.65:
            body = rng.choice([
                {"city": f"Stad {rng.randrange(99)}"},
                {"name": f"Naam {rng.randrange(99)}"},
                {"phone": f"030-{rng.randrange(9999)}"},
                {"status": rng.choice(["active", "suspect"])},
            ])  # fmt: skip
            self._call("PATCH", f"/v1/clients/{client_id}", body)
        elif roll < 0.8 and mine:
            body = rng.choice(
                [
                    {"mobile": f"06-{rng.randrange(9999)}"},
                    {"first_name": f"Voor{rng.randrange(99)}"},
                ]
            )
            self._call("PATCH", f"/v1/contacts/{rng.choice(mine)}", body)
        elif roll < 0.86 and mine:
            gone = rng.choice(mine)
            self._call("DELETE", f"/v1/contacts/{gone}")
            del self.contacts[gone]
            self._new_contact(client_id)
        elif roll < 0.95:
            self.app.extensions["courier"].run_due()
        else:
            self.sim.advance_clock(0)  # a no-op call to the simulator's control side

    def settle(self, deadline_seconds: float = 60) -> None:
        """Faults off; deliver until nothing waits (the circuit may need its pause first)."""
        self.sim.clear_faults()
        self.sim.accept_connections()
        deadline = time.monotonic() + deadline_seconds
        while True:
            self.app.extensions["courier"].run_due()
            left = self.http.get("/v1/deliveries?state=pending", headers=self.auth).get_json()[
                "total"
            ]
            if left == 0:
                return
            assert time.monotonic() < deadline, f"{left} deliveries still pending"
            time.sleep(0.05)
            self._make_pending_due()

    def _make_pending_due(self) -> None:
        items = self.http.get(
            "/v1/deliveries?state=pending&page_size=100", headers=self.auth
        ).get_json()["items"]
        for delivery in items:
            self.http.post(f"/v1/deliveries/{delivery['id']}/retry", headers=self.auth)

    # ----- the comparison -------------------------------------------------------------------

    def _get(self, url: str) -> dict:
        return self.http.get(url, headers=self.auth).get_json()

    def compare(self) -> dict:
        """Assert both sides agree; returns a few counts for the report."""
        state = self.sim.state()
        entities = {e["CWGuid"]: e for e in state["entities"]}
        users = {u["CWGuid"]: u for u in state["users"]}
        granted = {(a["entity"], a["user"]) for a in state["role_assignments"]}
        numbers = Counter(e["EntityNo"] for e in entities.values())
        assert max(numbers.values(), default=1) == 1, f"duplicate entities: {numbers}"
        emails = Counter(u["Email"].lower() for u in users.values())
        assert max(emails.values(), default=1) == 1, f"duplicate users: {emails}"
        failed = self._get("/v1/deliveries?state=failed")["total"]
        assert failed == 0, self._get("/v1/deliveries?state=failed")
        linked = 0
        for client_id in self.clients:
            client = self._get(f"/v1/clients/{client_id}")
            link = self._get(f"/v1/clients/{client_id}/links")["caseware_cloud"]
            assert link["sync"]["state"] in ("synced", "off"), link
            entity = entities.get(link["sync"]["remote_id"])
            if link["active"]:
                linked += 1
                assert entity and entity["Type"] == "A", (client, entity)
                assert (entity["Name"], entity["EntityNo"], entity["Phone"]) == (
                    client["name"], client["number"], client["phone"])  # fmt: skip
                assert entity["addresses"][0]["City"] == client["city"]
            elif entity is not None:
                assert entity["Type"] == "I", (client, entity)
        for contact_id, client_id in self.contacts.items():
            contact = self._get(f"/v1/contacts/{contact_id}")
            link = self._get(f"/v1/contacts/{contact_id}/links")["caseware_cloud"]
            entity_guid = self._get(f"/v1/clients/{client_id}/links")["caseware_cloud"]["sync"][
                "remote_id"
            ]
            user = users.get(link["sync"]["remote_id"])
            assert link["sync"]["state"] in ("synced", "off"), link
            if link["active"]:
                assert user and user["Type"] == "A" and (entity_guid, user["CWGuid"]) in granted
                assert (user["Email"], user["MobilePhone"], user["FirstName"]) == (
                    contact["email"], contact["mobile"], contact["first_name"])  # fmt: skip
            elif user is not None:
                assert (entity_guid, user["CWGuid"]) not in granted
        struck = sum(1 for c in self.sim.calls() if c.get("reset") or c["status"] >= 429)
        active_users = {u for (_e, u) in granted}
        assert all(users[u]["Type"] == "A" for u in active_users)
        return {"entities": len(entities), "users": len(users), "linked_clients": linked,
                "faults_struck": struck, "statuses": dict(self.statuses)}  # fmt: skip
