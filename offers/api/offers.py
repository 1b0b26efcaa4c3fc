"""The offers endpoints: one representation of an offer, its schema, the viewset.

An offer's JSON is written once, by ``offer_representation``, from a plain row of
``offer_rows`` (no model instances: the uncached list is CPU-bound in Python, and building
five instances per offer was most of it). List, detail and write responses all use it;
``OfferSerializer`` describes the same JSON for the schema (and a test keeps the two equal).
"""

from __future__ import annotations

from django.db.models import Count, QuerySet, Window
from django.db.models.query import ValuesListIterable
from django.db.models.utils import create_namedtuple_class
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from actors.api import OrganizationBriefSerializer, PointMixin, principal_of
from actors.models import Organization
from miam.api_errors import ERRORS_READ, ERRORS_WRITE, ErrorSerializer
from miam.errors import DomainError
from miam.filters import has_annotation
from miam.pagination import TOTAL_FIELD, RowsWithTotal
from miam.querysets import built_once
from offers import inputs, selectors
from offers.api.listings import ListingViewSet, listing_write_schemas
from offers.filters import OfferFilter
from offers.models import Logistics, Offer, Pricing, Recurrence
from offers.services import listings
from products.labels import FARM_LABELS
from products.models import Storage, Unit

#: What an offer's JSON is made of, read in one query with the organization's public point.
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
    "pack_size",
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


class _NamedRows(ValuesListIterable):
    """Named rows of a ``values_list`` queryset, the annotations added after it included by
    name (``distance_km``): Django's ``named=True`` names only the fields it was given."""

    def __iter__(self):
        queryset = self.queryset
        later = (name for name in queryset.query.annotation_select if name not in queryset._fields)
        row_class = create_namedtuple_class(*queryset._fields, *later)
        new = tuple.__new__
        for row in super().__iter__():
            yield new(row_class, row)


def _named_rows(queryset, fields) -> QuerySet:
    rows = queryset.values_list(*fields)
    rows._iterable_class = _NamedRows
    return rows


#: The rows every visitor sees, and every staff member, built once per process: their view of
#: the offers takes nothing of theirs (no organization, no territory). Building the 40 named
#: columns of a row cost more than all of a list's filters (``offer_rows_visible_to``).
_SHARED_ROWS: dict[tuple[bool, bool], QuerySet] = {}


def offer_rows_visible_to(principal, *, with_total: bool = False) -> QuerySet:
    """The offers ``principal`` may see as named rows (``OFFER_ROW_FIELDS``, the page total
    with ``with_total``), to filter and order: what the list reads. Visitors and staff get
    a copy of rows built once per process; anybody else's are built for them, since what
    they may see depends on their organizations and territories."""
    view = selectors.shared_view(principal)

    def build():
        return offer_rows(selectors.offers_with_public_point(principal=principal), with_total=with_total)

    if view is None:
        return build()
    return built_once(_SHARED_ROWS, (view == "staff", with_total), build)


def offer_rows(queryset, *, with_total: bool = False) -> QuerySet:
    """The filtered, ordered queryset as named rows (``distance_km`` when computed); with
    ``with_total``, each row also carries the number of rows of the whole list, so that a
    page reads its rows and its count in one query (``miam.pagination``). The count is a
    window over the rows the WHERE clause keeps: filters may come before or after."""
    fields = OFFER_ROW_FIELDS
    if has_annotation(queryset, "distance_km"):
        fields = (*fields, "distance_km")
    if with_total:
        queryset = queryset.annotate(**{TOTAL_FIELD: Window(Count("*"))})
        fields = (*fields, TOTAL_FIELD)
    return _named_rows(queryset, fields)


def _decimal(value, places: int) -> str | None:
    """As DRF's DecimalField writes it (a string with ``places`` decimals)."""
    return None if value is None else f"{value:.{places}f}"


def _date(value) -> str | None:
    return value.isoformat() if value is not None else None


def _datetime(value, tz) -> str | None:
    """As DRF's DateTimeField writes it: local time (``tz``), ISO 8601, ``Z`` for UTC."""
    if value is None:
        return None
    text = value.astimezone(tz).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def offer_representation(row, *, request=None, tz=None) -> dict:
    """An offer as the API shows it, from a row of ``offer_rows`` (``tz``: the current time
    zone, looked up once per page when given)."""
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
        "pack_size": _decimal(row.pack_size, 3),
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
        "created_at": _datetime(row.created_at, tz),
        "updated_at": _datetime(row.updated_at, tz),
    }


