"""The webhooks endpoints (``/api/v1/webhooks/``): subscriptions, the events one may
subscribe to, each subscription's delivery log and the replay of a delivery."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from actors.api import principal_of
from actors.models import Commune, Organization, Territory
from interop import inputs
from interop.models import Attempt, Delivery, Subscription
from interop.services import dfc_catalog, webhooks
from miam import events
from miam.api_errors import ERRORS_READ, ERRORS_WRITE, ErrorSerializer
from miam.errors import DomainError
from miam.pagination import PagePagination


class SubscriptionSerializer(serializers.ModelSerializer):
    events = serializers.ListField(child=serializers.CharField(), help_text=_("Types d'événements reçus."))
    secret = serializers.SerializerMethodField(
        help_text=_(
            "Secret de signature Standard Webhooks (« whsec_… »), donné à la création et à la rotation seulement."
        )
    )

    class Meta:
        model = Subscription
        fields = [
            "id",
            "organization",
            "territory",
            "url",
            "events",
            "active",
            "description",
            "secret",
            "failures",
            "last_success_at",
            "last_failure_at",
            "last_error",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_secret(self, obj) -> str | None:
        return obj.secret if self.context.get("show_secret") else None


class SubscriptionWriteSerializer(serializers.Serializer):
    """The body of a creation or a change (the schema; ``interop.inputs`` validates)."""

    organization = serializers.IntegerField(required=False, help_text=_("Organisation propriétaire."))
    territory = serializers.IntegerField(required=False, help_text=_("Territoire propriétaire."))
    url = serializers.URLField(max_length=500, help_text=_("Adresse https qui reçoit les événements (POST)."))
    events = serializers.ListField(child=serializers.CharField(), help_text=_("Types d'événements (voir /events/)."))
    active = serializers.BooleanField(required=False)
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)


class EventTypeSerializer(serializers.Serializer):
    name = serializers.CharField()
    label = serializers.CharField()


class AttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = Attempt
        fields = ["number", "at", "status_code", "response_excerpt", "error", "duration_ms", "succeeded"]
        read_only_fields = fields


class DeliverySerializer(serializers.ModelSerializer):
    message_id = serializers.CharField(source="event.message_id", read_only=True)
    type = serializers.CharField(source="event.type", read_only=True)
    payload = serializers.DictField(
        source="event.payload", read_only=True, help_text=_("Le corps de l'événement, tel qu'envoyé.")
    )
    attempt_log = AttemptSerializer(many=True, read_only=True)

    class Meta:
        model = Delivery
        fields = [
            "id",
            "message_id",
            "type",
            "payload",
            "status",
            "attempts",
            "next_attempt_at",
            "last_status_code",
            "last_response",
            "last_error",
            "created_at",
            "delivered_at",
            "attempt_log",
        ]
        read_only_fields = fields


def _require_object(data) -> None:
    if not hasattr(data, "get"):
        raise DomainError("invalid", _("Un objet JSON est attendu."))


def _owner_of(data) -> tuple[Organization | None, Territory | None]:
    out = []
    for name, model in (("organization", Organization), ("territory", Territory)):
        value = data.get(name)
        if value in (None, ""):
            out.append(None)
            continue
        found = (
            model.objects.filter(pk=value).first() if isinstance(value, int) and not isinstance(value, bool) else None
        )
        if found is None:
            message = _("Introuvable.")
            raise DomainError("not_found", message, fields={name: [str(message)]})
        out.append(found)
    return out[0], out[1]


@extend_schema_view(
    list=extend_schema(responses={200: SubscriptionSerializer(many=True), **ERRORS_READ, 401: ErrorSerializer}),
    retrieve=extend_schema(responses={200: SubscriptionSerializer, 401: ErrorSerializer, 404: ErrorSerializer}),
    destroy=extend_schema(responses={204: None, **ERRORS_WRITE}),
)
class WebhookViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Webhook subscriptions of your organizations or territories: MIAM posts each event,
    signed the Standard Webhooks way, after the change is committed; failures are retried
    with back-off and logged per subscription."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = SubscriptionSerializer
    pagination_class = PagePagination

    def get_queryset(self):
        return webhooks.subscriptions_visible(principal_of(self.request)).order_by("-created_at", "-id")

    @extend_schema(
        request=SubscriptionWriteSerializer,
        responses={201: SubscriptionSerializer, **ERRORS_WRITE},
    )
    def create(self, request, *args, **kwargs):
        """Subscribe a URL to events; the response carries the signing secret, once."""
        _require_object(request.data)
        organization, territory = _owner_of(request.data)
        data = inputs.subscription_data(request.data)
        subscription = webhooks.subscription_create(
            by=request.user, data=data, organization=organization, territory=territory
        )
        body = SubscriptionSerializer(subscription, context={"show_secret": True}).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(request=SubscriptionWriteSerializer, responses={200: SubscriptionSerializer, **ERRORS_WRITE})
    def partial_update(self, request, *args, **kwargs):
        _require_object(request.data)
        subscription = self.get_object()
        data = inputs.subscription_data(request.data, partial=True)
        subscription = webhooks.subscription_update(by=request.user, subscription=subscription, data=data)
        return Response(SubscriptionSerializer(subscription).data)

    def destroy(self, request, *args, **kwargs):
        webhooks.subscription_delete(by=request.user, subscription=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={200: SubscriptionSerializer, **ERRORS_WRITE})
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        """A new signing secret (given in the response); the old one stops at once."""
        subscription = webhooks.subscription_rotate_secret(by=request.user, subscription=self.get_object())
        return Response(SubscriptionSerializer(subscription, context={"show_secret": True}).data)

    @extend_schema(responses={200: EventTypeSerializer(many=True), 401: ErrorSerializer})
    @action(detail=False, methods=["get"], pagination_class=None)
    def events(self, request):
        """The event types one may subscribe to."""
        return Response([{"name": t.name, "label": str(t.label)} for t in events.types()])

    @extend_schema(responses={200: DeliverySerializer(many=True), 401: ErrorSerializer, 404: ErrorSerializer})
    @action(detail=True, methods=["get"])
    def deliveries(self, request, pk=None):
        """The delivery log of this subscription, newest first: status, attempts, responses."""
        subscription = self.get_object()
        qs = (
            Delivery.objects.filter(subscription=subscription)
            .select_related("event")
            .prefetch_related("attempt_log")
            .order_by("-created_at", "-id")
        )
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(DeliverySerializer(page, many=True).data)

    @extend_schema(
        request=None,
        responses={
            202: DeliverySerializer,
            **ERRORS_WRITE,
            404: OpenApiResponse(ErrorSerializer, description=_("Introuvable.")),
        },
    )
    @action(detail=True, methods=["post"], url_path=r"deliveries/(?P<delivery_id>\d+)/replay")
    def replay(self, request, pk=None, delivery_id=None):
        """Send this delivery again (same message id), with a fresh round of retries."""
        subscription = self.get_object()
        delivery = get_object_or_404(Delivery, pk=delivery_id, subscription=subscription)
        delivery = webhooks.delivery_replay(by=request.user, delivery=delivery)
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_202_ACCEPTED)


# --- Data Food Consortium ------------------------------------------------------------------


class JsonLdRenderer(JSONRenderer):
    media_type = "application/ld+json"
    format = "jsonld"


class JsonLdParser(JSONParser):
    media_type = "application/ld+json"


class DfcDocumentSerializer(serializers.Serializer):
    """A DFC document compacted with the DFC 2.0.0 context."""

    context = serializers.CharField(help_text=_("Le contexte JSON-LD du DFC 2.0.0."))
    graph = serializers.ListField(
        child=serializers.DictField(), help_text=_("Entreprises, produits, articles de catalogue et offres.")
    )

    def get_fields(self):
        fields = super().get_fields()
        fields["@context"] = fields.pop("context")
        fields["@graph"] = fields.pop("graph")
        return fields


class UnmappedSerializer(serializers.Serializer):
    field = serializers.CharField()
    message = serializers.CharField()


class ImportItemSerializer(serializers.Serializer):
    id = serializers.CharField(help_text=_("@id DFC de l'élément (ou celui que MIAM lui donne)."))
    kind = serializers.ChoiceField(choices=["Enterprise", "SuppliedProduct"])
    status = serializers.ChoiceField(choices=["created", "updated", "unchanged", "error"])
    object_id = serializers.IntegerField(allow_null=True, help_text=_("Organisation ou offre MIAM."))
    name = serializers.CharField()
    unmapped = UnmappedSerializer(many=True, help_text=_("Ce que MIAM n'a pas pu lire ou traduire."))
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()))


class ImportCountsSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    error = serializers.IntegerField()


class ImportReportSerializer(serializers.Serializer):
    counts = ImportCountsSerializer()
    items = ImportItemSerializer(many=True)


def _dfc_response(document: dict) -> Response:
    return Response(document, content_type="application/ld+json")


class DfcViewSet(viewsets.ViewSet):
    """The Data Food Consortium standard (JSON-LD): export farms and their open offers, per
    organization or per territory; import a partner's DFC catalog."""

    renderer_classes = [JsonLdRenderer, JSONRenderer]
    parser_classes = [JsonLdParser, JSONParser]

    def get_permissions(self):
        if self.action == "catalog_import":
            return [permissions.IsAuthenticated()]
        return [permissions.AllowAny()]

    @extend_schema(responses={200: DfcDocumentSerializer, 404: ErrorSerializer})
    @action(detail=False, methods=["get"], url_path=r"organizations/(?P<organization_id>\d+)")
    def organization(self, request, organization_id=None):
        """One organization as a ``dfc-b:Enterprise`` with its open offers."""
        org = get_object_or_404(Organization, pk=organization_id)
        return _dfc_response(dfc_catalog.catalog_export(organizations=Organization.objects.filter(pk=org.pk)))

    @extend_schema(responses={200: DfcDocumentSerializer, 404: ErrorSerializer})
    @action(detail=False, methods=["get"], url_path=r"territories/(?P<territory_id>\d+)")
    def territory(self, request, territory_id=None):
        """The farms and processors of a territory, with their open offers."""
        territory = get_object_or_404(Territory, pk=territory_id)
        return _dfc_response(
            dfc_catalog.catalog_export(organizations=dfc_catalog.organizations_of_territory(territory))
        )

    @extend_schema(
        request={"application/ld+json": DfcDocumentSerializer, "application/json": DfcDocumentSerializer},
        parameters=[
            OpenApiParameter("organization", int, required=False, description=_("Importer dans cette organisation.")),
            OpenApiParameter(
                "commune", str, required=False, description=_("Code INSEE des fermes créées sans adresse lisible.")
            ),
        ],
        responses={200: ImportReportSerializer, **ERRORS_WRITE},
    )
    @action(detail=False, methods=["post"], url_path="import")
    def catalog_import(self, request):
        """Create or update farms and offers from a DFC catalog (compacted or expanded JSON-LD),
        idempotently by DFC ``@id``; the report says, per item, what could not be mapped."""
        params = request.query_params
        organization = commune = None
        if params.get("organization"):
            organization = (
                Organization.objects.filter(pk=params["organization"]).first()
                if params["organization"].isdecimal()
                else None
            )
            if organization is None:
                raise DomainError(
                    "not_found", _("Organisation introuvable."), fields={"organization": [_("Introuvable.")]}
                )
        if params.get("commune"):
            commune = Commune.objects.filter(insee_code=params["commune"]).first()
            if commune is None:
                raise DomainError("not_found", _("Commune introuvable."), fields={"commune": [_("Introuvable.")]})
        if not isinstance(request.data, dict | list):
            raise DomainError("invalid_jsonld", _("Un document JSON-LD est attendu."))
        report = dfc_catalog.catalog_import(
            by=request.user, document=request.data, organization=organization, commune=commune
        )
        return Response(report.as_dict())


def register(router) -> None:
    router.register("webhooks", WebhookViewSet, basename="webhook")
    router.register("dfc", DfcViewSet, basename="dfc")


urlpatterns: list = []
