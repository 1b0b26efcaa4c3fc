"""REST API of the initiatives app: serializers and viewsets, thin; rules live in services.

The catalog and the action plans are public to read; writes on a plan are for the territory's
officers (or a territory-scoped API key with write access), checked in ``initiatives.services``.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view, inline_serializer
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from actors.models import Organization, Territory
from actors.permissions import viewer_territory_ids
from initiatives import inputs, selectors, services, typology
from initiatives.models import (
    ActionIndicator,
    ActionPlan,
    ActionStep,
    IndicatorValue,
    Initiative,
    KeyFigure,
    PlannedAction,
)
from miam import api_fields, exports
from miam.inputs import ValidatedByInput
from miam.query_params import refuse_unknown_parameters

# --- Catalog -------------------------------------------------------------------------


class KeyFigureSerializer(serializers.ModelSerializer):
    class Meta:
        model = KeyFigure
        fields = ["value", "unit", "measures", "year", "qualifier", "source_index"]


class SourceReferenceSerializer(serializers.Serializer):
    """A document the initiative is written from, cited by its title and section."""

    document = serializers.CharField()
    title = serializers.CharField()
    section = serializers.CharField()


class InitiativeListSerializer(serializers.ModelSerializer):
    domain_label = serializers.CharField(read_only=True)
    type_label = serializers.CharField(read_only=True)
    secondary_types = serializers.ListField(child=serializers.CharField(), read_only=True)
    place = serializers.CharField(source="place_label", read_only=True)
    sources = SourceReferenceSerializer(many=True, read_only=True)
    rank = serializers.FloatField(read_only=True, required=False, default=None)
    beneficiaries = api_fields.texts(read_only=True)

    class Meta:
        model = Initiative
        fields = [
            "id",
            "slug",
            "name",
            "tagline",
            "domain",
            "domain_label",
            "type",
            "type_label",
            "secondary_types",
            "carrier_name",
            "place",
            "commune_insee",
            "departement_code",
            "region",
            "country",
            "scope",
            "latitude",
            "longitude",
            "location_precision",
            "start_year",
            "status",
            "beneficiaries",
            "sources",
            "rank",
        ]


class InitiativeSerializer(InitiativeListSerializer):
    """One initiative with the fields of a RESOLIS sheet that its sources fill."""

    key_figures = KeyFigureSerializer(many=True, read_only=True)
    carrier_organization = serializers.PrimaryKeyRelatedField(read_only=True)
    # The sheet's lists (JSON columns): texts or codes.
    other_types = api_fields.texts(read_only=True)
    carrier_kinds = api_fields.texts(read_only=True)
    objectives = api_fields.texts(read_only=True)
    objective_kinds = api_fields.texts(read_only=True)
    funding_sources = api_fields.texts(read_only=True)
    partners = api_fields.texts(read_only=True)
    results = api_fields.texts(read_only=True)
    levers = api_fields.texts(read_only=True)
    difficulties = api_fields.texts(read_only=True)
    solutions = api_fields.texts(read_only=True)
    improvements = api_fields.texts(read_only=True)
    committee_assessments = api_fields.texts(read_only=True)
    links = api_fields.texts(read_only=True)
    keywords = api_fields.texts(read_only=True)
    source_notes = api_fields.texts(read_only=True)

    class Meta(InitiativeListSerializer.Meta):
        fields = [
            *InitiativeListSerializer.Meta.fields,
            "summary",
            "description",
            "other_types",
            "carrier_organization",
            "carrier_kinds",
            "employees_count",
            "volunteers_count",
            "members_count",
            "commune_name",
            "place_note",
            "beneficiaries_note",
            "objectives",
            "objective_kinds",
            "key_figures",
            "results",
            "budget_eur",
            "funding_sources",
            "partners",
            "levers",
            "difficulties",
            "solutions",
            "improvements",
            "committee_assessments",
            "committee_read_on",
            "links",
            "keywords",
            "source_notes",
        ]


CATALOG_PARAMETERS = [
    OpenApiParameter("q", str, description=_("Recherche plein texte (sans accents requis), résultats classés.")),
    OpenApiParameter("domain", str, enum=typology.DOMAIN_CODES),
    OpenApiParameter("type", str, enum=typology.TYPE_CODES, description=_("Type principal ou secondaire.")),
    OpenApiParameter("region", str, description=_("Nom de la région.")),
    OpenApiParameter("departement", str, description=_("Code du département (ex. 39).")),
    OpenApiParameter("beneficiary", str, enum=typology.BENEFICIARY_CODES),
    OpenApiParameter("status", str, enum=typology.STATUS_CODES),
]


@extend_schema_view(
    list=extend_schema(summary=_("Catalogue des initiatives inspirantes"), parameters=CATALOG_PARAMETERS),
    retrieve=extend_schema(summary=_("Fiche d'une initiative")),
)
class InitiativeViewSet(viewsets.ReadOnlyModelViewSet):
    lookup_field = "slug"
    filter_backends: list = []
    serializer_class = InitiativeSerializer

    def get_queryset(self):
        if self.action == "list":
            return selectors.initiative_list(filters=selectors.CatalogFilters.from_data(self.request.query_params))
        return Initiative.objects.filter(is_published=True).prefetch_related("key_figures")

    def get_serializer_class(self):
        return InitiativeListSerializer if self.action == "list" else InitiativeSerializer

    @extend_schema(
        summary=_("Couche GeoJSON des initiatives placées"),
        parameters=CATALOG_PARAMETERS,
        responses={200: OpenApiTypes.OBJECT},
    )
    @action(detail=False, pagination_class=None)
    def geojson(self, request):
        refuse_unknown_parameters(request, self)  # a misspelt filter is a 400, as on the lists
        qs = selectors.initiative_list(filters=selectors.CatalogFilters.from_data(request.query_params))
        return Response(selectors.initiative_geojson(qs))

    @extend_schema(summary=_("Initiatives similaires"), responses={200: InitiativeListSerializer(many=True)})
    @action(detail=True, pagination_class=None)
    def similar(self, request, slug=None):
        refuse_unknown_parameters(request, self)
        return Response(InitiativeListSerializer(selectors.initiative_similar(self.get_object()), many=True).data)

    @extend_schema(
        summary=_("Typologies (domaines, types, publics, classements des sources et leur correspondance)"),
        responses={200: OpenApiTypes.OBJECT},
    )
    @action(detail=False, pagination_class=None)
    def typology(self, request):
        refuse_unknown_parameters(request, self)

        def pairs(items):
            return [{"code": c, "label": str(label)} for c, label in items]

        return Response(
            {
                "domains": pairs(typology.DOMAINS),
                "types": [
                    {"code": c, "domain": d, "label": str(label), "is_miam": c in typology.MIAM_TYPE_CODES}
                    for c, d, label in typology.TYPES
                ],
                "beneficiaries": pairs(typology.BENEFICIARIES),
                "carrier_kinds": pairs(typology.CARRIER_KINDS),
                "objective_kinds": pairs(typology.OBJECTIVE_KINDS),
                "committee_assessments": pairs(typology.COMMITTEE_ASSESSMENTS),
                "other_types": pairs(typology.OTHER_TYPES),
                "resolis_to_catalog": {
                    code: {"default": default, "allowed": sorted(allowed)}
                    for code, (default, allowed) in typology.RESOLIS_TO_CATALOG.items()
                },
                "cocolupa_to_domains": {
                    code: sorted(domains) for code, domains in typology.COCOLUPA_TO_DOMAINS.items()
                },
            }
        )


# --- Action plans --------------------------------------------------------------------


class IndicatorValueSerializer(ValidatedByInput, serializers.ModelSerializer):
    input_class = inputs.IndicatorValueInput

    class Meta:
        model = IndicatorValue
        fields = ["id", "indicator", "period_label", "period_date", "value", "note"]
        extra_kwargs = {"period_date": {"required": False}, "note": {"required": False}}
        # The service says whether a period already holds a value (it then corrects it).
        validators: list = []


class ActionIndicatorSerializer(ValidatedByInput, serializers.ModelSerializer):
    input_class = inputs.IndicatorInput

    values = IndicatorValueSerializer(many=True, read_only=True)
    unit = serializers.CharField(allow_blank=True, max_length=60, required=False, default="")

    class Meta:
        model = ActionIndicator
        fields = ["id", "action", "name", "unit", "baseline_value", "target_value", "values"]
        validators: list = []


class ActionStepSerializer(ValidatedByInput, serializers.ModelSerializer):
    input_class = inputs.StepInput

    class Meta:
        model = ActionStep
        fields = ["id", "title", "due_date", "is_done"]


class PlannedActionSerializer(ValidatedByInput, serializers.ModelSerializer):
    input_class = inputs.PlannedActionInput

    initiative = serializers.SlugRelatedField(
        slug_field="slug", queryset=Initiative.objects.filter(is_published=True), required=False, allow_null=True
    )
    steps = ActionStepSerializer(many=True, read_only=True)
    indicators = ActionIndicatorSerializer(many=True, read_only=True)
    partner_organizations = serializers.PrimaryKeyRelatedField(
        many=True, queryset=Organization.objects.all(), required=False
    )
    owner_organization = serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.all(), required=False, allow_null=True
    )
    owner = serializers.SerializerMethodField()
    owner_name = serializers.CharField(
        write_only=True,
        allow_blank=True,
        max_length=200,
        required=False,
        help_text=_("Le pilote, s'il n'a pas de compte (son nom) ; lu dans « owner » par l'équipe du territoire."),
    )

    class Meta:
        model = PlannedAction
        fields = [
            "id",
            "plan",
            "initiative",
            "title",
            "description",
            "state",
            "priority",
            "status",
            "owner_organization",
            "owner",
            "owner_name",
            "partner_organizations",
            "other_partners",
            "budget_eur",
            "funding",
            "start_date",
            "end_date",
            "steps",
            "indicators",
        ]
        read_only_fields = ["state", "priority"]
        extra_kwargs = {"title": {"required": False}}
        validators: list = []

    def get_owner(self, obj) -> str:
        """The person in charge: only for the territory's team (personal data)."""
        ids = self.context.get("team_territory_ids", set())
        if obj.plan.territory_id not in ids:
            return ""
        if obj.owner_person_id:
            return obj.owner_person.get_full_name() or obj.owner_person.email
        return obj.owner_name


