"""Reads of agreements shared by pages, the API and statements."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, Sum

from actors import permissions
from actors.models import Organization
from agreements.models import Occurrence, SupplyAgreement
from offers.models import Delivery, Pricing

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


def signatures_of(user) -> list[dict]:
    """Who signed what, and when: the signatures a person gave, for their account export."""
    from agreements.models import AgreementParty

    rows = [
        {
            "agreement": a.pk,
            "product": a.product_name,
            "organization": a.farm.name,
            "signed_at": a.farm_signed_at.isoformat() if a.farm_signed_at else None,
        }
        for a in SupplyAgreement.objects.filter(farm_signed_by=user).select_related("farm").order_by("pk")
    ]
    rows += [
        {
            "agreement": p.agreement_id,
            "product": p.agreement.product_name,
            "organization": p.structure.name,
            "signed_at": p.signed_at.isoformat() if p.signed_at else None,
        }
        for p in AgreementParty.objects.filter(signed_by=user).select_related("agreement", "structure").order_by("pk")
    ]
    return rows


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
    household_price: Decimal | None  # what the household pays per unit where the structure resells
    household_amount: Decimal | None
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
        household = occurrence.household_price if occurrence is not None else None
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
            household_price=household,
            household_amount=(household * delivery.quantity_received).quantize(Decimal("0.01"))
            if household is not None
            else None,
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


def can_read_delivery(principal, delivery) -> bool:
    """Either side of the delivery, and their territories' teams."""
    return any(
        permissions.can_see_private_fields(principal, organization)
        for organization in (delivery.match.offer.organization, delivery.match.need.organization)
    )


def can_read_statement(principal, organization) -> bool:
    """The organization itself, its territory's team (officers, viewers), staff."""
    return permissions.can_see_private_fields(principal, organization)


# --- Donations ------------------------------------------------------------------------------


def donations(*, donor: Organization, start: dt.date, end: dt.date, structure: Organization | None = None):
    """The donations a farm delivered over a period (to one structure, or to all)."""
    rows = Delivery.objects.filter(
        match__offer__organization=donor,
        match__offer__pricing=Pricing.DONATION,
        delivered_on__gte=start,
        delivered_on__lte=end,
    ).select_related("match__offer", "match__need__organization")
    if structure is not None:
        rows = rows.filter(match__need__organization=structure)
    return rows.order_by("delivered_on", "id")


def donation_value(delivery: Delivery) -> tuple[Decimal, Decimal]:
    """(value per unit at the usual price, value of the delivery)."""
    unit = delivery.match.offer.usual_price_per_unit or Decimal(0)
    return unit, (unit * delivery.quantity_received).quantize(Decimal("0.01"))


def donor_statement(*, donor, start, end) -> tuple[list, Decimal, Decimal]:
    """A farm's donations over a period: each delivery with its value at the usual price
    (``value_eur``), and the totals (kg, value)."""
    rows = list(donations(donor=donor, start=start, end=end))
    for row in rows:
        row.value_eur = donation_value(row)[1]
    return rows, sum((r.quantity_kg or ZERO for r in rows), ZERO), sum((r.value_eur for r in rows), ZERO)


# --- Demand calendar ----------------------------------------------------------------------


@dataclass(frozen=True)
class DemandCell:
    demand_kg: Decimal
    committed_kg: Decimal

    @property
    def gap_kg(self) -> Decimal:
        return max(ZERO, self.demand_kg - self.committed_kg)

    @property
    def cover_percent(self) -> int | None:
        if not self.demand_kg:
            return None
        return min(100, round(100 * self.committed_kg / self.demand_kg))

    @property
    def shade(self) -> str:
        """The heat-map's opacity of the cell (0: nothing committed, 0.45: covered, dark text stays readable)."""
        return f"{(self.cover_percent or 0) * 0.0045:.2f}"


def _months(first: dt.date, count: int) -> list[dt.date]:
    months, day = [], first.replace(day=1)
    for _ in range(count):
        months.append(day)
        day = (day + dt.timedelta(days=32)).replace(day=1)
    return months


def demand_table(*, structure_ids, first_month: dt.date, months: int = 12):
    """Per category asked for, per month: the structures' expected needs against the supply
    committed by agreements (active: their occurrences; proposed or signed: their recurrence).
    An agreement's category counts for itself and for its family. (months, [(category, cells)])."""
    from agreements import recurrence
    from agreements.models import DemandForecast
    from products.models import ProductCategory

    columns = _months(first_month, months)
    last = (columns[-1] + dt.timedelta(days=32)).replace(day=1)
    forecasts = DemandForecast.objects.filter(
        structure_id__in=structure_ids, month__gte=columns[0], month__lt=last
    ).values_list("category_id", "month", "quantity_kg")
    demand: dict = {}
    for category_id, month, kg in forecasts:
        demand[(category_id, month)] = demand.get((category_id, month), ZERO) + kg
    committed: dict = {}

    def add(category, day, kg):
        for key in {category.pk, category.parent_id} - {None}:
            committed[(key, day.replace(day=1))] = committed.get((key, day.replace(day=1)), ZERO) + kg

    occurrences = Occurrence.objects.filter(
        structure_id__in=structure_ids,
        status=Occurrence.Status.PLANNED,
        date__gte=columns[0],
        date__lt=last,
        agreement__unit="kg",
    ).select_related("agreement__category")
    for occurrence in occurrences:
        add(occurrence.agreement.category, occurrence.date, occurrence.quantity)
    pending = (
        SupplyAgreement.objects.filter(
            status__in=[SupplyAgreement.Status.PROPOSED, SupplyAgreement.Status.SIGNED],
            parties__structure_id__in=structure_ids,
            unit="kg",
        )
        .select_related("category")
        .distinct()
    )
    for agreement in pending:
        count = agreement.parties.filter(structure_id__in=structure_ids).count()
        for day in recurrence.dates(
            agreement.recurrence, max(agreement.start_date, columns[0]), min(agreement.end_date, last)
        ):
            if day < last:
                add(agreement.category, day, agreement.quantity_per_delivery * count)
    category_ids = sorted({c for c, _m in demand})
    categories = ProductCategory.objects.in_bulk(category_ids)
    rows = [
        (
            categories[c],
            [DemandCell(demand.get((c, m), ZERO), committed.get((c, m), ZERO)) for m in columns],
        )
        for c in category_ids
    ]
    rows.sort(key=lambda row: str(row[0]))
    return columns, rows
