"""A caller of the running gateway: sessions with the bench token, and the delivery queue."""

import time

import requests

from bench.dataset import Dataset


class Gateway:
    """The gateway under gunicorn, as the benchmark calls it."""

    def __init__(self, base: str, token: str):
        self.base = base
        self.headers = {"Authorization": f"Bearer {token}"}
        self.http = self.session()

    def session(self) -> requests.Session:
        """A keep-alive session with the token (one per calling thread)."""
        session = requests.Session()
        session.headers.update(self.headers)
        return session

    def get(self, path: str, **params) -> dict:
        """GET a resource; SystemExit with the answer when it is not a 200."""
        answer = self.http.get(f"{self.base}{path}", params=params, timeout=60)
        if answer.status_code != 200:
            raise SystemExit(f"GET {path} answered {answer.status_code}: {answer.text[:300]}")
        return answer.json()

    def pending(self) -> int:
        """How many deliveries wait (GET /v1/deliveries?state=pending)."""
        return self.get("/v1/deliveries", state="pending", page_size=1)["total"]

    def wait_no_pending(self, timeout: float) -> bool:
        """Wait until nothing waits to be delivered; False when `timeout` passes first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.pending() == 0:
                return True
            time.sleep(0.5)
        return False

    def supports(self, path: str, parameter: str) -> bool:
        """Whether the OpenAPI document lists this query parameter of GET `path` (a template,
        such as /v1/clients/{client_id}/contacts): an unknown one would be ignored, not refused."""
        spec = self.http.get(f"{self.base}/v1/openapi.json", timeout=60).json()
        operation = spec.get("paths", {}).get(path, {}).get("get", {})
        return any(p.get("name") == parameter for p in operation.get("parameters", []))


def check_loaded(gateway: Gateway, data: Dataset) -> None:
    """A few GETs: the loaded data reads back as linked and synced, with the seeded CWGuids."""
    cid, pid = data.linked_clients[-1], data.linked_contacts[-1]
    for path, guid in (
        (f"/v1/clients/{cid}/links", data.entity[cid]),
        (f"/v1/contacts/{pid}/links", data.user[pid]),
    ):
        link = gateway.get(path)["caseware_cloud"]
        sync = link["sync"]
        if not (link["active"] and link["eligible"] and sync["state"] == "synced"):
            raise SystemExit(f"{path} does not read back as linked and synced: {link}")
        if sync["remote_id"] != guid:
            raise SystemExit(f"{path} has remote_id {sync['remote_id']}, seeded {guid}")
    unlinked = next(c for c in range(1, data.clients + 1) if c not in data.entity)
    link = gateway.get(f"/v1/clients/{unlinked}/links")["caseware_cloud"]
    if link["active"] or link["sync"]["state"] != "off":
        raise SystemExit(f"client {unlinked} should be off: {link}")
    total = gateway.get("/v1/clients", page_size=1)["total"]
    if total != data.clients:
        raise SystemExit(f"GET /v1/clients counts {total} clients, {data.clients} were loaded")
