"""A territory's indicators over a period, computed from recorded facts only.

One entry point, ``territory_indicators(principal=..., territory=..., period=...)``: it checks
that the principal may read the territory's dashboard (its team, staff), then reads the other
apps' models and selectors (never their services) and returns plain values (``Decimal``, ``int``,
dates), the same for the page, the API, the PDF and the spreadsheet. How each figure is computed,
and why: docs/indicators.md.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from actors import permissions as perms
from actors.models import FarmProfile, Organization, Territory
from indicators.models import Factor
from indicators.periods import Period
from meetings.models import Decision, Meeting, Registration
from miam.errors import DomainError, NotAllowed
from offers import distances
from offers import selectors as offer_selectors
from offers.models import Delivery, Logistics, Match, Need, Offer, Pricing, Status
from products.units import UnsafeConversion, to_kg

ZERO = Decimal(0)
GRAM, CENT, TENTH = Decimal("0.001"), Decimal("0.01"), Decimal("0.1")
VAN_VEHICLES = (FarmProfile.Vehicle.VAN, FarmProfile.Vehicle.REFRIGERATED)
MS = Match.MatchStatus


def _q(value, step: Decimal) -> Decimal:
    return Decimal(value).quantize(step, rounding=ROUND_HALF_UP)


# --- Who may read ----------------------------------------------------------------------------


def readable_territories(principal):
    """The territories whose indicators the principal may read: as the dashboard (any territory
    role, a territory-scoped API key, staff: all)."""
    return Territory.objects.filter(pk__in=perms.viewer_territory_ids(principal)).order_by("name")


def require_readable(principal, territory: Territory) -> None:
    if not getattr(principal, "is_authenticated", False) or territory.pk not in perms.viewer_territory_ids(principal):
        raise NotAllowed(_("Réservé à l'équipe du territoire."))


def territory_get(principal, territory_id: int | None) -> Territory:
    """The territory asked, or the principal's first one; ``DomainError`` when none may be read."""
    readable = readable_territories(principal)
    if territory_id is None:
        territory = readable.first()
        if territory is None:
            raise NotAllowed(_("Réservé à l'équipe du territoire."))
        return territory
    territory = Territory.objects.filter(pk=territory_id).first()
    if territory is None:
        raise DomainError(
            "not_found", _("Territoire introuvable."), fields={"territory": [_("Territoire introuvable.")]}
        )
    require_readable(principal, territory)
    return territory


# --- Factors ---------------------------------------------------------------------------------


def factor_on(code: str, day: dt.date) -> Factor | None:
    """The factor valid on ``day``: the one with the latest ``valid_from`` not after it."""
    return Factor.objects.filter(code=code, valid_from__lte=day).order_by("-valid_from", "-id").first()


def factor_dict(factor: Factor | None) -> dict | None:
    if factor is None:
        return None
    return {
        "id": factor.pk,
        "code": factor.code,
        "label": factor.get_code_display(),
        "value": factor.value.normalize(),
        "unit": factor.unit,
        "source": factor.source_title,
        "year": factor.source_year,
        "valid_from": factor.valid_from,
    }


def round_shares(*, match_ids) -> dict[int, tuple[float, str]]:
    """The km of the pooled rounds, shared among the deliveries they carried (``offers.distances``:
    round km × the lot's share of the kilograms the round carried for its delivered lots), with
    the CO₂e factor of the round's vehicle: match id → (km, factor code). Over a round's
    deliveries, the shares add up to the round's km; a lot carried by a round no longer counts a
    trip of its own."""
    from logistics.selectors import CAR

    return {
        match_id: (share.km, Factor.Code.CO2E_CAR if share.vehicle_kind == CAR else Factor.Code.CO2E_VAN)
        for match_id, share in distances.round_shares(match_ids).items()
    }


