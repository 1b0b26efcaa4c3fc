"""The needs endpoints."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from actors.api import OrganizationBriefSerializer, PointMixin, principal_of
from actors.models import Organization
from miam.api_errors import ERRORS_READ, ErrorSerializer
from miam.parsers import ObjectJSONParser
from offers import inputs, selectors
from offers.api.fairness import NearMissesSerializer, near_misses_response
from offers.api.listings import ListingViewSet, listing_write_schemas
from offers.filters import NeedFilter
from offers.models import MEANS_FIELDS, NEED_FREQUENCY_CHOICES, NEED_UNIT_CHOICES, Need
from offers.services import explain, listings
from products.labels import FARM_LABELS


class NeedSerializer(PointMixin, serializers.ModelSerializer):
    organization = OrganizationBriefSerializer(read_only=True)
    categories = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    quantity_open = serializers.DecimalField(max_digits=12, decimal_places=3, read_only=True)
    preferred_labels = serializers.ListField(child=serializers.CharField(), read_only=True)
    distance_km = serializers.FloatField(read_only=True, allow_null=True, required=False, default=None)
    # The means the matching reads: the need's own, else its structure's profile as it is now.
    has_fridge = serializers.BooleanField(source="means.has_fridge", read_only=True)
    chilled_capacity_kg = serializers.IntegerField(source="means.chilled_capacity_kg", read_only=True)
    has_freezer = serializers.BooleanField(source="means.has_freezer", read_only=True)
    frozen_capacity_kg = serializers.IntegerField(source="means.frozen_capacity_kg", read_only=True)
    pickup_radius_km = serializers.DecimalField(
        max_digits=6, decimal_places=1, source="means.pickup_radius_km", read_only=True
    )
    has_vehicle = serializers.BooleanField(source="means.has_vehicle", read_only=True)
    distribution_days = serializers.ListField(
        child=serializers.IntegerField(), source="means.distribution_days", read_only=True
    )
    means_from_profile = serializers.SerializerMethodField(
        help_text=_("Les moyens que ce besoin prend du profil de la structure (sans valeur propre).")
    )

    def get_means_from_profile(self, need: Need) -> list[str]:
        return [name for name in MEANS_FIELDS if getattr(need, name) is None]

    class Meta:
        model = Need
        fields = [
            "id",
            "organization",
            "categories",
            "title",
            "description",
            "quantity",
            "unit",
            "quantity_covered",
            "quantity_open",
            "frequency",
            "window_start",
            "window_end",
            "accepted_pricing",
            "max_price_per_unit",
            "budget_eur",
            "has_fridge",
            "chilled_capacity_kg",
            "has_freezer",
            "frozen_capacity_kg",
            "pickup_radius_km",
            "has_vehicle",
            "distribution_days",
            "means_from_profile",
            "preferred_labels",
            "urgency",
            "status",
            "latitude",
            "longitude",
            "location_is_exact",
            "distance_km",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


# The request bodies, for the schema only: ``offers.inputs`` validates them (one layer for
# every door); tests/api/test_inputs_schema.py keeps the two descriptions in step.
class NeedWriteSerializer(serializers.Serializer):
    """What a client sends to post a need. Storage and pick-up fields left out are taken
    from the structure's profile."""

    organization = serializers.PrimaryKeyRelatedField(queryset=Organization.objects.all())
    categories = serializers.ListField(
        child=serializers.CharField(max_length=50), min_length=1, help_text=_("Codes ou identifiants de catégories.")
    )
    title = serializers.CharField(max_length=120)
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    quantity = serializers.DecimalField(max_digits=12, decimal_places=3)
    unit = serializers.ChoiceField(choices=NEED_UNIT_CHOICES)
    frequency = serializers.ChoiceField(choices=NEED_FREQUENCY_CHOICES, required=False)
    window_start = serializers.DateField()
    window_end = serializers.DateField()
    accepted_pricing = serializers.ChoiceField(choices=Need.AcceptedPricing.choices, required=False)
    max_price_per_unit = serializers.DecimalField(max_digits=9, decimal_places=2, required=False, allow_null=True)
    budget_eur = serializers.DecimalField(max_digits=9, decimal_places=2, required=False, allow_null=True)
    urgency = serializers.ChoiceField(choices=Need.Urgency.choices, required=False)
    preferred_labels = serializers.ListField(child=serializers.ChoiceField(choices=list(FARM_LABELS)), required=False)
    has_fridge = serializers.BooleanField(required=False, allow_null=True, default=None)
    chilled_capacity_kg = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=2_147_483_647
    )
    has_freezer = serializers.BooleanField(required=False, allow_null=True, default=None)
    frozen_capacity_kg = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=2_147_483_647)
    pickup_radius_km = serializers.DecimalField(max_digits=6, decimal_places=1, required=False, allow_null=True)
    has_vehicle = serializers.BooleanField(required=False, allow_null=True, default=None)
    distribution_days = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6),
        required=False,
        allow_null=True,
        help_text=_("Jours de réception (0 = lundi) ; vide : ceux de la structure."),
    )
    publish = serializers.BooleanField(required=False, default=True, help_text=_("Faux : enregistrer en brouillon."))


