"""REST API of the actors app: territories, communes, organizations, ``me`` and API keys.

Thin: reads go through selectors, writes through ``actors.services``; contacts and exact
places are shown only to those allowed to see them (``can_see_private_fields``).
"""

from __future__ import annotations

from django.db.models import Count, Q
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import generics, mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from actors import inputs, services
from actors import selectors as actor_selectors
from actors.filters import OrganizationFilter
from actors.models import (
    POPULATION_YEAR,
    PRODUCER_KINDS,
    ApiKey,
    Commune,
    FarmProfile,
    Organization,
    StructureProfile,
    Territory,
)
from actors.permissions import (
    api_key_of,
    as_user,
    can_see_private_fields,
    editable_organizations,
    is_staff,
    officer_territory_ids,
)
from actors.selectors import annotate_public_point
from miam import api_fields
from miam.api_errors import ERRORS_READ, ERRORS_WRITE, ErrorSerializer
from miam.api_geo import LIMIT_PARAM, FeatureCollectionSerializer, GeoLayerView
from miam.errors import DomainError
from miam.filters import SafeOrderingFilter, clean_text
from miam.pagination import PageOrSyncPagination
from miam.text import normalize
from products.labels import FARM_LABEL_CODES, FARM_LABELS
from products.models import ProductCategory

# --- Places and brief mentions, shared with the offers API ------------------------------


def principal_of(request):
    """Who calls: a person, an API key's principal, or an anonymous visitor."""
    return getattr(request, "user", None)


class PointMixin(serializers.Serializer):
    """The place shown: exact for those allowed to see it, the commune's point otherwise."""

    latitude = serializers.SerializerMethodField()
    longitude = serializers.SerializerMethodField()
    location_is_exact = serializers.SerializerMethodField()

    point_prefix = "organization"

    def _point(self, obj) -> tuple[float | None, float | None, bool]:
        if hasattr(obj, "point_lat"):
            return obj.point_lat, obj.point_lon, bool(obj.is_exact)
        organization = getattr(obj, self.point_prefix) if self.point_prefix else obj
        request = self.context.get("request")
        if can_see_private_fields(principal_of(request), organization):
            return organization.latitude, organization.longitude, True
        return organization.commune.latitude, organization.commune.longitude, False

    @extend_schema_field(OpenApiTypes.DOUBLE)
    def get_latitude(self, obj):
        return self._point(obj)[0]

    @extend_schema_field(OpenApiTypes.DOUBLE)
    def get_longitude(self, obj):
        return self._point(obj)[1]

    @extend_schema_field(OpenApiTypes.BOOL)
    def get_location_is_exact(self, obj):
        return self._point(obj)[2]


class OrganizationBriefSerializer(serializers.ModelSerializer):
    commune = serializers.CharField(source="commune.insee_code", read_only=True)
    commune_name = serializers.CharField(source="commune.name", read_only=True)

    class Meta:
        model = Organization
        fields = ["id", "name", "kind", "commune", "commune_name"]
        read_only_fields = fields


# --- Territories -------------------------------------------------------------------------