def carrier_factor(*, mode: str, farm_vehicle: str | None, structure_vehicle: str | None) -> str:
    """Who drove, and in what: the farm when it delivers, the structure when it collects or
    gleans, a logistics partner (a van) otherwise."""
    if mode == Logistics.PARTNER:
        return Factor.Code.CO2E_VAN
    vehicle = farm_vehicle if mode == Logistics.DELIVERY else structure_vehicle
    return Factor.Code.CO2E_VAN if vehicle in VAN_VEHICLES else Factor.Code.CO2E_CAR


# --- The figures -----------------------------------------------------------------------------


def _in_territory(prefix: str, territory: Territory) -> Q:
    return Q(**{f"{prefix}commune__territories": territory})


def _families() -> dict[int, tuple[str, str, object]]:
    """Each category's family (code, label in the active language) and unit factors: one query."""
    from products.models import ProductCategory

    categories = list(ProductCategory.objects.select_related("parent"))
    out = {}
    for category in categories:
        family = category.parent if category.parent_id else category
        out[category.pk] = (family.code, family.label, category.unit_factors())
    return out


#: What a delivery's figures read, as plain values (no model instances: a year is thousands of rows).
DELIVERY_FIELDS = (
    "match_id",
    "delivered_on",
    "mode",
    "quantity_received",
    "unit",
    "quantity_kg",
    "amount_paid_eur",
    "match__price_per_unit",
    "match__offer__pricing",
    "match__offer__usual_price_per_unit",
    "match__offer__labels",
    "match__offer__crate_kg",
    "match__offer__category_id",
    "match__offer__organization_id",
    "match__offer__organization__latitude",
    "match__offer__organization__longitude",
    "match__offer__organization__location_precision",
    "match__offer__organization__commune_id",
    "match__offer__organization__farm_profile__vehicle",
    "match__need__organization_id",
    "match__need__organization__latitude",
    "match__need__organization__longitude",
    "match__need__organization__location_precision",
    "match__need__organization__commune_id",
    "match__need__organization__structure_profile__vehicle",
    # Where the structure resells (épicerie solidaire): the price the household paid, per delivery
    # of a season agreement, else the agreement's.
    "match__occurrence__household_price_per_unit",
    "match__occurrence__agreement__household_price_per_unit",
)


