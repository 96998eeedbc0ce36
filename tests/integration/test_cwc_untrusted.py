"""CaseWare Cloud treated as untrusted, over real sockets: slow or huge answers, odd tokens and
ids, HTML pages, look-alike logins, 404s from routes, and a rate limit without Retry-After."""

from __future__ import annotations

import threading
import time
import tracemalloc

import pytest

from adapters.caseware_cloud import CwcEmailInUse, CwcRejected, CwcUnavailable, RetryPolicy
from adapters.caseware_cloud.errors import CwcBadAnswer
from tests.integration.cwc_helpers import calls_to, user_in

ONCE = RetryPolicy(max_attempts=1)


# Time and size ---------------------------------------------------------------------------


def found_entity(sim) -> None:
    """An entity numbered 1, so that a search for it answers a few hundred bytes."""
    sim.seed(entities=[{"EntityNo": "1", "Name": "Drip BV", "OwnerType": "Client", "Type": "A"}])


def test_a_drip_fed_answer_costs_at_most_the_call_timeout(sim, make_cwc):
    cwc = make_cwc(CWC_CALL_TIMEOUT="1", CWC_READ_TIMEOUT="2", CWC_MAX_ATTEMPTS="1")
    found_entity(sim)
    cwc.find_entity("1")  # a token first: the drip is for the call under test
    sim.set_faults(slow_drip={"bytes_per_second": 2, "path_contains": "/entities"})

    started = time.monotonic()
    with pytest.raises(CwcUnavailable) as caught:
        cwc.find_entity("1")
    took = time.monotonic() - started

    # Each byte comes well within the 2 s read timeout: only the call's own bound ends it.
    assert took < 1.8, took
    assert "within 1 s" in str(caught.value)


def test_dripped_headers_are_cut_off_too(sim, make_cwc):
    cwc = make_cwc(CWC_CALL_TIMEOUT="1", CWC_READ_TIMEOUT="2", CWC_MAX_ATTEMPTS="1")
    found_entity(sim)
    cwc.find_entity("1")
    sim.set_faults(slow_drip={"bytes_per_second": 2, "headers": True, "path_contains": "/entities"})

    started = time.monotonic()
    with pytest.raises(CwcUnavailable):
        cwc.find_entity("1")
    assert time.monotonic() - started < 1.8


def test_the_pool_works_again_after_a_cut_off_call(sim, make_cwc):
    cwc = make_cwc(CWC_CALL_TIMEOUT="0.5", CWC_MAX_ATTEMPTS="1")
    found_entity(sim)
    guid = cwc.find_entity("1")
    sim.set_faults(slow_drip={"bytes_per_second": 5, "path_contains": "/entities", "count": 1})
    with pytest.raises(CwcUnavailable):
        cwc.find_entity("1")

    assert cwc.find_entity("1") == guid  # the broken connection was not pooled


@pytest.mark.parametrize("content_length", [True, False])
def test_an_oversized_answer_is_cut_off_without_holding_it(sim, make_cwc, content_length):
    cwc = make_cwc(CWC_MAX_ANSWER_BYTES=str(1024 * 1024), CWC_MAX_ATTEMPTS="1")
    cwc.find_entity("1")
    sim.set_faults(
        oversized={"megabytes": 100, "content_length": content_length, "path_contains": "/ent"}
    )

    tracemalloc.start()
    try:
        with pytest.raises(CwcUnavailable) as caught:
            cwc.find_entity("1")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    # Both ends of the socket live in this process: a few MB at most, not 100.
    assert peak < 6 * 1024 * 1024, peak
    assert "larger than 1048576 bytes" in str(caught.value)


def test_keep_alive_connections_are_reused_and_pages_are_of_50(sim, cwc):
    for number in range(8):
        cwc.find_entity(str(number))

    connections = {call["connection"] for call in sim.calls()}
    assert len(sim.calls()) == 9  # a token, then eight searches
    assert len(connections) == 1
    searches = calls_to(sim, "GET", "/entities")
    assert all("pageSize=50" in call["query"] for call in searches)  # as the public clients


