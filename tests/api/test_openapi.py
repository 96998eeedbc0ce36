"""The committed openapi/v1.json is the served document; Swagger UI needs nothing outside."""

import json
import re
from pathlib import Path

import pytest

COMMITTED = Path(__file__).resolve().parents[2] / "openapi" / "v1.json"


@pytest.fixture
def served(http):
    response = http.get("/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def test_committed_spec_matches_the_served_one(served):
    committed = json.loads(COMMITTED.read_text())
    assert committed == served, "openapi/v1.json is stale: run `make openapi` and commit it"


def test_every_v1_path_and_the_bearer_scheme_are_documented(served):
    assert {
        "/v1/clients",
        "/v1/clients/{client_id}",
        "/v1/clients/{client_id}/contacts",
        "/v1/contacts/{contact_id}",
        "/v1/tokens",
        "/v1/tokens/{name}",
    } <= set(served["paths"])
    assert served["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "A gateway token, or a JWT AuditCase signs for a logged-in person",
    }
    assert served["security"] == [{"bearerAuth": []}]


def test_every_v1_operation_documents_401_403_and_problem_json(served):
    for path, item in served["paths"].items():
        if not path.startswith("/v1/"):
            continue
        for method, operation in item.items():
            if method == "parameters":
                continue
            assert {"401", "403"} <= set(operation["responses"]), (method, path)
    not_found = served["components"]["responses"]["NOT_FOUND"]
    assert "application/problem+json" in not_found["content"]


def _constrained_without_example(node, where=""):
    """Where a value has a pattern but no example (Swagger UI would invent a random one)."""
    if isinstance(node, dict):
        if "pattern" in node and "example" not in node:
            yield where
        for key, value in node.items():
            yield from _constrained_without_example(value, f"{where}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _constrained_without_example(value, f"{where}/{index}")


def test_every_patterned_body_field_has_an_example_for_swagger_ui(served):
    # Swagger UI fills example bodies from these; query parameters it leaves empty, as it should.
    assert list(_constrained_without_example(served["components"]["schemas"])) == []
    client = served["components"]["schemas"]["ClientCreate"]["properties"]
    assert (client["name"]["example"], client["city"]["example"]) == (
        "De Vries Schilders B.V.",
        "Utrecht",
    )


def test_swagger_ui_is_served_without_any_outside_address(http):
    page = http.get("/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets and all(a.startswith("/docs/assets/") for a in assets), assets
    for asset in assets:
        response = http.get(asset)
        assert response.status_code == 200, asset
        assert len(response.data) > 100
        response.close()
    assert "/v1/openapi.json" in html


def test_problem_examples_are_what_the_gateway_answers(served, http, make_token, new_client):
    examples = {
        name: response["content"]["application/problem+json"]["example"]
        for name, response in served["components"]["responses"].items()
        if "application/problem+json" in response.get("content", {})
    }
    for name, example in examples.items():
        if name != "DEFAULT_ERROR":
            assert example["title"].upper().replace(" ", "_") == name
    reader = {"Authorization": f"Bearer {make_token('reader', ['links:read'])}"}
    client = new_client()

    answer = http.patch(
        f"/v1/clients/{client['id']}/links",
        json={"caseware_cloud": {"active": True}},
        headers=reader,
    )

    assert answer.status_code == 403
    assert answer.get_json() == examples["FORBIDDEN"]
