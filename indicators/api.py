"""``GET /api/v1/indicators/?territory=&period=2026-Q3`` (or ``&start=&end=``): a territory's
indicators over a period, with the factor beside each impact figure; and
``GET /api/v1/indicators/compare/?period=`` for a regional viewer. Permissions as the dashboard:
the territory's team (any role, or a territory-scoped API key) and staff."""

from __future__ import annotations

from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, permissions, serializers
from rest_framework.response import Response

from indicators import selectors
from indicators.inputs import indicators_input
from miam.api_errors import ERRORS_READ, ErrorSerializer

KG = {"max_digits": 14, "decimal_places": 3}
EUR = {"max_digits": 14, "decimal_places": 2}
TENTH = {"max_digits": 14, "decimal_places": 1}


class IndicatorsPeriodSerializer(serializers.Serializer):
    label = serializers.CharField(help_text=_("2026, 2026-Q3, 2026-07, ou « début/fin »."))
    start = serializers.DateField()
    end = serializers.DateField()


class IndicatorsFactorSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    label = serializers.CharField()
    value = serializers.DecimalField(max_digits=10, decimal_places=4)
    unit = serializers.CharField()
    source = serializers.CharField()
    year = serializers.IntegerField()
    valid_from = serializers.DateField()


class IndicatorsDistanceFactorSerializer(IndicatorsFactorSerializer):
    km = serializers.DecimalField(**TENTH, help_text=_("Kilomètres parcourus avec ce type de véhicule."))


class IndicatorsImpactSerializer(serializers.Serializer):
    meals = serializers.IntegerField(allow_null=True, help_text=_("Kilos livrés ÷ kilos par repas."))
    meal_factor = IndicatorsFactorSerializer(allow_null=True)
    co2e_kg = serializers.DecimalField(**TENTH, allow_null=True, help_text=_("km × facteur du véhicule, sommés."))
    co2e_factors = IndicatorsDistanceFactorSerializer(many=True)


class IndicatorsDeliveriesSerializer(serializers.Serializer):
    deliveries = serializers.IntegerField()
    kg = serializers.DecimalField(**KG, help_text=_("Équivalent kg, chaque unité convertie (products/units.py)."))
    not_weighed = serializers.IntegerField(help_text=_("Livraisons sans poids connu (non comptées en kg)."))
    eur = serializers.DecimalField(**EUR, help_text=_("Payés aux producteurs."))
    donations = serializers.IntegerField()
    donation_value_eur = serializers.DecimalField(**EUR, help_text=_("Dons valorisés au prix habituel."))
    donations_without_usual_price = serializers.IntegerField()
    solidarity_deliveries = serializers.IntegerField()
    solidarity_discount_eur = serializers.DecimalField(
        **EUR, help_text=_("(prix habituel − prix solidaire) × quantité.")
    )
    household_deliveries = serializers.IntegerField(
        help_text=_("Livraisons revendues aux ménages (épicerie solidaire), prix au ménage connu.")
    )
    household_eur = serializers.DecimalField(**EUR, help_text=_("Payés par les ménages (prix au ménage × quantité)."))
    labelled_kg = serializers.DecimalField(**KG)
    labelled_share = serializers.DecimalField(**TENTH, allow_null=True, help_text=_("Part des kilos sous label (%)."))
    km = serializers.DecimalField(**TENTH)
    km_estimated_deliveries = serializers.IntegerField(
        help_text=_("Livraisons dans une même commune dont les deux points sont la mairie : distance estimée.")
    )
    round_deliveries = serializers.IntegerField(
        help_text=_(
            "Livraisons portées par une tournée mutualisée : chacune compte sa part des km de la tournée "
            "(au prorata des kilos de ses lots livrés), pas un trajet à elle."
        )
    )
    gleaned_kg = serializers.DecimalField(
        **KG, help_text=_("Kilos glanés par les structures sur la période (compris dans les kilos livrés).")
    )
    gleaned_without_delivery = serializers.IntegerField(
        help_text=_("Récoltes de glanage qui ne couvraient aucun besoin publié de la structure, comptées à part.")
    )
    gleaned_without_delivery_kg = serializers.DecimalField(
        **KG, help_text=_("Kilos de ces récoltes hors besoin publié (compris dans les kilos glanés).")
    )
    farms_involved = serializers.IntegerField()
    structures_served = serializers.IntegerField()


