"""The adapter under passing trouble: rate limits, 5xx, timeouts, refused and reset connections,
and creates whose answer was lost."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from adapters.caseware_cloud import CwcOutOfTime, CwcUnavailable, RetryPolicy
from tests.integration.cwc_helpers import calls_to, entity_in

PATIENT = RetryPolicy(max_attempts=4, max_wait=300, backoff_base=0.001, backoff_cap=0.005)


def statuses(sim, method, path):
    return [c["status"] for c in calls_to(sim, method, path)]


# Rate limits -------------------------------------------------------------------------


def test_429_retry_after_in_seconds_is_honoured(sim, make_http_cwc, sleeps):
    cwc = make_http_cwc(retry=PATIENT, sleep=sleeps)
    sim.set_faults(fail_next={"count": 1, "status": 429, "retry_after": "7"})

    assert cwc.find_entity("1") is None

    assert sleeps == [7.0]
    assert statuses(sim, "POST", "/auth/token") == [429, 200]


def test_429_retry_after_as_an_http_date_is_honoured(sim, make_http_cwc, sleeps):
    cwc = make_http_cwc(retry=PATIENT, sleep=sleeps)
    cwc.find_entity("1")
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=5), usegmt=True)
    sim.set_faults(fail_next={"count": 1, "status": 429, "retry_after": when})

    cwc.find_entity("1")

    [delay] = sleeps
    assert 0 < delay <= 5


def test_429_on_a_create_is_retried_because_nothing_happened(
    sim, make_http_cwc, sleeps, client_record
):
    cwc = make_http_cwc(retry=PATIENT, sleep=sleeps)
    sim.set_faults(
        fail_next={
            "count": 1,
            "status": 429,
            "retry_after": "1",
            "method": "POST",
            "path_contains": "/entities",
        }
    )

    guid = cwc.create_entity(client_record)

    assert statuses(sim, "POST", "/entities") == [429, 201]
    assert [e["CWGuid"] for e in sim.state()["entities"]] == [guid]


def test_a_retry_after_beyond_the_wait_budget_gives_up_at_once(sim, make_http_cwc, sleeps):
    cwc = make_http_cwc(sleep=sleeps)  # max_wait 1 s
    cwc.find_entity("1")
    sim.set_faults(rate_limit_storm="120")

    with pytest.raises(CwcUnavailable) as caught:
        cwc.find_entity("1")

    assert (caught.value.status, caught.value.retry_after) == (429, 120)
    assert sleeps == []
    assert statuses(sim, "GET", "/entities") == [200, 429]


def test_the_simulators_token_bucket_is_respected(sim, make_http_cwc):
    waited = []

    def sleep(seconds):  # let the simulator's time pass instead of ours
        waited.append(seconds)
        sim.advance_clock(seconds)

    cwc = make_http_cwc(retry=PATIENT, sleep=sleep)
    sim.set_rate_limit(capacity=2, refill_per_second=0.5)

    for _ in range(3):
        assert cwc.find_entity("1") is None

    assert waited and all(w >= 1 for w in waited)
    assert 429 in statuses(sim, "GET", "/entities")
    assert statuses(sim, "GET", "/entities")[-1] == 200


# Server errors and back-off ----------------------------------------------------------


def test_5xx_is_retried_then_succeeds(sim, cwc):
    sim.set_faults(fail_next={"count": 2, "status": 503, "path_contains": "/entities"})

    assert cwc.find_entity("1") is None

    assert statuses(sim, "GET", "/entities") == [503, 503, 200]


def test_5xx_exhausted_is_unavailable(sim, cwc):
    sim.set_faults(fail_next={"count": 9, "status": 500, "path_contains": "/entities"})

    with pytest.raises(CwcUnavailable) as caught:
        cwc.find_entity("1")

    assert caught.value.status == 500
    assert statuses(sim, "GET", "/entities") == [500, 500, 500]  # CWC_MAX_ATTEMPTS=3


def test_outage_is_unavailable(sim, cwc):
    sim.set_faults(outage=True)

    with pytest.raises(CwcUnavailable) as caught:
        cwc.find_entity("1")
    assert caught.value.status == 503


def test_backoff_uses_full_jitter_within_its_cap(sim, make_http_cwc, sleeps):
    policy = RetryPolicy(max_attempts=4, max_wait=10, backoff_base=0.1, backoff_cap=0.15)
    cwc = make_http_cwc(retry=policy, sleep=sleeps, rng=lambda: 1.0)
    sim.set_faults(fail_next={"count": 3, "status": 502, "path_contains": "/entities"})

    cwc.find_entity("1")

    assert sleeps == pytest.approx([0.1, 0.15, 0.15])


def test_total_wait_is_bounded(sim, make_http_cwc, sleeps):
    policy = RetryPolicy(max_attempts=10, max_wait=2.5, backoff_base=1, backoff_cap=1)
    cwc = make_http_cwc(retry=policy, sleep=sleeps, rng=lambda: 1.0)
    sim.set_faults(fail_next={"count": 10, "status": 503, "path_contains": "/entities"})

    with pytest.raises(CwcUnavailable):
        cwc.find_entity("1")

    assert sleeps == [1, 1]
    assert len(calls_to(sim, "GET", "/entities")) == 3


# Network trouble ---------------------------------------------------------------------


def test_read_timeout_is_unavailable(sim, make_cwc):
    cwc = make_cwc(CWC_READ_TIMEOUT="0.1", CWC_MAX_ATTEMPTS="2")
    sim.set_faults(latency_ms=500, latency_path_contains="/entities")

    with pytest.raises(CwcUnavailable) as caught:
        cwc.find_entity("1")

    assert caught.value.summary == "timed out"
    assert caught.value.status is None


def test_a_callers_deadline_cuts_the_wait_short_and_is_out_of_time(sim, make_http_cwc):
    cwc = make_http_cwc(deadline_provider=lambda: time.monotonic() + 0.3)
    cwc.check()  # the token, before the clock matters
    sim.set_faults(latency_ms=1500, latency_path_contains="/entities")

    with pytest.raises(CwcOutOfTime) as caught:
        cwc.find_entity("1")

    assert caught.value.summary == "out of time for this request"
    assert len(calls_to(sim, "GET", "/entities")) == 1  # no retry without time for it


def test_a_passed_deadline_sends_nothing(sim, make_http_cwc):
    cwc = make_http_cwc(deadline_provider=lambda: time.monotonic() - 1)

    with pytest.raises(CwcOutOfTime) as caught:
        cwc.find_entity("1")

    assert caught.value.maybe_performed is False
    assert sim.calls() == []


def test_a_create_cut_short_is_adopted_later_never_made_twice(sim, make_http_cwc, client_record):
    deadline = [time.monotonic() + 0.3]
    cwc = make_http_cwc(deadline_provider=lambda: deadline[0])
    cwc.check()
    sim.set_faults(latency_ms=1000, latency_path_contains="/entities")

    with pytest.raises(CwcOutOfTime):
        cwc.create_entity(client_record)

    # The simulator finishes the create it was sent; then the background courier, with no
    # deadline, repeats the link: it adopts the entity.
    until = time.monotonic() + 10
    while not calls_to(sim, "POST", "/entities") and time.monotonic() < until:
        time.sleep(0.05)
    assert len(calls_to(sim, "POST", "/entities")) == 1
    deadline[0] = None
    sim.clear_faults()
    cwc.ensure_entity(client_record)
    assert len(sim.state()["entities"]) == 1


def test_connection_refused_is_unavailable_until_cwc_is_back(sim, cwc):
    cwc.find_entity("1")
    sim.refuse_connections()

    with pytest.raises(CwcUnavailable) as caught:
        cwc.find_entity("1")
    assert caught.value.summary == "could not connect"
    assert caught.value.maybe_performed is False

    sim.accept_connections()
    assert cwc.find_entity("1") is None


def test_a_refused_create_is_retried_because_it_never_left(sim, make_http_cwc, client_record):
    cwc = make_http_cwc(sleep=lambda seconds: sim.accept_connections())
    cwc.find_entity("1")
    sim.refuse_connections()

    guid = cwc.create_entity(client_record)

    assert [e["CWGuid"] for e in sim.state()["entities"]] == [guid]


def test_connection_reset_on_a_read_is_retried(sim, cwc):
    sim.set_faults(fail_next={"count": 1, "status": "reset", "path_contains": "/entities"})

    assert cwc.find_entity("1") is None

    resets = [c["reset"] for c in calls_to(sim, "GET", "/entities")]
    assert resets == [True, False]


# Creates whose answer was lost -------------------------------------------------------


def test_reset_after_an_entity_create_adopts_instead_of_resending(sim, cwc, client_record):
    sim.set_faults(
        fail_after_write={
            "count": 1,
            "status": "reset",
            "method": "POST",
            "path_contains": "/entities",
        }
    )

    guid = cwc.create_entity(client_record)

    [entity] = sim.state()["entities"]
    assert entity["CWGuid"] == guid
    assert len(entity["addresses"]) == 1
    assert len(calls_to(sim, "POST", "/entities")) == 1


def test_lost_answer_of_an_entity_create_does_not_duplicate(sim, cwc, client_record):
    sim.set_faults(
        fail_after_write={"count": 1, "status": 503, "method": "POST", "path_contains": "/entities"}
    )

    guid = cwc.ensure_entity(client_record)

    [entity] = sim.state()["entities"]
    assert entity["CWGuid"] == guid
    assert len(entity["addresses"]) == 1
    assert statuses(sim, "POST", "/entities") == [503]


def test_lost_answer_of_an_address_create_does_not_duplicate(sim, cwc, client_record):
    sim.set_faults(
        fail_after_write={
            "count": 1,
            "status": 502,
            "method": "POST",
            "path_contains": "/addresses",
        }
    )

    guid = cwc.create_entity(client_record)

    assert len(entity_in(sim, guid)["addresses"]) == 1


def test_lost_answer_of_a_user_create_does_not_duplicate(sim, cwc, contact_record):
    sim.set_faults(
        fail_after_write={"count": 1, "status": 504, "method": "POST", "path_contains": "/users"}
    )

    guid = cwc.ensure_user(contact_record)

    assert [u["CWGuid"] for u in sim.state()["users"]] == [guid]
    assert len(calls_to(sim, "POST", "/users")) == 1


def test_a_create_that_failed_before_writing_is_made_on_the_next_run(sim, cwc, client_record):
    sim.set_faults(
        fail_next={"count": 1, "status": 500, "method": "POST", "path_contains": "/entities"}
    )

    with pytest.raises(CwcUnavailable) as caught:
        cwc.ensure_entity(client_record)
    assert caught.value.maybe_performed is True
    assert sim.state()["entities"] == []
    assert len(calls_to(sim, "POST", "/entities")) == 1  # never resent blindly

    guid = cwc.ensure_entity(client_record)
    assert [e["CWGuid"] for e in sim.state()["entities"]] == [guid]


def test_a_crash_between_entity_and_address_is_mended_on_the_next_run(sim, cwc, client_record):
    sim.set_faults(
        fail_next={"count": 1, "status": 503, "method": "POST", "path_contains": "/addresses"}
    )

    with pytest.raises(CwcUnavailable):
        cwc.ensure_entity(client_record)
    [entity] = sim.state()["entities"]
    assert entity["addresses"] == []

    assert cwc.ensure_entity(client_record) == entity["CWGuid"]
    [entity] = sim.state()["entities"]
    assert len(entity["addresses"]) == 1


def test_a_create_that_timed_out_but_happened_is_adopted_later(sim, make_cwc, client_record):
    cwc = make_cwc(CWC_READ_TIMEOUT="0.1", CWC_MAX_ATTEMPTS="1")
    cwc.find_entity("0")  # fetch the token before the slowness starts
    sim.set_faults(latency_ms=300, latency_path_contains="/entities")

    with pytest.raises(CwcUnavailable):
        cwc.create_entity(client_record)  # the POST times out, and so does the look-up

    deadline = time.monotonic() + 5
    while not sim.state()["entities"] and time.monotonic() < deadline:
        time.sleep(0.02)  # the slow create lands after the adapter gave up
    sim.clear_faults()
    assert len(sim.state()["entities"]) == 1

    guid = cwc.ensure_entity(client_record)
    [entity] = sim.state()["entities"]
    assert entity["CWGuid"] == guid
    assert len(entity["addresses"]) == 1
    assert len(calls_to(sim, "POST", "/entities")) == 1
