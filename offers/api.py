"""REST API of the offers app: categories, offers, needs, matches (read) and map layers.

Serializers shape input and output; every write calls a service in ``offers.services``,
so that the API, the pages and the jobs apply the same rules and permissions.
"""

from __future__ import annotations

from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response

from actors.api import OrganizationBriefSerializer, PointMixin, principal_of
from actors.models import Organization
from actors.selectors import annotate_public_point
from miam.api_cache import AnonymousCacheMixin
from miam.api_errors import ERRORS_READ, ERRORS_WRITE, ErrorSerializer
from miam.api_geo import LIMIT_PARAM, FeatureCollectionSerializer, GeoLayerView, number_or_none
from miam.filters import SafeOrderingFilter
from miam.pagination import PageOrSyncPagination
from offers import selectors
from offers.filters import MatchFilter, NeedFilter, OfferFilter
from offers.models import (
    NEED_FREQUENCY_CHOICES,
    NEED_UNIT_CHOICES,
    OPEN_STATUSES,
    Logistics,
    Match,
    Need,
    Offer,
    Pricing,
    Recurrence,
)
from offers.services import listings
from products.labels import FARM_LABELS
from products.models import Storage, Unit

# --- Shared pieces -----------------------------------------------------------------------


WRITE_PARSERS = [JSONParser, MultiPartParser]

# --- Offers ------------------------------------------------------------------------------


def _decimal(value, places: int) -> str | None:
    """As DRF's DecimalField writes it (a string with ``places`` decimals)."""
    return None if value is None else f"{value:.{places}f}"


def _date(value) -> str | None:
    return value.isoformat() if value is not None else None


def _datetime(value) -> str | None:
    """As DRF's DateTimeField writes it (local time, ISO 8601, ``Z`` for UTC)."""
    if value is None:
        return None
    text = timezone.localtime(value).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


# The list reads plain rows, not 250 model instances (offer, organization, commune,
# category, family) per page of 50: ``offer_row_representation`` gives the same JSON as
# ``OfferSerializer.to_representation``.
OFFER_ROW_FIELDS = (
    "id",
    "organization_id",
    "organization__name",
    "organization__kind",
    "organization__commune__insee_code",
    "organization__commune__name",
    "category__code",
    "category__name",
    "category__parent__code",
    "product_name",
    "description",
    "quantity",
    "unit",
    "crate_kg",
    "min_quantity",
    "quantity_reserved",
    "window_start",
    "window_end",
    "use_by",
    "recurrence",
    "pricing",
    "price_per_unit",
    "usual_price_per_unit",
    "labels",
    "storage",
    "logistics",
    "delivery_radius_km",
    "logistics_partner_id",
    "lot_number",
    "photo",
    "status",
    "point_lat",
    "point_lon",
    "is_exact",
    "created_at",
    "updated_at",
)
_PHOTO_STORAGE = Offer._meta.get_field("photo").storage


def offer_rows(queryset):
    """The filtered, ordered list queryset as named rows (``distance_km`` when computed)."""
    fields = OFFER_ROW_FIELDS
    if "distance_km" in queryset.query.annotations:
        fields = (*fields, "distance_km")
    return queryset.values_list(*fields, named=True)


