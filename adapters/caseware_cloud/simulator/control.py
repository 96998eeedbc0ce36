"""The simulator's control routes under /_sim: fault switches, state dump, call log, reset."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from .core import Simulator
from .faults import Faults
from .store import SimError

control = Blueprint("cwc_sim_control", __name__)


def _sim() -> Simulator:
    return current_app.extensions["cwc_simulator"]


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if body is None and not request.data:
        return {}
    if not isinstance(body, dict):
        raise SimError(400, "The body must be a JSON object.")
    return body


@control.get("/state")
def state() -> Response:
    """The data, as JSON."""
    return jsonify(_sim().state())


@control.get("/calls")
def calls() -> Response:
    """The call log."""
    return jsonify(_sim().calls())


@control.delete("/calls")
def clear_calls() -> Response:
    """Empty the call log."""
    _sim().clear_calls()
    return Response(status=204)


@control.post("/reset")
def reset() -> Response:
    """Back to a fresh firm."""
    _sim().reset()
    return jsonify(_sim().state())


@control.get("/faults")
def faults() -> Response:
    """The fault switches."""
    simulator = _sim()
    with simulator.lock:
        return jsonify(simulator.faults.describe())


@control.post("/faults")
def set_faults() -> Response:
    """Set some fault switches."""
    simulator = _sim()
    with simulator.lock:
        simulator.faults.configure(_body())
        return jsonify(simulator.faults.describe())


@control.delete("/faults")
def clear_faults() -> Response:
    """Clear every fault switch."""
    simulator = _sim()
    with simulator.lock:
        simulator.faults = Faults()
        return jsonify(simulator.faults.describe())


@control.post("/ratelimit")
def rate_limit() -> Response:
    """Size and refill rate of the token bucket, and whether its 429s carry Retry-After."""
    simulator, body = _sim(), _body()
    with simulator.lock:
        bucket = simulator.bucket
        capacity = body.get("capacity", bucket.capacity)
        refill = body.get("refill_per_second", bucket.refill_per_second)
        retry_after = body.get("retry_after", False)
        if (
            isinstance(capacity, bool)
            or not isinstance(capacity, int)
            or isinstance(refill, bool)
            or not isinstance(refill, int | float)
            or not isinstance(retry_after, bool)
        ):
            raise SimError(
                400,
                "capacity is a whole number, refill_per_second a number, retry_after a boolean.",
            )
        bucket.configure(capacity, refill, retry_after)
        return jsonify(bucket.describe())


@control.post("/clock")
def clock() -> Response:
    """Move the simulator's clock forward."""
    seconds = _body().get("advance")
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        raise SimError(400, "advance must be a number of seconds.")
    _sim().advance_clock(seconds)
    return jsonify({"advanced": seconds})


@control.post("/seed")
def seed() -> Response:
    """Insert records as given."""
    simulator = _sim()
    with simulator.lock:
        return jsonify(simulator.store.seed(_body())), 201


@control.post("/outage")
def outage() -> Response:
    """Refuse connections for a number of seconds."""
    seconds = _body().get("seconds")
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds <= 0:
        raise SimError(400, "seconds must be a positive number.")
    refuse = _sim().refuse_connections
    if refuse is None:
        raise SimError(409, "This simulator does not run on a socket it can close.")
    refuse(float(seconds))
    return jsonify({"refusing_connections_for": seconds}), 202