def _delivery_figures(territory: Territory, period: Period) -> dict:
    rows = list(
        Delivery.objects.filter(
            _in_territory("match__need__organization__", territory), delivered_on__range=(period.start, period.end)
        )
        .order_by("delivered_on", "id")
        .values(*DELIVERY_FIELDS)
    )
    families_of = _families() if rows else {}
    offer_side, need_side = "match__offer__organization__", "match__need__organization__"
    kms = distances.distances_km([(distances.place_of(r, offer_side), distances.place_of(r, need_side)) for r in rows])
    by_round = round_shares(match_ids=[r["match_id"] for r in rows]) if rows else {}
    months = {m: {"month": m, "deliveries": 0, "kg": ZERO, "eur": ZERO} for m in period.months}
    families: dict[str, dict] = {}
    labels: dict[str, Decimal] = defaultdict(Decimal)
    km_by_vehicle: dict[str, float] = defaultdict(float)
    totals = {
        "deliveries": 0,
        "kg": ZERO,
        "eur": ZERO,
        "donation_value_eur": ZERO,
        "donations": 0,
        "donations_without_usual_price": 0,
        "solidarity_discount_eur": ZERO,
        "solidarity_deliveries": 0,
        "household_eur": ZERO,
        "household_deliveries": 0,
        "labelled_kg": ZERO,
        "not_weighed": 0,
        "km_estimated_deliveries": 0,
        "round_deliveries": 0,
        "gleaned_kg": ZERO,
        "gleaned_without_delivery": 0,
        "gleaned_without_delivery_kg": ZERO,
    }
    km_total = 0.0
    structures, farms = set(), set()
    for row, (km, estimated) in zip(rows, kms, strict=True):
        day = row["delivered_on"]
        family_code, family_label, factors = families_of[row["match__offer__category_id"]]
        kg = row["quantity_kg"]
        if kg is None:
            try:
                kg = to_kg(row["quantity_received"], row["unit"], factors, row["match__offer__crate_kg"])
            except UnsafeConversion:
                kg = None
        paid = row["amount_paid_eur"] or ZERO
        totals["deliveries"] += 1
        totals["eur"] += paid
        first = day.replace(day=1)
        month = months.setdefault(first, {"month": first, "deliveries": 0, "kg": ZERO, "eur": ZERO})
        month["deliveries"] += 1
        month["eur"] += paid
        family = families.setdefault(
            family_code,
            {"code": family_code, "label": family_label, "kg": ZERO, "deliveries": 0, "structure_ids": set()},
        )
        family["deliveries"] += 1
        family["structure_ids"].add(row["match__need__organization_id"])
        labels_of = row["match__offer__labels"] or []
        if kg is None:
            totals["not_weighed"] += 1
        else:
            totals["kg"] += kg
            month["kg"] += kg
            family["kg"] += kg
            if labels_of:
                totals["labelled_kg"] += kg
                for code_label in labels_of:
                    labels[code_label] += kg
        received = row["quantity_received"]
        pricing, usual, price = (
            row["match__offer__pricing"],
            row["match__offer__usual_price_per_unit"],
            row["match__price_per_unit"],
        )
        household = row["match__occurrence__household_price_per_unit"]
        if household is None:
            household = row["match__occurrence__agreement__household_price_per_unit"]
        if household is not None:
            totals["household_deliveries"] += 1
            totals["household_eur"] += household * received
        if pricing == Pricing.DONATION:
            totals["donations"] += 1
            if usual:
                totals["donation_value_eur"] += received * usual
            else:
                totals["donations_without_usual_price"] += 1
        elif pricing == Pricing.SOLIDARITY and usual and price is not None and usual > price:
            totals["solidarity_deliveries"] += 1
            totals["solidarity_discount_eur"] += (usual - price) * received
        if row["match_id"] in by_round:
            (km, vehicle), estimated = by_round[row["match_id"]], False
            totals["round_deliveries"] += 1
        else:
            vehicle = carrier_factor(
                mode=row["mode"],
                farm_vehicle=row["match__offer__organization__farm_profile__vehicle"],
                structure_vehicle=row["match__need__organization__structure_profile__vehicle"],
            )
        km_total += km
        km_by_vehicle[vehicle] += km
        totals["km_estimated_deliveries"] += int(estimated)
        structures.add(row["match__need__organization_id"])
        farms.add(row["match__offer__organization_id"])
    _add_harvests(territory, period, totals, months, families, structures, farms)
    totals["kg"] = _q(totals["kg"], GRAM)
    totals["eur"] = _q(totals["eur"], CENT)
    totals["donation_value_eur"] = _q(totals["donation_value_eur"], CENT)
    totals["solidarity_discount_eur"] = _q(totals["solidarity_discount_eur"], CENT)
    totals["household_eur"] = _q(totals["household_eur"], CENT)
    totals["labelled_kg"] = _q(totals["labelled_kg"], GRAM)
    totals["labelled_share"] = _q(100 * totals["labelled_kg"] / totals["kg"], TENTH) if totals["kg"] else None
    totals["km"] = _q(km_total, TENTH)
    totals["farms_involved"] = len(farms)
    totals["structures_served"] = len(structures)
    people = _people_of(structures)
    for family in families.values():
        served = family.pop("structure_ids")
        family["structures_served"] = len(served)
        family["people_reached"] = sum(people.get(pk, 0) for pk in served)
    return {
        "totals": totals,
        "by_month": [{**m, "kg": _q(m["kg"], GRAM), "eur": _q(m["eur"], CENT)} for _k, m in sorted(months.items())],
        "by_family": sorted(
            ({**f, "kg": _q(f["kg"], GRAM)} for f in families.values()), key=lambda f: (-f["kg"], f["label"])
        ),
        "by_label": sorted(({"label": k, "kg": _q(v, GRAM)} for k, v in labels.items()), key=lambda r: -r["kg"]),
        "km_by_vehicle": dict(km_by_vehicle),
        "structure_ids": structures,
        "farm_ids": farms,
        "people_reached": sum(people.values()),
    }


