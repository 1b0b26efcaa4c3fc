"""The one shape of every API error, described for the OpenAPI schema.

Every error answers ``{"code", "message", "fields"}`` (``miam.errors.api_exception_handler``);
views name the statuses they may answer with ``ERRORS_READ`` or ``ERRORS_WRITE``.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    """Every API error: an HTTP status, a code, a message (French by default) and field errors."""

    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


ERRORS_READ = {
    400: OpenApiResponse(ErrorSerializer, description=_("Filtre ou paramètre invalide.")),
}
ERRORS_WRITE = {
    400: OpenApiResponse(ErrorSerializer, description=_("Données invalides (détail par champ).")),
    401: OpenApiResponse(ErrorSerializer, description=_("Authentification requise.")),
    403: OpenApiResponse(
        ErrorSerializer, description=_("Action non autorisée (clé en lecture seule, hors périmètre).")
    ),
    404: OpenApiResponse(ErrorSerializer, description=_("Introuvable.")),
}
