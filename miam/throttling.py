from rest_framework.throttling import SimpleRateThrottle


class ApiKeyRateThrottle(SimpleRateThrottle):
    """One bucket per API key; requests without a key are left to the user/anon throttles."""

    scope = "apikey"

    def get_cache_key(self, request, view):
        api_key = getattr(request, "auth", None)
        key_id = getattr(api_key, "pk", None)
        if key_id is None or type(api_key).__name__ != "ApiKey":
            return None
        return self.cache_format % {"scope": self.scope, "ident": key_id}
