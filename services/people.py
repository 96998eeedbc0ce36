"""People behind the AuditCase frontend: the JWTs AuditCase signs for a logged-in person.

Read once at start from JWT_ALGORITHM, JWT_PUBLIC_KEY (a PEM, `@path` to a PEM, or a JWKS) or
JWT_SECRET, JWT_ISSUER and JWT_AUDIENCE. Only the configured algorithm is ever accepted, so a
token cannot choose how it is checked (no `alg: none`, no HS256 signed with the public key)."""

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from domain import rights as r
from domain.rights import Actor

ALGORITHMS = ("RS256", "ES256", "HS256")
CLOCK_SKEW = timedelta(seconds=60)
REQUIRED_CLAIMS = ("sub", "name", "rights", "iss", "aud", "exp", "iat")
MIN_SECRET_BYTES = 32
# A JWT is a few hundred bytes; a much longer value is refused before it is parsed.
MAX_JWT_CHARS = 8192
# `name` lands in changed_by and the history's actor (64 characters); `sub` scopes
# idempotency keys as "jwt:<sub>" in a 64-character column and is written to the logs.
MAX_NAME_CHARS = 64
MAX_SUBJECT_CHARS = 60
_PRINTABLE = re.compile(r"^[^\x00-\x1f\x7f]+$")  # no line breaks to forge log lines with

# Why a JWT was refused, in words safe to show the caller and to log (never the token).
_REASONS = {
    jwt.ExpiredSignatureError: "it has expired",
    jwt.ImmatureSignatureError: "it is not valid yet",
    jwt.InvalidAudienceError: "it is for another audience",
    jwt.InvalidIssuerError: "it is from another issuer",
    jwt.InvalidAlgorithmError: "it is not signed with the configured algorithm",
    jwt.InvalidSignatureError: "its signature does not verify",
}


class JwtSettingsError(RuntimeError):
    """The JWT settings contradict each other or name an unusable key; the app does not start."""


class InvalidJwt(Exception):
    """The bearer value is not a JWT this gateway accepts; `reason` is safe to show and log."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class JwtSettings:
    """How people's JWTs are checked: one algorithm, its key(s), the issuer and audience."""

    algorithm: str
    keys: tuple  # verification keys: one, or a JWKS's usable ones (jwt.PyJWK)
    issuer: str
    audience: str
    secret: str | None = None  # HS256 only; never logged or shown


def settings_from_config(config) -> JwtSettings | None:
    """The JWT settings of `config`, None when there are none; JwtSettingsError when unusable."""
    algorithm = (config.get("JWT_ALGORITHM") or "").strip()
    public_key = (config.get("JWT_PUBLIC_KEY") or "").strip()
    secret = config.get("JWT_SECRET") or ""
    issuer = (config.get("JWT_ISSUER") or "").strip()
    audience = (config.get("JWT_AUDIENCE") or "").strip()
    if not any((algorithm, public_key, secret, issuer, audience)):
        return None
    if algorithm not in ALGORITHMS:
        raise JwtSettingsError(f"JWT_ALGORITHM must be one of {', '.join(ALGORITHMS)}")
    if public_key and secret:
        raise JwtSettingsError("set JWT_PUBLIC_KEY or JWT_SECRET, not both")
    if not issuer or not audience:
        raise JwtSettingsError("JWT_ISSUER and JWT_AUDIENCE are required with JWT_ALGORITHM")
    if algorithm == "HS256":
        if not secret:
            raise JwtSettingsError("JWT_ALGORITHM=HS256 needs JWT_SECRET")
        if len(secret.encode()) < MIN_SECRET_BYTES:
            raise JwtSettingsError(f"JWT_SECRET must be at least {MIN_SECRET_BYTES} bytes long")
        return JwtSettings(algorithm, (secret,), issuer, audience, secret)
    if not public_key:
        raise JwtSettingsError(f"JWT_ALGORITHM={algorithm} needs JWT_PUBLIC_KEY")
    return JwtSettings(algorithm, _public_keys(algorithm, public_key), issuer, audience)


def _public_keys(algorithm: str, value: str) -> tuple:
    text = _read(value[1:]) if value.startswith("@") else value
    if text.lstrip().startswith("{"):
        return _jwks_keys(algorithm, text)
    return (_pem_key(algorithm, text),)


def _read(path: str) -> str:
    try:
        return Path(path).expanduser().read_text(encoding="utf-8")
    except (OSError, UnicodeError) as error:
        raise JwtSettingsError(f"JWT_PUBLIC_KEY: cannot read {path}: {error}") from None


def _pem_key(algorithm: str, text: str):
    if "PRIVATE KEY" in text:
        raise JwtSettingsError("JWT_PUBLIC_KEY holds a private key; give the public key only")
    try:
        key = load_pem_public_key(text.encode())
    except ValueError:
        raise JwtSettingsError("JWT_PUBLIC_KEY is not a PEM public key or JWKS") from None
    return _checked(algorithm, key)


