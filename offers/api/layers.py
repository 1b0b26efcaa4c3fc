"""The offers' and needs' GeoJSON map layers (``/api/v1/geo/offers|needs/``)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema

from actors.api import principal_of
from actors.selectors import annotate_public_point
from miam.api_errors import ERRORS_READ
from miam.api_geo import LIMIT_PARAM, FeatureCollectionSerializer, GeoLayerView, number_or_none
from offers import selectors
from offers.filters import NeedFilter, OfferFilter
from offers.models import OPEN_STATUSES


def _status_asked(request) -> bool:
    params = request.query_params
    return "status" in params or "is_open" in params


def _open_unless_status_asked(request, qs):
    return qs if _status_asked(request) else qs.filter(status__in=OPEN_STATUSES)


def _shared_view(request):
    """Visitors see the same layer, and so does staff (``selectors.shared_view``)."""
    view = selectors.shared_view(principal_of(request))
    return None if view is None else (view, _status_asked(request))


@extend_schema(parameters=[LIMIT_PARAM], responses={200: FeatureCollectionSerializer, **ERRORS_READ})
class OfferLayerView(GeoLayerView):
    """Open offers (unless ``status`` says otherwise), same filters as ``/offers/``."""

    filterset_class = OfferFilter
    fields = (
        "product_name",
        "category__code",
        "quantity",
        "quantity_reserved",
        "unit",
        "pricing",
        "status",
        "window_end",
        "use_by",
        "organization_id",
        "organization__name",
    )

    pg_properties = (
        ("product_name", "{product_name}"),
        ("category", "{category__code}"),
        ("quantity_available", "({quantity} - {quantity_reserved})::float8"),
        ("unit", "{unit}"),
        ("pricing", "{pricing}"),
        ("status", "{status}"),
        ("effective_end", "CASE WHEN {use_by} < {window_end} THEN {use_by} ELSE {window_end} END"),
        ("organization", "{organization_id}"),
        ("organization_name", "{organization__name}"),
    )

    def shared_rows_key(self):
        return _shared_view(self.request)

    def get_queryset(self):
        qs = selectors.offers_visible_to(principal_of(self.request)).order_by("-created_at", "-id")
        qs = annotate_public_point(qs, principal_of(self.request))
        return _open_unless_status_asked(self.request, qs)

    def properties(self, row):
        end = row["window_end"]
        if row["use_by"] and row["use_by"] < end:
            end = row["use_by"]
        return {
            "product_name": row["product_name"],
            "category": row["category__code"],
            "quantity_available": number_or_none(row["quantity"] - row["quantity_reserved"]),
            "unit": row["unit"],
            "pricing": row["pricing"],
            "status": row["status"],
            "effective_end": end.isoformat(),
            "organization": row["organization_id"],
            "organization_name": row["organization__name"],
            "exact": row["is_exact"],
        }


@extend_schema(parameters=[LIMIT_PARAM], responses={200: FeatureCollectionSerializer, **ERRORS_READ})
class NeedLayerView(GeoLayerView):
    """Open needs (unless ``status`` says otherwise), same filters as ``/needs/``."""

    filterset_class = NeedFilter
    fields = (
        "title",
        "quantity",
        "quantity_covered",
        "unit",
        "urgency",
        "accepted_pricing",
        "status",
        "window_end",
        "organization_id",
        "organization__name",
    )

    pg_properties = (
        ("title", "{title}"),
        ("quantity_open", "GREATEST({quantity} - {quantity_covered}, 0)::float8"),
        ("unit", "{unit}"),
        ("urgency", "{urgency}"),
        ("accepted_pricing", "{accepted_pricing}"),
        ("status", "{status}"),
        ("window_end", "{window_end}"),
        ("organization", "{organization_id}"),
        ("organization_name", "{organization__name}"),
    )

    def shared_rows_key(self):
        return _shared_view(self.request)

    def get_queryset(self):
        qs = selectors.needs_visible_to(principal_of(self.request)).order_by("-created_at", "-id")
        qs = annotate_public_point(qs, principal_of(self.request))
        return _open_unless_status_asked(self.request, qs)

    def properties(self, row):
        return {
            "title": row["title"],
            "quantity_open": number_or_none(max(row["quantity"] - row["quantity_covered"], 0)),
            "unit": row["unit"],
            "urgency": row["urgency"],
            "accepted_pricing": row["accepted_pricing"],
            "status": row["status"],
            "window_end": row["window_end"].isoformat(),
            "organization": row["organization_id"],
            "organization_name": row["organization__name"],
            "exact": row["is_exact"],
        }