# Answers that are not what the contract says ---------------------------------------------


@pytest.mark.parametrize("odd", ["non_ascii", "crlf", "empty", "long", "not_string"])
def test_an_odd_token_is_passing_trouble_and_never_cached(sim, make_cwc, odd):
    cwc = make_cwc(CWC_MAX_ATTEMPTS="1")
    sim.set_faults(odd_token=odd)

    with pytest.raises(CwcBadAnswer) as caught:
        cwc.find_entity("1")
    assert "usable Token" in str(caught.value)
    assert calls_to(sim, "GET", "/entities") == []  # the odd token was never sent

    sim.clear_faults()
    assert cwc.find_entity("1") is None  # a fresh token at once, not 29 minutes later
    assert len(calls_to(sim, "POST", "/auth/token")) == 2


@pytest.mark.parametrize("kind", ["html", "not_json", "wrong_shape"])
def test_an_answer_of_the_wrong_kind_is_passing_trouble(sim, make_cwc, kind):
    cwc = make_cwc(CWC_MAX_ATTEMPTS="1")
    cwc.find_entity("1")
    sim.set_faults(bad_body={"kind": kind, "status": 200, "path_contains": "/entities"})

    with pytest.raises(CwcBadAnswer) as caught:
        cwc.find_entity("1")
    assert "<" not in str(caught.value) and "html>" not in str(caught.value).lower()


def test_an_html_error_page_is_not_echoed(sim, make_cwc):
    cwc = make_cwc(CWC_MAX_ATTEMPTS="1")
    cwc.find_entity("1")
    sim.set_faults(bad_body={"kind": "html", "status": 502, "path_contains": "/entities"})

    with pytest.raises(CwcUnavailable) as caught:
        cwc.find_entity("1")
    assert caught.value.status == 502 and caught.value.cwc_message is None


@pytest.mark.parametrize("switch", ["long_ids", "malformed_ids"])
def test_a_bad_id_is_never_taken_and_the_entity_is_adopted_later(
    sim, make_cwc, client_record, switch
):
    cwc = make_cwc(CWC_MAX_ATTEMPTS="1")
    sim.set_faults(**{switch: {"length": 300}})

    with pytest.raises(CwcUnavailable):
        cwc.ensure_entity(client_record)

    sim.clear_faults()
    guid = cwc.ensure_entity(client_record)
    [entity] = sim.state()["entities"]
    assert entity["CWGuid"] == guid and len(guid) == 36


# Logins that only look the same ------------------------------------------------------------


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        ("anna@devriffes.example", "anna@devri\ufb00es.example"),  # the ligature ff
        ("strasse@devries.example", "straße@devries.example"),
        ("kees@devries.example", "\u212aees@devries.example"),  # the Kelvin sign
        ("éva@devries.example", "Éva@devries.example"),  # not A-Z
    ],
)
def test_a_look_alike_login_is_never_adopted(sim, cwc, client_record, contact_record, ours, theirs):
    [other] = sim.seed(users=[{"OwnerType": "Contact", "Email": theirs, "FirstName": "Other"}])[
        "users"
    ]
    entity = cwc.ensure_entity(client_record)

    user = cwc.link_contact(entity, {**contact_record, "email": ours})

    assert user != other
    assert user_in(sim, other)["FirstName"] == "Other"
    assert user_in(sim, other)["Email"] == theirs
    assert not any(other in call["path"] for call in sim.calls())
    assert other not in str(sim.state()["role_assignments"])


def test_a_409_for_a_look_alike_login_is_refused_and_touches_nothing(
    sim, cwc, client_record, contact_record
):
    contact_record = {**contact_record, "email": "strasse@devries.example"}
    [other] = sim.seed(
        users=[{"OwnerType": "Contact", "Email": "straße@devries.example", "FirstName": "Ot"}]
    )["users"]
    entity = cwc.ensure_entity(client_record)
    # As if CaseWare Cloud folded the two into one address: it calls ours taken.
    sim.set_faults(fail_next={"status": 409, "method": "POST", "path_contains": "/users"})

    with pytest.raises(CwcEmailInUse) as caught:
        cwc.link_contact(entity, contact_record)

    assert "not this contact's" in str(caught.value)
    assert user_in(sim, other)["FirstName"] == "Ot"
    assert not any(other in call["path"] for call in sim.calls())
    assert other not in str(sim.state()["role_assignments"])


