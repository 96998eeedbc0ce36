"""The simulated CWC API (caseware-cloud.md part A) as a Flask app, faults applied per call."""

from __future__ import annotations

import json
import socket
import struct
import time
import uuid
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request
from werkzeug.exceptions import HTTPException

from . import answers
from .control import control
from .core import Simulator
from .faults import RESET, Failure, Rule
from .keepalive import CONNECTION_KEY, DRIP_HEADERS_KEY, RESET_KEY
from .records import ROLE_FIELDS
from .search import listing
from .store import ADDRESS_FIELDS, ENTITY_FIELDS, USER_FIELDS, SimError

WRITES = ("POST", "PATCH", "PUT", "DELETE")
# What GET role-assignments answers per person; see adapters/caseware_cloud/reads.py.
ASSIGNEE_FIELDS = ("Id", "CWGuid", "RoleIds")


def sim() -> Simulator:
    return current_app.extensions["cwc_simulator"]


def errors_body(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """CWC's error shape: {"errors": [{"message": ...}]}."""
    response = jsonify({"errors": [{"message": message}]})
    response.status_code = status
    response.headers.update(headers or {})
    return response


def bare(status: int, headers: dict[str, str] | None = None) -> Response:
    """An answer with no body and no content type, as a gateway's 429 or a route miss."""
    response = Response(status=status, headers=headers)
    del response.headers["Content-Type"]
    return response


def _json(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data), status, mimetype="application/json")


def _body() -> Any:
    return request.get_json(silent=True)


def _drop_connection(sock: socket.socket) -> None:
    """Close the client's connection without an answer (RST, not FIN)."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def _fail(failure: Failure) -> Response:
    if failure.status == RESET:
        # The drop itself waits for _finish, after the call is logged: a client that sees
        # the reset must find the call in the log. Under a test client there is no socket
        # to close: the 502 says so.
        g.reset = True
        return errors_body(502, "Connection reset (simulated).")
    if failure.status == 404:
        # ASP.NET's answer when no route matches: a bare 404, nothing in the body.
        return bare(404)
    headers = {"Retry-After": failure.retry_after} if failure.retry_after else {}
    if failure.status == 429:
        with sim().lock:
            headers.update(sim().bucket.headers(remaining=0))
    return errors_body(int(failure.status), "Simulated failure.", headers)


def _replacement(name: str, rule: Rule) -> Response:
    options = rule.options
    if name == "oversized":
        return answers.oversized(options["megabytes"], options["content_length"])
    return answers.bad_body(options["kind"], options["status"], request.endpoint)


api = Blueprint("cwc_api", __name__)


@api.before_request
def _gate() -> Response | None:
    """Apply latency, fault switches, the rate limit and token checks, in that order."""
    simulator, path, method = sim(), _api_path(), request.method
    with simulator.lock:
        delay = simulator.faults.latency_for(path)
    if delay:
        time.sleep(delay)  # outside the lock: other calls go on meanwhile
    with simulator.lock:
        failure = simulator.faults.before(method, path, simulator.rng)
        if failure:
            return _fail(failure)
        replaced = simulator.faults.replacement(method, path)
        if replaced:
            return _replacement(*replaced)
        allowed, g.rate_headers = simulator.bucket.take()
    if not allowed:
        return bare(429, g.rate_headers)  # as the real gateway's: no body, no Retry-After
    if path != "/auth/token":
        simulator.check_token(request.headers.get("Authorization"))
    return None


@api.after_request
def _finish(response: Response) -> Response:
    simulator, path, method = sim(), _api_path(), request.method
    if method in WRITES and response.status_code < 300:
        with simulator.lock:
            failure = simulator.faults.after_write(method, path)
        if failure:
            response = _fail(failure)
    _rewrite_ids(simulator, response, method, path)
    rate_headers = getattr(g, "rate_headers", None)
    if rate_headers is None:
        with simulator.lock:
            rate_headers = simulator.bucket.headers()
    for name, value in rate_headers.items():
        response.headers.setdefault(name, value)
    seen = request.headers.get("X-Request-ID")
    response.headers["X-Request-ID"] = seen or str(uuid.uuid4())
    environ = request.environ
    reset = getattr(g, "reset", False) and (
        CONNECTION_KEY in environ or "werkzeug.socket" in environ
    )
    if not reset:
        _drip(simulator, response, method, path)
    simulator.record_call(
        {
            "method": method,
            "path": path,
            "query": request.query_string.decode("latin-1"),
            "status": None if reset else response.status_code,
            "reset": reset,
            "request_id": seen,
            "connection": environ.get(CONNECTION_KEY),
            "at": time.time(),
        }
    )
    if reset:  # only now that the call is logged
        if CONNECTION_KEY in environ:
            environ[RESET_KEY] = True  # the keep-alive handler drops it instead of answering
        else:
            _drop_connection(environ["werkzeug.socket"])
    return response


def _rewrite_ids(simulator: Simulator, response: Response, method: str, path: str) -> None:
    """long_ids and malformed_ids: the answer's CWGuids replaced, the stored data untouched."""
    if response.status_code >= 300 or response.is_streamed or not response.is_json:
        return
    with simulator.lock:
        rewrite = simulator.faults.id_rewrite(method, path)
    if rewrite:
        name, rule = rewrite
        data = answers.rewrite_ids(response.get_json(silent=True), name, rule.options)
        response.set_data(json.dumps(data))


