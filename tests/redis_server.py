"""The test Redis (db 14 unless VALLIANCE_TEST_REDIS_URL): tests that need one skip without
it, or fail with REQUIRE_REDIS=1 (CI)."""

import os

import pytest
from redis import Redis

REDIS_URL = os.environ.get("VALLIANCE_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")


def answering_redis() -> Redis:
    """A connection to the test Redis, which answered a ping; else skip (or fail in CI)."""
    connection = Redis.from_url(REDIS_URL)
    try:
        connection.ping()
    except Exception:  # redis' ConnectionError and its kin: nothing answers there
        if os.environ.get("REQUIRE_REDIS") == "1":
            pytest.fail(f"Redis is required (REQUIRE_REDIS=1) but none answers at {REDIS_URL}")
        pytest.skip(f"no Redis at {REDIS_URL}")
    return connection