def _checked(algorithm: str, key):
    """`key` if it suits `algorithm` (RSA for RS256, P-256 for ES256, 2048 bits at least)."""
    verifier = jwt.get_algorithm_by_name(algorithm)
    try:
        key = verifier.prepare_key(key)
    except (jwt.PyJWTError, TypeError, ValueError):
        raise JwtSettingsError(f"JWT_PUBLIC_KEY is not a key for {algorithm}") from None
    weakness = verifier.check_key_length(key)
    if weakness:
        raise JwtSettingsError(f"JWT_PUBLIC_KEY: {weakness}")
    return key


def _jwks_keys(algorithm: str, text: str) -> tuple:
    try:
        entries = json.loads(text)["keys"]
        entries = [e for e in entries if isinstance(e, dict)]
    except (ValueError, KeyError, TypeError):
        raise JwtSettingsError('JWT_PUBLIC_KEY is not a JWKS ({"keys": [...]})') from None
    if any("d" in e or "k" in e for e in entries):
        raise JwtSettingsError("the JWKS holds private or secret keys; give public keys only")
    keys = []
    for entry in entries:
        if entry.get("use", "sig") != "sig" or entry.get("alg", algorithm) != algorithm:
            continue
        try:
            keys.append(jwt.PyJWK(entry, algorithm))
        except jwt.PyJWTError:
            continue  # another key type (an RSA key beside the EC one): not for us
    if not keys:
        raise JwtSettingsError(f"the JWKS in JWT_PUBLIC_KEY has no {algorithm} signing key")
    for key in keys:
        _checked(algorithm, key.key)
    return tuple(keys)


def authenticate(settings: JwtSettings, token: str) -> Actor:
    """The person `token` speaks for; InvalidJwt when it is not one this gateway accepts."""
    if len(token) > MAX_JWT_CHARS:
        raise InvalidJwt("it is too long")
    try:
        claims = jwt.decode(
            token,
            _key_for(settings, token),
            algorithms=[settings.algorithm],
            issuer=settings.issuer,
            audience=settings.audience,
            leeway=CLOCK_SKEW,
            options={"require": list(REQUIRED_CLAIMS), "enforce_minimum_key_length": True},
        )
    except jwt.PyJWTError as error:
        if isinstance(error, jwt.MissingRequiredClaimError):
            raise InvalidJwt(f"the {error.claim} claim is missing") from None
        reason = next((why for kind, why in _REASONS.items() if isinstance(error, kind)), None)
        raise InvalidJwt(reason or "it is not a well-formed JWT") from None
    return _person(claims)


def _key_for(settings: JwtSettings, token: str):
    if len(settings.keys) == 1:
        return settings.keys[0]
    kid = jwt.get_unverified_header(token).get("kid")
    for key in settings.keys:
        if key.key_id == kid:
            return key
    raise InvalidJwt("its key id (kid) is not in the JWKS")


def _person(claims: dict) -> Actor:
    subject, name, rights = claims["sub"], claims["name"], claims["rights"]
    if not _text(subject, MAX_SUBJECT_CHARS):
        raise InvalidJwt(f"sub must be 1 to {MAX_SUBJECT_CHARS} printable characters")
    if not _text(name, MAX_NAME_CHARS):
        raise InvalidJwt(f"name must be 1 to {MAX_NAME_CHARS} printable characters")
    if not isinstance(rights, list) or not all(isinstance(right, str) for right in rights):
        raise InvalidJwt("rights must be a list of right names")
    if r.unknown_rights(rights):
        raise InvalidJwt(f"rights may only name {', '.join(r.ALL_RIGHTS)}")
    return Actor(name, frozenset(rights), subject=subject)


def _text(value, longest: int) -> bool:
    return isinstance(value, str) and len(value) <= longest and bool(_PRINTABLE.match(value))


def issue_for_testing(
    settings: JwtSettings | None, subject: str, name: str, rights: list[str], minutes: int
) -> str:
    """A JWT as AuditCase would sign it, for local testing: only with HS256 and JWT_SECRET."""
    if settings is None or settings.secret is None:
        raise JwtSettingsError(
            "issuing a JWT needs JWT_ALGORITHM=HS256, JWT_SECRET, JWT_ISSUER and JWT_AUDIENCE"
        )
    now = datetime.now(UTC)
    claims = {
        "sub": subject,
        "name": name,
        "rights": rights,
        "iss": settings.issuer,
        "aud": settings.audience,
        "iat": now,
        "exp": now + timedelta(minutes=minutes),
    }
    _person(claims)  # the gateway's own checks, so that a bad name fails here, not there
    return jwt.encode(claims, settings.secret, algorithm="HS256")
