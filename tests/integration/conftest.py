"""Fixtures: a CaseWare Cloud simulator on a real socket and adapters pointed at it."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from adapters.caseware_cloud import CaseWareCloud, CwcHttpClient, RetryPolicy
from adapters.caseware_cloud.simulator import SimulatorHandle, start_in_thread

# Tiny back-off so retries cost milliseconds; the timeouts stay generous for slow CI.
FAST = {
    "CWC_CONNECT_TIMEOUT": "1",
    "CWC_READ_TIMEOUT": "2",
    "CWC_MAX_ATTEMPTS": "3",
    "CWC_BACKOFF_BASE": "0.001",
    "CWC_BACKOFF_CAP": "0.005",
    "CWC_MAX_RETRY_WAIT": "1",
}


@pytest.fixture
def sim() -> Iterator[SimulatorHandle]:
    """A fresh simulator per test, with credentials no test can guess."""
    handle = start_in_thread("gateway-test", "secret-" + secrets.token_hex(16))
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture
def make_cwc(sim: SimulatorHandle) -> Iterator[Callable[..., CaseWareCloud]]:
    """Build an adapter from CWC_ settings (fast defaults, overridable) via from_config."""
    made: list[CaseWareCloud] = []

    def make(request_id_provider: Callable[[], str | None] | None = None, **settings: Any):
        gateway = CaseWareCloud.from_config(
            sim.config(**{**FAST, **settings}), request_id_provider=request_id_provider
        )
        made.append(gateway)
        return gateway

    yield make
    for gateway in made:
        gateway.close()


@pytest.fixture
def cwc(make_cwc: Callable[..., CaseWareCloud]) -> CaseWareCloud:
    return make_cwc()


class Sleeps(list):
    """A stand-in for time.sleep that records the delays instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def make_http_cwc(sim: SimulatorHandle) -> Iterator[Callable[..., CaseWareCloud]]:
    """Build an adapter around a hand-made client, to inject sleep, clock or retry policy."""
    made: list[CaseWareCloud] = []

    def make(retry: RetryPolicy | None = None, **client_options: Any) -> CaseWareCloud:
        http = CwcHttpClient(
            sim.api_url,
            sim.client_id,
            sim.client_secret,
            connect_timeout=1,
            read_timeout=2,
            retry=retry or RetryPolicy(backoff_base=0.001, backoff_cap=0.005, max_wait=1),
            **client_options,
        )
        gateway = CaseWareCloud(http)
        made.append(gateway)
        return gateway

    yield make
    for gateway in made:
        gateway.close()


@pytest.fixture
def client_record() -> dict[str, Any]:
    """An AuditCase client, in our field names."""
    return {
        "id": 7,
        "number": "1001",
        "name": "Bakkerij de Vries B.V.",
        "kind": "business",
        "status": "active",
        "address": "Dorpsstraat 12a",
        "postcode": "1234 AB",
        "city": "Utrecht",
        "country": "NL",
        "phone": "030-1234567",
        "email": "info@devries.example",
        "website": "https://devries.example",
        "facebook": "devriesbakkerij",
        "twitter": "@devries",
        "linkedin": "bakkerij-de-vries",
    }


@pytest.fixture
def contact_record() -> dict[str, Any]:
    """An AuditCase contact person, in our field names."""
    return {
        "id": 3,
        "client_id": 7,
        "first_name": "Anna",
        "infix": "de",
        "last_name": "Vries",
        "initials": "A.M.",
        "email": "anna@devries.example",
        "phone": "030-7654321",
        "mobile": "06-12345678",
    }