def test_a_login_differing_in_ascii_case_only_is_adopted(sim, cwc, client_record, contact_record):
    [same] = sim.seed(users=[{"OwnerType": "Contact", "Email": "Anna@DeVries.example"}])["users"]
    entity = cwc.ensure_entity(client_record)

    assert cwc.link_contact(entity, contact_record) == same


# 404s that are not "already gone" ----------------------------------------------------------


def test_a_route_404_never_counts_as_a_withdrawal(sim, cwc, client_record, contact_record):
    entity = cwc.ensure_entity(client_record)
    user = cwc.link_contact(entity, contact_record)
    sim.set_faults(
        fail_next={"status": 404, "method": "PATCH", "path_contains": "/role-assignments"}
    )

    with pytest.raises(CwcRejected) as caught:
        cwc.withdraw_access(entity, user)

    assert "404 although the objects exist" in str(caught.value)
    assert user in str(sim.state()["role_assignments"])  # the access is still there


def test_a_404_for_a_user_shown_gone_is_done(sim, cwc, client_record, contact_record):
    entity = cwc.ensure_entity(client_record)
    user = cwc.link_contact(entity, contact_record)
    sim.simulator.store.delete_user(user)

    cwc.withdraw_access(entity, user)  # no error: the user is gone, and its access with it
    cwc.deactivate_user(user)
    assert calls_to(sim, "GET", f"/users/{user}")[-1]["status"] == 404


def test_a_route_404_never_counts_as_a_deactivation(sim, cwc, client_record, contact_record):
    entity = cwc.ensure_entity(client_record)
    user = cwc.link_contact(entity, contact_record)
    sim.set_faults(fail_next={"status": 404, "method": "PATCH", "path_contains": "/users/"})

    with pytest.raises(CwcRejected):
        cwc.deactivate_user(user)
    assert user_in(sim, user)["Type"] == "A"


# The rate limit as the real one sets it -----------------------------------------------------


def test_a_429_storm_without_retry_after_drains_with_few_429s(sim, make_cwc):
    cwc = make_cwc(CWC_MAX_ATTEMPTS="6", CWC_MAX_RETRY_WAIT="30")
    cwc.find_entity("0")
    sim.set_rate_limit(capacity=3, refill_per_second=20)
    sim.clear_calls()
    errors = []

    def worker(first: int) -> None:
        for number in range(first, first + 15):
            try:
                cwc.find_entity(str(number))
            except CwcUnavailable as error:  # pragma: no cover - reported below
                errors.append(error)

    threads = [threading.Thread(target=worker, args=(n * 100,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    statuses = [call["status"] for call in sim.calls()]
    assert errors == []
    assert statuses.count(200) == 60
    assert statuses.count(429) < statuses.count(200) / 3, statuses.count(429)


def test_a_create_whose_answer_is_lost_is_retried_only_after_it_could_land(
    sim, make_http_cwc, client_record
):
    """A POST still on its way may land after the look-up that follows it: the error asks to
    wait create_settle_seconds, so that the next attempt finds it instead of making two."""
    deadline = [None]
    cwc = make_http_cwc(deadline_provider=lambda: deadline[0])
    cwc.check()
    sim.set_faults(slow_drip={"bytes_per_second": 1, "path_contains": "/entities"})

    until = time.monotonic() + 15
    while time.monotonic() < until and not calls_to(sim, "POST", "/entities"):
        deadline[0] = time.monotonic() + 1.6
        with pytest.raises(CwcUnavailable) as caught:
            cwc.ensure_entity(client_record)

    assert calls_to(sim, "POST", "/entities"), "the create was never sent"
    assert caught.value.maybe_performed and caught.value.retry_after == 30.0
    assert "may still land" in str(caught.value)
