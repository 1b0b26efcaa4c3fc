"""REST API of season agreements, funding lines, statements and donation receipts. Thin: each
write parses with ``agreements.inputs`` and calls a service, which checks who may do what.

- ``/api/v1/agreements/``: list, read, draft (POST), edit a draft or an unsigned proposal (PUT/PATCH); ``POST …/{id}/propose|sign|activate|
  suspend|resume|end/``; ``GET …/{id}/occurrences/``; ``POST …/{id}/occurrences/{occ}/skip|change/``;
- ``/api/v1/funders/`` and ``/api/v1/funding-lines/``: officers manage their territory's;
- ``/api/v1/demand/``, ``…/demand/commitments/`` and ``…/demand/preorders/``: the demand calendar,
  a farmer's commitment and a structure's pre-order of a planned harvest (proposed agreements);
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, mixins, permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from actors.api import principal_of
from actors.models import Organization, Territory
from agreements import inputs, selectors
from agreements.models import (
    AgreementEvent,
    AgreementParty,
    DonationReceipt,
    DonationReceiptItem,
    Funder,
    FundingLine,
    Occurrence,
    SupplyAgreement,
)
from agreements.services import agreements as svc
from agreements.services import funding, receipts
from miam import api_fields
from miam.api_errors import ERRORS_READ, ERRORS_WRITE
from miam.errors import DomainError, NotAllowed
from miam.filters import SyncedFilterSet
from miam.pagination import PageOrSyncPagination, PagePagination

# --- Agreements ------------------------------------------------------------------------------


class PartySerializer(serializers.ModelSerializer):
    structure_name = serializers.CharField(source="structure.name", read_only=True)

    class Meta:
        model = AgreementParty
        fields = ["structure", "structure_name", "signed_at", "service_code", "commitment_number"]


class EventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AgreementEvent
        fields = ["at", "action", "from_status", "to_status", "note"]


class OccurrenceSerializer(serializers.ModelSerializer):
    match_status = serializers.CharField(source="match.status", read_only=True, default=None)
    quantity_received = serializers.DecimalField(
        source="match.quantity_received", max_digits=12, decimal_places=3, read_only=True, default=None
    )

    class Meta:
        model = Occurrence
        fields = [
            "id",
            "structure",
            "planned_for",
            "date",
            "quantity",
            "status",
            "match",
            "match_status",
            "quantity_received",
            "household_price_per_unit",
            "funding_reserved_eur",
        ]


class TotalsSerializer(serializers.Serializer):
    planned = serializers.IntegerField()
    delivered = serializers.IntegerField()
    skipped = serializers.IntegerField()
    kg_delivered = serializers.DecimalField(max_digits=14, decimal_places=3)
    paid_eur = serializers.DecimalField(max_digits=14, decimal_places=2)
    funded_eur = serializers.DecimalField(max_digits=14, decimal_places=2)
    fair_value_eur = serializers.DecimalField(max_digits=14, decimal_places=2)


class AgreementSerializer(serializers.ModelSerializer):
    """A season supply agreement, its parties and history."""

    category = serializers.CharField(source="category.code")
    parties = PartySerializer(many=True, read_only=True)
    events = EventSerializer(many=True, read_only=True)
    totals = serializers.SerializerMethodField()

    @extend_schema_field(TotalsSerializer)
    def get_totals(self, agreement) -> dict:
        return TotalsSerializer(selectors.agreement_totals(agreement)).data

    class Meta:
        model = SupplyAgreement
        fields = [
            "id",
            "status",
            "farm",
            "parties",
            "category",
            "product_name",
            "unit",
            "pack_size",
            "quantity_per_delivery",
            "recurrence",
            "recurrence_label",
            "start_date",
            "end_date",
            "fair_price_per_unit",
            "price_paid_per_unit",
            "usual_price_per_unit",
            "household_price_per_unit",
            "carrier",
            "transport_payer",
            "transport_cost_eur",
            "funding_line",
            "funding_reserved_eur",
            "farm_signed_at",
            "ended_on",
            "offer",
            "preorder_offer",
            "preorder_quantity_held",
            "totals",
            "events",
            "created_at",
            "updated_at",
        ]


class AgreementWriteSerializer(serializers.Serializer):
    """The request body of a new agreement (``agreements.inputs.AgreementInput``)."""

    farm = serializers.IntegerField()
    structures = serializers.ListField(child=serializers.IntegerField())
    category = serializers.CharField(help_text=_("Code ou identifiant de catégorie."))
    product_name = serializers.CharField(max_length=120)
    unit = serializers.ChoiceField(choices=SupplyAgreement._meta.get_field("unit").choices, required=False)
    pack_size = serializers.DecimalField(max_digits=12, decimal_places=3, required=False)
    quantity_per_delivery = serializers.DecimalField(max_digits=12, decimal_places=3)
    recurrence = serializers.CharField(help_text=_("« chaque mardi », « un jeudi sur deux » ou une RRULE."))
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    fair_price_per_unit = serializers.DecimalField(max_digits=9, decimal_places=2)
    price_paid_per_unit = serializers.DecimalField(max_digits=9, decimal_places=2)
    usual_price_per_unit = serializers.DecimalField(max_digits=9, decimal_places=2, required=False)
    household_price_per_unit = serializers.DecimalField(
        max_digits=9,
        decimal_places=2,
        required=False,
        help_text=_("Quand la structure revend (épicerie solidaire) : le prix payé par le ménage."),
    )
    carrier = serializers.IntegerField(help_text=_("L'organisation qui assure le transport."))
    transport_payer = serializers.IntegerField(help_text=_("L'organisation qui paie le transport."))
    transport_cost_eur = serializers.DecimalField(max_digits=9, decimal_places=2, required=False)
    funding_line = serializers.IntegerField(required=False, help_text=_("La ligne de financement de l'écart."))


class SignSerializer(serializers.Serializer):
    organization = serializers.IntegerField(required=False)


class EndSerializer(serializers.Serializer):
    on = serializers.DateField()


class NoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=300, required=False)


class OccurrenceChangeSerializer(serializers.Serializer):
    date = serializers.DateField(required=False)
    quantity = serializers.DecimalField(max_digits=12, decimal_places=3, required=False)
    household_price_per_unit = serializers.DecimalField(max_digits=9, decimal_places=2, required=False)


class InvoicingSerializer(serializers.Serializer):
    structure = serializers.IntegerField()
    service_code = serializers.CharField(max_length=100, required=False)
    commitment_number = serializers.CharField(max_length=50, required=False)


def _agreement_response(agreement, *, code: int = 200) -> Response:
    agreement = SupplyAgreement.objects.get(pk=agreement.pk)
    return Response(AgreementSerializer(agreement).data, status=code)


class AgreementViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Season agreements you are a party to, or of your territory (officers)."""

    serializer_class = AgreementSerializer
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = PageOrSyncPagination
    filterset_class = SyncedFilterSet  # ?updated_since=, for partners that sync

    def get_queryset(self):
        return selectors.agreements_visible(principal_of(self.request)).prefetch_related("parties__structure", "events")

    @extend_schema(request=AgreementWriteSerializer, responses={201: AgreementSerializer, **ERRORS_WRITE})
    def create(self, request, *args, **kwargs):
        """Draft an agreement (a party's member, or an officer of a party's territory)."""
        data = inputs.agreement_data(request.data, strict=False)
        return _agreement_response(svc.agreement_create(by=request.user, data=data), code=201)

    @extend_schema(request=AgreementWriteSerializer, responses={200: AgreementSerializer, **ERRORS_WRITE})
    def update(self, request, *args, **kwargs):
        """Change a draft, or a proposed agreement before any signature (PATCH: the fields given)."""
        data = inputs.agreement_data(request.data, partial=kwargs.get("partial", False), strict=False)
        return _agreement_response(svc.agreement_update(by=request.user, agreement=self.get_object(), data=data))

    @extend_schema(request=AgreementWriteSerializer, responses={200: AgreementSerializer, **ERRORS_WRITE})
    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    @extend_schema(request=None, responses={200: AgreementSerializer, **ERRORS_WRITE})
    @action(detail=True, methods=["post"])
    def propose(self, request, pk=None):
        return _agreement_response(svc.agreement_propose(by=request.user, agreement=self.get_object()))

    @extend_schema(request=SignSerializer, responses={200: AgreementSerializer, **ERRORS_WRITE})
    @action(detail=True, methods=["post"])
    def sign(self, request, pk=None):
        """Sign for your own organization (name it when you belong to several parties)."""
        data = inputs.action_input(inputs.SignInput, request.data)
        organization = Organization.objects.filter(pk=data["organization"]).first() if data["organization"] else None
        return _agreement_response(
            svc.agreement_sign(by=request.user, agreement=self.get_object(), organization=organization)
        )

    @extend_schema(request=None, responses={200: AgreementSerializer, **ERRORS_WRITE})
    @action(detail=True, methods=["post"])
    def activate(self, request, pk=None):
        """Start it: its deliveries to come become confirmed, scheduled matches."""
        return _agreement_response(svc.agreement_activate(by=request.user, agreement=self.get_object()))

    @extend_schema(request=NoteSerializer, responses={200: AgreementSerializer, **ERRORS_WRITE})
    @action(detail=True, methods=["post"])
    def suspend(self, request, pk=None):
        data = inputs.action_input(inputs.NoteInput, request.data)
        return _agreement_response(
            svc.agreement_suspend(by=request.user, agreement=self.get_object(), note=data["note"] or "")
        )

    @extend_schema(request=None, responses={200: AgreementSerializer, **ERRORS_WRITE})
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        return _agreement_response(svc.agreement_resume(by=request.user, agreement=self.get_object()))

    @extend_schema(request=EndSerializer, responses={200: AgreementSerializer, **ERRORS_WRITE})
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        """End it on a date: the deliveries from that day on that are not delivered are removed."""
        data = inputs.action_input(inputs.EndInput, request.data)
        return _agreement_response(svc.agreement_end(by=request.user, agreement=self.get_object(), on=data["on"]))

    @extend_schema(request=InvoicingSerializer, responses={200: AgreementSerializer, **ERRORS_WRITE})
    @action(detail=True, methods=["post"])
    def invoicing(self, request, pk=None):
        """A public buyer's Chorus Pro references: its service code and commitment number."""
        data = inputs.action_input(inputs.InvoicingInput, request.data)
        agreement = self.get_object()
        structure = get_object_or_404(Organization, pk=data["structure"])
        svc.party_invoicing_update(
            by=request.user,
            agreement=agreement,
            structure=structure,
            service_code=data["service_code"] or "",
            commitment_number=data["commitment_number"] or "",
        )
        return _agreement_response(agreement)

    @extend_schema(request=None, responses={200: OccurrenceSerializer(many=True), **ERRORS_READ})
    @action(detail=True, methods=["get"])
    def occurrences(self, request, pk=None):
        agreement = self.get_object()
        rows = agreement.occurrences.select_related("match").order_by("date", "id")
        paginator = PagePagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        return paginator.get_paginated_response(OccurrenceSerializer(page, many=True).data)

    def _occurrence(self, occurrence_id) -> Occurrence:
        return get_object_or_404(Occurrence, agreement=self.get_object(), pk=occurrence_id)

    @extend_schema(request=NoteSerializer, responses={200: OccurrenceSerializer, **ERRORS_WRITE})
    @action(detail=True, methods=["post"], url_path=r"occurrences/(?P<occurrence_id>\d+)/skip")
    def occurrence_skip(self, request, pk=None, occurrence_id=None):
        data = inputs.action_input(inputs.NoteInput, request.data)
        occurrence = svc.occurrence_skip(
            by=request.user, occurrence=self._occurrence(occurrence_id), note=data["note"] or ""
        )
        return Response(OccurrenceSerializer(occurrence).data)

    @extend_schema(request=OccurrenceChangeSerializer, responses={200: OccurrenceSerializer, **ERRORS_WRITE})
    @action(detail=True, methods=["post"], url_path=r"occurrences/(?P<occurrence_id>\d+)/change")
    def occurrence_change(self, request, pk=None, occurrence_id=None):
        """Move one delivery to another day, change its quantity or the price its household pays."""
        data = inputs.action_input(inputs.OccurrenceChangeInput, request.data)
        occurrence = svc.occurrence_change(by=request.user, occurrence=self._occurrence(occurrence_id), **data)
        return Response(OccurrenceSerializer(Occurrence.objects.select_related("match").get(pk=occurrence.pk)).data)


