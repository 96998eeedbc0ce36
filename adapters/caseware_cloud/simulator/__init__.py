"""A CaseWare Cloud simulator: caseware-cloud.md part A in memory, with fault switches.

Run it with `python -m adapters.caseware_cloud.simulator --port 8081 --client-id ID
--client-secret SECRET [--firm demo] [--host 127.0.0.1]`, or in a test with
`start_in_thread(client_id, client_secret, host="127.0.0.1", port=0, firm="demo", **options)`,
which answers a SimulatorHandle (.api_url, .control_url, .state(), .calls(), .set_faults(),
.refuse_connections(), .stop(), ...). The API lives under /{firm}/ms/caseware-cloud/api/v2.
Options: token_ttl (seconds, default 1800), rate_capacity (default 1000) and
rate_refill_per_second (default 200) for the token bucket, seed (for error_rate's dice),
clock (a monotonic clock); log_requests=True logs each request as werkzeug does.
Under Flask's test client (create_app) a "reset" fault answers 502, having no socket to close.

Control routes, outside the API (JSON in and out):

    GET    /_sim/state      entities (each with its addresses), users, roles, role_assignments,
                            invitations (users who got the collaborator role) and token_count
    GET    /_sim/calls      the call log: method, path (after the prefix), query, status,
                            reset, request_id (the X-Request-ID seen), at
    DELETE /_sim/calls      empty the call log
    POST   /_sim/reset      forget data, tokens, faults and calls; seed the roles again;
                            the rate limit goes back to its start values
    GET    /_sim/faults     the fault switches
    POST   /_sim/faults     set some switches, e.g.
                              {"latency_ms": 300, "latency_path_contains": "/auth/token"}
                              {"error_rate": 0.5, "error_status": 502}
                              {"outage": true}                  every call answers 503
                              {"rate_limit_storm": "2"}         every call answers 429,
                                                                Retry-After: 2 (or a date)
                              {"reset_all": true}               every connection is closed
                                                                without an answer
                              {"fail_next": {"count": 2, "status": 503, "retry_after": "1",
                                             "method": "POST", "path_contains": "/entities"}}
                                                                 status may be "reset"
                              {"fail_after_write": {"count": 1, "status": 503, ...}}
                                                                carry out the write, then fail
                                                                (an answer lost on the way)
    DELETE /_sim/faults     clear every switch
    POST   /_sim/ratelimit  {"capacity": 5, "refill_per_second": 1} for the token bucket
    POST   /_sim/clock      {"advance": 1800}: move the clock on (tokens expire, bucket refills)
    POST   /_sim/seed       {"entities": [{..., "addresses": [...]}], "users": [...],
                             "roles": ["name"]}: insert as given, unvalidated; answers CWGuids
    POST   /_sim/outage     {"seconds": 2}: close the listening socket, so connections are
                            refused, and listen again on the same port after that time

Faults apply to API calls only, in this order: latency, outage, reset_all, rate_limit_storm,
fail_next, error_rate, then the rate limit and the token check.
"""

from .api import create_app
from .core import Simulator
from .server import SimulatorHandle, SimulatorServer, start_in_thread
from .store import SimError

__all__ = [
    "SimError",
    "Simulator",
    "SimulatorHandle",
    "SimulatorServer",
    "create_app",
    "start_in_thread",
]
