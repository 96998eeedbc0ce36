"""People's JWTs (api.md, "People as well as integrations"): AuditCase signs for a logged-in
person; the gateway accepts only what its own settings allow, and names that person in the
link history."""

import json
import logging
import time

import pytest
from cryptography.hazmat.primitives import serialization

from services.people import REQUIRED_CLAIMS, JwtSettingsError
from tests.api.jwt_support import (
    ANNA,
    SECRET,
    bearer,
    claims,
    close,
    ec_pair,
    hand_signed,
    jwt_settings,
    make_gateway,
    rsa_pair,
)
from tests.api.links_support import history_of, switch

INVALID_TOKEN = 'Bearer error="invalid_token"'


@pytest.fixture(scope="module")
def rsa_key():
    return rsa_pair()


@pytest.fixture(scope="module")
def ec_key():
    return ec_pair()


@pytest.fixture
def gateway(app):
    """gateway(**settings) -> another app on the same database, with those JWT settings."""
    opened = []
    yield lambda **settings: make_gateway(app, opened, **settings)
    for made in opened:
        close(made)


@pytest.fixture
def rs256(gateway, rsa_key):
    """The test client of a gateway that takes RS256 JWTs signed with `rsa_key`."""
    return gateway(**jwt_settings("RS256", public_key=rsa_key.public_pem)).test_client()


def refused(response, problem):
    body = problem(response, 401)
    assert response.headers["WWW-Authenticate"] == INVALID_TOKEN
    return body


# What a person sees -------------------------------------------------------------------------


def test_a_switch_made_with_a_jwt_names_the_person_in_changed_by_and_history(
    rs256, rsa_key, new_client, http, auth
):
    client = new_client()

    response = switch(rs256, bearer(rsa_key.sign(claims())), "client", client["id"], True)

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["caseware_cloud"]["changed_by"] == "Anna de Vries"
    [entry] = history_of(http, auth, "client", client["id"])
    assert entry["actor"] == "Anna de Vries"


def test_a_jwt_without_links_write_is_forbidden_to_switch(rs256, rsa_key, new_client, problem):
    client = new_client()
    token = rsa_key.sign(claims(rights=["links:read"]))

    response = switch(rs256, bearer(token), "client", client["id"], True)

    assert problem(response, 403, "forbidden")["required_right"] == "links:write"
    assert rs256.get(f"/v1/clients/{client['id']}/links", headers=bearer(token)).status_code == 200


@pytest.mark.parametrize("kind", ["RS256", "ES256"])
def test_a_public_key_as_pem_as_at_path_and_as_jwks_file(kind, gateway, rsa_key, ec_key, tmp_path):
    key = rsa_key if kind == "RS256" else ec_key
    other = rsa_pair("rsa-2") if kind == "RS256" else ec_pair("ec-2")
    pem_file = tmp_path / "auditcase.pem"
    pem_file.write_text(key.public_pem)
    jwks_file = tmp_path / "auditcase.jwks"
    jwks_file.write_text(f'{{"keys": [{json.dumps(other.jwk())}, {json.dumps(key.jwk())}]}}')

    for public_key in (key.public_pem, f"@{pem_file}", f"@{jwks_file}"):
        http = gateway(**jwt_settings(kind, public_key=public_key)).test_client()
        token = key.sign(claims(), kid=key.kid)
        assert http.get("/v1/clients", headers=bearer(token)).status_code == 200, public_key


def test_hs256_with_a_shared_secret_is_accepted(gateway):
    http = gateway(**jwt_settings("HS256", secret=SECRET)).test_client()
    token = hand_signed({"alg": "HS256", "typ": "JWT"}, claims(), SECRET.encode())

    assert http.get("/v1/clients", headers=bearer(token)).status_code == 200


