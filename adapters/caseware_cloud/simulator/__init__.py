"""A CaseWare Cloud simulator: caseware-cloud.md part A in memory, with fault switches.

Run it with `python -m adapters.caseware_cloud.simulator --port 8081 --client-id ID
--client-secret SECRET [--firm demo] [--host 127.0.0.1]`, or in a test with
`start_in_thread(client_id, client_secret, host="127.0.0.1", port=0, firm="demo",
idle_timeout=15, **options)`, which answers a SimulatorHandle (.api_url, .control_url,
.state(), .calls(), .set_faults(), .set_rate_limit(capacity, refill, retry_after=False),
.connections_accepted(), .refuse_connections(), .stop(), ...). The API lives under
/{firm}/ms/caseware-cloud/api/v2. Options: token_ttl (seconds, default 1800), rate_capacity
(default 1000) and rate_refill_per_second (default 200) for the token bucket, seed (for
error_rate's dice), clock (a monotonic clock); log_requests=True logs each request as werkzeug
does. Under Flask's test client (create_app) a "reset" fault answers 502, having no socket to
close, and the header part of slow_drip does nothing.

Beyond part A, GET /entities/{CWGuid}/role-assignments answers the people with roles on the
entity, paged, as [{"Id", "CWGuid": user, "RoleIds": [role CWGuids]}]: the project's assumption
of how access is read back (adapters/caseware_cloud/reads.py), shaped like the PATCH.

As the real service: HTTP/1.1 connections are kept alive (closed after idle_timeout seconds
idle, on stop() and on an outage); property names in request bodies, query parameter names and
search field names are read in any case, CWGuids in paths and bodies in any letter case;
answers keep PascalCase. Two e-mail addresses are one login (a 409) only when equal after
mapping A-Z to a-z (wire.same_login). OwnerType is "Client" for entities and "Contact",
"Staff" or "Employee" for users. A path no route serves answers a bare 404 (ASP.NET's route
miss). The rate limiter is a token bucket: every API answer carries x-ratelimit-burst-capacity,
-replenish-rate, -remaining and -requested-tokens, and a limited call is a bare 429 (empty
body) without Retry-After unless POST /_sim/ratelimit asked for it.

Control routes, outside the API (JSON in and out):

    GET    /_sim/state      entities (each with its addresses), users, roles, role_assignments,
                            invitations (users who got the collaborator role), token_count
                            and connections_accepted
    GET    /_sim/calls      the call log: method, path (after the prefix), query, status,
                            reset, request_id (the X-Request-ID seen), connection (the number
                            of the connection it came on; null under a test client), at
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
                                                                 status may be "reset";
                                                                 404 answers a bare 404, as a
                                                                 route miss
                              {"fail_after_write": {"count": 1, "status": 503, ...}}
                                                                carry out the write, then fail
                                                                (an answer lost on the way)
                              {"odd_token": "non_ascii"}        POST /auth/token answers 200
                                with that Token (not accepted later): "non_ascii", "crlf",
                                "empty", "long" (10,000 characters), "not_string" (12345), or
                                any other string as it is; null clears it
                            Rules that change answers; each takes "method", "path_contains"
                            and "count" (default null: every matching call until cleared);
                            each POST adds a rule, null clears that kind:
                              {"slow_drip": {"bytes_per_second": 1, "headers": false}}
                                the normal answer, its head at once (or dripped too, with
                                "headers": true), its body a few bytes at a time at that rate
                              {"oversized": {"megabytes": 200, "content_length": true}}
                                200, a JSON array of entity-shaped objects of that size, made
                                while sent; content_length false: chunked
                              {"bad_body": {"kind": "html", "status": 200}}
                                kind "html" (an IIS/Azure gateway page, text/html), "not_json"
                                (text/plain) or "wrong_shape" (an object where an array is
                                answered, an array elsewhere); the call is not carried out
                              {"long_ids": {"length": 300}}    the answer's CWGuid and
                                OwnerCWGuid replaced by a string that long (unique per object);
                                the stored data keeps its GUIDs
                              {"malformed_ids": {"value": "not-a-guid"}}   the same with that
                                string
    DELETE /_sim/faults     clear every switch
    POST   /_sim/ratelimit  {"capacity": 5, "refill_per_second": 2, "retry_after": false}
    POST   /_sim/clock      {"advance": 1800}: move the clock on (tokens expire, bucket refills)
    POST   /_sim/seed       {"entities": [{..., "addresses": [...]}], "users": [...],
                             "roles": ["name"]}: insert as given, unvalidated; answers CWGuids
                            (a user seeded with "CanLogin": true has an active login)
    POST   /_sim/outage     {"seconds": 2}: close the listening socket and the kept-alive
                            connections, so connections are refused, and listen again on the
                            same port after that time

Faults apply to API calls only, in this order: latency, outage, reset_all, rate_limit_storm,
fail_next, error_rate, bad_body, oversized, then the rate limit, the token check and the route
(odd_token in the token route), then fail_after_write, long_ids, malformed_ids, and last
slow_drip as the answer is sent.
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
