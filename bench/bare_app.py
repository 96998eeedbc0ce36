"""The stack's ceiling: a bare Flask app answering the gateway's routes with constant bodies.

`gunicorn -c gunicorn.conf.py 'bench.bare_app:create_app()'` runs it with the gateway's own
gunicorn settings. BENCH_BARE_BODIES names a JSON file {route name: body text}, each body a
real answer of the gateway captured by the suite, so that both send the same bytes.
"""

import json
import os
from pathlib import Path

from flask import Flask, Response

ROUTES = {
    "client_links": "/v1/clients/<int:record_id>/links",
    "contact_links": "/v1/contacts/<int:record_id>/links",
    "clients": "/v1/clients",
    "client_contacts": "/v1/clients/<int:record_id>/contacts",
}


def create_app() -> Flask:
    """A Flask app with the gateway's read routes, each answering its constant body."""
    app = Flask(__name__)
    path = os.environ.get("BENCH_BARE_BODIES")
    bodies = json.loads(Path(path).read_text()) if path else {}

    for name, rule in ROUTES.items():
        body = bodies.get(name, "{}").encode()

        def answer(record_id: int | None = None, body: bytes = body) -> Response:
            return Response(body, mimetype="application/json")

        app.add_url_rule(rule, name, answer)

    @app.get("/healthz")
    def healthz() -> Response:
        return Response(b'{"status": "ok"}', mimetype="application/json")

    return app
