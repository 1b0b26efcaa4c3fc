"""Who is least served: each food-aid structure's received kilograms, entitlement and fill
rate over a period, least served first (``GET /api/v1/fill-rates/``); and why a need has no
proposal (``GET /api/v1/needs/{id}/near-misses/``, on the needs viewset)."""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, permissions, serializers
from rest_framework.response import Response

from actors import permissions as perms
from actors.api import principal_of
from actors.models import Territory
from miam.api_errors import ERRORS_READ, ErrorSerializer
from miam.errors import DomainError, NotAllowed
from offers import inputs, selectors
from offers.api.matches import ReasonSerializer
from offers.reasons import reasons_rendered


class FillRateSerializer(serializers.Serializer):
    organization = serializers.IntegerField()
    name = serializers.CharField()
    commune = serializers.CharField()
    people_served_per_week = serializers.IntegerField()
    received_kg = serializers.DecimalField(
        max_digits=14, decimal_places=3, help_text=_("Reçu sur la période (équivalent kg).")
    )
    entitlement_kg = serializers.DecimalField(
        max_digits=14,
        decimal_places=3,
        allow_null=True,
        help_text=_("Sa juste part, au prorata des personnes accueillies."),
    )
    fill_rate = serializers.FloatField(allow_null=True, help_text=_("Reçu ÷ juste part : 1 = exactement sa part."))


class FillRatesSerializer(serializers.Serializer):
    territory = serializers.IntegerField()
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    structures = FillRateSerializer(many=True)


class FillRatesView(generics.GenericAPIView):
    """Food-aid structures of a territory over a period (the territory's rolling window by
    default), least served relative to the people they serve first. For the territory's team
    and staff."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = FillRatesSerializer

    @extend_schema(
        parameters=[
            OpenApiParameter("territory", int, required=True),
            OpenApiParameter("date_from", dt.date, required=False),
            OpenApiParameter("date_to", dt.date, required=False),
        ],
        responses={200: FillRatesSerializer, **ERRORS_READ, 401: ErrorSerializer, 403: ErrorSerializer},
    )
    def get(self, request):
        data = inputs.match_input(inputs.FillRatesInput, request.query_params)
        principal = principal_of(request)
        territory = Territory.objects.filter(pk=data["territory"]).first()
        if territory is None:
            raise DomainError(
                "not_found", _("Territoire introuvable."), fields={"territory": _("Territoire introuvable.")}
            )
        if not (perms.is_staff(principal) or territory.pk in perms.viewer_territory_ids(principal)):
            raise NotAllowed(_("Réservé à l'équipe du territoire."))
        date_from, date_to = selectors.fill_rates_period(territory, data["date_from"], data["date_to"])
        rows = selectors.structure_fill_rates(territory=territory, date_from=date_from, date_to=date_to)
        return Response(
            {
                "territory": territory.pk,
                "date_from": date_from.isoformat(),
                "date_to": date_to.isoformat(),
                "structures": [r.as_dict() for r in rows],
            }
        )


class NearMissesSerializer(serializers.Serializer):
    proposals = serializers.IntegerField(help_text=_("Propositions en cours pour ce besoin."))
    reasons = ReasonSerializer(many=True)


def near_misses_response(result: dict) -> Response:
    return Response({"proposals": result["proposals"], "reasons": reasons_rendered(result["reasons"])})
