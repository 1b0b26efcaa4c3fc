"""REST API for acting on matches and for matching runs (thin: every rule is in a service).

- ``POST /api/v1/matches/{id}/accept|decline|schedule|confirm-delivery|cancel|close/``
- ``POST /api/v1/matches/propose/``: an officer pairs an offer and a need by hand.
- ``GET|POST /api/v1/matching-runs/``: list runs, ask for a recompute now; ``GET
  /api/v1/matching-runs/{id}/`` follows its progress.
"""

from __future__ import annotations

from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import generics, mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from actors import permissions as perms
from actors.models import Territory
from miam.api_errors import ERRORS_WRITE, ErrorSerializer
from miam.errors import DomainError
from offers import selectors
from offers.api import MatchSerializer, principal_of
from offers.models import Logistics, MatchingRun, Need, Offer
from offers.services import matches, runs


def _match_response(request, match, *, code: int = 200) -> Response:
    fresh = selectors.match_list(principal=principal_of(request)).filter(pk=match.pk).first() or match
    return Response(MatchSerializer(fresh, context={"request": request}).data, status=code)


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


def _valid(serializer_class, request) -> dict:
    data = serializer_class(data=request.data)
    data.is_valid(raise_exception=True)
    return data.validated_data


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
        data = _valid(DeclineSerializer, request)
        return _match_response(
            request, matches.match_decline(match=self.get_object(), by=request.user, reason=data["reason"])
        )

    @extend_schema(request=ScheduleSerializer, responses={200: MatchSerializer, **ERRORS_WRITE})
    @action(detail=True, methods=["post"])
    def schedule(self, request, pk=None):
        data = _valid(ScheduleSerializer, request)
        match = matches.match_schedule(match=self.get_object(), by=request.user, date=data["date"], mode=data["mode"])
        return _match_response(request, match)

    @extend_schema(request=DeliverySerializer, responses={200: MatchSerializer, **ERRORS_WRITE})
    @action(detail=True, methods=["post"], url_path="confirm-delivery")
    def confirm_delivery(self, request, pk=None):
        """The structure records the quantity actually received."""
        data = _valid(DeliverySerializer, request)
        match = matches.match_confirm_delivery(match=self.get_object(), by=request.user, **data)
        return _match_response(request, match)

    @extend_schema(request=CancelSerializer, responses={200: MatchSerializer, **ERRORS_WRITE})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Cancel: a reserved quantity returns to the offer and is proposed again at once."""
        data = _valid(CancelSerializer, request)
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
        data = _valid(ProposeSerializer, request)
        offer = Offer.objects.filter(pk=data["offer"]).first()
        need = Need.objects.filter(pk=data["need"]).first()
        if offer is None or need is None:
            missing = {"offer": _("Offre introuvable.")} if offer is None else {}
            if need is None:
                missing["need"] = _("Besoin introuvable.")
            raise DomainError("not_found", _("Offre ou besoin introuvable."), fields=missing)
        match = matches.match_propose_manual(by=request.user, offer=offer, need=need, quantity=data["quantity"])
        return _match_response(request, match, code=201)


class MatchingRunSerializer(serializers.ModelSerializer):
    territory_name = serializers.CharField(source="territory.name", read_only=True)

    class Meta:
        model = MatchingRun
        fields = [
            "id",
            "territory",
            "territory_name",
            "trigger",
            "status",
            "stage",
            "progress",
            "created_at",
            "started_at",
            "finished_at",
            "duration_s",
            "counts",
            "error",
        ]
        read_only_fields = fields


class MatchingRunRequestSerializer(serializers.Serializer):
    territory = serializers.IntegerField(help_text=_("Territoire (PAT) à recalculer."))


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("territory", int, required=False),
            OpenApiParameter("status", str, required=False, enum=MatchingRun.RunStatus.values),
        ]
    )
)
class MatchingRunViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Matching runs of the territories you follow; ask for a recompute and follow it."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = MatchingRunSerializer

    def get_queryset(self):
        principal = principal_of(self.request)
        qs = MatchingRun.objects.select_related("territory").order_by("-created_at", "-id")
        if not perms.is_staff(principal):
            qs = qs.filter(territory_id__in=sorted(perms.viewer_territory_ids(principal)))
        params = self.request.query_params
        if params.get("territory", "").isdigit():
            qs = qs.filter(territory_id=int(params["territory"]))
        if params.get("status") in MatchingRun.RunStatus.values:
            qs = qs.filter(status=params["status"])
        return qs

    @extend_schema(
        request=MatchingRunRequestSerializer,
        responses={202: MatchingRunSerializer, **ERRORS_WRITE, 401: ErrorSerializer},
    )
    def create(self, request, *args, **kwargs):
        """Recompute now: the run is queued; follow it at ``/matching-runs/{id}/``."""
        data = _valid(MatchingRunRequestSerializer, request)
        territory = Territory.objects.filter(pk=data["territory"]).first()
        if territory is None:
            raise DomainError(
                "not_found", _("Territoire introuvable."), fields={"territory": _("Territoire introuvable.")}
            )
        run = runs.matching_request(territory=territory, by=request.user)
        return Response(MatchingRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)


def register(router) -> None:
    """Add match actions and matching runs to the v1 router."""
    router.register("matches", MatchActionViewSet, basename="match-action")
    router.register("matching-runs", MatchingRunViewSet, basename="matching-run")


# Before the router's ``matches/{pk}/`` so that "propose" is not taken for an id.
urlpatterns: list = [path("matches/propose/", MatchProposeView.as_view(), name="match-propose")]