def _add_harvests(territory, period, totals, months, families, structures, farms) -> None:
    """Kilograms gleaned by the structures (``gleaned_kg``). A harvest recorded as a delivery is
    already counted with the deliveries; one that covered no need of the structure (it had none
    for the product) is added here, to the kilograms by month and family, its structure and farm
    served and involved, with no km (the volunteers' trips are not recorded)."""
    from logistics.selectors import harvests_in

    families_of = None
    for row in harvests_in(territory=territory, start=period.start, end=period.end):
        kg = row["quantity_kg"]
        totals["gleaned_kg"] += kg
        if row["delivery_id"] is not None:
            continue
        families_of = families_of or _families()
        code, label, _factors = families_of[row["day__offer__category_id"]]
        totals["gleaned_without_delivery"] += 1
        totals["gleaned_without_delivery_kg"] += kg
        totals["kg"] += kg
        first = row["day__date"].replace(day=1)
        month = months.setdefault(first, {"month": first, "deliveries": 0, "kg": ZERO, "eur": ZERO})
        month["kg"] += kg
        family = families.setdefault(code, {"code": code, "label": label, "kg": ZERO, "deliveries": 0})
        family["kg"] += kg
        structures.add(row["structure_id"])
        farms.add(row["day__offer__organization_id"])
    totals["gleaned_kg"] = _q(totals["gleaned_kg"], GRAM)
    totals["gleaned_without_delivery_kg"] = _q(totals["gleaned_without_delivery_kg"], GRAM)


def _impact(totals: dict, km_by_vehicle: dict, end: dt.date) -> dict:
    """Meals and CO₂e, each with the factor it was computed with."""
    meal = factor_on(Factor.Code.MEAL_KG, end)
    meals = None
    if meal is not None:
        meals = int(_q(totals["kg"] / meal.value, Decimal(1)))
    co2e, used = ZERO, []
    missing = False
    for code in (Factor.Code.CO2E_CAR, Factor.Code.CO2E_VAN):
        km = km_by_vehicle.get(code, 0.0)
        factor = factor_on(code, end)
        if factor is None:
            missing = missing or km > 0
            continue
        if km:
            co2e += Decimal(str(km)) * factor.value
        used.append({**factor_dict(factor), "km": _q(km, TENTH)})
    return {
        "meals": meals,
        "meal_factor": factor_dict(meal),
        "co2e_kg": None if missing else _q(co2e, TENTH),
        "co2e_factors": used,
    }


def _organizations(territory: Territory, period: Period, delivery_sides: set[int]) -> list[dict]:
    orgs = Organization.objects.filter(_in_territory("", territory)).order_by()
    registered = dict(
        orgs.filter(created_at__date__lte=period.end)
        .values("kind")
        .annotate(n=Count("id", distinct=True))
        .values_list("kind", "n")
    )
    new = dict(
        orgs.filter(created_at__date__range=(period.start, period.end))
        .values("kind")
        .annotate(n=Count("id", distinct=True))
        .values_list("kind", "n")
    )
    window = Q(created_at__date__range=(period.start, period.end))
    active_ids = set(
        Offer.objects.filter(window).exclude(status=Status.DRAFT).values_list("organization_id", flat=True)
    )
    active_ids |= set(
        Need.objects.filter(window).exclude(status=Status.DRAFT).values_list("organization_id", flat=True)
    )
    active_ids |= delivery_sides
    active = dict(
        orgs.filter(pk__in=active_ids).values("kind").annotate(n=Count("id", distinct=True)).values_list("kind", "n")
    )
    return [
        {
            "kind": kind,
            "label": str(label),
            "registered": registered.get(kind, 0),
            "new": new.get(kind, 0),
            "active": active.get(kind, 0),
        }
        for kind, label in Organization.Kind.choices
    ]


