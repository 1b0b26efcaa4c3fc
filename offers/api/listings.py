"""What the offers and needs endpoints share: filters, ordering, paging, parsers, and the
schema of their write actions. Each viewset calls its own services explicitly."""

from __future__ import annotations

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


def listing_write_schemas(*, read, write, update, deleted: str) -> dict:
    """The ``extend_schema_view`` arguments documenting a listing's write actions."""
    return {
        "create": extend_schema(request=write, responses={201: read, **ERRORS_WRITE}),
        "partial_update": extend_schema(request=update, responses={200: read, **ERRORS_WRITE}),
        "destroy": extend_schema(request=None, responses={204: OpenApiResponse(description=deleted)} | ERRORS_WRITE),
        "publish": extend_schema(request=None, responses={200: read, **ERRORS_WRITE}),
        "withdraw": extend_schema(request=None, responses={200: read, **ERRORS_WRITE}),
    }
