"""Helpers for the JWT tests: keys made on the spot, claims as AuditCase signs them, gateways."""

import base64
import hashlib
import hmac
import json
import time

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from app import create_app
from config import TestConfig
from tests.conftest import FAST_CWC

ISSUER = "https://auditcase.example/firm"
AUDIENCE = "caseware-gateway"
SECRET = "s3cret-" + "x" * 40  # 47 bytes: over the 32-byte minimum
ANNA = {
    "sub": "42",
    "name": "Anna de Vries",
    "rights": ["clients:read", "links:read", "links:write"],
}


def claims(now: float | None = None, **changes) -> dict:
    """Anna's claims, valid for an hour from `now`; a change of None drops that claim."""
    now = time.time() if now is None else now
    made = {**ANNA, "iss": ISSUER, "aud": AUDIENCE, "iat": int(now), "exp": int(now) + 3600}
    made.update(changes)
    return {k: v for k, v in made.items() if v is not None}


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


class KeyPair:
    """A private key to sign with and its public half, as PEM and as a JWK."""

    def __init__(self, private_key, algorithm: str, kid: str = "key-1") -> None:
        self.private_key, self.algorithm, self.kid = private_key, algorithm, kid
        self.public_pem = (
            private_key.public_key()
            .public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
            .decode()
        )

    def sign(self, payload: dict, **headers) -> str:
        return jwt.encode(payload, self.private_key, algorithm=self.algorithm, headers=headers)

    def jwk(self) -> dict:
        algorithm = jwt.get_algorithm_by_name(self.algorithm)
        made = json.loads(algorithm.to_jwk(self.private_key.public_key()))
        return {**made, "kid": self.kid, "use": "sig", "alg": self.algorithm}


def rsa_pair(kid: str = "rsa-1") -> KeyPair:
    return KeyPair(rsa.generate_private_key(public_exponent=65537, key_size=2048), "RS256", kid)


def ec_pair(kid: str = "ec-1") -> KeyPair:
    return KeyPair(ec.generate_private_key(ec.SECP256R1()), "ES256", kid)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hand_signed(header: dict, payload: dict, key: bytes | None) -> str:
    """A JWT put together by hand, as an attacker would: HS256 with `key`, or unsigned."""
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(payload).encode())}"
    if key is None:
        return signing_input + "."
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def jwt_settings(algorithm: str, public_key: str = "", secret: str = "") -> dict:
    return {
        "JWT_ALGORITHM": algorithm,
        "JWT_PUBLIC_KEY": public_key,
        "JWT_SECRET": secret,
        "JWT_ISSUER": ISSUER,
        "JWT_AUDIENCE": AUDIENCE,
    }


NO_JWT = dict.fromkeys(jwt_settings(""), "")


def config_for(app, **settings) -> type:
    """A TestConfig on the database and simulator of the `app` fixture, with `settings`."""
    return type(
        "Config",
        (TestConfig,),
        {
            "DATABASE_URL": app.config["DATABASE_URL"],
            "CWC_BASE_URL": app.config["CWC_BASE_URL"],
            "CWC_CLIENT_ID": app.config["CWC_CLIENT_ID"],
            "CWC_CLIENT_SECRET": app.config["CWC_CLIENT_SECRET"],
            **FAST_CWC,
            **NO_JWT,
            **settings,
        },
    )


def close(gateway) -> None:
    gateway.extensions["cwc"].close()
    gateway.extensions["db_changes"].close()
    gateway.extensions["db_engine"].dispose()
    gateway.extensions["db_reader_engine"].dispose()


def make_gateway(app, opened: list, **settings):
    gateway = create_app(config_for(app, **settings))
    opened.append(gateway)
    return gateway
