"""API keys for partner apps: ``Authorization: Api-Key miam_…`` (or ``X-Api-Key``)."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from actors.models import ApiKey
from actors.permissions import ApiKeyPrincipal

LAST_USED_RESOLUTION_S = 60


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Api-Key"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        raw = ""
        if header.startswith(self.keyword + " "):
            raw = header[len(self.keyword) + 1 :].strip()
        elif request.META.get("HTTP_X_API_KEY"):
            raw = request.META["HTTP_X_API_KEY"].strip()
        if not raw:
            return None
        key = ApiKey.objects.select_related("organization", "territory").filter(key_hash=ApiKey.hash_key(raw)).first()
        if key is None or key.revoked_at is not None:
            raise exceptions.AuthenticationFailed(_("Clé d'API inconnue ou révoquée."))
        now = timezone.now()
        # Write the last-use date at most once a minute: keys can be used many times a second.
        if key.last_used_at is None or (now - key.last_used_at).total_seconds() > LAST_USED_RESOLUTION_S:
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
            key.last_used_at = now
        return ApiKeyPrincipal(api_key=key), key

    def authenticate_header(self, request):
        return self.keyword


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "actors.authentication.ApiKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "Authorization", "description": _("`Api-Key <clé>`")}
