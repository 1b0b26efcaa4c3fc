"""GeoJSON layers of the API: the base view every app's layer extends, and its schema."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema_serializer, inline_serializer
from rest_framework import generics, serializers
from rest_framework.response import Response

from miam.api_cache import AnonymousCacheMixin
from miam.errors import DomainError

GEOJSON_MAX_FEATURES = 20_000


@extend_schema_serializer(many=False)
class FeatureCollectionSerializer(serializers.Serializer):
    """A GeoJSON FeatureCollection of points (longitude, latitude), properties per layer."""

    type = serializers.ChoiceField(choices=["FeatureCollection"])
    features = serializers.ListField(
        child=inline_serializer(
            "PointFeature",
            {
                "type": serializers.ChoiceField(choices=["Feature"]),
                "id": serializers.IntegerField(),
                "geometry": inline_serializer(
                    "Point",
                    {
                        "type": serializers.ChoiceField(choices=["Point"]),
                        "coordinates": serializers.ListField(child=serializers.FloatField(), min_length=2),
                    },
                ),
                "properties": serializers.DictField(),
            },
        )
    )
    truncated = serializers.BooleanField(help_text=_("Vrai si la couche dépasse le nombre maximal d'objets."))


LIMIT_PARAM = OpenApiParameter("limit", int, description=_("Nombre maximal d'objets (20 000 au plus)."), required=False)


class GeoLayerView(AnonymousCacheMixin, generics.ListAPIView):
    """Base of the map layers: filtered like the lists, one ``values()`` query, no paging."""

    pagination_class = None
    filter_backends = [DjangoFilterBackend]
    serializer_class = FeatureCollectionSerializer
    fields: tuple[str, ...] = ()

    def properties(self, row: dict) -> dict:
        raise NotImplementedError

    def limit(self) -> int:
        raw = self.request.query_params.get("limit", "")
        try:
            value = int(raw) if raw else GEOJSON_MAX_FEATURES
        except ValueError:
            raise DomainError(
                "invalid", _("Certaines données sont invalides."), fields={"limit": [_("Nombre entier attendu.")]}
            ) from None
        return max(1, min(value, GEOJSON_MAX_FEATURES))

    def list(self, request, *args, **kwargs):
        qs = self.filter_queryset(self.get_queryset())
        limit = self.limit()
        rows = list(qs.values("id", "point_lat", "point_lon", "is_exact", *self.fields)[: limit + 1])
        truncated = len(rows) > limit
        features = [
            {
                "type": "Feature",
                "id": row["id"],
                "geometry": {"type": "Point", "coordinates": [row["point_lon"], row["point_lat"]]},
                "properties": self.properties(row),
            }
            for row in rows[:limit]
            if row["point_lat"] is not None and row["point_lon"] is not None
        ]
        return Response({"type": "FeatureCollection", "features": features, "truncated": truncated})


def number_or_none(value):
    return float(value) if value is not None else None