def _drip(simulator: Simulator, response: Response, method: str, path: str) -> None:
    """slow_drip: the body (and with "headers", the head too) a few bytes at a time."""
    with simulator.lock:
        rule = simulator.faults.drip(method, path)
    if rule is None:
        return
    rate = rule.options["bytes_per_second"]
    if rule.options["headers"]:
        request.environ[DRIP_HEADERS_KEY] = rate
    # The lock is not held while the body drips: the generator runs as the server sends it.
    response.response = answers.drip(response.iter_encoded(), rate)
    response.direct_passthrough = True


def _api_path() -> str:
    return request.path.removeprefix(sim().prefix) or "/"


@api.post("/auth/token")
def token() -> Response:
    """Issue a bearer token for the API client's id and secret."""
    return _json({"Token": sim().issue_token(_body())})


def _locked(action, *args):
    simulator = sim()
    with simulator.lock:
        return action(*args)


@api.get("/entities")
def list_entities() -> Response:
    """Entities, searched and paged."""
    store = sim().store
    return _json(_locked(lambda: listing(store.entities.values(), request.args, ENTITY_FIELDS)))


@api.post("/entities")
def create_entity() -> Response:
    """Create an entity (201 with the entity)."""
    return _json(_locked(sim().store.create_entity, _body()), 201)


@api.get("/entities/<guid>")
def get_entity(guid: str) -> Response:
    """One entity."""
    return _json(_locked(lambda: dict(sim().store.entity(guid))))


@api.patch("/entities/<guid>")
def patch_entity(guid: str) -> Response:
    """Change an entity; OwnerType and Type are required."""
    return _json(_locked(sim().store.patch_entity, guid, _body()))


@api.get("/entities/<guid>/addresses")
def list_addresses(guid: str) -> Response:
    """An entity's addresses, paged."""
    store = sim().store
    return _json(_locked(lambda: listing(store.addresses_of(guid), request.args, ADDRESS_FIELDS)))


@api.post("/entities/<guid>/addresses")
def create_address(guid: str) -> Response:
    """Add an address to an entity (201 with its bare integer Id)."""
    return _json(_locked(sim().store.create_address, guid, _body()), 201)


@api.patch("/entities/addresses/<guid>")
def patch_address(guid: str) -> Response:
    """Change an address, partially."""
    return _json(_locked(sim().store.patch_address, guid, _body()))


@api.patch("/entities/<guid>/role-assignments")
def assign_roles(guid: str) -> Response:
    """Grant or withdraw roles of people on an entity (200 {})."""
    _locked(sim().store.assign, guid, _body())
    return _json({})


@api.get("/entities/<guid>/role-assignments")
def list_role_assignments(guid: str) -> Response:
    """The people with roles on an entity, each with those roles' CWGuids, paged (assumed)."""
    store = sim().store
    return _json(_locked(lambda: listing(store.people_of(guid), request.args, ASSIGNEE_FIELDS)))


@api.get("/users")
def list_users() -> Response:
    """Users, searched and paged."""
    store = sim().store
    return _json(_locked(lambda: listing(store.user_views(), request.args, USER_FIELDS)))


@api.post("/users")
def create_user() -> Response:
    """Create a user (201 with the user); one login per e-mail, compared by ASCII case."""
    return _json(_locked(sim().store.create_user, _body()), 201)


@api.get("/users/<guid>")
def get_user(guid: str) -> Response:
    """One user."""
    return _json(_locked(sim().store.user_view, guid))


@api.patch("/users/<guid>")
def patch_user(guid: str) -> Response:
    """Change a user; OwnerType is required."""
    return _json(_locked(sim().store.patch_user, guid, _body()))


@api.delete("/users/<guid>")
def delete_user(guid: str) -> Response:
    """Delete a user (204)."""
    _locked(sim().store.delete_user, guid)
    return Response(status=204)


@api.get("/roles")
def list_roles() -> Response:
    """The firm's roles."""
    store = sim().store
    return _json(_locked(lambda: listing(store.roles.values(), request.args, ROLE_FIELDS)))


@api.route("/<path:unknown>", methods=["GET", "POST", "PATCH", "PUT", "DELETE"])
def unknown_route(unknown: str) -> Response:
    """Anything else under the prefix is ASP.NET's route miss: a bare 404, no body."""
    return bare(404)


def create_app(simulator: Simulator | None = None, **options: Any) -> Flask:
    """A Flask app serving one simulated firm; options go to Simulator when none is given."""
    if simulator is None:
        options.setdefault("client_id", "sim-client")
        options.setdefault("client_secret", "sim-secret")
        simulator = Simulator(**options)
    app = Flask(__name__)
    app.extensions["cwc_simulator"] = simulator
    app.register_blueprint(api, url_prefix=simulator.prefix)
    app.register_blueprint(control, url_prefix="/_sim")

    @app.errorhandler(SimError)
    def _sim_error(error: SimError) -> Response:
        return errors_body(error.status, error.message, error.headers)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Response:
        return errors_body(error.code or 500, error.description or error.name)

    @app.errorhandler(Exception)
    def _crash(error: Exception) -> Response:
        current_app.logger.exception("simulator error")
        return errors_body(500, "Internal error in the simulator.")

    return app