class TerritorySerializer(serializers.ModelSerializer):
    epci_codes = serializers.SerializerMethodField()
    communes_count = serializers.IntegerField(read_only=True)
    population_year = serializers.SerializerMethodField(
        help_text=_("Année de la population municipale du référentiel des communes, dont « population » est la somme.")
    )

    class Meta:
        model = Territory
        fields = [
            "id",
            "name",
            "slug",
            "level",
            "recognized_year",
            "carrier",
            "epci_codes",
            "communes_count",
            "population",
            "population_year",
            "has_social_justice_axis",
            "social_justice_axis_source",
            "description",
            "published_communes_count",
            "published_population",
            "farms_count",
            "farms_count_year",
            "farms_count_source",
            "food_aid_count",
            "food_aid_count_source",
            "poverty_rate",
            "departement_poverty_rate",
            "poverty_rate_year",
            "poverty_rate_source",
            "diagnostic_source",
            "diagnostic_year",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_population_year(self, obj) -> int:
        return POPULATION_YEAR

    def get_epci_codes(self, obj) -> list[str]:
        return [code for code in obj.epci_codes.split(",") if code]


OUTLINE_SCHEMA = {
    "type": "object",
    "description": "GeoJSON Feature (geometry null when the perimeter has no outline yet).",
    "required": ["type", "properties"],
    "properties": {
        "type": {"type": "string", "enum": ["Feature"]},
        "id": {"type": "integer"},
        "geometry": {"type": "object", "nullable": True, "additionalProperties": True},
        "properties": {"type": "object", "additionalProperties": True},
    },
}


@extend_schema_view(
    list=extend_schema(responses={200: TerritorySerializer(many=True)}),
    retrieve=extend_schema(responses={200: TerritorySerializer, 404: ErrorSerializer}),
)
class TerritoryViewSet(viewsets.ReadOnlyModelViewSet):
    """PAT territories: their perimeter (communes, EPCI) and diagnostic figures."""

    serializer_class = TerritorySerializer
    queryset = Territory.objects.annotate(communes_count=Count("communes")).order_by("name", "id")
    filter_backends = [SafeOrderingFilter]
    ordering = ("name", "id")
    ordering_fields = ["name", "population", "updated_at"]

    @extend_schema(responses={200: OUTLINE_SCHEMA, 404: ErrorSerializer})
    @action(detail=True, methods=["get"])
    def outline(self, request, pk=None):
        """The perimeter's outline as a GeoJSON Feature, for maps."""
        territory = self.get_object()
        return Response(
            {
                "type": "Feature",
                "id": territory.pk,
                "geometry": territory.outline,
                "properties": {"name": territory.name, "slug": territory.slug, "population": territory.population},
            }
        )


# --- Communes ----------------------------------------------------------------------------


class CommuneSerializer(serializers.ModelSerializer):
    postal_codes = serializers.ListField(child=serializers.CharField(), source="postal_code_list", read_only=True)
    departement = serializers.CharField(source="departement.code", read_only=True)
    departement_name = serializers.CharField(source="departement.name", read_only=True)

    class Meta:
        model = Commune
        fields = [
            "insee_code",
            "name",
            "postal_codes",
            "population",
            "latitude",
            "longitude",
            "departement",
            "departement_name",
        ]
        read_only_fields = fields


Q_PARAM = OpenApiParameter(
    "q",
    str,
    description=_("Nom (sans accents, « st » = saint) ou code postal ; 20 résultats au plus."),
    required=False,
)


TERRITORY_PARAM = OpenApiParameter(
    "territory",
    str,
    description=_("Les communes d'un territoire (identifiant ou slug), par nom ; avec « q », filtrées par nom."),
    required=False,
)


@extend_schema_view(
    list=extend_schema(
        description=_(
            "Toutes les communes du référentiel, par nom puis code INSEE, en pages comme toute liste ; "
            "« territory » les restreint à un territoire, « q » les cherche par nom ou code postal."
        ),
        parameters=[Q_PARAM, TERRITORY_PARAM],
        responses={200: CommuneSerializer(many=True), **ERRORS_READ},
    ),
    retrieve=extend_schema(responses={200: CommuneSerializer, 404: ErrorSerializer}),
)
class CommuneViewSet(viewsets.ReadOnlyModelViewSet):
    """Reference communes: all of them, a search by name or postal code, or a territory's; read
    one by INSEE code. Paginated like every list (``miam.pagination.PagePagination``); a list
    of many is ordered by name, then INSEE code, so that its pages neither skip nor repeat one."""

    serializer_class = CommuneSerializer
    lookup_field = "insee_code"
    lookup_value_regex = "[0-9AB]{5}"
    filter_backends: list = []

    def get_queryset(self):
        if self.action != "list":
            return Commune.objects.select_related("departement")
        q = clean_text(self.request.query_params.get("q", ""))
        wanted = clean_text(self.request.query_params.get("territory", ""))
        if not wanted:
            if not q:
                return actor_selectors.commune_list()
            return list(actor_selectors.commune_search(q=q))
        territory = Territory.objects.filter(Q(slug=wanted) | Q(pk=int(wanted) if wanted.isdecimal() else None)).first()
        if territory is None:
            raise DomainError(
                "unknown_territory",
                _("Territoire inconnu."),
                fields={"territory": [_("Territoire inconnu : %(t)s.") % {"t": wanted}]},
            )
        communes = actor_selectors.commune_list(territory=territory)
        if q:
            communes = communes.filter(search_name__startswith=normalize(q))
        return communes


# --- Organizations -----------------------------------------------------------------------


class FarmProfileSerializer(serializers.ModelSerializer):
    productions = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    labels = serializers.ListField(child=serializers.ChoiceField(choices=FARM_LABEL_CODES), read_only=True)

    class Meta:
        model = FarmProfile
        fields = [
            "labels",
            "delivery_radius_km",
            "vehicle",
            "accepts_donation",
            "accepts_solidarity_price",
            "accepts_market_price",
            "productions",
        ]
        read_only_fields = fields


STRUCTURE_PUBLIC = ("structure_type", "people_served_per_week", "distribution_days", "distribution_hours")


class StructureProfileSerializer(serializers.ModelSerializer):
    distribution_days = api_fields.week_days(read_only=True, help_text=_("Jours de distribution (0 = lundi)."))

    class Meta:
        model = StructureProfile
        fields = [
            *STRUCTURE_PUBLIC,
            "has_dry_storage",
            "dry_capacity_kg",
            "has_fridge",
            "chilled_capacity_kg",
            "has_freezer",
            "frozen_capacity_kg",
            "vehicle",
            "pickup_radius_km",
            "monthly_budget_eur",
            "gleaning_volunteers",
            "issues_donation_receipts",
            "donation_receipt_reference",
        ]
        read_only_fields = fields
        # Absent for those who may not see the structure's capacities (``OrganizationSerializer``).
        optional_in_schema = [name for name in fields if name not in STRUCTURE_PUBLIC]


PRIVATE_FIELDS = ("address", "email", "phone", "location_precision")


class OrganizationSerializer(PointMixin, serializers.ModelSerializer):
    """Public fields for everybody; contacts, address, exact place and a structure's
    capacities only for those allowed to see them (then ``location_is_exact`` is true)."""

    point_prefix = ""
    commune = serializers.CharField(source="commune.insee_code", read_only=True)
    commune_name = serializers.CharField(source="commune.name", read_only=True)
    departement = serializers.CharField(source="commune.departement.code", read_only=True)
    website = serializers.CharField(read_only=True)
    farm_profile = serializers.SerializerMethodField()
    structure_profile = serializers.SerializerMethodField()
    address = serializers.CharField(read_only=True, required=False)
    email = serializers.CharField(read_only=True, required=False)
    phone = serializers.CharField(read_only=True, required=False)
    location_precision = serializers.CharField(read_only=True, required=False)

    class Meta:
        model = Organization
        fields = [
            "id",
            "kind",
            "name",
            "siret",
            "commune",
            "commune_name",
            "departement",
            "website",
            "description",
            "is_active",
            "latitude",
            "longitude",
            "location_is_exact",
            *PRIVATE_FIELDS,
            "farm_profile",
            "structure_profile",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields
        optional_in_schema = PRIVATE_FIELDS  # absent for those who may not see them

    @extend_schema_field(FarmProfileSerializer(allow_null=True))
    def get_farm_profile(self, obj):
        profile = getattr(obj, "farm_profile", None) if obj.kind == Organization.Kind.FARM else None
        return FarmProfileSerializer(profile).data if profile else None

    @extend_schema_field(StructureProfileSerializer(allow_null=True))
    def get_structure_profile(self, obj):
        profile = getattr(obj, "structure_profile", None) if obj.kind == Organization.Kind.FOOD_AID else None
        if profile is None:
            return None
        data = StructureProfileSerializer(profile).data
        if not self._point(obj)[2]:
            data = {key: value for key, value in data.items() if key in STRUCTURE_PUBLIC}
        return data

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not data["location_is_exact"]:
            for field in PRIVATE_FIELDS:
                data.pop(field, None)
        return data


# The request bodies, for the schema only: ``actors.inputs`` validates them (one layer for the
# page, the API and imports).
class FarmProfileWriteSerializer(serializers.Serializer):
    labels = serializers.ListField(child=serializers.ChoiceField(choices=list(FARM_LABELS)), required=False)
    delivery_radius_km = serializers.DecimalField(max_digits=6, decimal_places=1, min_value=0, required=False)
    vehicle = serializers.ChoiceField(choices=FarmProfile.Vehicle.choices, required=False)
    accepts_donation = serializers.BooleanField(required=False)
    accepts_solidarity_price = serializers.BooleanField(required=False)
    accepts_market_price = serializers.BooleanField(required=False)
    productions = serializers.SlugRelatedField(
        slug_field="code", many=True, queryset=ProductCategory.objects.all(), required=False
    )


class StructureProfileWriteSerializer(serializers.Serializer):
    structure_type = serializers.ChoiceField(choices=StructureProfile.StructureType.choices, required=False)
    people_served_per_week = serializers.IntegerField(min_value=0, max_value=2_147_483_647, required=False)
    distribution_days = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6), required=False, max_length=7
    )
    distribution_hours = serializers.CharField(max_length=200, required=False, allow_blank=True)
    has_dry_storage = serializers.BooleanField(required=False)
    dry_capacity_kg = serializers.IntegerField(min_value=0, max_value=2_147_483_647, required=False)
    has_fridge = serializers.BooleanField(required=False)
    chilled_capacity_kg = serializers.IntegerField(min_value=0, max_value=2_147_483_647, required=False)
    has_freezer = serializers.BooleanField(required=False)
    frozen_capacity_kg = serializers.IntegerField(min_value=0, max_value=2_147_483_647, required=False)
    vehicle = serializers.ChoiceField(choices=FarmProfile.Vehicle.choices, required=False)
    pickup_radius_km = serializers.DecimalField(max_digits=6, decimal_places=1, min_value=0, required=False)
    monthly_budget_eur = serializers.DecimalField(max_digits=9, decimal_places=2, min_value=0, required=False)
    gleaning_volunteers = serializers.IntegerField(min_value=0, max_value=2_147_483_647, required=False)
    issues_donation_receipts = serializers.BooleanField(required=False)
    donation_receipt_reference = serializers.CharField(max_length=200, required=False, allow_blank=True)


class OrganizationWriteSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Organization.Kind.choices)
    name = serializers.CharField(max_length=200)
    commune = serializers.CharField(max_length=5, help_text=_("Code INSEE de la commune."))
    address = serializers.CharField(max_length=300, required=False, allow_blank=True)
    latitude = serializers.FloatField(min_value=-90, max_value=90, required=False, allow_null=True)
    longitude = serializers.FloatField(min_value=-180, max_value=180, required=False, allow_null=True)
    siret = serializers.CharField(max_length=17, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True)
    website = serializers.URLField(max_length=200, required=False, allow_blank=True)
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    farm_profile = FarmProfileWriteSerializer(required=False, allow_null=True)
    structure_profile = StructureProfileWriteSerializer(required=False, allow_null=True)


class OrganizationUpdateSerializer(OrganizationWriteSerializer):
    is_active = serializers.BooleanField(required=False)


@extend_schema_view(
    list=extend_schema(responses={200: OrganizationSerializer(many=True), **ERRORS_READ}),
    retrieve=extend_schema(responses={200: OrganizationSerializer, 404: ErrorSerializer}),
)
class OrganizationViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Farms, food-aid structures and other actors. Anyone may list them with their
    commune; contacts and exact places are for the organization, its territory's team
    and staff."""

    serializer_class = OrganizationSerializer
    filterset_class = OrganizationFilter
    filter_backends = [DjangoFilterBackend, SafeOrderingFilter]
    pagination_class = PageOrSyncPagination
    ordering = ("name", "id")
    ordering_fields = ["name", "created_at", "updated_at", "distance_km"]
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        principal = self.request.user
        qs = Organization.objects.all()
        if not is_staff(principal):
            visible = Q(is_active=True)
            if getattr(principal, "is_authenticated", False):
                visible |= Q(id__in=editable_organizations(principal).values("id"))
            qs = qs.filter(visible)
        qs = qs.select_related("commune", "commune__departement", "farm_profile", "structure_profile").prefetch_related(
            "farm_profile__productions"
        )
        return annotate_public_point(qs, principal, prefix="")

    def _respond(self, organization, code=200):
        fresh = self.get_queryset().get(pk=organization.pk)
        return Response(OrganizationSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    @extend_schema(request=OrganizationWriteSerializer, responses={201: OrganizationSerializer, **ERRORS_WRITE})
    def create(self, request, *args, **kwargs):
        values = {key: value for key, value in request.data.items() if key != "is_active"}
        data = inputs.organization_data(values, strict=False)
        organization = services.organization_create(by=request.user, data=data)
        return self._respond(organization, 201)

    @extend_schema(request=OrganizationUpdateSerializer, responses={200: OrganizationSerializer, **ERRORS_WRITE})
    def partial_update(self, request, *args, **kwargs):
        organization = self.get_object()
        data = inputs.organization_data(request.data, partial=True, strict=False)
        organization = services.organization_update(organization=organization, by=request.user, data=data)
        return self._respond(organization)


# --- Me ----------------------------------------------------------------------------------


ME_SCHEMA = inline_serializer(
    "Me",
    {
        "type": serializers.ChoiceField(choices=["user", "api_key"]),
        "user": inline_serializer(
            "MeUser",
            {
                "id": serializers.IntegerField(),
                "email": serializers.EmailField(),
                "first_name": serializers.CharField(),
                "last_name": serializers.CharField(),
                "language": serializers.CharField(),
                "is_staff": serializers.BooleanField(),
            },
            allow_null=True,
        ),
        "api_key": inline_serializer(
            "MeApiKey",
            {
                "id": serializers.IntegerField(),
                "name": serializers.CharField(),
                "prefix": serializers.CharField(),
                "organization": serializers.IntegerField(allow_null=True),
                "territory": serializers.IntegerField(allow_null=True),
                "can_write": serializers.BooleanField(),
            },
            allow_null=True,
        ),
        "memberships": inline_serializer(
            "MeMembership",
            {
                "organization": serializers.IntegerField(),
                "organization_name": serializers.CharField(),
                "kind": serializers.CharField(),
                "role": serializers.CharField(),
            },
            many=True,
        ),
        "territory_roles": inline_serializer(
            "MeTerritoryRole",
            {
                "territory": serializers.IntegerField(),
                "territory_name": serializers.CharField(),
                "slug": serializers.CharField(),
                "role": serializers.CharField(),
            },
            many=True,
        ),
    },
)


class MeView(generics.GenericAPIView):
    """Who is calling: the signed-in person (memberships, territory roles) or the API key."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = None

    @extend_schema(responses={200: ME_SCHEMA, 401: ErrorSerializer})
    def get(self, request):
        key = api_key_of(request.user)
        if key:
            return Response(
                {
                    "type": "api_key",
                    "user": None,
                    "api_key": {
                        "id": key.pk,
                        "name": key.name,
                        "prefix": key.prefix,
                        "organization": key.organization_id,
                        "territory": key.territory_id,
                        "can_write": key.can_write,
                    },
                    "memberships": (
                        [
                            {
                                "organization": key.organization_id,
                                "organization_name": key.organization.name,
                                "kind": key.organization.kind,
                                "role": "api_key",
                            }
                        ]
                        if key.organization_id
                        else []
                    ),
                    "territory_roles": (
                        [
                            {
                                "territory": key.territory_id,
                                "territory_name": key.territory.name,
                                "slug": key.territory.slug,
                                "role": "api_key",
                            }
                        ]
                        if key.territory_id
                        else []
                    ),
                }
            )
        user = request.user
        memberships = user.memberships.select_related("organization").order_by("organization__name")
        roles = user.territory_roles.select_related("territory").order_by("territory__name")
        return Response(
            {
                "type": "user",
                "user": {
                    "id": user.pk,
                    "email": user.email,
                    "first_name": user.first_name,
                    "last_name": user.last_name,
                    "language": user.language,
                    "is_staff": user.is_staff,
                },
                "api_key": None,
                "memberships": [
                    {
                        "organization": m.organization_id,
                        "organization_name": m.organization.name,
                        "kind": m.organization.kind,
                        "role": m.role,
                    }
                    for m in memberships
                ],
                "territory_roles": [
                    {
                        "territory": r.territory_id,
                        "territory_name": r.territory.name,
                        "slug": r.territory.slug,
                        "role": r.role,
                    }
                    for r in roles
                ],
            }
        )


