"""The one shape of every API error, described for the OpenAPI schema.

Every error answers ``{"code", "message", "fields"}`` (``miam.errors.api_exception_handler``).
``miam.schema.MiamAutoSchema`` documents on every operation the error statuses it may answer
with (``ERROR_RESPONSES``); views may still name theirs with ``ERRORS_READ`` or ``ERRORS_WRITE``
when a description says more.
"""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    """Every API error: an HTTP status, a code, a message (French by default) and field errors."""

    code = serializers.CharField(help_text=_("Code stable de l'erreur (« invalid », « offer_exhausted »…)."))
    message = serializers.CharField(help_text=_("Message lisible, dans la langue de la requête (français par défaut)."))
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text=_("Erreurs par champ ou paramètre : nom → messages."),
    )


ERROR_DESCRIPTIONS = {
    400: _("Données, filtre ou paramètre invalide (détail par champ ; un paramètre inconnu est refusé)."),
    401: _("Authentification requise, ou clé d'API invalide."),
    403: _("Action non autorisée (clé en lecture seule, hors périmètre, rôle insuffisant)."),
    404: _("Introuvable."),
    409: _(
        "Conflit avec l'état actuel : offre épuisée, budget dépassé, ligne de financement épuisée, "
        "changement de statut non permis, déjà fait. Relisez la ressource avant de réessayer."
    ),
    429: _("Trop de requêtes : limite de débit atteinte ; réessayez après le délai de l'en-tête Retry-After."),
}
ERROR_RESPONSES = {
    status: OpenApiResponse(ErrorSerializer, description=text) for status, text in ERROR_DESCRIPTIONS.items()
}

ERRORS_READ = {400: ERROR_RESPONSES[400]}
ERRORS_WRITE = {
    400: OpenApiResponse(ErrorSerializer, description=_("Données invalides (détail par champ).")),
    401: ERROR_RESPONSES[401],
    403: ERROR_RESPONSES[403],
    404: ERROR_RESPONSES[404],
    409: ERROR_RESPONSES[409],
}
