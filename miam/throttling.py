"""The API's rate limits (DRF throttles) over the default cache.

While Redis is unreachable the cache (``miam.cache.FailoverRedisCache``) answers from the
process's memory: the limits keep counting, per process, instead of failing the request.
"""

from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle

from miam.client_address import client_address


class ClientAddressMixin:
    """Anonymous buckets per client address as ``miam.client_address`` reads it (proxies)."""

    def get_ident(self, request):
        return client_address(request) or ""


class ApiKeyRateThrottle(SimpleRateThrottle):
    """One bucket per API key; requests without a key are left to the user/anon throttles."""

    scope = "apikey"

    def get_cache_key(self, request, view):
        api_key = getattr(request, "auth", None)
        key_id = getattr(api_key, "pk", None)
        if key_id is None or type(api_key).__name__ != "ApiKey":
            return None
        return self.cache_format % {"scope": self.scope, "ident": key_id}


class PersonRateThrottle(ClientAddressMixin, UserRateThrottle):
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


class AnonymousRateThrottle(ClientAddressMixin, AnonRateThrottle):
    """DRF's anonymous limit, per client address."""