class ActionPlanSerializer(ValidatedByInput, serializers.ModelSerializer):
    input_class = inputs.ActionPlanInput

    territory = serializers.SlugRelatedField(slug_field="slug", queryset=Territory.objects.all())
    selected_count = serializers.SerializerMethodField()

    class Meta:
        model = ActionPlan
        fields = ["id", "territory", "title", "status", "description", "selected_count"]
        extra_kwargs = {"title": {"required": False}}
        validators: list = []

    def get_selected_count(self, obj) -> int:
        return sum(1 for a in obj.actions.all() if a.state == PlannedAction.State.SELECTED)


class _SelectSerializer(ValidatedByInput, serializers.Serializer):
    input_class = inputs.SelectInput

    priority = serializers.IntegerField(required=False, min_value=1)


class _TeamContext:
    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["team_territory_ids"] = viewer_territory_ids(self.request.user)
        return context


@extend_schema_view(
    list=extend_schema(summary=_("Plans d'action des territoires")),
    create=extend_schema(summary=_("Créer le plan d'action d'un territoire (chargé·e de mission)")),
)
class ActionPlanViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = ActionPlanSerializer
    queryset = ActionPlan.objects.select_related("territory").prefetch_related("actions").order_by("territory__name")
    filterset_fields = ["territory__slug", "status"]

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        territory = serializer.validated_data["territory"]
        existed = ActionPlan.objects.filter(territory=territory).exists()
        plan = services.action_plan_get_or_create(
            territory=territory, by=request.user, title=serializer.validated_data.get("title", "")
        )
        code = status.HTTP_200_OK if existed else status.HTTP_201_CREATED
        return Response(self.get_serializer(plan).data, status=code)

    def update(self, request, *args, **kwargs):
        plan = self.get_object()
        serializer = self.get_serializer(plan, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        plan = services.action_plan_update(
            plan=plan,
            by=request.user,
            title=data.get("title"),
            status=data.get("status"),
            description=data.get("description"),
        )
        return Response(self.get_serializer(plan).data)

    @extend_schema(
        summary=_("Réordonner les actions retenues"),
        request=inline_serializer(
            "ReorderRequest", {"ordered_ids": serializers.ListField(child=serializers.IntegerField())}
        ),
        responses={200: PlannedActionSerializer(many=True)},
    )
    @action(detail=True, methods=["post"])
    def reorder(self, request, pk=None):
        actions = services.action_plan_reorder(
            plan=self.get_object(), by=request.user, ordered_ids=inputs.reorder_input(request.data)
        )
        return Response(PlannedActionSerializer(actions, many=True, context=self.get_serializer_context()).data)

    @extend_schema(
        summary=_("Export CSV du plan (actions, indicateurs, valeurs par période)"),
        responses={(200, "text/csv"): OpenApiTypes.STR},
    )
    @action(detail=True, methods=["get"])
    def export(self, request, pk=None):
        plan = self.get_object()
        private = plan.territory_id in viewer_territory_ids(request.user)
        export = selectors.action_plan_export(plan, include_private=private)
        return exports.export_response(export, fmt="csv", filename=f"plan-action-{plan.territory.slug}")


#: What the create hands to the shortlisting; the rest of its body is the action's follow-up.
_SHORTLIST_FIELDS = ("plan", "initiative", "title", "description")


@extend_schema_view(
    list=extend_schema(summary=_("Actions des plans (filtrer par plan ou territoire)")),
    create=extend_schema(
        summary=_("Présélectionner une action (depuis une initiative du catalogue ou libre)"),
        description=_(
            "Les champs de suivi donnés (pilote, partenaires, budget, calendrier, avancement) sont enregistrés "
            "avec l'action, dans la même transaction : si l'un est refusé, aucune action n'est créée."
        ),
    ),
    partial_update=extend_schema(summary=_("Suivi d'une action (pilote, partenaires, budget, calendrier, avancement)")),
)
class PlannedActionViewSet(
    _TeamContext,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = PlannedActionSerializer
    filterset_fields = ["plan", "plan__territory__slug", "state", "status"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return (
            PlannedAction.objects.select_related("plan__territory", "initiative", "owner_person", "owner_organization")
            .prefetch_related("steps", "partner_organizations", "indicators__values")
            .order_by("plan", "priority", "id")
        )

    def _reload(self, action):
        return self.get_queryset().get(pk=action.pk)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        shortlist = {name: data.pop(name) for name in _SHORTLIST_FIELDS if name in data}
        action = services.planned_action_shortlist(by=request.user, **shortlist, follow_up=data)
        return Response(self.get_serializer(self._reload(action)).data, status=status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        action = self.get_object()
        serializer = self.get_serializer(action, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        changes = {k: v for k, v in serializer.validated_data.items() if k not in {"plan", "initiative"}}
        action = services.planned_action_update(action=action, by=request.user, **changes)
        return Response(self.get_serializer(self._reload(action)).data)

    def _transition(self, service, **kwargs):
        updated = service(action=self.get_object(), by=self.request.user, **kwargs)
        return Response(self.get_serializer(self._reload(updated)).data)

    @extend_schema(
        summary=_("Retenir l'action (priorité facultative : les suivantes sont décalées)"),
        request=inline_serializer("SelectRequest", {"priority": serializers.IntegerField(required=False, min_value=1)}),
        responses={200: PlannedActionSerializer},
    )
    @action(detail=True, methods=["post"])
    def select(self, request, pk=None):
        data = _SelectSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._transition(services.planned_action_select, priority=data.validated_data.get("priority"))

    @extend_schema(
        summary=_("Remettre l'action dans la présélection"), request=None, responses={200: PlannedActionSerializer}
    )
    @action(detail=True, methods=["post"])
    def unselect(self, request, pk=None):
        return self._transition(services.planned_action_unselect)

    @extend_schema(summary=_("Écarter l'action"), request=None, responses={200: PlannedActionSerializer})
    @action(detail=True, methods=["post"])
    def drop(self, request, pk=None):
        return self._transition(services.planned_action_drop)

    @extend_schema(summary=_("Reconsidérer une action écartée"), request=None, responses={200: PlannedActionSerializer})
    @action(detail=True, methods=["post"])
    def restore(self, request, pk=None):
        return self._transition(services.planned_action_restore)

    @extend_schema(summary=_("Ajouter une étape"), request=ActionStepSerializer, responses={201: ActionStepSerializer})
    @action(detail=True, methods=["post"])
    def steps(self, request, pk=None):
        serializer = ActionStepSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        step = services.action_step_add(
            action=self.get_object(),
            by=request.user,
            title=serializer.validated_data["title"],
            due_date=serializer.validated_data.get("due_date"),
        )
        return Response(ActionStepSerializer(step).data, status=status.HTTP_201_CREATED)


@extend_schema_view(create=extend_schema(summary=_("Ajouter un indicateur d'évaluation (unité obligatoire)")))
class ActionIndicatorViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    serializer_class = ActionIndicatorSerializer
    filterset_fields = ["action", "action__plan"]
    queryset = (
        ActionIndicator.objects.select_related("action").prefetch_related("values").order_by("action", "position")
    )

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        indicator = services.action_indicator_add(
            action=data["action"],
            by=request.user,
            name=data["name"],
            unit=data.get("unit", ""),
            target_value=data.get("target_value"),
            baseline_value=data.get("baseline_value"),
        )
        return Response(self.get_serializer(indicator).data, status=status.HTTP_201_CREATED)


@extend_schema_view(create=extend_schema(summary=_("Saisir la valeur atteinte d'un indicateur pour une période")))
class IndicatorValueViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet):
    serializer_class = IndicatorValueSerializer
    filterset_fields = ["indicator", "indicator__action", "indicator__action__plan"]
    queryset = IndicatorValue.objects.select_related("indicator").order_by("indicator", "period_date")

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        value = services.indicator_value_record(
            indicator=data["indicator"],
            by=request.user,
            period_label=data["period_label"],
            value=data["value"],
            period_date=data.get("period_date"),
            note=data.get("note", ""),
        )
        return Response(self.get_serializer(value).data, status=status.HTTP_201_CREATED)


def register(router) -> None:
    """Add this app's viewsets to the v1 router."""
    router.register("initiatives", InitiativeViewSet, basename="initiative")
    router.register("action-plans", ActionPlanViewSet, basename="action-plan")
    router.register("planned-actions", PlannedActionViewSet, basename="planned-action")
    router.register("action-indicators", ActionIndicatorViewSet, basename="action-indicator")
    router.register("indicator-values", IndicatorValueViewSet, basename="indicator-value")


urlpatterns: list = []
