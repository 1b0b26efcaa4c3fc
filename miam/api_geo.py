"""GeoJSON layers of the API: the base view every app's layer extends, and its schema."""

from __future__ import annotations

from django.db import connection
from django.db.models import F
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema_serializer, inline_serializer
from rest_framework import generics, serializers
from rest_framework.response import Response

from miam.api_cache import AnonymousCacheMixin, _renders_as_cached
from miam.errors import DomainError
from miam.query_params import refuse_unknown_parameters

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

    #: The same properties built by PostgreSQL (``json_build_object``): JSON key → SQL over
    #: the subquery's columns, ``{field}`` naming a field of ``fields``. Empty: built in Python.
    pg_properties: tuple[tuple[str, str], ...] = ()

    def list(self, request, *args, **kwargs):
        refuse_unknown_parameters(request, self)  # a misspelt filter is a 400, as on the lists
        qs = self.filter_queryset(self.get_queryset())
        limit = self.limit()
        if self.pg_properties and connection.vendor == "postgresql" and _renders_as_cached(request):
            return PrebuiltJson(self.pg_layer(qs, limit))
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

    def pg_layer(self, qs, limit: int) -> bytes:
        """The whole FeatureCollection as PostgreSQL writes it: one query, no Python per row."""
        aliases = {field: "g_" + field.replace("__", "_") for field in self.fields}
        qs = qs.annotate(**{alias: F(field) for field, alias in aliases.items()})
        inner, params = qs.values("id", "point_lat", "point_lon", "is_exact", *aliases.values())[
            : limit + 1
        ].query.sql_with_params()
        columns = {field: f"s.{alias}" for field, alias in aliases.items()}
        properties = ", ".join(f"'{key}', {expression.format(**columns)}" for key, expression in self.pg_properties)
        # Built from class constants and Django's own compiled query; every value is a parameter.
        sql = (
            "SELECT json_build_object('type', 'FeatureCollection', 'features', "  # noqa: S608
            "coalesce(json_agg(json_build_object('type', 'Feature', 'id', s.id, 'geometry', "
            "json_build_object('type', 'Point', 'coordinates', json_build_array(s.point_lon, s.point_lat)), "
            f"'properties', json_build_object({properties}, 'exact', s.is_exact)) ORDER BY s.rn) "
            "FILTER (WHERE s.rn <= %s AND s.point_lat IS NOT NULL AND s.point_lon IS NOT NULL), '[]'::json), "
            "'truncated', count(*) > %s)::text "
            f"FROM (SELECT q.*, row_number() OVER () AS rn FROM ({inner}) q) s"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [limit, limit, *params])
            return cursor.fetchone()[0].encode()


class PrebuiltJson(Response):
    """A response whose JSON body is already written (by PostgreSQL): rendered as it is."""

    def __init__(self, body: bytes) -> None:
        super().__init__(data=None, content_type="application/json")
        self.body_bytes = body

    @property
    def rendered_content(self):
        self["Content-Type"] = "application/json"
        return self.body_bytes


def number_or_none(value):
    return float(value) if value is not None else None
