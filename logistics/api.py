"""REST API of logistics: vehicles, hubs and cold rooms, rounds (``/api/v1/vehicles/``,
``/api/v1/hubs/``, ``/api/v1/rounds/``). Thin: bodies are parsed by ``logistics.inputs`` and
every write calls a service of ``logistics.services``, with the pages' rules and permissions."""

from __future__ import annotations

from django.db.models import Q
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from actors import permissions as perms
from actors.api import principal_of
from logistics import inputs
from logistics.models import Hub, Round, Stop, Vehicle
from logistics.services import resources, rounds


class VehicleSerializer(serializers.ModelSerializer):
    class Meta:
        model = Vehicle
        fields = [
            "id",
            "organization",
            "name",
            "capacity_kg",
            "is_refrigerated",
            "days_available",
            "available_from",
            "available_until",
            "max_duration_min",
            "hub",
            "drivers",
            "is_active",
        ]
        read_only_fields = ["id", "hub", "is_active"]


class HubSerializer(serializers.ModelSerializer):
    commune = serializers.SlugRelatedField(slug_field="insee_code", read_only=True)
    commune_name = serializers.CharField(source="commune.name", read_only=True)

    class Meta:
        model = Hub
        fields = [
            "id",
            "organization",
            "name",
            "commune",
            "commune_name",
            "latitude",
            "longitude",
            "chilled_capacity_kg",
            "frozen_capacity_kg",
            "dry_capacity_kg",
            "opening_days",
            "opens_at",
            "closes_at",
        ]
        read_only_fields = fields


class StopSerializer(serializers.ModelSerializer):
    organization_name = serializers.CharField(source="organization.name", read_only=True, default="")

    class Meta:
        model = Stop
        fields = [
            "position",
            "kind",
            "organization",
            "organization_name",
            "match",
            "arrives_at",
            "window_start",
            "window_end",
            "quantity_kg",
            "storage",
            "load_kg",
            "distance_km",
        ]
        read_only_fields = fields


class RoundSerializer(serializers.ModelSerializer):
    stops = StopSerializer(many=True, read_only=True)

    class Meta:
        model = Round
        fields = [
            "id",
            "territory",
            "day",
            "vehicle",
            "driver",
            "status",
            "starts_at",
            "ends_at",
            "distance_km",
            "duration_min",
            "max_load_kg",
            "stops",
        ]
        read_only_fields = fields


class _Writes:
    """Create and update through the input and the service."""

    input_data = None
    create_service = None
    update_service = None
    instance_name = ""

    def create(self, request):
        data = type(self).input_data(request.data, strict=False)
        made = type(self).create_service(by=principal_of(request), data=data)
        return Response(self.get_serializer(made).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        data = type(self).input_data(request.data, partial=True, strict=False)
        kwargs = {self.instance_name: self.get_object(), "by": principal_of(request), "data": data}
        return Response(self.get_serializer(type(self).update_service(**kwargs)).data)


class VehicleViewSet(_Writes, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The vehicles of the organizations you act for, and of your territories."""

    serializer_class = VehicleSerializer
    permission_classes = [permissions.IsAuthenticated]
    http_method_names = ["get", "post", "patch", "head", "options"]
    input_data = staticmethod(inputs.vehicle_data)
    create_service = staticmethod(resources.vehicle_create)
    update_service = staticmethod(resources.vehicle_update)
    instance_name = "vehicle"

    def get_queryset(self):
        principal = principal_of(self.request)
        qs = Vehicle.objects.prefetch_related("drivers").order_by("id")
        if perms.is_staff(principal):
            return qs
        return qs.filter(organization__in=perms.editable_organizations(principal)).distinct()


class HubViewSet(_Writes, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Hubs and cold rooms: public places, readable by anyone."""

    serializer_class = HubSerializer
    queryset = Hub.objects.filter(is_active=True).select_related("commune").order_by("id")
    http_method_names = ["get", "post", "patch", "head", "options"]
    input_data = staticmethod(inputs.hub_data)
    create_service = staticmethod(resources.hub_create)
    update_service = staticmethod(resources.hub_update)
    instance_name = "hub"


class RoundViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Rounds of the territories you follow, and those your vehicles drive; claim one."""

    serializer_class = RoundSerializer
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self):
        principal = principal_of(self.request)
        qs = Round.objects.prefetch_related("stops", "stops__organization").order_by("day", "starts_at", "id")
        if perms.is_staff(principal):
            return qs
        user = perms.as_user(principal)
        return qs.filter(
            Q(territory_id__in=perms.viewer_territory_ids(principal))
            | Q(vehicle__organization_id__in=perms.member_organization_ids(principal))
            | Q(vehicle__drivers=user if user else None)
        ).distinct()

    @action(detail=True, methods=["post"])
    def claim(self, request, pk=None):
        made = rounds.round_claim(round_=self.get_object(), by=principal_of(request))
        return Response(self.get_serializer(made).data)


def register(router) -> None:
    router.register("vehicles", VehicleViewSet, basename="vehicle")
    router.register("hubs", HubViewSet, basename="hub")
    router.register("rounds", RoundViewSet, basename="round")


urlpatterns: list = []
