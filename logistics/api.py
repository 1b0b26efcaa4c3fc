"""REST API of logistics: vehicles, hubs and cold rooms, rounds (``/api/v1/vehicles/``,
``/api/v1/hubs/``, ``/api/v1/rounds/``). Thin: bodies are parsed by ``logistics.inputs`` and
every write calls a service of ``logistics.services``, with the pages' rules and permissions."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from actors import permissions as perms
from actors.api import principal_of
from logistics import inputs, papers, selectors
from logistics.models import GleaningDay, GleaningSlot, Hub, Round, RoundPlan, Stop, Vehicle
from logistics.services import gleaning, resources, rounds
from miam import api_fields
from miam.api_errors import ERROR_RESPONSES
from miam.errors import DomainError, NotAllowed


class VehicleSerializer(serializers.ModelSerializer):
    days_available = api_fields.week_days(required=False, help_text=_("Jours de disponibilité (0 = lundi)."))

    class Meta:
        model = Vehicle
        fields = [
            "id",
            "organization",
            "name",
            "kind",
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
    opening_days = api_fields.week_days(read_only=True, help_text=_("Jours d'ouverture (0 = lundi)."))

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
            "hub",
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
    # Cross-docking: the rounds that brought this round's lots to the hub, and those that take
    # them on from it.
    after = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    before = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = Round
        fields = [
            "id",
            "territory",
            "day",
            "vehicle",
            "driver",
            "status",
            "hub",
            "leg",
            "after",
            "before",
            "starts_at",
            "ends_at",
            "distance_km",
            "duration_min",
            "max_load_kg",
            "stops",
        ]
        read_only_fields = fields


class RoundPlanSerializer(serializers.ModelSerializer):
    class Meta:
        model = RoundPlan
        fields = [
            "id",
            "territory",
            "hub",
            "cross_dock",
            "day",
            "status",
            "stage",
            "progress",
            "counts",
            "error",
            "created_at",
        ]
        read_only_fields = fields


def _plan_not_found() -> str:
    from django.utils.translation import gettext

    return gettext("Calcul de tournées inconnu.")


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
        return selectors.vehicles_visible(principal_of(self.request)).order_by("id")


class HubViewSet(_Writes, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Hubs and cold rooms: public places, readable by anyone."""

    serializer_class = HubSerializer
    queryset = Hub.objects.filter(is_active=True).select_related("commune").order_by("id")
    http_method_names = ["get", "post", "patch", "head", "options"]
    input_data = staticmethod(inputs.hub_data)
    create_service = staticmethod(resources.hub_create)
    update_service = staticmethod(resources.hub_update)
    instance_name = "hub"


def draft_json(draft: rounds.RoundDraft) -> dict:
    """A round by hand before it is saved: the planner's order and its checks."""
    return {
        "territory": draft.territory.pk,
        "day": draft.day.isoformat(),
        "vehicle": draft.vehicle.pk,
        "distance_km": draft.km,
        "separate_trips_km": draft.separate_trips_km,
        "max_load_kg": draft.max_load_kg,
        "payload_kg": draft.payload_kg,
        "cold": [
            {
                "match": c.match_id,
                "storage": c.storage,
                "refrigerated": c.refrigerated,
                "ride_min": c.ride_min,
                "allowed_min": c.allowed_min,
                "ok": c.ok,
            }
            for c in draft.cold
        ],
        "stops": [
            {
                "kind": s["kind"],
                "match": s["match"].pk if s["match"] else None,
                "organization": s["organization"].pk if s["organization"] else None,
                "arrives_at": f"{s['arrives_at']:%H:%M}",
                "window": [f"{t:%H:%M}" for t in s["window"]] if s["window"] else None,
                "quantity_kg": s["quantity_kg"],
                "load_kg": s["load_kg"],
                "distance_km": s["km"],
            }
            for s in draft.stops()
        ],
    }


class RoundViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Rounds of the territories you follow, and those your vehicles drive; claim one; an
    officer or a logistics coordinator of the territory makes one by hand from chosen matches
    (``POST``: territory, day, vehicle, matches; ``preview/`` the same without saving), changes it
    before it runs (``PATCH``: day, vehicle, matches) or cancels it (``{id}/cancel/``)."""

    serializer_class = RoundSerializer
    permission_classes = [permissions.IsAuthenticated]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def create(self, request):
        cleaned, errors = inputs.round_data(request.data, strict=False)
        errors.raise_if_any()
        made = rounds.round_create(by=principal_of(request), **cleaned)
        return Response(self.get_serializer(made).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: OpenApiTypes.OBJECT})
    @action(detail=False, methods=["post"])
    def preview(self, request):
        """The round by hand the planner would make, with its checks; nothing is written."""
        cleaned, errors = inputs.round_data(request.data, strict=False)
        errors.raise_if_any()
        return Response(draft_json(rounds.round_draft(by=principal_of(request), **cleaned)))

    def partial_update(self, request, pk=None):
        cleaned, errors = inputs.round_change_data(request.data, strict=False)
        errors.raise_if_any()
        made = rounds.round_update(by=principal_of(request), round_=self.get_object(), **cleaned)
        return Response(self.get_serializer(made).data)

    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        made = rounds.round_cancel(by=principal_of(request), round_=self.get_object())
        return Response(self.get_serializer(made).data)

    def get_queryset(self):
        return selectors.rounds_visible(principal_of(self.request)).prefetch_related(
            "stops", "stops__organization", "after", "before"
        )

    @action(detail=False, methods=["post"])
    def plan(self, request):
        """Ask for the rounds of a day and a territory (or a hub): a job plans them."""
        cleaned, errors = inputs.round_plan_data(request.data, strict=False)
        errors.raise_if_any()
        made = rounds.round_plan_request(by=principal_of(request), **cleaned)
        return Response(RoundPlanSerializer(made).data, status=status.HTTP_202_ACCEPTED)

    @action(detail=False, methods=["get"], url_path=r"plans/(?P<plan_id>\d+)")
    def plan_progress(self, request, plan_id=None):
        """A planning job's progress and counts."""
        principal = principal_of(request)
        qs = RoundPlan.objects.all()
        if not perms.is_staff(principal):
            qs = qs.filter(territory_id__in=perms.viewer_territory_ids(principal))
        found = qs.filter(pk=plan_id).first()
        if found is None:
            raise DomainError("not_found", _plan_not_found(), status_code=404)
        return Response(RoundPlanSerializer(found).data)

    @action(detail=True, methods=["post"])
    def claim(self, request, pk=None):
        made = rounds.round_claim(round_=self.get_object(), by=principal_of(request))
        return Response(self.get_serializer(made).data)


class GleaningSlotSerializer(serializers.ModelSerializer):
    taken = serializers.SerializerMethodField()

    class Meta:
        model = GleaningSlot
        fields = ["id", "starts_at", "ends_at", "volunteer_capacity", "taken"]
        read_only_fields = fields

    def get_taken(self, slot) -> int:
        return sum(s.volunteers for s in slot.signups.all())


class GleaningSerializer(serializers.ModelSerializer):
    """A gleaning day as the public sees it: its commune, never a person's address."""

    commune = serializers.SlugRelatedField(slug_field="insee_code", read_only=True)
    commune_name = serializers.CharField(source="commune.name", read_only=True)
    farm = serializers.CharField(source="offer.organization.name", read_only=True)
    slots = GleaningSlotSerializer(many=True, read_only=True)
    has_agreement = serializers.BooleanField(read_only=True)
    has_insurance = serializers.BooleanField(read_only=True)

    class Meta:
        model = GleaningDay
        fields = [
            "id",
            "offer",
            "farm",
            "place",
            "commune",
            "commune_name",
            "date",
            "starts_at",
            "ends_at",
            "status",
            "has_agreement",
            "has_insurance",
            "slots",
        ]
        read_only_fields = fields


#: The papers are not public: a 403 for anyone but the organiser and the territory's officers.
_PAPERS_ERRORS = {403: ERROR_RESPONSES[403], 404: ERROR_RESPONSES[404]}


class GleaningViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Gleaning days: announced ones are public; sign up to a slot, with or without an account."""

    serializer_class = GleaningSerializer
    # Residents sign up without an account; every other write checks who acts.
    permission_classes = [permissions.AllowAny]
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        return selectors.gleanings_visible(principal_of(self.request))

    def _organiser(self):
        return permissions.IsAuthenticated().has_permission(self.request, self) or _anonymous()

    def create(self, request):
        self._organiser()
        made = gleaning.gleaning_create(by=principal_of(request), data=inputs.gleaning_data(request.data, strict=False))
        return Response(self.get_serializer(made).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def announce(self, request, pk=None):
        self._organiser()
        return Response(
            self.get_serializer(gleaning.gleaning_post(by=principal_of(request), day=self.get_object())).data
        )

    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        self._organiser()
        day = self.get_object()
        # A reference or a PDF each (JSON, or multipart with the documents), read by the page's input.
        cleaned, errors = inputs.papers_data(request.data, request.FILES)
        errors.raise_if_any()
        if cleaned:
            gleaning.gleaning_record_papers(by=principal_of(request), day=day, **cleaned)
        return Response(self.get_serializer(gleaning.gleaning_confirm(by=principal_of(request), day=day)).data)

    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        self._organiser()
        cleaned, errors = inputs.move_data(request.data)
        errors.raise_if_any()
        day = gleaning.gleaning_move(by=principal_of(request), day=self.get_object(), **cleaned)
        return Response(self.get_serializer(day).data)

    @action(detail=True, methods=["post"], url_path=r"slots/(?P<slot_id>\d+)/signup")
    def signup(self, request, pk=None, slot_id=None):
        day = self.get_object()
        slot = day.slots.filter(pk=slot_id).first()
        if slot is None:
            raise DomainError("not_found", _not_found(), status_code=404)
        made = gleaning.gleaning_signup(slot=slot, by=principal_of(request), data=inputs.signup_data(request.data))
        return Response({"id": made.pk, "slot": slot.pk, "volunteers": made.volunteers}, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def harvest(self, request, pk=None):
        self._organiser()
        cleaned, errors = inputs.harvest_data(request.data)
        errors.raise_if_any()
        made = gleaning.gleaning_record_harvest(by=principal_of(request), day=self.get_object(), **cleaned)
        return Response({"structure": made.structure_id, "quantity_kg": str(made.quantity_kg)})

    # --- The day's papers, as files: the page's own (``logistics.papers``), for the same people.

    def _papers_day(self) -> GleaningDay:
        """The day, for those who see its papers, as on its page: its organiser and the officers
        of the farm's or the place's territory, even before it is announced (the place's officers
        do not see the drafts of the list). Anyone else: a 403, or a 404 for a day they do not
        see at all, as everywhere in the API."""
        self._organiser()
        principal = principal_of(self.request)
        day = selectors.gleaning_day_for_papers(self.kwargs.get("pk"))
        if day is not None and selectors.sees_gleaning_papers(principal, day):
            return day
        self.get_object()  # a 404 for a day one does not see
        raise NotAllowed(papers.papers_refused())

    def _document(self, kind: str, missing: str):
        response = papers.gleaning_document_response(self._papers_day(), kind)
        if response is None:
            raise DomainError("not_found", missing, status_code=404)
        return response

    @extend_schema(
        summary=_("Feuille de la journée à imprimer (PDF)"),
        description=_(
            "Le lieu, les horaires, les papiers, chaque créneau et qui s'y est inscrit, la récolte : "
            "pour l'organisateur et les chargé·es de mission du territoire."
        ),
        request=None,
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, **_PAPERS_ERRORS},
    )
    @action(detail=True, methods=["get"])
    def sheet(self, request, pk=None):
        return papers.gleaning_sheet_response(self._papers_day(), request=request)

    @extend_schema(
        summary=_("Convention de glanage enregistrée (PDF)"),
        description=_("Le document tel qu'il a été déposé ; 404 si la journée n'en a pas (une référence seule)."),
        request=None,
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, **_PAPERS_ERRORS},
    )
    @action(detail=True, methods=["get"], url_path="agreement-document")
    def agreement_document(self, request, pk=None):
        return self._document("convention", _("Aucune convention de glanage déposée pour cette journée."))

    @extend_schema(
        summary=_("Attestation d'assurance responsabilité civile enregistrée (PDF)"),
        description=_("Le document tel qu'il a été déposé ; 404 si la journée n'en a pas (une référence seule)."),
        request=None,
        responses={(200, "application/pdf"): OpenApiTypes.BINARY, **_PAPERS_ERRORS},
    )
    @action(detail=True, methods=["get"], url_path="insurance-document")
    def insurance_document(self, request, pk=None):
        return self._document("assurance", _("Aucune attestation d'assurance déposée pour cette journée."))


def _anonymous():
    from rest_framework.exceptions import NotAuthenticated

    raise NotAuthenticated()


def _not_found() -> str:
    from django.utils.translation import gettext

    return gettext("Créneau inconnu.")


class HoursRowSerializer(serializers.Serializer):
    weekday = serializers.IntegerField(min_value=0, max_value=6, help_text=_("Jour (0 = lundi)."))
    opens_at = serializers.CharField(help_text=_("De (HH:MM)."))
    closes_at = serializers.CharField(help_text=_("À (HH:MM)."))


class WeekHoursSerializer(serializers.Serializer):
    """The schema of a week of opening hours (bodies are read by ``inputs.week_hours_data``)."""

    organization = serializers.IntegerField(read_only=True)
    hours = HoursRowSerializer(many=True)


class OpeningHoursViewSet(viewsets.GenericViewSet):
    """The week of opening hours of an organization one acts for (``{id}`` is the
    organization's): ``GET`` reads it, ``PUT`` replaces it with ``{"hours": [{"weekday",
    "opens_at", "closes_at"}, …]}`` (an empty list clears it)."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = WeekHoursSerializer
    http_method_names = ["get", "put", "head", "options"]

    def get_queryset(self):
        return selectors.organizations_with_hours(principal_of(self.request))

    @staticmethod
    def _week(organization) -> dict:
        return {
            "organization": organization.pk,
            "hours": [
                {"weekday": h.weekday, "opens_at": f"{h.opens_at:%H:%M}", "closes_at": f"{h.closes_at:%H:%M}"}
                for h in organization.opening_hours.all()
            ],
        }

    def retrieve(self, request, pk=None):
        return Response(self._week(self.get_object()))

    def update(self, request, pk=None):
        organization = self.get_object()
        resources.opening_hours_set(
            by=principal_of(request), organization=organization, data=inputs.week_hours_data(request.data)
        )
        return Response(self._week(self.get_queryset().get(pk=organization.pk)))


def register(router) -> None:
    router.register("vehicles", VehicleViewSet, basename="vehicle")
    router.register("hubs", HubViewSet, basename="hub")
    router.register("rounds", RoundViewSet, basename="round")
    router.register("gleanings", GleaningViewSet, basename="gleaning")
    router.register("opening-hours", OpeningHoursViewSet, basename="opening-hours")


urlpatterns: list = []
