"""Idempotency-Key: a retry gets the first answer again and changes nothing."""

import hashlib
from datetime import timedelta

from sqlalchemy import select

from api.idempotency import _fingerprint
from app import _forget_expired_keys
from db.models import IdempotencyRecord, utcnow
from services.worker import BackgroundCourier

CLIENT = {"number": "1001", "name": "Jansen"}


def _key(headers, key):
    return {**headers, "Idempotency-Key": key}


def _total(http, auth) -> int:
    return http.get("/v1/clients", headers=auth).get_json()["total"]


def _store(uow, **fields) -> None:
    with uow() as work:
        work.idempotency.add(IdempotencyRecord(**fields))
        work.commit()


def _age_keys(uow, seconds: int) -> None:
    """Move every stored key's created_at `seconds` into the past."""
    with uow() as work:
        for record in work.session.scalars(select(IdempotencyRecord)):
            record.created_at = utcnow() - timedelta(seconds=seconds)
        work.commit()


def test_a_replayed_post_gets_the_first_answer_and_creates_one_client(http, auth):
    first = http.post("/v1/clients", json=CLIENT, headers=_key(auth, "k-1"))
    again = http.post("/v1/clients", json=CLIENT, headers=_key(auth, "k-1"))

    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first.headers
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    assert again.mimetype == "application/json"
    for header in ("Location", "ETag"):
        assert again.headers[header] == first.headers[header]
    assert _total(http, auth) == 1

    # The same JSON in another key order and spacing is the same body.
    reordered = http.post(
        "/v1/clients",
        data='{ "name" : "Jansen",\n "number": "1001" }',
        content_type="application/json",
        headers=_key(auth, "k-1"),
    )
    assert reordered.headers.get("Idempotent-Replayed") == "true"
    assert reordered.get_json() == first.get_json()
    assert _total(http, auth) == 1


def test_the_same_key_with_another_body_is_refused_and_creates_nothing(http, auth, problem):
    http.post("/v1/clients", json=CLIENT, headers=_key(auth, "k-1"))

    response = http.post(
        "/v1/clients", json={"number": "1002", "name": "Other"}, headers=_key(auth, "k-1")
    )

    problem(response, 422, "idempotency_key_reused")
    assert "Idempotent-Replayed" not in response.headers
    assert _total(http, auth) == 1

    # The same key on another route is another request too.
    client_id = http.get("/v1/clients", headers=auth).get_json()["items"][0]["id"]
    deleted = http.delete(f"/v1/clients/{client_id}", headers=_key(auth, "k-1"))
    problem(deleted, 422, "idempotency_key_reused")
    assert http.get(f"/v1/clients/{client_id}", headers=auth).status_code == 200


def test_keys_are_scoped_per_token(http, make_token, auth):
    other = {"Authorization": f"Bearer {make_token('other', ['clients:write'])}"}

    mine = http.post("/v1/clients", json=CLIENT, headers=_key(auth, "shared"))
    theirs = http.post(
        "/v1/clients", json={"number": "1002", "name": "Other"}, headers=_key(other, "shared")
    )

    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert "Idempotent-Replayed" not in theirs.headers
    assert _total(http, auth) == 2


BAD_KEYS = ["", " ", "a b", "x" * 256, "clé", "tab\there", "del\x7f", "nul\x00"]


def test_a_key_must_be_1_to_255_printable_ascii_characters(http, auth, problem):
    for key in BAD_KEYS:
        response = http.post("/v1/clients", json=CLIENT, headers=_key(auth, key))
        problem(response, 422, "validation_error", field="Idempotency-Key")
    assert _total(http, auth) == 0

    # 255 printable characters are fine.
    key = ("!~" + "".join(chr(c) for c in range(0x21, 0x7F)) * 3)[:255]
    assert len(key) == 255
    assert http.post("/v1/clients", json=CLIENT, headers=_key(auth, key)).status_code == 201
    again = http.post("/v1/clients", json=CLIENT, headers=_key(auth, key))
    assert again.headers.get("Idempotent-Replayed") == "true"


def test_a_replayed_patch_changes_nothing(http, auth, new_client):
    created = new_client()
    url = f"/v1/clients/{created['id']}"
    first = http.patch(url, json={"city": "Delft"}, headers=_key(auth, "p-1"))
    http.patch(url, json={"city": "Gouda"}, headers=auth)  # someone else changes it meanwhile

    again = http.patch(url, json={"city": "Delft"}, headers=_key(auth, "p-1"))

    assert again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json()
    assert again.headers["ETag"] == first.headers["ETag"]
    assert http.get(url, headers=auth).get_json()["city"] == "Gouda"