def test_a_key_of_the_jwks_is_found_by_kid_and_an_unknown_kid_is_refused(
    gateway, rsa_key, tmp_path, problem
):
    other = rsa_pair("rsa-2")
    jwks_file = tmp_path / "auditcase.jwks"
    jwks_file.write_text(f'{{"keys": [{json.dumps(rsa_key.jwk())}, {json.dumps(other.jwk())}]}}')
    http = gateway(**jwt_settings("RS256", public_key=f"@{jwks_file}")).test_client()

    assert (
        http.get("/v1/clients", headers=bearer(other.sign(claims(), kid="rsa-2"))).status_code
        == 200
    )
    response = http.get("/v1/clients", headers=bearer(other.sign(claims(), kid="rsa-9")))
    assert "kid" in refused(response, problem)["detail"]


def test_within_the_60_seconds_of_clock_skew_a_jwt_is_accepted(rs256, rsa_key):
    now = time.time()
    for late_or_early in (
        claims(exp=int(now) - 45),
        claims(nbf=int(now) + 45),
        claims(iat=int(now) + 45),
    ):
        response = rs256.get("/v1/clients", headers=bearer(rsa_key.sign(late_or_early)))
        assert response.status_code == 200, (late_or_early, response.get_json())


def test_the_person_sub_is_logged_and_the_jwt_never(rs256, rsa_key, caplog):
    token = rsa_key.sign(claims())
    with caplog.at_level(logging.INFO):
        assert rs256.get("/v1/clients", headers=bearer(token)).status_code == 200
        rs256.get("/v1/clients", headers=bearer(rsa_key.sign(claims(aud="someone-else"))))

    assert "sub=42" in caplog.text
    assert token not in caplog.text and token.split(".")[2] not in caplog.text


def test_two_people_of_one_name_keep_their_own_idempotency_keys(rs256, rsa_key):
    key = {"Idempotency-Key": "new-client-1"}
    first = bearer(rsa_key.sign(claims(sub="1", name="Jan Jansen", rights=["clients:write"])))
    second = bearer(rsa_key.sign(claims(sub="2", name="Jan Jansen", rights=["clients:write"])))

    one = rs256.post("/v1/clients", json={"number": "1", "name": "A"}, headers={**first, **key})
    two = rs256.post("/v1/clients", json={"number": "2", "name": "B"}, headers={**second, **key})

    assert (one.status_code, two.status_code) == (201, 201), two.get_json()
    assert two.get_json()["number"] == "2" and "Idempotent-Replayed" not in two.headers


# What is refused ----------------------------------------------------------------------------


def test_a_bad_signature_is_refused(rs256, problem):
    forged = rsa_pair().sign(claims())  # right shape, another key

    refused(rs256.get("/v1/clients", headers=bearer(forged)), problem)


def test_alg_none_is_refused(rs256, problem):
    unsigned = hand_signed({"alg": "none", "typ": "JWT"}, claims(), None)

    body = refused(rs256.get("/v1/clients", headers=bearer(unsigned)), problem)
    assert "algorithm" in body["detail"]


def test_another_algorithm_than_the_configured_one_is_refused(rs256, ec_key, problem):
    refused(rs256.get("/v1/clients", headers=bearer(ec_key.sign(claims()))), problem)


def test_hs256_signed_with_the_public_key_is_refused(rs256, rsa_key, problem):
    """Key confusion: the public PEM is no secret; an HS256 signature with it proves nothing."""
    header = {"alg": "HS256", "typ": "JWT"}
    confused = hand_signed(header, claims(rights=["admin"]), rsa_key.public_pem.encode())

    body = refused(rs256.get("/v1/tokens", headers=bearer(confused)), problem)
    assert "algorithm" in body["detail"]


@pytest.mark.parametrize(
    "changes",
    [
        {"iss": "https://elsewhere.example"},
        {"aud": "another-service"},
        {"rights": ["links:read", "links:delete"]},
        {"rights": {"clients:read": True}},
        {"name": ""},
        {"name": "x" * 65},
        {"sub": "42\nforged log line"},
    ],
    ids=[
        "other-issuer",
        "other-audience",
        "unknown-right",
        "rights-not-a-list",
        "empty-name",
        "name-too-long",
        "sub-with-newline",
    ],
)
def test_wrong_claims_are_refused(changes, rs256, rsa_key, problem):
    token = rsa_key.sign(claims(**changes))

    refused(rs256.get("/v1/clients", headers=bearer(token)), problem)