class OfferRows(list):
    """A page of ``offer_rows``: it stands for its own serializer in ``ListModelMixin.list``."""

    def __init__(self, rows, request) -> None:
        super().__init__(rows)
        self.request = request

    @property
    def data(self) -> list[dict]:
        tz = timezone.get_current_timezone()
        return [offer_representation(row, request=self.request, tz=tz) for row in self]


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
            "pack_size",
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


# The request bodies, for the schema only: ``offers.inputs`` validates them (one layer for
# every door); tests/api/test_inputs_schema.py keeps the two descriptions in step.
class OfferWriteSerializer(serializers.Serializer):
    """What a client sends to post an offer; the service checks the rules."""

    organization = serializers.PrimaryKeyRelatedField(queryset=Organization.objects.all())
    category = serializers.CharField(max_length=50, help_text=_("Code (ex. « potatoes ») ou identifiant."))
    product_name = serializers.CharField(max_length=120)
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    quantity = serializers.DecimalField(max_digits=12, decimal_places=3)
    unit = serializers.ChoiceField(choices=Unit.choices)
    crate_kg = serializers.DecimalField(max_digits=12, decimal_places=3, required=False, allow_null=True)
    pack_size = serializers.DecimalField(
        max_digits=12,
        decimal_places=3,
        required=False,
        allow_null=True,
        help_text=_("Colis ou portion, dans l'unité de l'offre (« colis de 500 g » : 0.5 en kg)."),
    )
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
class OfferViewSet(ListingViewSet):
    """Offers of farms and processors. Anyone may read published offers; drafts are seen by
    those who may act for the organization. ``within=lat,lon,km`` adds ``distance_km``."""

    serializer_class = OfferSerializer
    filterset_class = OfferFilter
    ordering_fields = ["created_at", "updated_at", "window_start", "window_end", "quantity", "distance_km"]

    def get_queryset(self):
        principal = principal_of(self.request)
        if self.action == "list" and self.paginator is not None:  # rows, not instances
            return offer_rows_visible_to(principal, with_total=not self.paginator.wants_sync(self.request))
        return selectors.offers_with_public_point(principal=principal)

    def paginate_queryset(self, queryset):
        if self.action == "list" and self.paginator is not None:
            # Already rows (``get_queryset``), with the page total unless the client syncs.
            if not self.paginator.wants_sync(self.request):
                queryset = RowsWithTotal(queryset)
            page = super().paginate_queryset(queryset)
            return None if page is None else OfferRows(page, self.request)
        return super().paginate_queryset(queryset)

    def get_serializer(self, *args, **kwargs):
        if args and isinstance(args[0], OfferRows):
            return args[0]
        return super().get_serializer(*args, **kwargs)

    def _respond(self, queryset, **kwargs) -> Response:
        row = offer_rows(queryset).first()
        if row is None:
            raise Http404
        return Response(offer_representation(row, request=self.request), **kwargs)

    def _respond_with(self, offer: Offer, **kwargs) -> Response:
        return self._respond(self.get_queryset().filter(pk=offer.pk), **kwargs)

    def retrieve(self, request, *args, **kwargs):
        return self._respond(self.filter_queryset(self.get_queryset()).filter(pk=kwargs["pk"]))

    def create(self, request, *args, **kwargs):
        organization, publish, errors = inputs.listing_post(request.data)
        data = inputs.offer_data(request.data, strict=False)
        if errors:  # who posts is unknown: nothing more to check
            errors.merge(data.errors)
            errors.raise_if_any()
        offer = listings.offer_create(by=request.user, organization=organization, data=data, publish=publish)
        return self._respond_with(offer, status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        offer = self.get_object()
        data = inputs.offer_data(request.data, partial=True, strict=False)
        return self._respond_with(listings.offer_update(offer=offer, by=request.user, data=data))

    def destroy(self, request, *args, **kwargs):
        listings.offer_delete(offer=self.get_object(), by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        """Publish the draft: it becomes visible and starts matching (its territory is recomputed
        after a short delay, MATCHING_DEBOUNCE_SECONDS; the proposals then appear in /matches/)."""
        return self._respond_with(listings.offer_publish(offer=self.get_object(), by=request.user))

    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        return self._respond_with(listings.offer_withdraw(offer=self.get_object(), by=request.user))

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
            raise DomainError("required", _("Joignez une photo."), fields={"photo": [_("Ce champ est obligatoire.")]})
        data = inputs.offer_data({"photo": upload}, partial=True)
        return self._respond_with(listings.offer_update(offer=offer, by=request.user, data=data))
