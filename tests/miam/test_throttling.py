"""The API's rate limits (``miam.throttling.WindowCounter``): DRF's rates and buckets, counted
as a sliding window over two per-period counters, one round trip to the cache a request."""

from __future__ import annotations

import os

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from miam.cache import FailoverRedisCache
from miam.throttling import AnonymousRateThrottle

MINUTE = 60
WINDOW = 29_000_000  # some minute since the epoch (a test clock, not today's)


class Clock:
    def __init__(self, seconds: float) -> None:
        self.now = seconds

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock(WINDOW * MINUTE)
    monkeypatch.setattr(SimpleRateThrottle, "timer", staticmethod(clock))
    cache.clear()
    yield clock
    cache.clear()


def _limit(monkeypatch, rate: str) -> None:
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"apikey": rate, "user": rate, "anon": rate})


def _statuses(client, count: int) -> list[int]:
    return [client.get("/api/v1/categories/").status_code for _ in range(count)]


def test_the_last_window_weighs_in_and_a_refused_request_does_not_count(db, clock, monkeypatch):
    _limit(monkeypatch, "4/min")
    client = APIClient()
    clock.now += 50  # late in a minute: four requests, then a refusal
    assert _statuses(client, 5) == [200, 200, 200, 200, 429]

    clock.now += 15  # 5 s into the next minute: the last one still weighs 4 × 55/60
    refused = client.get("/api/v1/categories/")
    assert refused.status_code == 429
    # Allowed again once 4 × (1 − elapsed) + 1 ≤ 4, i.e. 15 s into the minute: 10 s from now.
    assert refused["Retry-After"] == "10"
    assert refused.json()["code"] == "throttled"

    clock.now += 9
    assert _statuses(client, 1) == [429]
    clock.now += 1  # the refused requests were taken back: exactly as announced
    assert _statuses(client, 2) == [200, 429]

    clock.now += 2 * MINUTE  # both windows past: a full allowance again
    assert _statuses(client, 5) == [200, 200, 200, 200, 429]


def test_a_full_window_says_how_long_until_the_next_request(db, clock, monkeypatch):
    _limit(monkeypatch, "3/min")
    client = APIClient()
    clock.now += 20
    assert _statuses(client, 3) == [200, 200, 200]
    refused = client.get("/api/v1/categories/")
    # 40 s to the end of this minute, then 3 × (1 − e) + 1 ≤ 3 at e = 1/3: 20 s more.
    assert refused.status_code == 429 and refused["Retry-After"] == "60"
    clock.now += 59
    assert _statuses(client, 1) == [429]
    clock.now += 1
    assert _statuses(client, 2) == [200, 429]


@pytest.mark.redis
def test_on_redis_a_bucket_is_two_integers_whatever_the_rate(db, clock, monkeypatch):
    """DRF kept the time of every request (a list as long as the limit, read and written back
    at each request); here a request adds one to a counter in Redis."""
    _limit(monkeypatch, "100000/min")
    redis_cache = FailoverRedisCache(os.environ["REDIS_URL"], {})
    monkeypatch.setattr(AnonymousRateThrottle, "cache", redis_cache)
    redis_cache.clear()
    client = APIClient()
    assert set(_statuses(client, 30)) == {200}
    key = AnonymousRateThrottle.cache_format % {"scope": "anon", "ident": "127.0.0.1"}
    assert redis_cache.get(f"{key}:{WINDOW}") == 30
    assert redis_cache.get(f"{key}:{WINDOW - 1}") is None
    raw = redis_cache.redis._cache.get_client(write=False)
    stored = raw.get(redis_cache.make_key(f"{key}:{WINDOW}"))
    assert stored == b"30"  # a plain integer, not a pickled list
    assert 0 < raw.ttl(redis_cache.make_key(f"{key}:{WINDOW}")) <= 2 * MINUTE
    redis_cache.clear()
