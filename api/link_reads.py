"""The two link views, answered before Flask when nothing about the request is unusual.

GET /v1/clients/{id}/links and /v1/contacts/{id}/links sit in every view of the Koppelingen
tab. In process, through Flask, a link view cost about 1,250 us of CPU on the bench machine,
of which the statement and its answer were a quarter; the rest was Flask's request context,
its hooks and marshmallow, which this path does not run. Here it costs about 370 us (issue 9,
figure 1).

It answers only what it can answer exactly as Flask would: a GET with no query string, a
canonical id, a gateway token this process has read and the database proves unchanged since
(services.tokens.known_actor) or a person's JWT that passes services.people's checks, with
links:read, under its rate limits, for a record that exists. Everything else, and any
database error, goes to Flask untouched, which answers it the usual way; so do CORS
requests. What every answer carries is built from the same parts Flask's hooks use: the
request id, the person's log line, the rate-limit count and headers, the security headers,
the request line and the metrics (tests/api/test_link_reads.py holds the two paths to the
same answers, lines and counts).
"""

import functools
import logging
import re
import time

from flask import Flask

from api import auth, headers, request_id, request_log
from api.converters import MAX_ID
from api.links import CLIENT, CONTACT
from db.link_views import LinkViewReads
from domain import rights as r
from schemas.base import utc_text
from services import links, people, tokens

log = logging.getLogger(__name__)

# Canonical ids only: "007" or an id past MAX_ID is Flask's to answer (or refuse).
_PATH = re.compile(r"/v1/(client|contact)s/([1-9][0-9]{0,9})/links")
_RULES = {"client": "/v1" + CLIENT, "contact": "/v1" + CONTACT}
_ROUTES = {kind: request_log.route_template(rule) for kind, rule in _RULES.items()}


class LinkReads:
    """WSGI middleware in front of Flask's wsgi_app: the plain link views, or Flask."""

    def __init__(self, app: Flask, flask_wsgi_app) -> None:
        self.flask_wsgi_app = flask_wsgi_app
        extensions = app.extensions
        self._reads = LinkViewReads(extensions["db_reader_engine"], extensions["db_changes"])
        self._known = extensions["known_tokens"]
        self._jwt = extensions["jwt_settings"]  # None: JWTs are refused, by Flask
        self._limits = extensions["rate_limits"]
        self._metrics = extensions["metrics"]
        # As Flask's JSON provider writes an answer (DefaultJSONProvider.response): compact,
        # unless debugging.
        provider = app.json
        indented = provider.compact is False or (provider.compact is None and app.debug)
        self._dumps = functools.partial(
            provider.dumps, **({"indent": 2} if indented else {"separators": (",", ":")})
        )
        # flask-cors answers for origins it allows: leave every such request to it.
        self._cors = bool(app.config["CORS_ORIGINS"])

    def __call__(self, environ, start_response):
        started = time.perf_counter()
        answer = self._answer(environ, started)
        if answer is None:
            return self.flask_wsgi_app(environ, start_response)
        status, response_headers, body = answer
        start_response(status, response_headers)
        return [body]

    def _answer(self, environ, started: float):
        """(status, headers, body) of a plain link view, or None: Flask's to answer."""
        if environ["REQUEST_METHOD"] != "GET" or environ.get("QUERY_STRING"):
            return None
        match = _PATH.fullmatch(environ.get("PATH_INFO", ""))
        if match is None or (self._cors and "HTTP_ORIGIN" in environ):
            return None
        record_type, record_id = match.group(1), int(match.group(2))
        secret = _bearer_secret(environ.get("HTTP_AUTHORIZATION", ""))
        if record_id > MAX_ID or secret is None:
            return None
        address = environ.get("REMOTE_ADDR")
        # As Flask's hooks do, in their order: the address's failed authentications first.
        if not self._limits.test_address(f"address:{address}")[0]:
            return None
        person = None
        if not secret.startswith(tokens.TOKEN_PREFIX):
            person = self._person(secret)
            if person is None:
                return None
        try:
            version, row = self._reads.read(record_type, record_id, proof=person is None)
        except self._reads.errors:  # Flask reads again, and answers what the database says
            log.debug("link view left to Flask after a database error", exc_info=True)
            return None
        actor = person or tokens.known_actor(self._known, secret, version)
        if actor is None or r.LINKS_READ not in actor.rights or row is None:
            return None
        allowed, window = self._limits.hit_caller(actor.key, "reads")
        if not allowed:
            return None  # Flask answers the 429; it counts the request once more, past the limit
        view, tag = links.view_of_row(record_type, record_id, row)
        body = self._body(view)
        rid = request_id.choose(environ.get("HTTP_X_REQUEST_ID"))
        if person is not None:
            auth.note_person(person, rid)
        response_headers = [
            ("Content-Type", "application/json"),
            ("Content-Length", str(len(body))),
            ("ETag", f'"{tag}"'),
            *headers.API_HEADERS,
            *self._limits.headers(window, 200),
            ("X-Request-ID", rid),
        ]
        count, latency = self._metrics.series("GET", _RULES[record_type], 200)
        count.inc()
        latency.observe(time.perf_counter() - started)
        request_log.write_line(
            method="GET",
            route=_ROUTES[record_type],
            status=200,
            started=started,
            caller=actor.key,
            client=address,
            size=len(body),
            request_id=rid,
        )
        return "200 OK", response_headers, body

    def _person(self, token: str):
        """The person a JWT speaks for, or None: a refusal is Flask's to answer (and log)."""
        if self._jwt is None:
            return None
        try:
            return people.authenticate(self._jwt, token)
        except people.InvalidJwt:
            return None

    def _body(self, view: dict) -> bytes:
        """The view as LinksSchema and Flask's JSON write it (times as api.md's UTC text)."""
        link = view["caseware_cloud"]
        for part, name in ((link["sync"], "last_synced_at"), (link, "changed_at")):
            if part[name] is not None:
                part[name] = utc_text(part[name])
        return f"{self._dumps(view)}\n".encode()


def _bearer_secret(header: str) -> str | None:
    """The bearer value of an Authorization header (a gateway token or a JWT), or None."""
    scheme, _, secret = header.partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret:
        return None
    return secret


def install(app: Flask) -> None:
    """Put the link views' own path in front of Flask (inside ProxyFix, installed later: the
    caller's address it logs and limits is the forwarded one, as Flask's)."""
    app.wsgi_app = app.extensions["link_reads"] = LinkReads(app, app.wsgi_app)
