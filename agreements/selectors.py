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


# --- Monthly statements -------------------------------------------------------------------


@dataclass(frozen=True)
class StatementLine:
    delivered_on: object
    farm: object
    structure: object
    product: str
    lot_number: str
    use_by: object
    quantity: Decimal
    unit: str
    kg: Decimal
    fair_price: Decimal
    fair_amount: Decimal
    paid_by_structure: Decimal
    funder: object  # a Funder or None
    funded: Decimal
    unfunded_gap: Decimal
    agreement_id: int | None
    service_code: str
    commitment_number: str


@dataclass(frozen=True)
class Statement:
    """A month of deliveries of one farm (``side="farm"``) or to one structure."""

    organization: object
    side: str
    month: object  # first day
    lines: list
    due_by_payer: list  # (payer organization or funder, amount), biggest first
    total_kg: Decimal
    total_due: Decimal
    total_fair: Decimal


def _statement_deliveries(*, organization, side: str, month):
    from offers.models import Delivery
    from offers.services.budget import month_bounds

    first, following = month_bounds(month)
    rows = Delivery.objects.filter(delivered_on__gte=first, delivered_on__lt=following).select_related(
        "match__offer__organization",
        "match__need__organization",
        "match__occurrence__agreement",
        "funding_use__line__funder",
    )
    if side == "farm":
        rows = rows.filter(match__offer__organization=organization)
    else:
        rows = rows.filter(match__need__organization=organization)
    return rows.order_by("delivered_on", "id"), first


def statement_for(*, organization, month) -> Statement:
    """What was delivered in ``month``'s month, who owes what to whom: for a farm, what each
    structure and each funder owes it; for a structure, what it owes each farm (and what its
    funders pay for it). A line's amounts: the quantity at the fair price, the structure's
    part (what it paid), the funder's part, and the gap no one funds (the farm's concession)."""
    from actors.models import PRODUCER_KINDS
    from agreements.models import AgreementParty

    side = "farm" if organization.kind in PRODUCER_KINDS else "structure"
    deliveries, first = _statement_deliveries(organization=organization, side=side, month=month)
    deliveries = list(deliveries)
    agreement_ids = set()
    for delivery in deliveries:
        occurrence = getattr(delivery.match, "occurrence", None)
        if occurrence is not None:
            agreement_ids.add(occurrence.agreement_id)
    parties = {
        (p.agreement_id, p.structure_id): p for p in AgreementParty.objects.filter(agreement_id__in=agreement_ids)
    }
    lines = []
    due: dict = {}
    for delivery in deliveries:
        match = delivery.match
        occurrence = getattr(match, "occurrence", None)
        agreement = occurrence.agreement if occurrence is not None else None
        use = getattr(delivery, "funding_use", None)
        paid = delivery.amount_paid_eur
        funded = use.amount_eur if use is not None else ZERO
        if agreement is not None:
            fair_price = agreement.fair_price_per_unit
            fair_amount = (fair_price * delivery.quantity_received).quantize(Decimal("0.01"))
        else:
            fair_price = match.price_per_unit if paid else ZERO
            fair_amount = paid
        party = parties.get((agreement.pk, match.need.organization_id)) if agreement is not None else None
        line = StatementLine(
            delivered_on=delivery.delivered_on,
            farm=match.offer.organization,
            structure=match.need.organization,
            product=match.offer.product_name,
            lot_number=delivery.lot_number,
            use_by=delivery.use_by,
            quantity=delivery.quantity_received,
            unit=delivery.unit,
            kg=delivery.quantity_kg or ZERO,
            fair_price=fair_price or ZERO,
            fair_amount=fair_amount,
            paid_by_structure=paid,
            funder=use.line.funder if use is not None else None,
            funded=funded,
            unfunded_gap=max(ZERO, fair_amount - paid - funded),
            agreement_id=agreement.pk if agreement is not None else None,
            service_code=party.service_code if party else "",
            commitment_number=party.commitment_number if party else "",
        )
        lines.append(line)
        payer = line.structure if side == "farm" else line.farm
        if paid:
            due[("org", payer.pk)] = (payer, due.get(("org", payer.pk), (payer, ZERO))[1] + paid)
        if funded and line.funder is not None:
            key = ("funder", line.funder.pk)
            due[key] = (line.funder, due.get(key, (line.funder, ZERO))[1] + funded)
    return Statement(
        organization=organization,
        side=side,
        month=first,
        lines=lines,
        due_by_payer=sorted(due.values(), key=lambda pair: (-pair[1], str(pair[0]))),
        total_kg=sum((line.kg for line in lines), ZERO),
        total_due=sum((line.paid_by_structure + line.funded for line in lines), ZERO),
        total_fair=sum((line.fair_amount for line in lines), ZERO),
    )


def can_read_statement(principal, organization) -> bool:
    """The organization itself, its territory's team (officers, viewers), staff."""
    return permissions.can_see_private_fields(principal, organization)