class IndicatorsMonthSerializer(serializers.Serializer):
    month = serializers.DateField()
    deliveries = serializers.IntegerField()
    kg = serializers.DecimalField(**KG)
    eur = serializers.DecimalField(**EUR)


class IndicatorsFamilySerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    deliveries = serializers.IntegerField()
    kg = serializers.DecimalField(**KG)
    structures_served = serializers.IntegerField(help_text=_("Structures qui ont reçu cette famille sur la période."))
    people_reached = serializers.IntegerField(
        help_text=_("Personnes accueillies chaque semaine par ces structures (leur profil).")
    )


class IndicatorsLabelSerializer(serializers.Serializer):
    label = serializers.CharField()
    kg = serializers.DecimalField(**KG)


class IndicatorsOrganizationsSerializer(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField()
    registered = serializers.IntegerField()
    new = serializers.IntegerField()
    active = serializers.IntegerField()


class IndicatorsResponseDaysSerializer(serializers.Serializer):
    posted_to_first_proposal = serializers.FloatField(allow_null=True)
    proposal_to_confirmed = serializers.FloatField(allow_null=True)
    confirmed_to_delivered = serializers.FloatField(allow_null=True)


class IndicatorsActivitySerializer(serializers.Serializer):
    offers_posted = serializers.IntegerField()
    needs_posted = serializers.IntegerField()
    matches_proposed = serializers.IntegerField()
    matches_accepted = serializers.IntegerField()
    matches_delivered = serializers.IntegerField()
    matches_declined = serializers.IntegerField()
    response_days = IndicatorsResponseDaysSerializer(help_text=_("Délais médians, en jours."))


class IndicatorsNeedsFamilySerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    needs = serializers.IntegerField()
    covered = serializers.IntegerField()
    percent = serializers.IntegerField()


class IndicatorsFillRateSerializer(serializers.Serializer):
    organization = serializers.IntegerField(source="organization_id")
    name = serializers.CharField()
    commune = serializers.CharField()
    people_served_per_week = serializers.IntegerField()
    received_kg = serializers.DecimalField(**KG)
    entitlement_kg = serializers.DecimalField(**KG, allow_null=True)
    fill_rate = serializers.FloatField(allow_null=True)


class IndicatorsCountSerializer(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()


class IndicatorsDecisionSerializer(serializers.Serializer):
    meeting = serializers.CharField()
    date = serializers.DateField()
    text = serializers.CharField()


class IndicatorsMeetingsSerializer(serializers.Serializer):
    held = serializers.IntegerField()
    by_kind = IndicatorsCountSerializer(many=True)
    participants = serializers.IntegerField()
    participants_by_actor_kind = IndicatorsCountSerializer(many=True)
    decisions = IndicatorsDecisionSerializer(many=True)


class IndicatorsPlanIndicatorSerializer(serializers.Serializer):
    name = serializers.CharField()
    unit = serializers.CharField()
    target = serializers.DecimalField(**EUR, allow_null=True)
    baseline = serializers.DecimalField(**EUR, allow_null=True)
    value = serializers.DecimalField(**EUR, allow_null=True)
    from_deliveries = serializers.BooleanField(help_text=_("Vrai : calculé d'après les livraisons (kg, €, fermes)."))
    progress_percent = serializers.IntegerField(allow_null=True)


class IndicatorsPlanActionSerializer(serializers.Serializer):
    title = serializers.CharField()
    priority = serializers.IntegerField(allow_null=True)
    status = serializers.CharField()
    status_label = serializers.CharField()
    steps_done = serializers.IntegerField()
    steps = serializers.IntegerField()
    indicators = IndicatorsPlanIndicatorSerializer(many=True)


class IndicatorsStatusCountSerializer(serializers.Serializer):
    status = serializers.CharField()
    label = serializers.CharField()
    count = serializers.IntegerField()


class IndicatorsActionPlanSerializer(serializers.Serializer):
    title = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField()
    actions_by_status = IndicatorsStatusCountSerializer(many=True)
    actions = IndicatorsPlanActionSerializer(many=True)


class IndicatorsTerritoryRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    slug = serializers.CharField()


class IndicatorsSerializer(serializers.Serializer):
    territory = IndicatorsTerritoryRefSerializer()
    period = serializers.SerializerMethodField()
    computed_at = serializers.DateTimeField()
    organizations = IndicatorsOrganizationsSerializer(many=True)
    activity = IndicatorsActivitySerializer()
    deliveries = IndicatorsDeliveriesSerializer()
    impact = IndicatorsImpactSerializer()
    by_month = IndicatorsMonthSerializer(many=True)
    by_family = IndicatorsFamilySerializer(many=True)
    by_label = IndicatorsLabelSerializer(many=True)
    people_reached = serializers.IntegerField(
        help_text=_("Personnes accueillies par semaine par les structures servies.")
    )
    needs_by_family = IndicatorsNeedsFamilySerializer(many=True)
    fill_rates = IndicatorsFillRateSerializer(many=True)
    meetings = IndicatorsMeetingsSerializer()
    action_plan = IndicatorsActionPlanSerializer(allow_null=True)

    @extend_schema(responses=IndicatorsPeriodSerializer)
    def get_period(self, data) -> dict:
        return IndicatorsPeriodSerializer(data["period"].as_dict()).data


class IndicatorsCompareRowSerializer(serializers.Serializer):
    territory = IndicatorsTerritoryRefSerializer()
    deliveries = serializers.IntegerField()
    kg = serializers.DecimalField(**KG)
    eur = serializers.DecimalField(**EUR)
    donation_value_eur = serializers.DecimalField(**EUR)
    solidarity_discount_eur = serializers.DecimalField(**EUR)
    km = serializers.DecimalField(**TENTH)
    round_deliveries = serializers.IntegerField(help_text=_("Livraisons portées par une tournée mutualisée."))
    gleaned_kg = serializers.DecimalField(**KG, help_text=_("Kilos glanés (compris dans les kilos livrés)."))
    farms_involved = serializers.IntegerField()
    structures_served = serializers.IntegerField()
    meals = serializers.IntegerField(allow_null=True)
    co2e_kg = serializers.DecimalField(**TENTH, allow_null=True)
    people_reached = serializers.IntegerField()


class IndicatorsCompareSerializer(serializers.Serializer):
    period = IndicatorsPeriodSerializer()
    territories = IndicatorsCompareRowSerializer(many=True)


PARAMETERS = [
    OpenApiParameter("territory", int, required=False, description=_("Par défaut : le premier territoire lisible.")),
    OpenApiParameter("period", str, required=False, description=_("2026, 2026-Q3 (ou 2026-T3), 2026-07.")),
    OpenApiParameter("start", str, required=False, description=_("AAAA-MM-JJ, avec ou sans end.")),
    OpenApiParameter("end", str, required=False, description=_("AAAA-MM-JJ ; par défaut aujourd'hui.")),
]


class IndicatorsView(generics.GenericAPIView):
    """A territory's indicators over a period, computed from recorded facts; each impact figure
    carries the factor (value, unit, source, year) it was computed with."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = IndicatorsSerializer

    @extend_schema(
        operation_id="indicators_retrieve",
        parameters=PARAMETERS,
        responses={200: IndicatorsSerializer, **ERRORS_READ, 401: ErrorSerializer, 403: ErrorSerializer},
    )
    def get(self, request):
        territory_id, period = indicators_input(request.query_params)
        principal = request.user
        territory = selectors.territory_get(principal, territory_id)
        data = selectors.territory_indicators(principal=principal, territory=territory, period=period)
        return Response(IndicatorsSerializer(data).data)


class IndicatorsCompareView(generics.GenericAPIView):
    """The same key figures for every territory the caller may read (a regional viewer)."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = IndicatorsCompareSerializer

    @extend_schema(
        operation_id="indicators_compare",
        parameters=PARAMETERS[1:],
        responses={200: IndicatorsCompareSerializer, **ERRORS_READ, 401: ErrorSerializer, 403: ErrorSerializer},
    )
    def get(self, request):
        _territory, period = indicators_input(request.query_params)
        rows = selectors.territories_compare(principal=request.user, period=period)
        return Response(IndicatorsCompareSerializer({"period": period.as_dict(), "territories": rows}).data)


def register(router) -> None:
    return None


urlpatterns = [
    path("indicators/", IndicatorsView.as_view(), name="indicators"),
    path("indicators/compare/", IndicatorsCompareView.as_view(), name="indicators-compare"),
]
