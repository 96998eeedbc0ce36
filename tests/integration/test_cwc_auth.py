"""The adapter's token handling, request ids and secrecy, against the simulator."""

from __future__ import annotations

import logging
import threading

import pytest

from adapters.caseware_cloud import CwcRejected, CwcUnavailable
from tests.integration.cwc_helpers import calls_to


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def token_calls(sim):
    return calls_to(sim, "POST", "/auth/token")


def test_token_is_fetched_once_and_reused(sim, cwc, client_record):
    cwc.find_entity("1")
    cwc.create_entity(client_record)
    cwc.find_entity("1001")

    assert len(token_calls(sim)) == 1
    assert [c["status"] for c in sim.calls()].count(401) == 0


def test_token_is_renewed_before_its_configured_age(sim, make_http_cwc):
    clock = FakeClock()
    cwc = make_http_cwc(clock=clock, token_ttl=60)

    cwc.find_entity("1")
    clock.now += 59
    cwc.find_entity("1")
    assert len(token_calls(sim)) == 1

    clock.now += 2
    cwc.find_entity("1")
    assert len(token_calls(sim)) == 2
    assert 401 not in [c["status"] for c in sim.calls()]


def test_token_age_is_capped_at_29_minutes(sim, make_http_cwc):
    clock = FakeClock()
    cwc = make_http_cwc(clock=clock, token_ttl=3600)

    cwc.find_entity("1")
    clock.now += 29 * 60 + 1
    cwc.find_entity("1")

    assert len(token_calls(sim)) == 2


def test_an_expired_token_is_refreshed_once_and_the_call_retried(sim, cwc):
    cwc.find_entity("1")
    sim.advance_clock(30 * 60 + 1)  # CWC's tokens die; the adapter still holds its own
    sim.clear_calls()

    assert cwc.find_entity("1") is None

    assert [(c["method"], c["path"], c["status"]) for c in sim.calls()] == [
        ("GET", "/entities", 401),
        ("POST", "/auth/token", 200),
        ("GET", "/entities", 200),
    ]


def test_a_second_401_is_not_retried_again(sim, cwc):
    cwc.find_entity("1")
    sim.set_faults(fail_next={"count": 5, "status": 401, "path_contains": "/entities"})
    sim.clear_calls()

    with pytest.raises(CwcRejected) as caught:
        cwc.find_entity("1")

    assert caught.value.status == 401
    assert len(calls_to(sim, "GET", "/entities")) == 2
    assert len(token_calls(sim)) == 1


def test_concurrent_callers_share_one_token_fetch(sim, cwc):
    sim.set_faults(latency_ms=150, latency_path_contains="/auth/token")
    start = threading.Barrier(8)
    results, failures = [], []

    def call() -> None:
        start.wait()
        try:
            results.append(cwc.find_entity("1"))
        except Exception as exc:  # reported below, so a failure names its cause
            failures.append(exc)

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert failures == []
    assert results == [None] * 8
    assert len(token_calls(sim)) == 1
    assert len(calls_to(sim, "GET", "/entities")) == 8


def test_wrong_credentials_are_rejected_without_retries(sim, make_cwc):
    cwc = make_cwc(CWC_CLIENT_SECRET="not-the-secret")

    with pytest.raises(CwcRejected) as caught:
        cwc.find_entity("1")

    assert (caught.value.status, caught.value.path) == (401, "auth/token")
    assert "Invalid client credentials" in str(caught.value)
    assert len(token_calls(sim)) == 1
    assert calls_to(sim, "GET", "/entities") == []


def test_request_id_is_passed_on_every_call(sim, make_cwc, client_record):
    cwc = make_cwc(request_id_provider=lambda: "req-42")

    cwc.ensure_entity(client_record)

    seen = {c["request_id"] for c in sim.calls()}
    assert seen == {"req-42"}
    assert len(sim.calls()) >= 4


def test_request_id_provider_that_fails_does_not_fail_the_call(sim, make_cwc):
    def outside_a_request() -> str:
        raise RuntimeError("working outside of request context")

    cwc = make_cwc(request_id_provider=outside_a_request)

    assert cwc.find_entity("1") is None
    assert {c["request_id"] for c in sim.calls()} == {None}


def test_secrets_never_reach_errors_or_logs(sim, make_cwc, caplog, contact_record):
    caplog.set_level(logging.DEBUG)
    cwc = make_cwc(CWC_MAX_ATTEMPTS="2")
    errors: list[Exception] = []

    cwc.find_entity("1")
    for fault, call in [
        ({"fail_next": {"count": 1, "status": 401}}, lambda: cwc.find_entity("1")),
        ({"fail_next": {"count": 2, "status": 503}}, lambda: cwc.find_entity("1")),
        ({}, lambda: cwc.create_user({**contact_record, "first_name": "x" * 31})),
        ({}, lambda: make_cwc(CWC_CLIENT_SECRET="wrong-" + sim.client_secret).find_entity("1")),
    ]:
        sim.set_faults(**fault)
        try:
            call()
        except (CwcRejected, CwcUnavailable) as exc:
            errors.append(exc)

    assert len(errors) == 3  # the 401 was healed by a new token
    secrets_ = [sim.client_secret, *sim.simulator.issued_tokens()]
    assert len(secrets_) >= 3
    texts = [caplog.text, repr(cwc.http), *map(str, errors), *map(repr, errors)]
    for secret in secrets_:
        for text in texts:
            assert secret not in text
