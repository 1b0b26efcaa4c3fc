"""Reads of agreements shared by pages, the API and statements."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, Sum

from actors import permissions
from agreements.models import Occurrence, SupplyAgreement

ZERO = Decimal(0)


@dataclass(frozen=True)
class AgreementTotals:
    planned: int
    delivered: int
    skipped: int
    kg_delivered: Decimal
    paid_eur: Decimal  # by the structures
    funded_eur: Decimal  # by the funding line
    fair_value_eur: Decimal  # at the fair price


def agreement_totals(agreement: SupplyAgreement) -> AgreementTotals:
    """What the series has delivered so far, in kg and euros (two queries)."""
    occurrences = Occurrence.objects.filter(agreement=agreement)
    counts = occurrences.aggregate(
        planned=Count("id", filter=Q(status=Occurrence.Status.PLANNED)),
        skipped=Count("id", filter=Q(status=Occurrence.Status.SKIPPED)),
        delivered=Count("id", filter=Q(match__delivery__isnull=False)),
    )
    sums = occurrences.filter(match__delivery__isnull=False).aggregate(
        kg=Sum("match__delivery__quantity_kg"),
        quantity=Sum("match__delivery__quantity_received"),
        paid=Sum("match__delivery__amount_paid_eur"),
        funded=Sum("match__delivery__funding_use__amount_eur"),
    )
    quantity = sums["quantity"] or ZERO
    return AgreementTotals(
        planned=counts["planned"],
        delivered=counts["delivered"],
        skipped=counts["skipped"],
        kg_delivered=sums["kg"] or ZERO,
        paid_eur=sums["paid"] or ZERO,
        funded_eur=sums["funded"] or ZERO,
        fair_value_eur=(quantity * agreement.fair_price_per_unit).quantize(Decimal("0.01")),
    )


def agreements_visible(principal):
    """The agreements of one's organizations, and those of one's territories (officers, viewers)."""
    qs = SupplyAgreement.objects.select_related("farm", "category", "funding_line__funder").order_by(
        "-created_at", "-id"
    )
    if permissions.is_staff(principal):
        return qs
    orgs = permissions.member_organization_ids(principal)
    territories = permissions.viewer_territory_ids(principal)
    return qs.filter(
        Q(farm_id__in=orgs)
        | Q(parties__structure_id__in=orgs)
        | Q(farm__commune__territories__in=territories)
        | Q(parties__structure__commune__territories__in=territories)
    ).distinct()
