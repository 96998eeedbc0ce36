"""Headers on every answer: no sniffing, no framing, a CSP, no referrer, relative redirects."""

from urllib.parse import urlsplit, urlunsplit

from flask import Flask, Response, request

# An answer of this gateway is data, never a page to run: nothing may load from it.
API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# Swagger UI at /docs: its scripts and styles come from the gateway itself (api/docs.py) and it
# calls only this gateway. Its React views set style attributes, hence 'unsafe-inline' for
# styles (never for scripts); its icons are data: URLs in its stylesheet.
DOCS_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'"
)
DOCS_ENDPOINT = "api-docs.openapi_swagger_ui"

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
# Answers carry the firm's data (and once a token's secret): no cache may keep them.
NO_STORE = "no-store"
# What every /v1 answer carries besides: _secure below, and api/link_reads.py's own path.
API_HEADERS = [
    *SECURITY_HEADERS.items(),
    ("Content-Security-Policy", API_POLICY),
    ("Cache-Control", NO_STORE),
]


def _secure(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers[name] = value
    docs = request.endpoint == DOCS_ENDPOINT
    response.headers["Content-Security-Policy"] = DOCS_POLICY if docs else API_POLICY
    if request.path.startswith("/v1/"):
        response.headers["Cache-Control"] = NO_STORE
    return response


def _relative_location(response: Response) -> Response:
    """Werkzeug's own redirects (merged slashes, strict slashes) name the Host the caller
    sent; an answer must never send a browser to a host of the caller's choosing."""
    location = response.headers.get("Location")
    if location:
        parts = urlsplit(location)
        if parts.scheme or parts.netloc:
            # "//x" would be read as a host again: keep a single leading slash.
            path = "/" + parts.path.lstrip("/")
            response.headers["Location"] = urlunsplit(("", "", path, parts.query, parts.fragment))
    return response


def register(app: Flask) -> None:
    app.after_request(_relative_location)
    app.after_request(_secure)
