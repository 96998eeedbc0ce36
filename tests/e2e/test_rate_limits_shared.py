"""gunicorn, two workers, one Redis: a caller's limit holds in total, not per worker."""

import pytest
import requests

from tests.e2e.conftest import REDIS_URL

LIMIT = 10
REQUESTS = 4 * LIMIT


@pytest.fixture
def gateway_env(redis_keys):
    return {
        "REDIS_URL": REDIS_URL,
        "RATE_LIMIT_KEY_PREFIX": redis_keys.prefix,
        "RATE_LIMIT_READS": f"{LIMIT}/minute",
        "GATEWAY_WORKERS": "2",
    }


def test_a_read_limit_holds_over_both_workers(gateway):
    base, headers = gateway["base"], gateway["headers"]
    gateway["start"]()

    statuses = []
    for _ in range(REQUESTS):
        # A connection of its own each time, so that both workers take requests.
        answer = requests.get(
            f"{base}/v1/clients", headers={**headers, "Connection": "close"}, timeout=10
        )
        statuses.append(answer.status_code)

    assert statuses.count(200) == LIMIT, statuses
    assert statuses.count(429) == REQUESTS - LIMIT, statuses
    assert statuses[LIMIT:] == [429] * (REQUESTS - LIMIT)
