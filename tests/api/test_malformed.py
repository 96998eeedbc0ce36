"""A sweep of malformed requests: each is a 4xx problem+json that names the fault, never a 5xx,
and none of them changes anything a caller can read."""

import json
import re

import pytest

# The routes that read a body: (method, path template, resource, a valid body to spoil).
BODY_ROUTES = [
    ("POST", "/v1/clients", "client", {"number": "7777", "name": "Valid"}),
    ("PATCH", "/v1/clients/{client_id}", "client", {}),
    ("POST", "/v1/clients/{client_id}/contacts", "contact", {"last_name": "Valid"}),
    ("PATCH", "/v1/contacts/{contact_id}", "contact", {}),
    ("POST", "/v1/tokens", "token", {"name": "valid", "rights": []}),
]
DELETE_ROUTES = [
    ("DELETE", "/v1/clients/{client_id}"),
    ("DELETE", "/v1/contacts/{contact_id}"),
    ("DELETE", "/v1/tokens/{token_name}"),
]
# Length-limited text fields, with their maximum.
TEXT_FIELDS = {
    "client": {
        "number": 32,
        "name": 200,
        "address": 200,
        "postcode": 16,
        "city": 100,
        "phone": 32,
        "email": 254,
        "website": 255,
        "facebook": 255,
        "twitter": 255,
        "linkedin": 255,
    },
    "contact": {
        "first_name": 30,
        "infix": 20,
        "last_name": 100,
        "initials": 20,
        "email": 100,
        "phone": 32,
        "mobile": 32,
    },
    "token": {"name": 64},
}
OTHER_FIELDS = {
    "client": ["kind", "status", "country"],
    "contact": [],
    "token": ["rights", "expires_at"],
}
REQUIRED = {"client": ["number", "name"], "contact": ["last_name"], "token": ["name"]}
READ_ONLY = {
    "client": ["id", "created_at", "updated_at", "links"],
    "contact": ["id", "client_id", "created_at", "updated_at", "links"],
    "token": ["token", "created_at", "last_used_at"],
}
WRONG_TYPES = [42, True, {"a": "b"}, ["x"]]
NESTED_50 = "x"
for _ in range(50):
    NESTED_50 = {"a": NESTED_50}
MIB = 1024 * 1024


@pytest.fixture
def world(app, http, auth, new_client, new_contact, make_token):
    """A client with a contact and a spare token: the values for the path templates."""
    # Hundreds of requests follow: spare each the write of the token's last_used_at.
    app.config["TOKEN_TOUCH_SECONDS"] = 3600
    client = new_client(number="1001", email="a@b.nl", country="NL")
    contact = new_contact(client["id"], email="c@d.nl")
    make_token("spare", ["clients:read"])
    return {"client_id": client["id"], "contact_id": contact["id"], "token_name": "spare"}


@pytest.fixture
def sweep(http, auth, world, snapshot, problem):
    """sweep(requests, status, code) sends each request, checks each answer, then that nothing
    changed; requests are (label, method, path template, kwargs for the test client, field)."""

    def run(requests, status, code):
        before = snapshot([world["client_id"]])
        failures = []
        for label, method, path, kwargs, field in requests:
            headers = {**auth, **kwargs.pop("headers", {})}
            response = http.open(path.format(**world), method=method, headers=headers, **kwargs)
            try:
                problem(response, status, code, field=field)
            except AssertionError as exc:
                failures.append(f"{label}: {method} {path}: {exc}")
        assert not failures, "\n".join(failures)
        assert snapshot([world["client_id"]]) == before

    return run


def _email_of_length(length: int) -> str:
    """A well-formed address of exactly `length` characters (labels of at most 63)."""
    local = "a" * min(64, length - 6)
    rest = length - len(local) - 1 - 3  # "@" and ".nl"
    labels = []
    while rest > 0:
        label = min(63, rest)
        if rest - label == 1:  # a dot needs a label after it
            label -= 1
        labels.append("d" * label)
        rest -= label + 1
    return f"{local}@{'.'.join(labels)}.nl"


def _over_long(field: str, maximum: int) -> str:
    return _email_of_length(maximum + 1) if field == "email" else "x" * (maximum + 1)


def _json(body) -> dict:
    return {"data": json.dumps(body), "content_type": "application/json"}


def _field_requests(make):
    """For every body route, make(resource, valid_body) -> [(label, body, field)]."""
    return [
        (label, method, path, _json(body), field)
        for method, path, resource, valid in BODY_ROUTES
        for label, body, field in make(resource, valid)
    ]


def test_email_helper_builds_exact_lengths():
    for length in (101, 255, 120, 80):
        assert len(_email_of_length(length)) == length


