"""The matches endpoints: read the matches you are concerned by, act on them, propose one
by hand. Thin: every rule is in ``offers.services.matches``.

- ``GET /api/v1/matches/`` and ``/matches/{id}/``;
- ``POST /api/v1/matches/{id}/accept|decline|schedule|confirm-delivery|cancel|close/``;
- ``POST /api/v1/matches/propose/``: an officer pairs an offer and a need by hand.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from actors.api import principal_of
from miam.api_errors import ERRORS_READ, ERRORS_WRITE, ErrorSerializer
from miam.errors import DomainError
from miam.filters import SafeOrderingFilter
from miam.pagination import PageOrSyncPagination
from offers import inputs, selectors
from offers.filters import MatchFilter
from offers.models import Logistics, Match, Need, Offer
from offers.services import matches


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


def _match_response(request, match, *, code: int = 200) -> Response:
    fresh = selectors.match_list(principal=principal_of(request)).filter(pk=match.pk).first() or match
    return Response(MatchSerializer(fresh, context={"request": request}).data, status=code)


# The request bodies of the actions, for the schema only: ``offers.inputs`` validates them.
class DeclineSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, help_text=_("Pourquoi cette proposition ne convient pas."))


class CancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, help_text=_("Pourquoi la mise en relation est annulée."))


class ScheduleSerializer(serializers.Serializer):
    date = serializers.DateField(help_text=_("Jour de la livraison ou de l'enlèvement."))
    mode = serializers.ChoiceField(choices=Logistics.choices)


class DeliverySerializer(serializers.Serializer):
    quantity_received = serializers.DecimalField(
        max_digits=12, decimal_places=3, help_text=_("Quantité réellement reçue, dans l'unité de la mise en relation.")
    )
    delivered_on = serializers.DateField(required=False, allow_null=True)
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class ProposeSerializer(serializers.Serializer):
    offer = serializers.IntegerField()
    need = serializers.IntegerField()
    quantity = serializers.DecimalField(max_digits=12, decimal_places=3)


class MatchActionViewSet(viewsets.GenericViewSet):
    """Act on a match you are concerned by; the services check who may do what."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = MatchSerializer

    def get_queryset(self):
        return selectors.match_list(principal=principal_of(self.request))

    @extend_schema(request=None, responses={200: MatchSerializer, **ERRORS_WRITE})
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        """Accept for your side; when both sides have, the quantity is reserved (confirmed)."""
        return _match_response(request, matches.match_accept(match=self.get_object(), by=request.user))

    @extend_schema(request=DeclineSerializer, responses={200: MatchSerializer, **ERRORS_WRITE})
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        """Decline with a reason: this pair is never proposed again."""
        data = inputs.match_input(inputs.DeclineInput, request.data)
        return _match_response(
            request, matches.match_decline(match=self.get_object(), by=request.user, reason=data["reason"])
        )

    @extend_schema(request=ScheduleSerializer, responses={200: MatchSerializer, **ERRORS_WRITE})
    @action(detail=True, methods=["post"])
    def schedule(self, request, pk=None):
        data = inputs.match_input(inputs.ScheduleInput, request.data)
        match = matches.match_schedule(match=self.get_object(), by=request.user, date=data["date"], mode=data["mode"])
        return _match_response(request, match)

    @extend_schema(request=DeliverySerializer, responses={200: MatchSerializer, **ERRORS_WRITE})
    @action(detail=True, methods=["post"], url_path="confirm-delivery")
    def confirm_delivery(self, request, pk=None):
        """The structure records the quantity actually received."""
        data = inputs.match_input(inputs.DeliveryInput, request.data)
        match = matches.match_confirm_delivery(match=self.get_object(), by=request.user, **data)
        return _match_response(request, match)

    @extend_schema(request=CancelSerializer, responses={200: MatchSerializer, **ERRORS_WRITE})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel: a reserved quantity returns to the offer and is proposed again at once."""
        data = inputs.match_input(inputs.CancelInput, request.data)
        return _match_response(
            request, matches.match_cancel(match=self.get_object(), by=request.user, reason=data["reason"])
        )

    @extend_schema(request=None, responses={200: MatchSerializer, **ERRORS_WRITE})
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        return _match_response(request, matches.match_close(match=self.get_object(), by=request.user))


class MatchProposeView(generics.GenericAPIView):
    """An officer proposes a pairing by hand; the engine's hard constraints apply."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = ProposeSerializer

    @extend_schema(request=ProposeSerializer, responses={201: MatchSerializer, **ERRORS_WRITE})
    def post(self, request):
        data = inputs.match_input(inputs.ProposeInput, request.data)
        offer = Offer.objects.filter(pk=data["offer"]).first()
        need = Need.objects.filter(pk=data["need"]).first()
        if offer is None or need is None:
            missing = {"offer": _("Offre introuvable.")} if offer is None else {}
            if need is None:
                missing["need"] = _("Besoin introuvable.")
            raise DomainError("not_found", _("Offre ou besoin introuvable."), fields=missing)
        match = matches.match_propose_manual(by=request.user, offer=offer, need=need, quantity=data["quantity"])
        return _match_response(request, match, code=201)
