"""gunicorn, two workers, one Redis: a caller's limit holds in total, not per worker."""

import os
import uuid

import pytest
import redis
import requests

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
LIMIT = 10
REQUESTS = 4 * LIMIT


@pytest.fixture
def redis_prefix():
    """A key prefix of this run's own in a Redis that answers; its keys are deleted after."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=2)
    try:
        client.ping()
    except redis.RedisError as error:
        client.close()
        pytest.skip(f"Redis at {REDIS_URL} cannot be reached ({error}): set TEST_REDIS_URL")
    prefix = f"gateway-test-{uuid.uuid4().hex[:12]}"
    yield prefix
    for key in client.scan_iter(match=f"{prefix}:*"):
        client.delete(key)
    client.close()


@pytest.fixture
def gateway_env(redis_prefix):
    return {
        "REDIS_URL": REDIS_URL,
        "RATE_LIMIT_KEY_PREFIX": redis_prefix,
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