# --- bodies that are not a JSON object -------------------------------------------------------

NOT_JSON = [
    ("broken-json", {"data": '{"name": ', "content_type": "application/json"}),
    ("trailing-garbage", {"data": '{"name": "x"} x', "content_type": "application/json"}),
    ("single-quotes", {"data": "{'name': 'x'}", "content_type": "application/json"}),
    ("bad-utf8", {"data": b'{"name": "\xff\xfe"}', "content_type": "application/json"}),
    ("text-plain", {"data": "name=x", "content_type": "text/plain"}),
    ("json-as-text-plain", {"data": '{"name": "x"}', "content_type": "text/plain"}),
    ("no-content-type", {"data": "name=x"}),
    ("form", {"data": {"name": "x"}}),
    ("xml", {"data": "<name>x</name>", "content_type": "application/xml"}),
]


def test_a_body_that_is_not_json_is_a_400(sweep):
    requests = [
        (label, method, path, dict(kwargs), None)
        for label, kwargs in NOT_JSON
        for method, path, *_ in BODY_ROUTES
    ]
    sweep(requests, 400, "bad_request")


NOT_AN_OBJECT = ["[]", '[{"name": "x"}]', '"a string"', "42", "4.2", "null", "true", "false"]


def test_json_that_is_not_an_object_is_a_422(sweep):
    requests = [
        (text, method, path, {"data": text, "content_type": "application/json"}, "body")
        for text in NOT_AN_OBJECT
        for method, path, *_ in BODY_ROUTES
    ]
    sweep(requests, 422, "validation_error")


def test_a_body_over_1_mib_is_a_413_on_every_mutating_route(sweep):
    body = json.dumps({"name": "x" * MIB})
    requests = [
        ("huge", method, path, {"data": body, "content_type": "application/json"}, None)
        for method, path, *_ in BODY_ROUTES + [(m, p, None, None) for m, p in DELETE_ROUTES]
    ]
    sweep(requests, 413, "payload_too_large")


def test_a_body_just_under_1_mib_is_read_and_judged(sweep):
    padding = MIB - len(json.dumps({"name": ""})) - 100
    body = json.dumps({"name": "x" * padding})
    assert len(body) < MIB
    requests = [
        ("big", method, path, {"data": body, "content_type": "application/json"}, "name")
        for method, path, resource, _ in BODY_ROUTES
        if "name" in TEXT_FIELDS[resource]
    ]
    sweep(requests, 422, "validation_error")


def test_deeply_nested_json_is_a_4xx(http, auth, world, snapshot):
    before = snapshot([world["client_id"]])
    body = "[" * 100_000 + "]" * 100_000
    statuses = [
        http.open(
            path.format(**world),
            method=method,
            data=body,
            content_type="application/json",
            headers={**auth, **extra},
        ).status_code
        for extra in ({}, {"Idempotency-Key": "deep"})
        for method, path, *_ in BODY_ROUTES
    ]
    assert all(400 <= s < 500 for s in statuses), statuses
    assert snapshot([world["client_id"]]) == before


# --- field by field --------------------------------------------------------------------------


def test_a_wrong_type_for_any_field_is_a_422_naming_it(sweep):
    def make(resource, valid):
        cases = [
            (f"{field}={value!r}", {**valid, field: value}, field)
            for field in list(TEXT_FIELDS[resource]) + OTHER_FIELDS[resource]
            for value in WRONG_TYPES
            if not (field == "rights" and isinstance(value, list))
        ]
        first = next(iter(TEXT_FIELDS[resource]))
        cases.append((f"{first}=50 nested objects", {**valid, first: NESTED_50}, first))
        if resource == "token":
            cases += [
                (f"rights={value!r}", {**valid, "rights": value}, "rights.0")
                for value in ([42], [None], [["admin"]], [{"right": "admin"}])
            ]
        return cases

    sweep(_field_requests(make), 422, "validation_error")


def test_a_string_one_character_too_long_is_a_422_naming_it(sweep):
    def make(resource, valid):
        return [
            (f"{field} of {maximum + 1}", {**valid, field: _over_long(field, maximum)}, field)
            for field, maximum in TEXT_FIELDS[resource].items()
        ]

    sweep(_field_requests(make), 422, "validation_error")


