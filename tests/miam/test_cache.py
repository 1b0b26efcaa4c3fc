"""The cache backend: Redis, and this process's memory while Redis does not answer."""

from __future__ import annotations

import logging
import os
import time

import pytest
from django.core.cache.backends.redis import RedisCache

from miam.cache import FailoverRedisCache

UNREACHABLE = "redis://127.0.0.1:6399/5"


def failover(location: str, retry_after: float = 5.0) -> FailoverRedisCache:
    return FailoverRedisCache(
        location, {"OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5, "RETRY_AFTER": retry_after}}
    )


def test_an_unreachable_redis_is_said_once_and_the_process_memory_answers(caplog):
    cache = failover(UNREACHABLE)
    with caplog.at_level(logging.WARNING, logger="miam.cache"):
        assert cache.get("absent", []) == []  # the caller's default, as DRF's throttle expects
        cache.set("page", b"body", 15)
        assert cache.get("page") == b"body"
        assert cache.get_or_set("version", 1, None) == 1
        assert cache.incr("version") == 2
        assert cache.degraded
    assert caplog.text.count("Redis unreachable") == 1


@pytest.mark.redis
def test_once_redis_answers_again_the_cache_goes_back_to_it(caplog):
    cache = failover(UNREACHABLE, retry_after=0.2)
    cache.set("k", "local", 15)
    assert cache.degraded
    cache.redis = RedisCache(os.environ["REDIS_URL"], {})  # Redis is back at the address
    assert cache.get("k") == "local"  # still within RETRY_AFTER: the memory answers
    time.sleep(0.3)
    with caplog.at_level(logging.WARNING, logger="miam.cache"):
        cache.set("k", "redis", 15)
    assert "Redis answers again" in caplog.text and not cache.degraded
    assert RedisCache(os.environ["REDIS_URL"], {}).get("k") == "redis"
    cache.delete("k")


def test_a_redis_that_accepts_and_never_answers_is_a_timeout_not_a_hang(caplog):
    """A listening socket that never replies (a hung Redis): the socket timeout ends the wait,
    and the next calls do not wait again."""
    import socket

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # connections are queued by the kernel, never read
    try:
        cache = failover(f"redis://127.0.0.1:{silent.getsockname()[1]}/5")
        with caplog.at_level(logging.WARNING, logger="miam.cache"):
            assert cache.get("k", "default") == "default"
        assert "TimeoutError" in caplog.text and cache.degraded
        cache.set("k", "local", 15)
        assert cache.get("k") == "local"
    finally:
        silent.close()


@pytest.mark.redis
def test_one_redis_client_is_reused_for_every_call():
    cache = failover(os.environ["REDIS_URL"])
    client = cache.redis._cache.get_client(write=True)
    assert cache.redis._cache.get_client(write=True) is client
    assert cache.redis._cache.get_client() is client  # one server: reads and writes share it
    cache.set("miam-test-reused", b"body", 15)
    assert cache.get("miam-test-reused") == b"body"
    cache.delete("miam-test-reused")