def _days(delta: dt.timedelta) -> float:
    return delta.total_seconds() / 86400


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def _listings_and_matches(territory: Territory, period: Period) -> dict:
    window = Q(created_at__date__range=(period.start, period.end))
    offers = (
        Offer.objects.filter(_in_territory("organization__", territory)).filter(window).exclude(status=Status.DRAFT)
    )
    needs = Need.objects.filter(_in_territory("organization__", territory)).filter(window).exclude(status=Status.DRAFT)
    matches = Match.objects.filter(_in_territory("need__organization__", territory))
    first_proposals = (
        needs.annotate(first=Min("matches__created_at")).exclude(first=None).values_list("created_at", "first")
    )
    confirmed = matches.filter(confirmed_at__date__range=(period.start, period.end)).values_list(
        "created_at", "confirmed_at"
    )
    delivered = matches.filter(
        delivered_at__date__range=(period.start, period.end), confirmed_at__isnull=False
    ).values_list("confirmed_at", "delivered_at")
    return {
        "offers_posted": offers.distinct().count(),
        "needs_posted": needs.distinct().count(),
        "matches_proposed": matches.filter(window).distinct().count(),
        "matches_accepted": matches.filter(confirmed_at__date__range=(period.start, period.end)).distinct().count(),
        "matches_delivered": matches.filter(delivery__delivered_on__range=(period.start, period.end))
        .distinct()
        .count(),
        "matches_declined": matches.filter(window, status=MS.DECLINED).distinct().count(),
        "response_days": {
            "posted_to_first_proposal": _median([_days(b - a) for a, b in first_proposals if b >= a]),
            "proposal_to_confirmed": _median([_days(b - a) for a, b in confirmed if b >= a]),
            "confirmed_to_delivered": _median([_days(b - a) for a, b in delivered if b >= a]),
        },
    }


def _needs_by_family(territory: Territory, period: Period) -> list[dict]:
    needs = (
        Need.objects.filter(_in_territory("organization__", territory))
        .filter(created_at__date__range=(period.start, period.end))
        .exclude(status__in=[Status.DRAFT, Status.WITHDRAWN])
    )
    covered = {
        pk: status == Status.FULLY_MATCHED or done >= asked
        for pk, status, done, asked in needs.values_list("pk", "status", "quantity_covered", "quantity")
    }
    if not covered:
        return []
    families_of = _families()
    pairs = Need.categories.through.objects.filter(need_id__in=needs.values("pk")).values_list(
        "need_id", "productcategory_id"
    )
    per_need: dict[int, set] = defaultdict(set)
    for need_id, category_id in pairs:
        code, label, _factors = families_of[category_id]
        per_need[need_id].add((code, label))
    families: dict[str, dict] = {}
    for need_id, need_families in per_need.items():
        for code, label in need_families:
            row = families.setdefault(code, {"code": code, "label": label, "needs": 0, "covered": 0})
            row["needs"] += 1
            row["covered"] += int(covered.get(need_id, False))
    for row in families.values():
        row["percent"] = round(100 * row["covered"] / row["needs"]) if row["needs"] else 0
    return sorted(families.values(), key=lambda r: (-r["needs"], r["label"]))


def _people_of(structure_ids: set[int]) -> dict[int, int]:
    """People served per week by each structure (its profile), one query."""
    from actors.models import StructureProfile

    if not structure_ids:
        return {}
    return {
        pk: n or 0
        for pk, n in StructureProfile.objects.filter(organization_id__in=structure_ids).values_list(
            "organization_id", "people_served_per_week"
        )
    }