# --- API keys ----------------------------------------------------------------------------


class IsPerson(permissions.BasePermission):
    """Keys are managed by people signed in, never by another key."""

    message = _("Les clés d'API se gèrent depuis un compte personnel, pas avec une clé.")

    def has_permission(self, request, view):
        return as_user(request.user) is not None


class ApiKeySerializer(serializers.ModelSerializer):
    is_active = serializers.BooleanField(read_only=True)

    class Meta:
        model = ApiKey
        fields = [
            "id",
            "name",
            "prefix",
            "organization",
            "territory",
            "can_write",
            "is_active",
            "created_at",
            "last_used_at",
            "revoked_at",
        ]
        read_only_fields = fields


class ApiKeyCreatedSerializer(ApiKeySerializer):
    key = serializers.CharField(read_only=True, help_text=_("La clé complète, affichée une seule fois."))

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "key"]
        read_only_fields = fields


class ApiKeyWriteSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    organization = serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.all(), required=False, allow_null=True
    )
    territory = serializers.PrimaryKeyRelatedField(queryset=Territory.objects.all(), required=False, allow_null=True)
    can_write = serializers.BooleanField(required=False, default=False)


@extend_schema_view(
    list=extend_schema(responses={200: ApiKeySerializer(many=True), 401: ErrorSerializer, 403: ErrorSerializer}),
    retrieve=extend_schema(responses={200: ApiKeySerializer, 401: ErrorSerializer, 404: ErrorSerializer}),
)
class ApiKeyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Keys of the organizations you act for and of the territories you manage."""

    serializer_class = ApiKeySerializer
    permission_classes = [permissions.IsAuthenticated, IsPerson]
    filter_backends: list = []

    def get_queryset(self):
        user = self.request.user
        qs = ApiKey.objects.all()
        if not is_staff(user):
            qs = qs.filter(
                Q(organization_id__in=editable_organizations(user).values("id"))
                | Q(territory_id__in=sorted(officer_territory_ids(user)))
            )
        return qs.order_by("-created_at", "-id")

    @extend_schema(
        summary=_("Créer une clé d'API (d'une organisation ou d'un territoire)"),
        description=_(
            "Une clé vise exactement une organisation ou un territoire. La clé d'une organisation est créée par un "
            "membre de l'organisation, un·e chargé·e de mission d'un territoire où elle se trouve, ou l'équipe MIAM ; "
            "celle d'un territoire par ses chargé·es de mission ou l'équipe MIAM ; toute autre personne reçoit un 403, "
            "et une clé ne crée jamais de clé. La clé complète (champ « key ») n'est affichée qu'une fois, dans cette "
            "réponse : MIAM n'en garde que l'empreinte (SHA-256)."
        ),
        request=ApiKeyWriteSerializer,
        responses={201: ApiKeyCreatedSerializer, **ERRORS_WRITE},
    )
    def create(self, request, *args, **kwargs):
        data = ApiKeyWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        key, raw = services.apikey_create(by=request.user, **data.validated_data)
        key.key = raw
        return Response(ApiKeyCreatedSerializer(key).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: ApiKeySerializer, **ERRORS_WRITE})
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        """Revoke the key at once; it can never be used again."""
        key = services.apikey_revoke(by=request.user, key=self.get_object())
        return Response(ApiKeySerializer(key).data)


# --- GeoJSON layers for maps -------------------------------------------------------------


class OrganizationLayerView(GeoLayerView):
    filterset_class = OrganizationFilter
    kinds: tuple[str, ...] = ()
    fields = ("name", "kind", "commune__name", "commune__insee_code")
    pg_properties = (
        ("name", "{name}"),
        ("kind", "{kind}"),
        ("commune", "{commune__insee_code}"),
        ("commune_name", "{commune__name}"),
    )

    def get_queryset(self):
        qs = Organization.objects.filter(is_active=True, kind__in=self.kinds).order_by("name", "id")
        return annotate_public_point(qs, principal_of(self.request), prefix="")

    def properties(self, row):
        return {
            "name": row["name"],
            "kind": row["kind"],
            "commune": row["commune__insee_code"],
            "commune_name": row["commune__name"],
            "exact": row["is_exact"],
        }


@extend_schema(parameters=[LIMIT_PARAM], responses={200: FeatureCollectionSerializer, **ERRORS_READ})
class FarmLayerView(OrganizationLayerView):
    """Farms and processors, at their commune's point unless you may see the exact place."""

    kinds = PRODUCER_KINDS


@extend_schema(parameters=[LIMIT_PARAM], responses={200: FeatureCollectionSerializer, **ERRORS_READ})
class StructureLayerView(OrganizationLayerView):
    """Food-aid structures, at their commune's point unless you may see the exact place."""

    kinds = (Organization.Kind.FOOD_AID,)


def register(router) -> None:
    """Add this app's viewsets to the v1 router."""
    router.register("territories", TerritoryViewSet, basename="territory")
    router.register("communes", CommuneViewSet, basename="commune")
    router.register("organizations", OrganizationViewSet, basename="organization")
    router.register("api-keys", ApiKeyViewSet, basename="api-key")


urlpatterns: list = [
    path("me/", MeView.as_view(), name="api-me"),
    path("geo/farms/", FarmLayerView.as_view(), name="geo-farms"),
    path("geo/structures/", StructureLayerView.as_view(), name="geo-structures"),
]

__all__ = [
    "ApiKeySerializer",
    "OrganizationBriefSerializer",
    "PointMixin",
    "CommuneSerializer",
    "OrganizationSerializer",
    "TerritorySerializer",
]