def test_an_empty_null_or_missing_required_field_is_a_422_naming_it(sweep):
    def make(resource, valid):
        return [
            (f"{field}={value!r}", {**valid, field: value}, field)
            for field in REQUIRED[resource]
            for value in ("", None)
        ]

    missing = [
        ("no number", "POST", "/v1/clients", _json({"name": "x"}), "number"),
        ("no name", "POST", "/v1/clients", _json({"number": "x"}), "name"),
        ("no last_name", "POST", "/v1/clients/{client_id}/contacts", _json({}), "last_name"),
        ("no name", "POST", "/v1/tokens", _json({"rights": []}), "name"),
        ("no rights", "POST", "/v1/tokens", _json({"name": "x"}), "rights"),
    ]
    sweep(_field_requests(make) + missing, 422, "validation_error")


SOME_VALUE = {"id": 1, "client_id": 1, "links": {}, "token": "cwg_x", "unknown": "x", "Name": "x"}


def test_a_read_only_or_unknown_field_is_a_422_naming_it(sweep):
    def make(resource, valid):
        return [
            (field, {**valid, field: SOME_VALUE.get(field, "2026-01-01T00:00:00Z")}, field)
            for field in READ_ONLY[resource] + ["unknown", "Name"]
        ]

    sweep(_field_requests(make), 422, "validation_error")


BAD_EMAILS = ["not-an-email", "a@", "@b.nl", "a b@c.nl", "a@b@c.nl", "a@b..nl", " a@b.nl"]


BAD_CHOICES = {"country": ["XX", "NLD", "N", "12", ""], "kind": ["x", ""], "status": ["x", ""]}


def test_an_invalid_email_country_kind_or_status_is_a_422_naming_it(sweep):
    def make(resource, valid):
        bad = {"email": BAD_EMAILS} if "email" in TEXT_FIELDS[resource] else {}
        if resource == "client":
            bad.update(BAD_CHOICES)
        return [(f"{f}={v!r}", {**valid, f: v}, f) for f, values in bad.items() for v in values]

    sweep(_field_requests(make), 422, "validation_error")


def test_lengths_are_counted_in_characters_not_bytes(http, auth, problem):
    ok = http.post("/v1/clients", json={"number": "😀" * 32, "name": "é" * 200}, headers=auth)
    assert ok.status_code == 201, ok.get_json()
    read = http.get(f"/v1/clients/{ok.get_json()['id']}", headers=auth).get_json()
    assert (read["number"], read["name"]) == ("😀" * 32, "é" * 200)
    too_long = http.post("/v1/clients", json={"number": "😀" * 33, "name": "x"}, headers=auth)
    problem(too_long, 422, "validation_error", field="number")
    assert http.get("/v1/clients", headers=auth).get_json()["total"] == 1


def test_a_nul_character_in_a_string_is_a_422(sweep):
    requests = _field_requests(
        lambda resource, valid: [
            ("nul", {**valid, field: "a\x00b"}, field) for field in list(TEXT_FIELDS[resource])[:2]
        ]
    )
    sweep(requests, 422, "validation_error")


def test_a_lone_surrogate_in_a_string_is_a_4xx(sweep):
    requests = [
        ("surrogate", method, path, {"data": text, "content_type": "application/json"}, None)
        for method, path, text in [
            ("POST", "/v1/clients", '{"number": "s1", "name": "\\ud800"}'),
            ("PATCH", "/v1/clients/{client_id}", '{"city": "\\udfff"}'),
            ("POST", "/v1/clients/{client_id}/contacts", '{"last_name": "\\ud800"}'),
            ("PATCH", "/v1/contacts/{contact_id}", '{"infix": "\\ud800"}'),
        ]
    ]
    sweep(requests, 422, "validation_error")


def test_a_nul_in_a_filter_or_token_name_is_not_a_server_error(http, auth):
    listed = http.get("/v1/clients?number=a%00b", headers=auth)
    assert listed.status_code in (200, 422), listed.get_data(as_text=True)
    if listed.status_code == 200:
        assert listed.get_json()["total"] == 0
    revoked = http.delete("/v1/tokens/a%00b", headers=auth)
    assert revoked.status_code in (404, 422), revoked.get_data(as_text=True)


# --- paths, queries and headers --------------------------------------------------------------

# With a body each route accepts, so that only the id can be at fault.
ID_ROUTES = [
    ("GET", "/v1/clients/{id}", None),
    ("PATCH", "/v1/clients/{id}", {"city": "x"}),
    ("DELETE", "/v1/clients/{id}", None),
    ("GET", "/v1/clients/{id}/contacts", None),
    ("POST", "/v1/clients/{id}/contacts", {"last_name": "x"}),
    ("GET", "/v1/contacts/{id}", None),
    ("PATCH", "/v1/contacts/{id}", {"infix": "x"}),
    ("DELETE", "/v1/contacts/{id}", None),
]
BAD_IDS = ["abc", "-1", "0", str(2**31), str(10**30), "1" * 300, "1.5", "1e3", "0x1", "%20", "+1"]


