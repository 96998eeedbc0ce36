"""Talking to the CaseWare Cloud simulator through Flask's test client, as caseware-cloud.md
describes the wire: raw paths and PascalCase bodies, never the adapter."""

from __future__ import annotations

from typing import Any

import requests
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from adapters.caseware_cloud.simulator import Simulator, create_app

CLIENT_ID = "unit-client"
CLIENT_SECRET = "unit-secret"


class SimApi:
    """A simulator app with helpers for raw API and control calls."""

    def __init__(self, **options: Any) -> None:
        self.sim = Simulator(CLIENT_ID, CLIENT_SECRET, **options)
        self.http: FlaskClient = create_app(self.sim).test_client()
        self.prefix = self.sim.prefix
        self._token: str | None = None

    def new_token(self) -> str:
        answer = self.http.post(
            f"{self.prefix}/auth/token",
            json={"ClientId": CLIENT_ID, "ClientSecret": CLIENT_SECRET, "Language": "en"},
        )
        assert answer.status_code == 200, answer.get_data(as_text=True)
        return answer.get_json()["Token"]

    def token(self) -> str:
        if self._token is None:
            self._token = self.new_token()
        return self._token

    def __call__(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        token: str | None = None,
        auth: bool = True,
        query: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> TestResponse:
        """One API call; authenticated with a shared token unless auth=False."""
        headers = dict(headers or {})
        if auth:
            headers["Authorization"] = f"Bearer {token or self.token()}"
        kwargs: dict[str, Any] = {"headers": headers, "query_string": query}
        if body is not None:
            kwargs["json"] = body
        return self.http.open(self.prefix + path, method=method, **kwargs)

    def control(self, method: str, path: str, body: Any = None) -> TestResponse:
        kwargs = {} if body is None else {"json": body}
        return self.http.open(f"/_sim{path}", method=method, **kwargs)

    def create_entity(self, **fields: Any) -> dict[str, Any]:
        body = {"Id": 0, "EntityNo": "1001", "Name": "Acme", "OwnerType": "Client", "Type": "A"}
        answer = self("POST", "/entities", {**body, **fields})
        assert answer.status_code == 201, answer.get_data(as_text=True)
        return answer.get_json()

    def create_user(self, **fields: Any) -> dict[str, Any]:
        body = {"OwnerType": "Contact", "FirstName": "Anna", "LastName": "Vries"}
        answer = self("POST", "/users", {**body, "Email": "anna@example.com", **fields})
        assert answer.status_code == 201, answer.get_data(as_text=True)
        return answer.get_json()

    def role(self, name: str) -> str:
        return next(r["CWGuid"] for r in self("GET", "/roles").get_json() if r["Name"] == name)

    def state(self) -> dict[str, Any]:
        return self.control("GET", "/state").get_json()


def error_message(answer: TestResponse) -> str:
    """The message of CWC's error body, checking the body's shape on the way."""
    body = answer.get_json()
    assert set(body) == {"errors"}
    [error] = body["errors"]
    assert set(error) == {"message"}
    assert isinstance(error["message"], str) and error["message"]
    return error["message"]


class SocketSim:
    """A simulator on a real socket, with one requests.Session that keeps its connection."""

    def __init__(self, **options: Any) -> None:
        from adapters.caseware_cloud.simulator import start_in_thread

        self.handle = start_in_thread(CLIENT_ID, CLIENT_SECRET, **options)
        self.session = requests.Session()
        self._token: str | None = None

    def token(self) -> str:
        if self._token is None:
            answer = self.session.post(
                f"{self.handle.api_url}/auth/token",
                json={"ClientId": CLIENT_ID, "ClientSecret": CLIENT_SECRET, "Language": "en"},
                timeout=5,
            )
            assert answer.status_code == 200, answer.text
            self._token = answer.json()["Token"]
        return self._token

    def __call__(self, method: str, path: str, body: Any = None, **kwargs: Any):
        """One API call on the shared session, with the bearer token."""
        headers = {"Authorization": f"Bearer {self.token()}", **kwargs.pop("headers", {})}
        kwargs.setdefault("timeout", 5)
        if body is not None:
            kwargs["json"] = body
        url = self.handle.api_url + path
        return self.session.request(method, url, headers=headers, **kwargs)

    def close(self) -> None:
        self.session.close()
        self.handle.stop()