# --- Funders and funding lines ------------------------------------------------------------


class FunderSerializer(serializers.ModelSerializer):
    class Meta:
        model = Funder
        fields = ["id", "territory", "name", "kind", "siret"]


class FunderViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """The funders of your territories; officers add them."""

    serializer_class = FunderSerializer
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = PageOrSyncPagination
    filterset_class = SyncedFilterSet  # ?updated_since=, for partners that sync

    def get_queryset(self):
        from actors import permissions as perms

        principal = principal_of(self.request)
        qs = Funder.objects.order_by("name", "id")
        return qs if perms.is_staff(principal) else qs.filter(territory_id__in=perms.viewer_territory_ids(principal))

    @extend_schema(request=FunderSerializer, responses={201: FunderSerializer, **ERRORS_WRITE})
    def create(self, request, *args, **kwargs):
        data = inputs.action_input(inputs.FunderInput, request.data)
        territory = Territory.objects.filter(pk=data["territory"]).first()
        if territory is None:
            raise DomainError(
                "not_found", _("Territoire introuvable."), fields={"territory": [_("Territoire introuvable.")]}
            )
        funder = funding.funder_create(
            by=request.user,
            territory=territory,
            name=data["name"],
            kind=data["kind"] or "other",
            siret=data["siret"] or "",
        )
        return Response(FunderSerializer(funder).data, status=201)