def test_a_replayed_delete_answers_204_again_not_404(http, auth, new_client, new_contact):
    client = new_client()
    contact = new_contact(client["id"])
    for url in (f"/v1/contacts/{contact['id']}", f"/v1/clients/{client['id']}"):
        first = http.delete(url, headers=_key(auth, f"d-{url}"))
        again = http.delete(url, headers=_key(auth, f"d-{url}"))

        assert (first.status_code, again.status_code) == (204, 204)
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.get_data() == b""
        assert http.get(url, headers=auth).status_code == 404


def test_an_error_answer_is_replayed_too(http, auth, new_client, problem):
    new_client(number="1001")
    first = http.post("/v1/clients", json=CLIENT, headers=_key(auth, "c-1"))
    problem(first, 409, "conflict")
    again = http.post("/v1/clients", json=CLIENT, headers=_key(auth, "c-1"))
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert problem(again, 409, "conflict") == first.get_json()


def _claim_running(app, uow, auth_name: str, key: str, age_seconds: int = 0) -> None:
    """Store `key` as claimed by a first POST /v1/clients of CLIENT that has not finished."""
    with app.test_request_context("/v1/clients", method="POST", json=CLIENT):
        fingerprint = _fingerprint()
    _store(
        uow,
        actor=auth_name,
        key=key,
        fingerprint=fingerprint,
        state="running",
        created_at=utcnow() - timedelta(seconds=age_seconds),
    )


def test_a_retry_while_the_first_still_runs_is_a_409(app, http, auth, uow, problem):
    _claim_running(app, uow, "tester", "r-1")

    response = http.post("/v1/clients", json=CLIENT, headers=_key(auth, "r-1"))

    problem(response, 409, "conflict")
    assert "Idempotent-Replayed" not in response.headers
    assert _total(http, auth) == 0


def test_a_claim_abandoned_past_the_lock_window_is_taken_over(app, http, auth, uow):
    _claim_running(app, uow, "tester", "r-1", app.config["IDEMPOTENCY_LOCK_SECONDS"] + 5)

    response = http.post("/v1/clients", json=CLIENT, headers=_key(auth, "r-1"))

    assert response.status_code == 201
    assert _total(http, auth) == 1


def test_a_key_is_kept_for_its_ttl_and_can_be_used_again_after(app, http, auth, uow):
    ttl = app.config["IDEMPOTENCY_TTL_SECONDS"]
    assert ttl >= 24 * 3600  # api.md: at least 24 hours
    assert http.post("/v1/clients", json=CLIENT, headers=_key(auth, "e-1")).status_code == 201
    _age_keys(uow, ttl - 60)
    kept = http.post("/v1/clients", json=CLIENT, headers=_key(auth, "e-1"))
    assert kept.headers.get("Idempotent-Replayed") == "true"

    _age_keys(uow, ttl + 5)

    response = http.post(
        "/v1/clients", json={"number": "1002", "name": "Other"}, headers=_key(auth, "e-1")
    )

    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response.headers
    assert _total(http, auth) == 2


def test_a_new_tokens_secret_is_neither_stored_nor_shown_again(http, auth, uow):
    body = {"name": "robot", "rights": ["clients:read"]}
    secret = http.post("/v1/tokens", json=body, headers=_key(auth, "t-1")).get_json()["token"]
    digest = hashlib.sha256(secret.encode()).hexdigest()

    again = http.post("/v1/tokens", json=body, headers=_key(auth, "t-1"))

    with uow() as work:
        stored = [r.response_body or "" for r in work.session.scalars(select(IdempotencyRecord))]
    assert not any(secret in text for text in stored), "the secret is stored in plain text"
    assert secret not in again.get_data(as_text=True), "the secret is shown a second time"
    assert digest not in again.get_data(as_text=True)


def test_the_courier_loop_forgets_expired_keys_and_keeps_fresh_ones(app, http, auth, uow):
    key = {"Idempotency-Key": "fresh"}
    http.post("/v1/clients", json={"number": "K1", "name": "Kept"}, headers={**auth, **key})
    old = utcnow() - timedelta(seconds=app.config["IDEMPOTENCY_TTL_SECONDS"] + 60)
    with uow() as work:
        stale = IdempotencyRecord(
            actor="tester", key="stale", fingerprint="x", state="done", created_at=old
        )
        work.idempotency.add(stale)
        work.commit()

    loop = BackgroundCourier(
        app.extensions["courier"], 0.01, housekeeping=_forget_expired_keys(app)
    )
    loop._tidy()  # one round of the loop's chores

    with uow() as work:
        assert work.idempotency.find("tester", "stale") is None
        assert work.idempotency.find("tester", "fresh") is not None
