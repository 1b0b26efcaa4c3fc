"""The API's rate limits (DRF throttles) over the default cache.

DRF's rates and buckets, counted in windows (``WindowCounter``) rather than DRF's list of
timestamps. While Redis is unreachable the cache (``miam.cache.FailoverRedisCache``) answers
from the process's memory: the limits keep counting, per process, instead of failing the
request.
"""

from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle

from miam.cache import count_in_window, uncount_in_window
from miam.client_address import client_address


class WindowCounter:
    """A DRF throttle counted as a sliding window estimated from two fixed windows of the
    rate's period (a counter for this minute, say, and the last one weighed by how much of it
    is still within the last 60 s), instead of DRF's list of the time of every request.

    DRF reads its list and writes it back at every request: two round trips to Redis, and
    a list as long as the limit (an API key at 1,200/min carries 1,200 timestamps both ways).
    Here one round trip counts the request and reads the last window (two when a request is
    refused: a refused request is taken back, it does not count, as with DRF), and a bucket is
    two integers whatever the rate. Several processes counting at once cannot both slip
    under the limit (Redis's INCR is atomic; DRF's read-then-write could).
    """

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        self.now = self.timer()
        window, self.offset = divmod(self.now, self.duration)
        self.window = int(window)
        self.hits, self.before = count_in_window(self.cache, self.key, self.window, 2 * self.duration)
        if self._within_limit(self.hits):
            return True
        uncount_in_window(self.cache, self.key, self.window)
        self.hits -= 1
        return False

    def _within_limit(self, hits: int) -> bool:
        """before × (share of the last window still within the period) + hits ≤ limit, in
        products rather than fractions (exact on whole seconds)."""
        return self.before * (self.duration - self.offset) <= (self.num_requests - hits) * self.duration

    def wait(self):
        """Seconds until a request would be allowed again (DRF's ``Retry-After``)."""
        limit, hits, before, period = self.num_requests, self.hits, self.before, self.duration
        if hits + 1 <= limit and before > 0:  # the last window still weighs too much
            return max(0.0, period * (before - (limit - hits - 1)) / before - self.offset)
        if hits <= 0:  # a limit of 0: never sooner than a period
            return float(period)
        # This window is full: into the next one, until this one weighs little enough.
        return (period - self.offset) + period * max(0, hits - (limit - 1)) / hits


class ClientAddressMixin:
    """Anonymous buckets per client address as ``miam.client_address`` reads it (proxies)."""

    def get_ident(self, request):
        return client_address(request) or ""


class ApiKeyRateThrottle(WindowCounter, SimpleRateThrottle):
    """One bucket per API key; requests without a key are left to the user/anon throttles."""

    scope = "apikey"

    def get_cache_key(self, request, view):
        api_key = getattr(request, "auth", None)
        key_id = getattr(api_key, "pk", None)
        if key_id is None or type(api_key).__name__ != "ApiKey":
            return None
        return self.cache_format % {"scope": self.scope, "ident": key_id}


class PersonRateThrottle(WindowCounter, ClientAddressMixin, UserRateThrottle):
    """Per signed-in person. API keys have their own bucket (requests by keys must not all
    share the bucket of "user None"), and visitors only the anonymous one: DRF's user
    throttle would also count them per address, a second bucket and two more cache calls
    per request for a limit looser than the anonymous one."""

    def get_cache_key(self, request, view):
        if type(getattr(request, "auth", None)).__name__ == "ApiKey":
            return None
        if not (request.user and request.user.is_authenticated):
            return None
        return super().get_cache_key(request, view)


class AnonymousRateThrottle(WindowCounter, ClientAddressMixin, AnonRateThrottle):
    """DRF's anonymous limit, per client address."""
