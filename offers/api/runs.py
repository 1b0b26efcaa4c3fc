"""The matching runs endpoints: list the runs of the territories you follow, ask for a
recompute now and follow its progress (``/api/v1/matching-runs/``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.response import Response

from actors import permissions as perms
from actors.api import principal_of
from actors.models import Territory
from miam.api_errors import ERRORS_WRITE, ErrorSerializer
from miam.errors import DomainError
from offers import inputs
from offers.models import MatchingRun
from offers.services import runs


class MatchingRunSerializer(serializers.ModelSerializer):
    territory_name = serializers.CharField(source="territory.name", read_only=True)
    counts = serializers.DictField(
        read_only=True,
        help_text=_("Compteurs du calcul : nom → nombre (et, une fois fini, « timings_s » : étape → secondes)."),
    )
    stage_label = serializers.CharField(
        source="get_stage_display", read_only=True, help_text=_("L'étape, en clair, dans la langue demandée.")
    )

    class Meta:
        model = MatchingRun
        fields = [
            "id",
            "territory",
            "territory_name",
            "trigger",
            "status",
            "stage",
            "stage_label",
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
        if params.get("territory", "").isdecimal():
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
        data = inputs.match_input(inputs.MatchingRunInput, request.data)
        territory = Territory.objects.filter(pk=data["territory"]).first()
        if territory is None:
            raise DomainError(
                "not_found", _("Territoire introuvable."), fields={"territory": _("Territoire introuvable.")}
            )
        run = runs.matching_request(territory=territory, by=request.user)
        return Response(MatchingRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)