def _datetime_in(value, tz) -> str | None:
    """``_datetime`` with the current time zone looked up once per page, not twice a row."""
    if value is None:
        return None
    text = value.astimezone(tz).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def offer_row_representation(row, request, tz=None) -> dict:
    """``OfferSerializer.to_representation`` of a row of ``offer_rows`` (``tz``: the current
    time zone)."""
    if tz is None:
        tz = timezone.get_current_timezone()
    quantity, reserved, use_by, window_end = row.quantity, row.quantity_reserved, row.use_by, row.window_end
    price, usual = row.price_per_unit, row.usual_price_per_unit
    discount = None
    if row.pricing == Pricing.SOLIDARITY and price and usual:
        discount = round(100 * (1 - price / usual))
    photo = None
    if row.photo:
        url = _PHOTO_STORAGE.url(row.photo)
        photo = request.build_absolute_uri(url) if request else url
    return {
        "id": row.id,
        "organization": {
            "id": row.organization_id,
            "name": row.organization__name,
            "kind": row.organization__kind,
            "commune": row.organization__commune__insee_code,
            "commune_name": row.organization__commune__name,
        },
        "category": row.category__code,
        "category_name": row.category__name,
        "category_parent": row.category__parent__code,
        "product_name": row.product_name,
        "description": row.description,
        "quantity": _decimal(quantity, 3),
        "unit": row.unit,
        "crate_kg": _decimal(row.crate_kg, 3),
        "min_quantity": _decimal(row.min_quantity, 3),
        "quantity_reserved": _decimal(reserved, 3),
        "quantity_available": _decimal(quantity - reserved, 3),
        "window_start": _date(row.window_start),
        "window_end": _date(window_end),
        "use_by": _date(use_by),
        "effective_end": _date(use_by if use_by and use_by < window_end else window_end),
        "recurrence": row.recurrence,
        "pricing": row.pricing,
        "price_per_unit": _decimal(price, 2),
        "usual_price_per_unit": _decimal(usual, 2),
        "discount_percent": discount,
        "labels": list(row.labels or []),
        "storage": row.storage,
        "logistics": list(row.logistics or []),
        "delivery_radius_km": _decimal(row.delivery_radius_km, 1),
        "logistics_partner": row.logistics_partner_id,
        "lot_number": row.lot_number,
        "photo": photo,
        "status": row.status,
        "latitude": row.point_lat,
        "longitude": row.point_lon,
        "location_is_exact": bool(row.is_exact),
        "distance_km": getattr(row, "distance_km", None),
        "created_at": _datetime_in(row.created_at, tz),
        "updated_at": _datetime_in(row.updated_at, tz),
    }


class _OfferRowsPage(list):
    """A page of ``offer_rows``; stands for its own serializer in ``ListModelMixin.list``."""

    def __init__(self, rows, request) -> None:
        super().__init__(rows)
        self.request = request

    @property
    def data(self) -> list[dict]:
        tz = timezone.get_current_timezone()
        return [offer_row_representation(row, self.request, tz) for row in self]