class NeedUpdateSerializer(NeedWriteSerializer):
    organization = None
    publish = None


@extend_schema_view(
    list=extend_schema(responses={200: NeedSerializer(many=True), **ERRORS_READ}),
    retrieve=extend_schema(responses={200: NeedSerializer, 404: ErrorSerializer}),
    **listing_write_schemas(
        read=NeedSerializer,
        write=NeedWriteSerializer,
        update=NeedUpdateSerializer,
        deleted=_("Supprimé, ou retiré s'il a déjà des mises en relation."),
    ),
)
class NeedViewSet(ListingViewSet):
    """Needs of food-aid structures. ``category=vegetables`` finds needs for vegetables or
    any kind of vegetable."""

    serializer_class = NeedSerializer
    filterset_class = NeedFilter
    parser_classes = [ObjectJSONParser]
    ordering_fields = ["created_at", "updated_at", "window_start", "window_end", "quantity", "urgency", "distance_km"]

    def get_queryset(self):
        return selectors.need_list(principal=principal_of(self.request))

    def _respond_with(self, need: Need, **kwargs) -> Response:
        fresh = self.get_queryset().get(pk=need.pk)  # as the list shows it (annotated)
        return Response(NeedSerializer(fresh, context=self.get_serializer_context()).data, **kwargs)

    def create(self, request, *args, **kwargs):
        organization, publish, errors = inputs.listing_post(request.data)
        data = inputs.need_data(request.data, strict=False)
        if errors:  # who posts is unknown: nothing more to check
            errors.merge(data.errors)
            errors.raise_if_any()
        need = listings.need_create(by=request.user, organization=organization, data=data, publish=publish)
        return self._respond_with(need, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        need = self.get_object()
        data = inputs.need_data(request.data, partial=True, strict=False)
        return self._respond_with(listings.need_update(need=need, by=request.user, data=data))

    def destroy(self, request, *args, **kwargs):
        listings.need_delete(need=self.get_object(), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        """Publish the draft: it becomes visible and starts matching (its territory is recomputed
        after a short delay, MATCHING_DEBOUNCE_SECONDS; the proposals then appear in /matches/)."""
        return self._respond_with(listings.need_publish(need=self.get_object(), by=request.user))

    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        return self._respond_with(listings.need_withdraw(need=self.get_object(), by=request.user))

    @extend_schema(request=None, responses={200: NearMissesSerializer, **ERRORS_READ})
    @action(detail=True, methods=["get"], url_path="near-misses")
    def near_misses(self, request, pk=None):
        """Why this need has no proposal: the nearest offers one constraint kept out (3 offers of
        fruit at 31–40 km, beyond a 25 km pick-up radius, say), or that the offers possible went
        to other structures; reasons as codes with parameters, and their text."""
        return near_misses_response(explain.need_near_misses(need=self.get_object()))
