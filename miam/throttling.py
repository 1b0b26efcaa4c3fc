"""The API's rate limits (DRF throttles) over the default cache.

While Redis is unreachable the cache (``miam.cache.FailoverRedisCache``) answers from the
process's memory: the limits keep counting, per process, instead of failing the request.
"""

from rest_framework.throttling import SimpleRateThrottle, UserRateThrottle


class ApiKeyRateThrottle(SimpleRateThrottle):
    """One bucket per API key; requests without a key are left to the user/anon throttles."""

    scope = "apikey"

    def get_cache_key(self, request, view):
        api_key = getattr(request, "auth", None)
        key_id = getattr(api_key, "pk", None)
        if key_id is None or type(api_key).__name__ != "ApiKey":
            return None
        return self.cache_format % {"scope": self.scope, "ident": key_id}


class PersonRateThrottle(UserRateThrottle):
    """Per signed-in person (or per address when anonymous); API keys have their own bucket,
    so requests by keys must not all share the bucket of "user None"."""

    def get_cache_key(self, request, view):
        if type(getattr(request, "auth", None)).__name__ == "ApiKey":
            return None
        return super().get_cache_key(request, view)