class OfferSerializer(PointMixin, serializers.ModelSerializer):
    organization = OrganizationBriefSerializer(read_only=True)
    category = serializers.SlugRelatedField(slug_field="code", read_only=True)
    category_name = serializers.CharField(source="category.name", read_only=True)
    category_parent = serializers.CharField(source="category.parent.code", read_only=True, allow_null=True)
    quantity_available = serializers.DecimalField(max_digits=12, decimal_places=3, read_only=True)
    effective_end = serializers.DateField(read_only=True)
    discount_percent = serializers.IntegerField(read_only=True, allow_null=True)
    labels = serializers.ListField(child=serializers.CharField(), read_only=True)
    logistics = serializers.ListField(child=serializers.CharField(), read_only=True)
    distance_km = serializers.FloatField(read_only=True, allow_null=True, required=False, default=None)

    class Meta:
        model = Offer
        fields = [
            "id",
            "organization",
            "category",
            "category_name",
            "category_parent",
            "product_name",
            "description",
            "quantity",
            "unit",
            "crate_kg",
            "min_quantity",
            "quantity_reserved",
            "quantity_available",
            "window_start",
            "window_end",
            "use_by",
            "effective_end",
            "recurrence",
            "pricing",
            "price_per_unit",
            "usual_price_per_unit",
            "discount_percent",
            "labels",
            "storage",
            "logistics",
            "delivery_radius_km",
            "logistics_partner",
            "lot_number",
            "photo",
            "status",
            "latitude",
            "longitude",
            "location_is_exact",
            "distance_km",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def to_representation(self, offer):
        # Written out by hand: the generic field machinery costs ten times more on a page of
        # 50 (see bench/api). tests/offers/test_api_offers.py checks both give the same.
        organization, category = offer.organization, offer.category
        commune = organization.commune
        latitude, longitude, exact = self._point(offer)
        photo = None
        if offer.photo:
            request = self.context.get("request")
            photo = request.build_absolute_uri(offer.photo.url) if request else offer.photo.url
        return {
            "id": offer.pk,
            "organization": {
                "id": organization.pk,
                "name": organization.name,
                "kind": organization.kind,
                "commune": commune.insee_code,
                "commune_name": commune.name,
            },
            "category": category.code,
            "category_name": category.name,
            "category_parent": category.parent.code if category.parent_id else None,
            "product_name": offer.product_name,
            "description": offer.description,
            "quantity": _decimal(offer.quantity, 3),
            "unit": offer.unit,
            "crate_kg": _decimal(offer.crate_kg, 3),
            "min_quantity": _decimal(offer.min_quantity, 3),
            "quantity_reserved": _decimal(offer.quantity_reserved, 3),
            "quantity_available": _decimal(offer.quantity_available, 3),
            "window_start": _date(offer.window_start),
            "window_end": _date(offer.window_end),
            "use_by": _date(offer.use_by),
            "effective_end": _date(offer.effective_end),
            "recurrence": offer.recurrence,
            "pricing": offer.pricing,
            "price_per_unit": _decimal(offer.price_per_unit, 2),
            "usual_price_per_unit": _decimal(offer.usual_price_per_unit, 2),
            "discount_percent": offer.discount_percent,
            "labels": list(offer.labels or []),
            "storage": offer.storage,
            "logistics": list(offer.logistics or []),
            "delivery_radius_km": _decimal(offer.delivery_radius_km, 1),
            "logistics_partner": offer.logistics_partner_id,
            "lot_number": offer.lot_number,
            "photo": photo,
            "status": offer.status,
            "latitude": latitude,
            "longitude": longitude,
            "location_is_exact": exact,
            "distance_km": getattr(offer, "distance_km", None),
            "created_at": _datetime(offer.created_at),
            "updated_at": _datetime(offer.updated_at),
        }


class OfferWriteSerializer(serializers.Serializer):
    """What a client sends to post an offer; the service checks the rules."""

    organization = serializers.PrimaryKeyRelatedField(queryset=Organization.objects.all())
    category = serializers.CharField(max_length=50, help_text=_("Code (ex. « potatoes ») ou identifiant."))
    product_name = serializers.CharField(max_length=120)
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    quantity = serializers.DecimalField(max_digits=12, decimal_places=3)
    unit = serializers.ChoiceField(choices=Unit.choices)
    crate_kg = serializers.DecimalField(max_digits=12, decimal_places=3, required=False, allow_null=True)
    min_quantity = serializers.DecimalField(max_digits=12, decimal_places=3, required=False)
    window_start = serializers.DateField()
    window_end = serializers.DateField()
    use_by = serializers.DateField(required=False, allow_null=True)
    recurrence = serializers.ChoiceField(choices=Recurrence.choices, required=False)
    pricing = serializers.ChoiceField(choices=Pricing.choices)
    price_per_unit = serializers.DecimalField(max_digits=9, decimal_places=2, required=False, allow_null=True)
    usual_price_per_unit = serializers.DecimalField(max_digits=9, decimal_places=2, required=False, allow_null=True)
    labels = serializers.ListField(child=serializers.ChoiceField(choices=list(FARM_LABELS)), required=False)
    storage = serializers.ChoiceField(choices=Storage.choices, required=False, allow_null=True)
    logistics = serializers.ListField(child=serializers.ChoiceField(choices=Logistics.choices), required=False)
    delivery_radius_km = serializers.DecimalField(max_digits=6, decimal_places=1, required=False, allow_null=True)
    logistics_partner = serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.all(), required=False, allow_null=True
    )
    lot_number = serializers.CharField(required=False, allow_blank=True, max_length=60)
    photo = serializers.FileField(required=False, allow_null=True, help_text=_("JPEG, PNG, WebP ou GIF."))
    publish = serializers.BooleanField(required=False, default=True, help_text=_("Faux : enregistrer en brouillon."))


class OfferUpdateSerializer(OfferWriteSerializer):
    organization = None
    publish = None


