"""Generated requests for every documented operation: never a 500, always what the contract says.

Schemathesis reads the served OpenAPI document and builds requests from it, valid and invalid,
half of them aimed at a real client and contact so that they get past the 404. Hypothesis is
derandomized, so a run is repeatable: a failure here is a real one, shown with its request.
"""

import secrets
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode, checks

COMMITTED = Path(__file__).resolve().parents[2] / "openapi" / "v1.json"
OPERATIONS = [
    found.ok().label for found in schemathesis.openapi.from_path(COMMITTED).get_all_operations()
]
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]
EXAMPLES_PER_OPERATION = 30


@pytest.fixture
def fuzz_auth(make_token):
    # A name no generated DELETE /v1/tokens/{name} can guess, so the run keeps its token.
    return {"Authorization": f"Bearer {make_token('fuzz-' + secrets.token_hex(8))}"}


@pytest.fixture
def real_ids(new_client, new_contact, make_token):
    client = new_client(email="info@jansen.example")
    contact = new_contact(client["id"], email="piet@jansen.example")
    make_token("victim", ["clients:read"])
    return {"client_id": client["id"], "contact_id": contact["id"], "name": "victim"}


@pytest.mark.parametrize("label", OPERATIONS)
def test_every_operation_answers_as_documented(app, fuzz_auth, real_ids, label):
    operation = schemathesis.openapi.from_wsgi("/v1/openapi.json", app).find_operation_by_label(
        label
    )
    own_ids = {name: value for name, value in real_ids.items() if f"{{{name}}}" in label}
    cases = st.one_of(
        *(
            operation.as_strategy(mode, path_parameters=ids)
            for mode in GenerationMode
            for ids in ([None, own_ids] if own_ids else [None])
        )
    )

    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(cases)
    def answers_as_documented(case):
        case.call_and_validate(headers=fuzz_auth, checks=CHECKS)

    answers_as_documented()
