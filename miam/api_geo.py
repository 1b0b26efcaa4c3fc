"""GeoJSON layers of the API: the base view every app's layer extends, and its schema."""

from __future__ import annotations

import functools

import orjson
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
from miam.querysets import built_once

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


class _Layer(generics.ListAPIView):
    """A map layer: filtered like the lists, one query, no paging."""

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

    #: The same properties as ``properties()``, computed by PostgreSQL: JSON key → SQL over
    #: the query's columns, ``{field}`` naming a field of ``fields``. Empty: built in Python.
    pg_properties: tuple[tuple[str, str], ...] = ()

    def shared_rows_key(self):
        """What ``get_queryset()`` depends on when it depends on nothing of the requester's
        (a visitor's view, staff's): a layer's columns are then built once per process for
        that key and copied for each request. None (the default): built for each request."""
        return None

    def list(self, request, *args, **kwargs):
        refuse_unknown_parameters(request, self)  # a misspelt filter is a 400, as on the lists
        limit = self.limit()
        if self.pg_properties and connection.vendor == "postgresql" and _renders_as_cached(request):
            return PrebuiltJson(self.fast_layer(self.filter_queryset(self._layer_columns()), limit))
        qs = self.filter_queryset(self.get_queryset())
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

    def _layer_columns(self):
        """``get_queryset()`` as ``fast_layer`` reads it: plain columns, ``fields`` under SQL
        aliases. Shared by the requests of one ``shared_rows_key`` (never filtered itself:
        each request filters a copy)."""

        def build():
            aliases = _aliases(type(self))
            qs = self.get_queryset().annotate(**{alias: F(field) for field, alias in aliases.items()})
            return qs.values("id", "point_lat", "point_lon", "is_exact", *aliases.values())

        key = self.shared_rows_key()
        return build() if key is None else built_once(_SHARED_COLUMNS, (type(self), key), build)

    def fast_layer(self, qs, limit: int) -> bytes:
        """The whole FeatureCollection from one query of plain columns (``_layer_columns``),
        the properties already computed by PostgreSQL (``pg_properties``), written by orjson.
        (PostgreSQL writing the JSON itself, ``json_build_object`` per feature, cost it four
        times the query.)"""
        inner, params = qs[: limit + 1].query.sql_with_params()
        columns = {field: f"q.{alias}" for field, alias in _aliases(type(self)).items()}
        computed = ", ".join(expression.format(**columns) for _key, expression in self.pg_properties)
        # Built from class constants and Django's own compiled query; every value is a parameter.
        sql = f"SELECT q.id, q.point_lon, q.point_lat, {computed}, q.is_exact FROM ({inner}) q"  # noqa: S608
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        feature = _feature_builder(type(self))
        features = [feature(row) for row in rows[:limit] if row[1] is not None and row[2] is not None]
        return orjson.dumps({"type": "FeatureCollection", "features": features, "truncated": len(rows) > limit})


#: Per process: the layers' columns for visitors and staff (``_Layer.shared_rows_key``).
_SHARED_COLUMNS: dict[tuple[type, object], object] = {}


@functools.cache
def _aliases(layer: type[_Layer]) -> dict[str, str]:
    return {field: "g_" + field.replace("__", "_") for field in layer.fields}


@functools.cache
def _feature_builder(layer: type[_Layer]):
    """``row → Feature`` for ``fast_layer``'s rows (id, longitude, latitude, the properties,
    exact), written as one dict display and compiled once per layer: it builds a thousand
    features in half the time ``dict(zip(keys, row))`` takes. The keys are the layer class's
    own constants (``pg_properties``), never input."""
    keys = (*(key for key, _expression in layer.pg_properties), "exact")
    properties = ", ".join(f"{key!r}: row[{3 + i}]" for i, key in enumerate(keys))
    source = (
        "lambda row: {'type': 'Feature', 'id': row[0], "
        "'geometry': {'type': 'Point', 'coordinates': [row[1], row[2]]}, "
        f"'properties': {{{properties}}}}}"
    )
    return eval(source, {})  # noqa: S307 - see above: code from class constants only


class GeoLayerView(AnonymousCacheMixin, _Layer):
    """Base of the map layers; a visitor's layer is served from the cache like the lists."""


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
