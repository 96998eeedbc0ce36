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

from .control import control
from .core import Simulator
from .faults import RESET, Failure
from .search import listing
from .store import ADDRESS_FIELDS, ENTITY_FIELDS, USER_FIELDS, SimError

WRITES = ("POST", "PATCH", "PUT", "DELETE")


def sim() -> Simulator:
    return current_app.extensions["cwc_simulator"]


def errors_body(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """CWC's error shape: {"errors": [{"message": ...}]}."""
    response = jsonify({"errors": [{"message": message}]})
    response.status_code = status
    response.headers.update(headers or {})
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
        g.reset_socket = request.environ.get("werkzeug.socket")
        return errors_body(502, "Connection reset (simulated).")
    headers = {"Retry-After": failure.retry_after} if failure.retry_after else None
    return errors_body(int(failure.status), "Simulated failure.", headers)


api = Blueprint("cwc_api", __name__)


@api.before_request
def _gate() -> Response | None:
    """Apply latency, fault switches, the rate limit and token checks, in that order."""
    simulator, path = sim(), _api_path()
    with simulator.lock:
        delay = simulator.faults.latency_for(path)
    if delay:
        time.sleep(delay)  # outside the lock: other calls go on meanwhile
    with simulator.lock:
        failure = simulator.faults.before(request.method, path, simulator.rng)
        if failure:
            return _fail(failure)
        allowed, g.rate_headers = simulator.bucket.take()
    if not allowed:
        return errors_body(429, "Too many requests.", g.rate_headers)
    if path != "/auth/token":
        simulator.check_token(request.headers.get("Authorization"))
    return None


@api.after_request
def _finish(response: Response) -> Response:
    simulator, path = sim(), _api_path()
    if request.method in WRITES and response.status_code < 300:
        with simulator.lock:
            failure = simulator.faults.after_write(request.method, path)
        if failure:
            response = _fail(failure)
    response.headers.update(getattr(g, "rate_headers", {}))
    seen = request.headers.get("X-Request-ID")
    response.headers["X-Request-ID"] = seen or str(uuid.uuid4())
    reset_socket = getattr(g, "reset_socket", None)
    reset = reset_socket is not None
    simulator.record_call(
        {
            "method": request.method,
            "path": path,
            "query": request.query_string.decode("latin-1"),
            "status": None if reset else response.status_code,
            "reset": reset,
            "request_id": seen,
            "at": time.time(),
        }
    )
    if reset:
        _drop_connection(reset_socket)
    return response


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


@api.get("/users")
def list_users() -> Response:
    """Users, searched and paged."""
    store = sim().store
    return _json(_locked(lambda: listing(store.users.values(), request.args, USER_FIELDS)))


@api.post("/users")
def create_user() -> Response:
    """Create a user (201 with the user); e-mail unique without regard to case."""
    return _json(_locked(sim().store.create_user, _body()), 201)


@api.get("/users/<guid>")
def get_user(guid: str) -> Response:
    """One user."""
    return _json(_locked(lambda: dict(sim().store.user(guid))))


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
    return _json(
        _locked(lambda: listing(store.roles.values(), request.args, ("Id", "CWGuid", "Name")))
    )


@api.route("/<path:unknown>", methods=["GET", "POST", "PATCH", "PUT", "DELETE"])
def unknown_route(unknown: str) -> Response:
    """Anything else under the prefix is a 404 in CWC's shape."""
    return errors_body(404, f"No such resource: /{unknown}.")


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