class FundingLineSerializer(serializers.ModelSerializer):
    """A funding line: what is given, what is consumed, what is left."""

    funder_name = serializers.CharField(source="funder.name", read_only=True)
    remaining_eur = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)
    available_eur = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)
    categories = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = FundingLine
        fields = [
            "id",
            "funder",
            "funder_name",
            "name",
            "amount_eur",
            "consumed_eur",
            "reserved_eur",
            "remaining_eur",
            "available_eur",
            "period_start",
            "period_end",
            "share_per_kg_eur",
            "categories",
            "structures",
            "alert_percent",
            "alerted_at",
        ]


class FundingLineWriteSerializer(serializers.Serializer):
    funder = serializers.IntegerField()
    name = serializers.CharField(max_length=200)
    amount_eur = serializers.DecimalField(max_digits=12, decimal_places=2)
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    share_per_kg_eur = serializers.DecimalField(max_digits=9, decimal_places=2)
    categories = serializers.ListField(child=serializers.CharField(), required=False)
    structures = serializers.ListField(child=serializers.IntegerField(), required=False)
    alert_percent = serializers.IntegerField(required=False)


class FundingLineViewSet(mixins.CreateModelMixin, mixins.UpdateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Funding lines: officers manage their territory's; parties see those that fund them."""

    serializer_class = FundingLineSerializer
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = PageOrSyncPagination
    filterset_class = SyncedFilterSet  # ?updated_since=, for partners that sync
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return funding.visible_lines(principal_of(self.request)).prefetch_related("categories", "structures")

    @extend_schema(request=FundingLineWriteSerializer, responses={201: FundingLineSerializer, **ERRORS_WRITE})
    def create(self, request, *args, **kwargs):
        line = funding.funding_line_create(by=request.user, data=inputs.funding_line_data(request.data, strict=False))
        return Response(FundingLineSerializer(FundingLine.objects.get(pk=line.pk)).data, status=201)

    @extend_schema(request=FundingLineWriteSerializer, responses={200: FundingLineSerializer, **ERRORS_WRITE})
    def partial_update(self, request, *args, **kwargs):
        line = funding.funding_line_update(
            by=request.user,
            line=self.get_object(),
            data=inputs.funding_line_data(request.data, partial=True, strict=False),
        )
        return Response(FundingLineSerializer(FundingLine.objects.get(pk=line.pk)).data)


# --- Statements ---------------------------------------------------------------------------


class StatementLineSerializer(serializers.Serializer):
    delivered_on = serializers.DateField()
    farm = serializers.IntegerField(source="farm.pk")
    farm_name = serializers.CharField(source="farm.name")
    structure = serializers.IntegerField(source="structure.pk")
    structure_name = serializers.CharField(source="structure.name")
    product = serializers.CharField()
    lot_number = serializers.CharField()
    use_by = serializers.DateField(allow_null=True)
    quantity = serializers.DecimalField(max_digits=12, decimal_places=3)
    unit = serializers.CharField()
    kg = serializers.DecimalField(max_digits=12, decimal_places=3)
    fair_price = serializers.DecimalField(max_digits=9, decimal_places=2)
    fair_amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    paid_by_structure = serializers.DecimalField(max_digits=12, decimal_places=2)
    household_price = serializers.DecimalField(max_digits=9, decimal_places=2, allow_null=True)
    household_amount = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    funder = serializers.CharField(source="funder.name", default=None)
    funded = serializers.DecimalField(max_digits=12, decimal_places=2)
    unfunded_gap = serializers.DecimalField(max_digits=12, decimal_places=2)
    agreement = serializers.IntegerField(source="agreement_id", allow_null=True)
    service_code = serializers.CharField()
    commitment_number = serializers.CharField()


class PayerSerializer(serializers.Serializer):
    kind = serializers.CharField()
    id = serializers.IntegerField()
    name = serializers.CharField()
    amount_eur = serializers.DecimalField(max_digits=12, decimal_places=2)


class StatementSerializer(serializers.Serializer):
    organization = serializers.IntegerField(source="organization.pk")
    organization_name = serializers.CharField(source="organization.name")
    side = serializers.CharField()
    month = serializers.DateField()
    total_kg = serializers.DecimalField(max_digits=14, decimal_places=3)
    total_due = serializers.DecimalField(max_digits=14, decimal_places=2)
    total_fair = serializers.DecimalField(max_digits=14, decimal_places=2)
    payers = serializers.SerializerMethodField()
    lines = StatementLineSerializer(many=True)

    @extend_schema_field(PayerSerializer(many=True))
    def get_payers(self, statement) -> list[dict]:
        return [
            {
                "kind": "funder" if isinstance(payer, Funder) else "organization",
                "id": payer.pk,
                "name": str(payer),
                "amount_eur": amount,
            }
            for payer, amount in statement.due_by_payer
        ]


class StatementQuerySerializer(serializers.Serializer):
    organization = serializers.IntegerField()
    month = serializers.CharField(help_text=_("Le mois, AAAA-MM."))
    output = serializers.ChoiceField(choices=["json", "csv", "pdf"], required=False)


class StatementView(generics.GenericAPIView):
    """A farm's or a structure's monthly statement: what was delivered to (or by) whom, and
    what each payer owes. ``output=csv`` or ``pdf`` for the file."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = StatementSerializer
    pagination_class = None

    @extend_schema(parameters=[StatementQuerySerializer], responses={200: StatementSerializer, **ERRORS_READ})
    def get(self, request):
        from django.http import HttpResponse

        from agreements import documents
        from miam.exports import export_response

        data = inputs.action_input(inputs.StatementInput, request.query_params)
        organization = get_object_or_404(Organization, pk=data["organization"])
        if not selectors.can_read_statement(principal_of(request), organization):
            raise NotAllowed(_("Vous ne pouvez lire que les relevés de vos organisations ou de votre territoire."))
        statement = selectors.statement_for(organization=organization, month=data["month"])
        output = request.query_params.get("output", "json")
        filename = f"releve-{organization.pk}-{statement.month:%Y-%m}"
        if output == "csv":
            return export_response(documents.statement_export(statement), fmt="csv", filename=filename)
        if output == "pdf":
            response = HttpResponse(documents.statement_pdf(statement), content_type="application/pdf")
            response["Content-Disposition"] = f'attachment; filename="{filename}.pdf"'
            return response
        return Response(StatementSerializer(statement).data)


class DonorStatementQuerySerializer(serializers.Serializer):
    donor = serializers.IntegerField()
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    output = serializers.ChoiceField(choices=["json", "csv"], required=False)


class DonationSerializer(serializers.Serializer):
    delivered_on = serializers.DateField()
    structure = serializers.CharField(source="match.need.organization.name")
    product = serializers.CharField(source="match.offer.product_name")
    quantity = serializers.DecimalField(source="quantity_received", max_digits=12, decimal_places=3)
    unit = serializers.CharField()
    kg = serializers.DecimalField(source="quantity_kg", max_digits=12, decimal_places=3, allow_null=True)
    lot_number = serializers.CharField()
    use_by = serializers.DateField(allow_null=True)
    value_eur = serializers.DecimalField(max_digits=12, decimal_places=2)


class DonorStatementSerializer(serializers.Serializer):
    donor = serializers.IntegerField()
    total_kg = serializers.DecimalField(max_digits=14, decimal_places=3)
    total_value_eur = serializers.DecimalField(max_digits=14, decimal_places=2)
    donations = DonationSerializer(many=True)


class DonorStatementView(generics.GenericAPIView):
    """A farm's donations over a period: product, kg, lot, use-by date, value at the usual price."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = DonorStatementSerializer
    pagination_class = None

    @extend_schema(parameters=[DonorStatementQuerySerializer], responses={200: DonorStatementSerializer, **ERRORS_READ})
    def get(self, request):
        from agreements import documents
        from miam.exports import export_response

        data = inputs.action_input(inputs.DonorStatementInput, request.query_params)
        donor = get_object_or_404(Organization, pk=data["donor"])
        if not selectors.can_read_statement(principal_of(request), donor):
            raise NotAllowed(_("Vous ne pouvez lire que les relevés de vos organisations ou de votre territoire."))
        rows, total_kg, total_value = selectors.donor_statement(
            donor=donor, start=data["period_start"], end=data["period_end"]
        )
        if request.query_params.get("output") == "csv":
            export = documents.donor_statement_export(
                donor=donor, start=data["period_start"], end=data["period_end"], rows=rows
            )
            return export_response(export, fmt="csv", filename=f"dons-{donor.pk}-{data['period_start']}")
        return Response(
            {
                "donor": donor.pk,
                "total_kg": total_kg,
                "total_value_eur": total_value,
                "donations": DonationSerializer(rows, many=True).data,
            }
        )


class DeliveryNoteView(generics.GenericAPIView):
    """The delivery note of a delivered match (PDF): with its lot number and use-by date."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = None

    @extend_schema(responses={(200, "application/pdf"): bytes, **ERRORS_READ})
    def get(self, request, match_id: int):
        from django.http import HttpResponse

        from agreements import documents
        from offers.models import Delivery

        delivery = get_object_or_404(
            Delivery.objects.select_related(
                "match__offer__organization__commune", "match__need__organization__commune"
            ),
            match_id=match_id,
        )
        if not selectors.can_read_delivery(principal_of(request), delivery):
            raise NotAllowed(_("Seules les deux parties et leur territoire lisent ce bon de livraison."))
        response = HttpResponse(documents.delivery_note_pdf(delivery), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="bon-de-livraison-{match_id}.pdf"'
        return response


# --- Donation receipts ------------------------------------------------------------------


class ReceiptItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = DonationReceiptItem
        fields = [
            "delivered_on",
            "product",
            "quantity",
            "unit",
            "quantity_kg",
            "lot_number",
            "use_by",
            "unit_value_eur",
            "value_eur",
        ]


class DonationReceiptSerializer(serializers.ModelSerializer):
    """A receipt for gifts in kind, frozen once issued."""

    number = serializers.CharField(read_only=True)
    items = ReceiptItemSerializer(many=True, read_only=True)
    replaces = serializers.CharField(source="replaces.number", default=None, read_only=True)
    structure_snapshot = api_fields.text_map(read_only=True, help_text=_("Le bénéficiaire tel que délivré."))
    donor_snapshot = api_fields.text_map(read_only=True, help_text=_("Le donateur tel que délivré."))

    class Meta:
        model = DonationReceipt
        fields = [
            "id",
            "number",
            "status",
            "structure",
            "donor",
            "year",
            "period_start",
            "period_end",
            "total_value_eur",
            "structure_snapshot",
            "donor_snapshot",
            "issued_at",
            "cancelled_at",
            "cancel_reason",
            "replaces",
            "items",
        ]


class ReceiptWriteSerializer(serializers.Serializer):
    structure = serializers.IntegerField()
    donor = serializers.IntegerField()
    period_start = serializers.DateField()
    period_end = serializers.DateField()


class ReceiptCancelSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300, required=False)


class DonationReceiptViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Receipts issued by your structure, received by your farm, or of your territory."""

    serializer_class = DonationReceiptSerializer
    permission_classes = [permissions.IsAuthenticated]
    pagination_class = PagePagination

    def get_queryset(self):
        return receipts.visible_receipts(principal_of(self.request)).prefetch_related("items")

    @extend_schema(request=ReceiptWriteSerializer, responses={201: DonationReceiptSerializer, **ERRORS_WRITE})
    def create(self, request, *args, **kwargs):
        """Issue a receipt (your structure, entitled in its profile) for a donor's gifts over a period."""
        data = inputs.action_input(inputs.ReceiptInput, request.data)
        receipt = receipts.receipt_issue(by=request.user, **data)
        return Response(DonationReceiptSerializer(receipt).data, status=201)

    @extend_schema(request=ReceiptCancelSerializer, responses={200: DonationReceiptSerializer, **ERRORS_WRITE})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        data = inputs.action_input(inputs.ReceiptCancelInput, request.data)
        return Response(
            DonationReceiptSerializer(
                receipts.receipt_cancel(by=request.user, receipt=self.get_object(), reason=data["reason"] or "")
            ).data
        )

    @extend_schema(request=ReceiptCancelSerializer, responses={201: DonationReceiptSerializer, **ERRORS_WRITE})
    @action(detail=True, methods=["post"])
    def reissue(self, request, pk=None):
        """Cancel this receipt and issue its replacement, with a new number."""
        data = inputs.action_input(inputs.ReceiptCancelInput, request.data)
        receipt = receipts.receipt_reissue(by=request.user, receipt=self.get_object(), reason=data["reason"] or "")
        return Response(DonationReceiptSerializer(receipt).data, status=201)

    @extend_schema(responses={(200, "application/pdf"): bytes, **ERRORS_READ})
    @action(detail=True, methods=["get"])
    def pdf(self, request, pk=None):
        from django.http import HttpResponse

        from agreements import documents

        receipt = self.get_object()
        response = HttpResponse(documents.receipt_pdf(receipt), content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="recu-{receipt.number}.pdf"'
        return response


# --- Demand calendar -----------------------------------------------------------------------


class DemandWriteSerializer(serializers.Serializer):
    structure = serializers.IntegerField()
    category = serializers.CharField()
    month = serializers.CharField(help_text=_("Le mois, AAAA-MM."))
    quantity_kg = serializers.DecimalField(max_digits=12, decimal_places=3)


class DemandRowSerializer(serializers.Serializer):
    category = serializers.CharField()
    months = serializers.ListField(child=serializers.DictField())


class DemandView(generics.GenericAPIView):
    """The demand calendar of your structures, or of a territory you work in: per category and
    month, the kilos expected against the kilos agreements commit. POST sets one expected need."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = DemandWriteSerializer
    pagination_class = None
    queryset = Organization.objects.none()  # the schema's; the rows come from the selector

    def _structure_ids(self, request) -> set[int]:
        from actors import permissions as perms
        from actors.models import RECIPIENT_KINDS

        principal = principal_of(request)
        territories = perms.viewer_territory_ids(principal)
        ids = set(
            perms.organizations_in_territories(territories)
            .filter(kind__in=RECIPIENT_KINDS)
            .values_list("pk", flat=True)
        )
        return ids | set(
            Organization.objects.filter(
                pk__in=perms.member_organization_ids(principal), kind__in=RECIPIENT_KINDS
            ).values_list("pk", flat=True)
        )

    @extend_schema(responses={200: DemandRowSerializer(many=True), **ERRORS_READ})
    def get(self, request):
        from django.utils import timezone

        months, rows = selectors.demand_table(
            structure_ids=self._structure_ids(request), first_month=timezone.localdate()
        )
        return Response(
            [
                {
                    "category": category.code,
                    "months": [
                        {
                            "month": m.isoformat()[:7],
                            "demand_kg": c.demand_kg,
                            "committed_kg": c.committed_kg,
                            "gap_kg": c.gap_kg,
                        }
                        for m, c in zip(months, cells, strict=True)
                    ],
                }
                for category, cells in rows
            ]
        )

    @extend_schema(request=DemandWriteSerializer, responses={204: None, **ERRORS_WRITE})
    def post(self, request):
        from agreements.services import demand

        data = inputs.action_input(inputs.DemandInput, request.data)
        demand.demand_set(by=request.user, **data)
        return Response(status=204)


class CommitmentSerializer(serializers.Serializer):
    farm = serializers.IntegerField()
    structure = serializers.IntegerField()
    category = serializers.CharField()
    kg_per_month = serializers.DecimalField(max_digits=12, decimal_places=3)
    first_month = serializers.CharField()
    last_month = serializers.CharField()
    fair_price_per_kg = serializers.DecimalField(max_digits=9, decimal_places=2)
    price_paid_per_kg = serializers.DecimalField(max_digits=9, decimal_places=2)


class CommitmentView(generics.GenericAPIView):
    """A farmer answers a gap: so many kg a month, proposed to the structure as an agreement."""

    permission_classes = [permissions.IsAuthenticated]
    serializer_class = CommitmentSerializer

    @extend_schema(request=CommitmentSerializer, responses={201: AgreementSerializer, **ERRORS_WRITE})
    def post(self, request):
        from agreements.services import demand

        data = inputs.action_input(inputs.CommitmentInput, request.data)
        return _agreement_response(demand.commitment_propose(by=request.user, **data), code=201)


class PreorderSerializer(serializers.Serializer):
    """The request body of a pre-order (``agreements.inputs.PreorderInput``)."""

    offer = serializers.IntegerField(help_text=_("La production planifiée (une offre) pré-commandée."))
    structure = serializers.IntegerField()
    quantity_per_month = serializers.DecimalField(max_digits=12, decimal_places=3)
    first_month = serializers.CharField(help_text=_("AAAA-MM"))
    last_month = serializers.CharField(help_text=_("AAAA-MM"))


class PreorderView(generics.GenericAPIView):
    """A structure pre-orders a farm's planned harvest: a proposed agreement, one delivery a month,
    the same path as a farmer's commitment on the demand calendar."""

    serializer_class = PreorderSerializer
    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(request=PreorderSerializer, responses={201: AgreementSerializer, **ERRORS_WRITE})
    def post(self, request):
        from agreements.services import demand

        data = inputs.action_input(inputs.PreorderInput, request.data)
        return _agreement_response(demand.preorder_propose(by=request.user, **data), code=201)


def register(router) -> None:
    router.register("agreements", AgreementViewSet, basename="agreement")
    router.register("funders", FunderViewSet, basename="funder")
    router.register("funding-lines", FundingLineViewSet, basename="funding-line")
    router.register("donation-receipts", DonationReceiptViewSet, basename="donation-receipt")


urlpatterns: list = [
    path("statements/", StatementView.as_view(), name="statements"),
    path("statements/donations/", DonorStatementView.as_view(), name="donor-statement"),
    path("delivery-notes/<int:match_id>/", DeliveryNoteView.as_view(), name="delivery-note"),
    path("demand/", DemandView.as_view(), name="demand"),
    path("demand/commitments/", CommitmentView.as_view(), name="demand-commitments"),
    path("demand/preorders/", PreorderView.as_view(), name="demand-preorders"),
]