@pytest.mark.parametrize(
    "claim, seconds_from_now",
    [("exp", -90), ("nbf", 90), ("iat", 90)],
    ids=["expired-past-skew", "nbf-past-skew", "iat-past-skew"],
)
def test_times_past_the_60_seconds_of_skew_are_refused(
    claim, seconds_from_now, rs256, rsa_key, problem
):
    token = rsa_key.sign(claims(**{claim: int(time.time()) + seconds_from_now}))

    refused(rs256.get("/v1/clients", headers=bearer(token)), problem)


@pytest.mark.parametrize("claim", REQUIRED_CLAIMS)
def test_each_required_claim_missing_is_refused(claim, rs256, rsa_key, problem):
    token = rsa_key.sign(claims(**{claim: None}))

    refused(rs256.get("/v1/clients", headers=bearer(token)), problem)


@pytest.mark.parametrize("value", ["not-a-jwt", "a.b.c", "eyJ.eyJ.x", "e" * 20_000])
def test_garbage_in_place_of_a_jwt_is_refused(value, rs256, problem):
    refused(rs256.get("/v1/clients", headers=bearer(value)), problem)


def test_without_jwt_settings_a_valid_jwt_is_refused(gateway, problem):
    http = gateway().test_client()
    token = hand_signed({"alg": "HS256", "typ": "JWT"}, claims(), SECRET.encode())

    refused(http.get("/v1/clients", headers=bearer(token)), problem)


# Settings and the command line ------------------------------------------------------------


@pytest.mark.parametrize(
    "settings",
    [
        jwt_settings("RS256"),
        jwt_settings("HS256"),
        jwt_settings("RS256", public_key="-----BEGIN PUBLIC KEY-----", secret=SECRET),
        jwt_settings("HS256", secret="too-short-a-secret"),
        jwt_settings("PS256", secret=SECRET),
        {**jwt_settings("HS256", secret=SECRET), "JWT_AUDIENCE": ""},
        jwt_settings("RS256", public_key="@/nonexistent/auditcase.pem"),
    ],
    ids=["rs256-no-key", "hs256-no-secret", "key-and-secret", "short", "alg", "no-aud", "path"],
)
def test_unusable_settings_stop_the_app_with_a_message_that_keeps_the_secret(settings, gateway):
    with pytest.raises(JwtSettingsError) as stopped:
        gateway(**settings)

    message = str(stopped.value)
    assert "JWT_" in message
    assert not settings["JWT_SECRET"] or settings["JWT_SECRET"] not in message


def test_a_private_key_in_place_of_the_public_one_stops_the_app(gateway, rsa_key):
    private_pem = rsa_key.private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()

    with pytest.raises(JwtSettingsError, match="private key"):
        gateway(**jwt_settings("RS256", public_key=private_pem))


def test_the_cli_prints_a_jwt_the_gateway_accepts(gateway, new_client):
    app = gateway(**jwt_settings("HS256", secret=SECRET))
    client = new_client()
    args = ["jwt", "issue", "--sub", "42", "--name", "Anna de Vries", "--minutes", "5"]

    printed = app.test_cli_runner().invoke(args=[*args, "--rights", "links:read,links:write"])

    assert printed.exit_code == 0, printed.output
    token = printed.output.strip()
    assert SECRET not in printed.output
    http = app.test_client()
    response = switch(http, bearer(token), "client", client["id"], True)
    assert response.get_json()["caseware_cloud"]["changed_by"] == ANNA["name"]


def test_the_cli_refuses_to_issue_without_an_hs256_secret(gateway, rsa_key):
    for app in (gateway(), gateway(**jwt_settings("RS256", public_key=rsa_key.public_pem))):
        args = ["jwt", "issue", "--sub", "42", "--name", "Anna", "--rights", "links:read"]

        printed = app.test_cli_runner().invoke(args=args)

        assert printed.exit_code != 0
        assert "JWT_ALGORITHM=HS256" in printed.output
