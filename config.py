"""Configuration read once from the environment, with a subclass for tests."""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def _float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def _list(name: str) -> list[str]:
    """A comma-separated setting, empty items dropped."""
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


class Config:
    """Settings for a running gateway; every variable is listed in .env.example."""

    # Where the data lives: a SQLite file under var/ unless DATABASE_URL names another database.
    DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{ROOT / 'var' / 'gateway.db'}"
    # Requests over this size are refused with 413 before they are read.
    MAX_CONTENT_LENGTH = _int("MAX_BODY_BYTES", 1024 * 1024)
    # Idempotency keys are remembered at least this long.
    IDEMPOTENCY_TTL_SECONDS = _int("IDEMPOTENCY_TTL_SECONDS", 24 * 3600)
    # A key whose first request has not finished after this long is taken as abandoned.
    IDEMPOTENCY_LOCK_SECONDS = _int("IDEMPOTENCY_LOCK_SECONDS", 120)
    # last_used_at of a token is written at most this often, to keep reads free of writes.
    TOKEN_TOUCH_SECONDS = _int("TOKEN_TOUCH_SECONDS", 60)
    LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
    # How log lines look on stdout: "json" (one object per line), "plain" (readable text), or
    # "auto": plain when stdout is a terminal (make run), JSON otherwise.
    LOG_FORMAT = os.environ.get("LOG_FORMAT", "auto")
    # People's JWTs, signed by AuditCase (services/people.py): none of these set, JWTs are
    # refused. RS256 and ES256 take JWT_PUBLIC_KEY (a PEM or JWKS, or @path to one); HS256
    # takes JWT_SECRET (32 bytes at least).
    JWT_ALGORITHM = os.environ.get("JWT_ALGORITHM", "")
    JWT_PUBLIC_KEY = os.environ.get("JWT_PUBLIC_KEY", "")
    JWT_SECRET = os.environ.get("JWT_SECRET", "")
    JWT_ISSUER = os.environ.get("JWT_ISSUER", "")
    JWT_AUDIENCE = os.environ.get("JWT_AUDIENCE", "")
    # Proxies in front of gunicorn (nginx: 1) whose X-Forwarded-For and X-Forwarded-Proto are
    # believed; with 0 those headers are ignored and the client is the socket's peer.
    TRUSTED_PROXIES = _int("TRUSTED_PROXIES", 0)
    # Rate limits, in flask-limiter's notation ("120/minute", "10/second;1000/hour"): reads
    # (GET, HEAD) and writes per caller (a token's name or a person's JWT sub), and failed
    # authentications per client address.
    RATE_LIMIT_READS = os.environ.get("RATE_LIMIT_READS", "1200/minute")
    RATE_LIMIT_WRITES = os.environ.get("RATE_LIMIT_WRITES", "120/minute")
    RATE_LIMIT_AUTH_FAILURES = os.environ.get("RATE_LIMIT_AUTH_FAILURES", "20/minute")
    # Where the counts live: Redis, shared by every worker and machine (redis://host:6379/0);
    # unset, each process counts alone in its memory.
    REDIS_URL = os.environ.get("REDIS_URL") or None
    # Before every key in Redis: two gateways sharing one Redis keep their counts apart.
    RATE_LIMIT_KEY_PREFIX = os.environ.get("RATE_LIMIT_KEY_PREFIX", "gateway-rate-limits")
    # Origins whose browser scripts may call /v1 (the AuditCase frontend), exactly as the
    # browser sends them: "https://auditcase.example.nl". None by default: no CORS at all.
    CORS_ORIGINS = _list("CORS_ORIGINS")
    SQLITE_BUSY_TIMEOUT_SECONDS = _float("SQLITE_BUSY_TIMEOUT_SECONDS", 30.0)

    # Durable delivery: a claimed change is another worker's to take after the lease; retries
    # back off exponentially with full jitter; a request waits this long for an older change
    # of the same client that is in flight elsewhere before it answers 202. The lease also
    # holds a reconciliation for the process checking it (renewed with every record).
    DELIVERY_LEASE_SECONDS = _float("DELIVERY_LEASE_SECONDS", 120.0)
    DELIVERY_BACKOFF_BASE = _float("DELIVERY_BACKOFF_BASE", 1.0)
    DELIVERY_BACKOFF_CAP = _float("DELIVERY_BACKOFF_CAP", 300.0)
    DELIVERY_WAIT_SECONDS = _float("DELIVERY_WAIT_SECONDS", 5.0)
    # Request threads of one process that may wait on CaseWare Cloud at once; a request past
    # that answers 202 at once and leaves its change to the courier. One gunicorn thread less
    # than GATEWAY_THREADS, so that a slow CaseWare Cloud never takes the last thread from
    # /healthz and the reads.
    DELIVERY_REQUEST_SLOTS = _int("DELIVERY_REQUEST_SLOTS", max(_int("GATEWAY_THREADS", 8) - 1, 1))
    # How long a request waits for one of those slots before it answers 202 (seconds).
    DELIVERY_SLOT_WAIT_SECONDS = _float("DELIVERY_SLOT_WAIT_SECONDS", 0.1)
    # The last thread delivers too, but only what CaseWare Cloud answers within this time
    # (seconds; 0: never), so that /healthz waits no longer than that on it.
    DELIVERY_SPARE_WAIT_SECONDS = _float("DELIVERY_SPARE_WAIT_SECONDS", 0.5)
    # How often the in-process courier looks for due deliveries; 0 turns it off (then run
    # `flask --app app worker` elsewhere).
    DELIVERY_POLL_SECONDS = _float("DELIVERY_POLL_SECONDS", 1.0)
    # Courier threads per process: each delivers for another client at the same time.
    DELIVERY_COURIER_THREADS = _int("DELIVERY_COURIER_THREADS", 4)
    # The unlink guard (api.md): past this many withdrawals (a contact's access, a client's
    # entity) within the window, further ones are held until an admin releases them; 0 turns
    # the guard off. The window in seconds (one hour).
    UNLINK_GUARD_LIMIT = _int("UNLINK_GUARD_LIMIT", 50)
    UNLINK_GUARD_WINDOW_SECONDS = _float("UNLINK_GUARD_WINDOW_SECONDS", 3600.0)
    # Link jobs run in the courier's rounds, one record at a time, in whichever process holds
    # a job's lease; a lease not renewed for this long (a process killed) is another's to take.
    # Longer than one record takes (DELIVERY_WAIT_SECONDS for a client and each contact).
    LINK_JOB_LEASE_SECONDS = _float("LINK_JOB_LEASE_SECONDS", 60.0)
    # The circuit breaker: after this many passing failures in a row, CaseWare Cloud is left
    # alone this long (changes queue at once), then probed.
    CWC_BREAKER_FAILURES = _int("CWC_BREAKER_FAILURES", 5)
    CWC_BREAKER_RESET_SECONDS = _float("CWC_BREAKER_RESET_SECONDS", 30.0)
    # "production" refuses to start without the CaseWare Cloud credentials.
    GATEWAY_ENV = os.environ.get("GATEWAY_ENV", "development")
    # CaseWare Cloud: every CWC_ variable goes to the adapter (adapters/caseware_cloud/settings.py
    # lists them with their defaults); the base URL defaults to the simulator of `make run`.
    CWC_BASE_URL = "http://127.0.0.1:8081/demo/ms/caseware-cloud/api/v2"
    locals().update({k: v for k, v in os.environ.items() if k.startswith("CWC_")})

    # flask-smorest and the OpenAPI document.
    API_TITLE = "CaseWare Cloud link gateway"
    API_VERSION = "1"
    OPENAPI_VERSION = "3.0.3"
    OPENAPI_URL_PREFIX = "/"
    OPENAPI_JSON_PATH = "v1/openapi.json"
    OPENAPI_SWAGGER_UI_PATH = "docs"
    OPENAPI_SWAGGER_UI_URL = "/docs/assets/"
    # validatorUrl off: the public validator is out of reach behind a firm's firewall.
    API_SPEC_OPTIONS = {
        "security": [{"bearerAuth": []}],
        "info": {
            "description": "Links AuditCase clients and their contact persons to CaseWare Cloud. "
            "Authorize with a gateway token, or a person's JWT signed by AuditCase (Bearer). "
            "Errors are application/problem+json with a stable `code`; lists are paged; single "
            "resources carry an ETag and honour If-Match. Reads and writes are rate-limited per "
            "caller (429 with Retry-After; RateLimit-* headers say what is left)."
        },
    }
    OPENAPI_SWAGGER_UI_CONFIG = {"persistAuthorization": True, "validatorUrl": None}
    JSON_SORT_KEYS = False
    TESTING = False


class TestConfig(Config):
    """Settings for the test suite: an in-memory-free temporary database chosen by the tests."""

    TESTING = True
    DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "sqlite://")
    TOKEN_TOUCH_SECONDS = 0
    # Tests drive the courier themselves (app.extensions["courier"].run_due()), with short waits.
    DELIVERY_POLL_SECONDS = 0.0
    DELIVERY_BACKOFF_BASE = 0.001
    DELIVERY_BACKOFF_CAP = 0.005
    DELIVERY_WAIT_SECONDS = 1.0
    CWC_BREAKER_RESET_SECONDS = 0.2
    # Out of the way of the suite; the rate limit tests set their own, and Redis, themselves.
    RATE_LIMIT_READS = RATE_LIMIT_WRITES = RATE_LIMIT_AUTH_FAILURES = "1000000/minute"
    REDIS_URL = None
    # The unlink guard counts every withdrawal of the suite but never trips; its tests set a
    # limit of their own.
    UNLINK_GUARD_LIMIT = 1_000_000