class ListingViewSet(
    AnonymousCacheMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Shared behaviour of offers and needs: filters, ordering, pagination, writes."""

    pagination_class = PageOrSyncPagination
    filter_backends = [DjangoFilterBackend, SafeOrderingFilter]
    ordering = ("-created_at", "-id")
    parser_classes = WRITE_PARSERS
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def _fresh(self, instance):
        """The instance as the list shows it (annotated), for write responses."""
        return self.get_queryset().get(pk=instance.pk)


class ListingWriteMixin:
    """create / partial_update / destroy / publish / withdraw of a listing, shared by offers
    and needs. A subclass names its serializers and ``listing_name`` (``"offer"`` or
    ``"need"``), which selects the services ``<listing_name>_<verb>`` and their keyword; it
    documents each action with ``extend_schema_view``. The methods carry no docstring on
    purpose: the schema describes them with the view's."""

    listing_name: str
    write_serializer_class: type[serializers.Serializer]
    update_serializer_class: type[serializers.Serializer]

    def _service(self, verb: str):
        return getattr(listings, f"{self.listing_name}_{verb}")

    def _respond(self, instance, **kwargs) -> Response:
        return Response(
            self.serializer_class(self._fresh(instance), context=self.get_serializer_context()).data, **kwargs
        )

    def create(self, request, *args, **kwargs):
        data = self.write_serializer_class(data=request.data)
        data.is_valid(raise_exception=True)
        return self._respond(self._service("create")(by=request.user, **data.validated_data), status=201)

    def partial_update(self, request, *args, **kwargs):
        instance = self.get_object()
        data = self.update_serializer_class(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        instance = self._service("update")(**{self.listing_name: instance}, by=request.user, **data.validated_data)
        return self._respond(instance)

    def destroy(self, request, *args, **kwargs):
        self._service("delete")(**{self.listing_name: self.get_object()}, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        return self._respond(self._service("publish")(**{self.listing_name: self.get_object()}, by=request.user))

    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        return self._respond(self._service("withdraw")(**{self.listing_name: self.get_object()}, by=request.user))


def listing_write_schemas(*, read, write, update, deleted: str) -> dict:
    """The ``extend_schema_view`` arguments documenting ``ListingWriteMixin``'s actions."""
    return {
        "create": extend_schema(request=write, responses={201: read, **ERRORS_WRITE}),
        "partial_update": extend_schema(request=update, responses={200: read, **ERRORS_WRITE}),
        "destroy": extend_schema(request=None, responses={204: OpenApiResponse(description=deleted)} | ERRORS_WRITE),
        "publish": extend_schema(request=None, responses={200: read, **ERRORS_WRITE}),
        "withdraw": extend_schema(request=None, responses={200: read, **ERRORS_WRITE}),
    }


@extend_schema_view(
    list=extend_schema(responses={200: OfferSerializer(many=True), **ERRORS_READ}),
    retrieve=extend_schema(responses={200: OfferSerializer, 404: ErrorSerializer}),
    **listing_write_schemas(
        read=OfferSerializer,
        write=OfferWriteSerializer,
        update=OfferUpdateSerializer,
        deleted=_("Supprimée, ou retirée si elle a déjà des mises en relation."),
    ),
)
class OfferViewSet(ListingWriteMixin, ListingViewSet):
    """Offers of farms and processors. Anyone may read published offers; drafts are seen by
    those who may act for the organization. ``within=lat,lon,km`` adds ``distance_km``."""

    serializer_class = OfferSerializer
    write_serializer_class = OfferWriteSerializer
    update_serializer_class = OfferUpdateSerializer
    listing_name = "offer"
    filterset_class = OfferFilter
    ordering_fields = ["created_at", "updated_at", "window_start", "window_end", "quantity", "distance_km"]

    def get_queryset(self):
        return selectors.offer_list(principal=principal_of(self.request))

    # The list pages rows, not model instances (see ``offer_rows``): the uncached list is
    # CPU-bound in Python, and building 250 instances per page was most of it.
    def paginate_queryset(self, queryset):
        if self.action == "list" and self.paginator is not None:
            page = super().paginate_queryset(offer_rows(queryset))
            return None if page is None else _OfferRowsPage(page, self.request)
        return super().paginate_queryset(queryset)

    def get_serializer(self, *args, **kwargs):
        if args and isinstance(args[0], _OfferRowsPage):
            return args[0]
        return super().get_serializer(*args, **kwargs)

    @extend_schema(
        request={"multipart/form-data": inline_serializer("OfferPhoto", {"photo": serializers.FileField()})},
        responses={200: OfferSerializer, **ERRORS_WRITE},
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser])
    def photo(self, request, pk=None):
        """Attach or replace the photo (JPEG, PNG, WebP or GIF, size limited)."""
        offer = self.get_object()
        upload = request.FILES.get("photo")
        if upload is None:
            from miam.errors import DomainError

            raise DomainError("required", _("Joignez une photo."), fields={"photo": [_("Ce champ est obligatoire.")]})
        offer = listings.offer_update(offer=offer, by=request.user, photo=upload)
        return self._respond(offer)


# --- Needs -------------------------------------------------------------------------------


class NeedSerializer(PointMixin, serializers.ModelSerializer):
    organization = OrganizationBriefSerializer(read_only=True)
    categories = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    quantity_open = serializers.DecimalField(max_digits=12, decimal_places=3, read_only=True)
    preferred_labels = serializers.ListField(child=serializers.CharField(), read_only=True)
    distance_km = serializers.FloatField(read_only=True, allow_null=True, required=False, default=None)

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
class NeedViewSet(ListingWriteMixin, ListingViewSet):
    """Needs of food-aid structures. ``category=vegetables`` finds needs for vegetables or
    any kind of vegetable."""

    serializer_class = NeedSerializer
    write_serializer_class = NeedWriteSerializer
    update_serializer_class = NeedUpdateSerializer
    listing_name = "need"
    filterset_class = NeedFilter
    parser_classes = [JSONParser]
    ordering_fields = ["created_at", "updated_at", "window_start", "window_end", "quantity", "urgency", "distance_km"]

    def get_queryset(self):
        return selectors.need_list(principal=principal_of(self.request))


# --- Matches (read; actions live in offers/api_matches.py) --------------------------------


class MatchSideSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    organization = serializers.IntegerField(source="organization_id")
    organization_name = serializers.CharField(source="organization.name")


class MatchOfferSideSerializer(MatchSideSerializer):
    product_name = serializers.CharField()
    category = serializers.CharField(source="category.code")


class MatchNeedSideSerializer(MatchSideSerializer):
    title = serializers.CharField()


class MatchSerializer(serializers.ModelSerializer):
    """A proposed pairing of an offer and a need, and where it stands."""

    offer = MatchOfferSideSerializer(read_only=True)
    need = MatchNeedSideSerializer(read_only=True)

    class Meta:
        model = Match
        fields = [
            "id",
            "offer",
            "need",
            "quantity",
            "unit",
            "score",
            "distance_km",
            "mode",
            "explanation",
            "status",
            "origin",
            "price_per_unit",
            "farm_accepted_at",
            "structure_accepted_at",
            "confirmed_at",
            "scheduled_for",
            "delivered_at",
            "quantity_received",
            "declined_reason",
            "declined_by_side",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(responses={200: MatchSerializer(many=True), **ERRORS_READ, 401: ErrorSerializer}),
    retrieve=extend_schema(responses={200: MatchSerializer, 401: ErrorSerializer, 404: ErrorSerializer}),
)
class MatchViewSet(viewsets.ReadOnlyModelViewSet):
    """Matches the principal is concerned by: its organizations' or its territories'."""

    serializer_class = MatchSerializer
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = PageOrSyncPagination
    filter_backends = [DjangoFilterBackend, SafeOrderingFilter]
    filterset_class = MatchFilter
    ordering = ("-score", "id")
    ordering_fields = ["score", "created_at", "updated_at", "distance_km", "quantity"]

    def get_queryset(self):
        return selectors.match_list(principal=principal_of(self.request))


# --- GeoJSON layers for maps -------------------------------------------------------------

def _open_unless_status_asked(request, qs):
    params = request.query_params
    if "status" in params or "is_open" in params:
        return qs
    return qs.filter(status__in=OPEN_STATUSES)


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


def register(router) -> None:
    """Add this app's viewsets to the v1 router."""
    router.register("offers", OfferViewSet, basename="offer")
    router.register("needs", NeedViewSet, basename="need")
    router.register("matches", MatchViewSet, basename="match")


urlpatterns: list = [
    path("geo/offers/", OfferLayerView.as_view(), name="geo-offers"),
    path("geo/needs/", NeedLayerView.as_view(), name="geo-needs"),
]

__all__ = [
    "MatchSerializer",
    "MatchViewSet",
    "NeedSerializer",
    "OfferSerializer",
]