def test_a_bad_id_in_a_path_is_a_404(sweep):
    requests = [
        (bad_id, method, path.replace("{id}", bad_id), _json(body) if body else {}, None)
        for bad_id in BAD_IDS
        for method, path, body in ID_ROUTES
    ] + [("long token name", "DELETE", "/v1/tokens/" + "x" * 5000, {}, None)]
    sweep(requests, 404, "not_found")


def test_an_id_in_non_ascii_digits_is_a_404(sweep):
    requests = [
        (label, method, path.replace("{id}", digits), _json(body) if body else {}, None)
        for label, digits in [("arabic-indic 1", "\u0661"), ("fullwidth 1", "\uff11")]
        for method, path, body in ID_ROUTES
    ]
    sweep(requests, 404, "not_found")


BAD_QUERIES = [
    ("page=abc", "page", True),
    ("page=1.5", "page", True),
    ("page=", "page", True),
    ("page=0", "page", True),
    ("page_size=-1", "page_size", True),
    ("page_size=abc", "page_size", True),
    ("page_size=101", "page_size", True),
    ("page_size=1e2", "page_size", True),
    ("status=nonsense", "status", False),
    ("status=", "status", False),
    ("kind=nonsense", "kind", False),
    ("kind=BUSINESS", "kind", False),
]


def test_a_bad_query_parameter_is_a_422_naming_it(sweep):
    requests = [
        (query, "GET", f"{path}?{query}", {}, field)
        for query, field, contacts_too in BAD_QUERIES
        for path in ["/v1/clients"] + ["/v1/clients/{client_id}/contacts"] * contacts_too
    ]
    sweep(requests, 422, "validation_error")


def test_a_50_kb_header_value_is_refused_cleanly(sweep):
    huge = "x" * 50_000
    cases = [
        ({"Authorization": f"Bearer {huge}"}, 401, "unauthorized", None),
        ({"Idempotency-Key": huge}, 422, "validation_error", "Idempotency-Key"),
        ({"If-Match": f'"{huge}"'}, 412, "precondition_failed", None),
    ]
    for headers, status, code, field in cases:
        routes = BODY_ROUTES if "If-Match" not in headers else BODY_ROUTES[1:4:2]
        requests = [
            (next(iter(headers)), method, path, {**_json(valid), "headers": headers}, field)
            for method, path, _resource, valid in routes
        ]
        sweep(requests, status, code)


# --- X-Request-ID ----------------------------------------------------------------------------

SANE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def test_every_response_carries_a_request_id(http, auth, world):
    client_url = f"/v1/clients/{world['client_id']}"
    responses = [
        http.get("/healthz"),
        http.get("/v1/clients", headers=auth),
        http.post("/v1/clients", json={"number": "9", "name": "x"}, headers=auth),
        http.post("/v1/clients", data="{", content_type="application/json", headers=auth),
        http.post("/v1/clients", json={}, headers=auth),
        http.get("/v1/clients"),
        http.get("/v1/nothing-here"),
        http.put(client_url, headers=auth),
        http.patch(client_url, json={}, headers={**auth, "If-Match": '"stale"'}),
        http.post("/v1/clients", data="x" * (MIB + 1), headers=auth),
        http.delete(f"/v1/contacts/{world['contact_id']}", headers=auth),
    ]
    statuses = [r.status_code for r in responses]
    assert statuses == [200, 200, 201, 400, 422, 401, 404, 405, 412, 413, 204]
    ids = [r.headers.get("X-Request-ID") for r in responses]
    assert all(i and SANE_ID.match(i) for i in ids), ids
    assert len(set(ids)) == len(ids), "request ids are reused"


def test_a_sane_request_id_is_echoed_and_an_insane_one_replaced(http, auth):
    for sent in ["abc-123", "0f7c2b1e-4a5d-4c3e-9f00-123456789abc", "a.b:c_d-E", "r" * 128]:
        ok = http.get("/v1/clients", headers={**auth, "X-Request-ID": sent})
        assert ok.headers["X-Request-ID"] == sent
        missing = http.get("/v1/nope", headers={"X-Request-ID": sent})
        assert missing.headers["X-Request-ID"] == sent
    for sent in ["has space", "r" * 129, "x" * 500, "x" * 50_000, "<b>", "a;b", "a/b", "", "é"]:
        response = http.get("/v1/clients", headers={**auth, "X-Request-ID": sent})
        assert response.status_code == 200
        replaced = response.headers["X-Request-ID"]
        assert replaced != sent, sent
        assert SANE_ID.match(replaced), replaced