def _meetings(territory: Territory, period: Period) -> dict:
    now = timezone.now()
    held = Meeting.objects.filter(
        territory=territory,
        starts_at__date__range=(period.start, period.end),
        starts_at__lte=now,
        cancelled_at__isnull=True,
    )
    kinds = dict(held.order_by().values("kind").annotate(n=Count("id")).values_list("kind", "n"))
    attended = dict(
        Registration.objects.filter(meeting__in=held, attended=True)
        .order_by()
        .values("actor_kind")
        .annotate(n=Count("id"))
        .values_list("actor_kind", "n")
    )
    decisions = [
        {"meeting": d.meeting.title, "date": timezone.localtime(d.meeting.starts_at).date(), "text": d.text}
        for d in Decision.objects.filter(meeting__in=held)
        .select_related("meeting")
        .order_by("meeting__starts_at", "id")
    ]
    actor_labels = dict(Registration.ActorKind.choices)
    return {
        "held": sum(kinds.values()),
        "by_kind": [
            {"kind": k, "label": str(label), "count": kinds[k]} for k, label in Meeting.Kind.choices if kinds.get(k)
        ],
        "participants": sum(attended.values()),
        "participants_by_actor_kind": [
            {"kind": k, "label": str(actor_labels.get(k, k)), "count": n} for k, n in sorted(attended.items())
        ],
        "decisions": decisions,
    }


#: The plan indicator units that deliveries measure, and the figure each one reads.
AUTO_UNITS = {
    "kg": ("kg", Decimal(1)),
    "kilo": ("kg", Decimal(1)),
    "kilos": ("kg", Decimal(1)),
    "kilogramme": ("kg", Decimal(1)),
    "kilogrammes": ("kg", Decimal(1)),
    "t": ("kg", Decimal("0.001")),
    "tonne": ("kg", Decimal("0.001")),
    "tonnes": ("kg", Decimal("0.001")),
    "€": ("eur", Decimal(1)),
    "eur": ("eur", Decimal(1)),
    "euro": ("eur", Decimal(1)),
    "euros": ("eur", Decimal(1)),
    "ferme": ("farms", Decimal(1)),
    "fermes": ("farms", Decimal(1)),
    "exploitation": ("farms", Decimal(1)),
    "exploitations": ("farms", Decimal(1)),
    "producteur": ("farms", Decimal(1)),
    "producteurs": ("farms", Decimal(1)),
    "farms": ("farms", Decimal(1)),
}


def auto_measure(unit: str) -> tuple[str, Decimal] | None:
    return AUTO_UNITS.get((unit or "").strip().lower().rstrip("."))


def _delivered_since(territory: Territory, start: dt.date, end: dt.date) -> dict:
    """What deliveries measured from ``start`` to ``end``, counted exactly as the period's figures."""
    totals = _delivery_figures(territory, Period(start, end, ""))["totals"]
    return {"kg": totals["kg"], "eur": totals["eur"], "farms": Decimal(totals["farms_involved"])}


def _action_plan(territory: Territory, period: Period) -> dict | None:
    from initiatives.models import ActionPlan, PlannedAction

    plan = ActionPlan.objects.filter(territory=territory).first()
    if plan is None:
        return None
    actions = list(
        plan.actions.filter(state=PlannedAction.State.SELECTED)
        .prefetch_related("steps", "indicators__values")
        .order_by("priority", "id")
    )
    status_labels = dict(PlannedAction.Status.choices)
    counts = dict.fromkeys(PlannedAction.Status.values, 0)
    rows = []
    measured: dict[dt.date, dict] = {}
    for action in actions:
        counts[action.status] += 1
        steps = list(action.steps.all())
        indicators = []
        for indicator in action.indicators.all():
            values = [v for v in indicator.values.all() if v.period_date <= period.end]
            last = max(values, key=lambda v: (v.period_date, v.id)) if values else None
            auto = auto_measure(indicator.unit)
            automatic = None
            if auto is not None:
                measure, scale = auto
                since = action.start_date or period.start
                if since <= period.end:
                    if since not in measured:
                        measured[since] = _delivered_since(territory, since, period.end)
                    automatic = _q(measured[since][measure] * scale, CENT)
            value = automatic if automatic is not None else (last.value if last else None)
            progress = None
            if value is not None and indicator.target_value:
                base = indicator.baseline_value or ZERO
                span = indicator.target_value - base
                progress = round(100 * (value - base) / span) if span else None
            indicators.append(
                {
                    "name": indicator.name,
                    "unit": indicator.unit,
                    "target": indicator.target_value,
                    "baseline": indicator.baseline_value,
                    "value": value,
                    "from_deliveries": automatic is not None,
                    "progress_percent": progress,
                }
            )
        rows.append(
            {
                "title": action.title,
                "priority": action.priority,
                "status": action.status,
                "status_label": str(status_labels[action.status]),
                "steps_done": sum(1 for s in steps if s.is_done),
                "steps": len(steps),
                "indicators": indicators,
            }
        )
    return {
        "title": plan.title,
        "status": plan.status,
        "status_label": plan.get_status_display(),
        "actions_by_status": [
            {"status": s, "label": str(status_labels[s]), "count": counts[s]} for s in PlannedAction.Status.values
        ],
        "actions": rows,
    }


