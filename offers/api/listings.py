"""What the offers and needs endpoints share: filters, ordering, paging, parsers, and the
schema of their write actions. Each viewset calls its own services explicitly."""

from __future__ import annotations

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.parsers import MultiPartParser

from miam.api_cache import AnonymousCacheMixin
from miam.api_errors import ERRORS_WRITE
from miam.filters import SafeOrderingFilter
from miam.pagination import PageOrSyncPagination
from miam.parsers import ObjectJSONParser

WRITE_PARSERS = [ObjectJSONParser, MultiPartParser]


class ListingViewSet(
    AnonymousCacheMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Shared behaviour of offers and needs: filters, ordering, pagination. The write
    actions (create, partial_update, destroy, publish, withdraw) are each viewset's own;
    they carry no docstring on purpose: the schema describes them with the view's."""

    pagination_class = PageOrSyncPagination
    filter_backends = [DjangoFilterBackend, SafeOrderingFilter]
    ordering = ("-created_at", "-id")
    parser_classes = WRITE_PARSERS
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]


STARTS_MATCHING = _(
    "Publiée, l'annonce entre dans le calcul des mises en relation : celui de son territoire est relancé "
    "après un court délai (MATCHING_DEBOUNCE_SECONDS), puis les propositions apparaissent dans /matches/ "
    "(et en webhook « match.proposed » pour les abonnés)."
)


def listing_write_schemas(*, read, write, update, deleted: str) -> dict:
    """The ``extend_schema_view`` arguments documenting a listing's write actions."""
    return {
        "create": extend_schema(
            description=format_lazy(
                "{} {}", _("Crée l'annonce, publiée sauf « publish »: false (brouillon)."), STARTS_MATCHING
            ),
            request=write,
            responses={201: read, **ERRORS_WRITE},
        ),
        "partial_update": extend_schema(
            description=_("Modifie l'annonce ; ouverte, ses mises en relation sont recalculées."),
            request=update,
            responses={200: read, **ERRORS_WRITE},
        ),
        "destroy": extend_schema(request=None, responses={204: OpenApiResponse(description=deleted)} | ERRORS_WRITE),
        "publish": extend_schema(
            description=format_lazy(
                "{} {}", _("Publie un brouillon, ou remet en ligne une annonce retirée ou expirée."), STARTS_MATCHING
            ),
            request=None,
            responses={200: read, **ERRORS_WRITE},
        ),
        "withdraw": extend_schema(
            description=_("Retire l'annonce : elle n'est plus proposée dans les mises en relation."),
            request=None,
            responses={200: read, **ERRORS_WRITE},
        ),
    }
