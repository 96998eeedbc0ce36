"""CORS for the AuditCase frontend: only the origins in CORS_ORIGINS, none by default."""

from flask import Flask
from flask_cors import CORS

# What a browser script may read of an answer, beyond the simple headers.
EXPOSED_HEADERS = [
    "ETag",
    "Location",
    "Retry-After",
    "X-Request-ID",
    "Idempotent-Replayed",
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
]
# What a browser script may send: every request header the API reads.
ALLOWED_HEADERS = ["Authorization", "Content-Type", "If-Match", "Idempotency-Key", "X-Request-ID"]
METHODS = ["GET", "HEAD", "POST", "PATCH", "DELETE", "OPTIONS"]


def register(app: Flask) -> None:
    origins = app.config["CORS_ORIGINS"]
    if not origins:
        return  # no CORS headers at all: browsers keep every other site's scripts out
    CORS(
        app,
        resources={r"/v1/*": {"origins": origins}},
        methods=METHODS,
        allow_headers=ALLOWED_HEADERS,
        expose_headers=EXPOSED_HEADERS,
        # Bearer tokens, never cookies: a browser has no credentials to send along.
        supports_credentials=False,
        max_age=600,  # a browser asks again (preflight) at most every 10 minutes
        always_send=False,
    )