def territory_indicators(*, principal, territory: Territory, period: Period) -> dict:
    """Every figure of one territory over one period (the principal must be of its team, or staff)."""
    require_readable(principal, territory)
    return compute(territory=territory, period=period)


def compute(*, territory: Territory, period: Period) -> dict:
    """The figures without the permission check: for callers that already checked it."""
    deliveries = _delivery_figures(territory, period)
    totals = deliveries["totals"]
    sides = set(deliveries["structure_ids"]) | set(deliveries["farm_ids"])
    fill_rates = offer_selectors.structure_fill_rates(territory=territory, date_from=period.start, date_to=period.end)
    return {
        "territory": {"id": territory.pk, "name": territory.name, "slug": territory.slug},
        "period": period,
        "computed_at": timezone.now(),
        "organizations": _organizations(territory, period, sides),
        "activity": _listings_and_matches(territory, period),
        "deliveries": totals,
        "impact": _impact(totals, deliveries["km_by_vehicle"], period.end),
        "by_month": deliveries["by_month"],
        "by_family": deliveries["by_family"],
        "by_label": deliveries["by_label"],
        "people_reached": deliveries["people_reached"],
        "needs_by_family": _needs_by_family(territory, period),
        "fill_rates": fill_rates,
        "meetings": _meetings(territory, period),
        "action_plan": _action_plan(territory, period),
    }


#: The figures a regional viewer compares across territories, in this order.
COMPARED = (
    ("deliveries", gettext_lazy("Livraisons")),
    ("kg", gettext_lazy("kg livrés")),
    ("eur", gettext_lazy("€ payés aux producteurs")),
    ("donation_value_eur", gettext_lazy("Valeur des dons (€)")),
    ("solidarity_discount_eur", gettext_lazy("Remises solidaires (€)")),
    ("km", gettext_lazy("km parcourus")),
    ("round_deliveries", gettext_lazy("Livraisons par une tournée mutualisée")),
    ("gleaned_kg", gettext_lazy("kg glanés")),
    ("farms_involved", gettext_lazy("Fermes impliquées")),
    ("structures_served", gettext_lazy("Structures servies")),
)


def territories_compare(*, principal, period: Period) -> list[dict]:
    """One row of key figures per territory the principal may read (a regional viewer: officer of
    several territories, or staff), for the same period."""
    rows = []
    for territory in readable_territories(principal):
        figures = _delivery_figures(territory, period)
        impact = _impact(figures["totals"], figures["km_by_vehicle"], period.end)
        rows.append(
            {
                "territory": {"id": territory.pk, "name": territory.name, "slug": territory.slug},
                **{key: figures["totals"][key] for key, _label in COMPARED},
                "meals": impact["meals"],
                "co2e_kg": impact["co2e_kg"],
                "people_reached": figures["people_reached"],
            }
        )
    return rows
