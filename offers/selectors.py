"""Reads on offers, needs and matches shared by pages, the API and jobs.

Visibility in one place: drafts are seen only by those who may edit their organization;
exact coordinates only by those who may see an organization's private fields (others
get the commune's town-hall point: ``actors.selectors.annotate_public_point``).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, QuerySet, Sum

from actors.models import Organization, StructureProfile, Territory
from actors.permissions import (
    editable_organizations,
    is_staff,
    member_organization_ids,
    viewer_territory_ids,
)
from actors.selectors import annotate_public_point
from miam.errors import DomainError
from miam.refcache import ProcessCache
from offers.matching import Params
from offers.models import OPEN_STATUSES, Delivery, Match, Need, Offer, Status
from products.models import ProductCategory
from products.selectors import category_ids, taxonomy

#: The product taxonomy, kept in each process (``miam.refcache``): every list filtered by
#: category reads it.
TAXONOMY = ProcessCache("taxonomy", taxonomy, models=[ProductCategory])


def listing_category_ids(values, *, with_parents: bool = False) -> tuple[list[int], list[str]]:
    """``products.selectors.category_ids`` on the taxonomy in memory, read again once when a
    value is not in it (a category created a moment ago in another process)."""
    ids, unknown = category_ids(values, with_parents=with_parents, known=TAXONOMY.get())
    if unknown:
        ids, unknown = category_ids(values, with_parents=with_parents, known=TAXONOMY.get(fresh=True))
    return ids, unknown


def _editable_ids(principal) -> QuerySet | None:
    if not getattr(principal, "is_authenticated", False):
        return None
    return editable_organizations(principal).values("id")


def offers_visible_to(principal) -> QuerySet[Offer]:
    """Every offer but drafts, plus the drafts of organizations the principal edits."""
    qs = Offer.objects.all()
    if is_staff(principal):
        return qs
    editable = _editable_ids(principal)
    if editable is None:
        return qs.exclude(status=Status.DRAFT)
    return qs.filter(~Q(status=Status.DRAFT) | Q(organization_id__in=editable))


def needs_visible_to(principal) -> QuerySet[Need]:
    qs = Need.objects.all()
    if is_staff(principal):
        return qs
    editable = _editable_ids(principal)
    if editable is None:
        return qs.exclude(status=Status.DRAFT)
    return qs.filter(~Q(status=Status.DRAFT) | Q(organization_id__in=editable))


def matches_visible_to(principal) -> QuerySet[Match]:
    """Matches concern two organizations: their members, their territory's team, staff."""
    qs = Match.objects.all()
    if not getattr(principal, "is_authenticated", False):
        return qs.none()
    if is_staff(principal):
        return qs
    condition = Q(pk__in=[])
    org_ids = sorted(member_organization_ids(principal))
    if org_ids:
        condition |= Q(offer__organization_id__in=org_ids) | Q(need__organization_id__in=org_ids)
    territory_ids = viewer_territory_ids(principal)
    if territory_ids:
        in_territories = Organization.objects.filter(commune__territories__in=territory_ids).values("id")
        condition |= Q(offer__organization_id__in=in_territories) | Q(need__organization_id__in=in_territories)
    return qs.filter(condition)


logger = logging.getLogger(__name__)

# A commune's outline is a polygon: never load it (nor long texts) just to name a commune.
HEAVY_ORGANIZATION_FIELDS = ("organization__commune__outline", "organization__description")


def shared_view(principal) -> str | None:
    """ "visitor" or "staff" when what ``principal`` may see of the offers and needs
    (``offers_visible_to``, ``needs_visible_to``, ``annotate_public_point``) takes nothing of
    theirs, so that one query serves them all (built once per process by the API's list and
    layers); None for members and API keys, whose view depends on their organizations."""
    if is_staff(principal):
        return "staff"
    if not getattr(principal, "is_authenticated", False):
        return "visitor"
    return None


def offers_with_public_point(*, principal) -> QuerySet[Offer]:
    """The offers the principal may see, with the public point of their organization: what
    the API reads as plain rows (``offers.api.offers.offer_rows`` names the columns, so no
    ``select_related``: every list request built and compiled it for nothing)."""
    return annotate_public_point(offers_visible_to(principal), principal)


def offer_list(*, principal) -> QuerySet[Offer]:
    """The same offers as model instances, their organization, commune and category in the
    same query (tests/offers/test_api_offer_rows.py checks the API's rows against them)."""
    return (
        offers_with_public_point(principal=principal)
        .select_related("organization", "organization__commune", "category", "category__parent")
        .defer(*HEAVY_ORGANIZATION_FIELDS)
    )


def need_list(*, principal) -> QuerySet[Need]:
    qs = needs_visible_to(principal).select_related(
        "organization", "organization__commune", "organization__structure_profile"
    )
    qs = qs.defer(*HEAVY_ORGANIZATION_FIELDS)
    return annotate_public_point(qs, principal).prefetch_related("categories")


def match_list(*, principal) -> QuerySet[Match]:
    return matches_visible_to(principal).select_related(
        "offer", "offer__organization", "offer__category", "need", "need__organization"
    )


def organization_open_listings(*, organization, user=None, limit: int = 50) -> dict:
    """The open offers and needs an organization's page lists (a section of ``actors``' page)."""
    return {
        "offers": list(organization.offers.filter(status__in=OPEN_STATUSES).select_related("category")[:limit]),
        "needs": list(organization.needs.filter(status__in=OPEN_STATUSES)[:limit]),
    }


# --- What structures received, and their fair share -----------------------------------------

#: Keys of ``Territory.matching_weights`` that set fairness rather than a score weight.
FAIRNESS_STRENGTH, FAIRNESS_WINDOW = "fairness_strength", "fairness_window_days"
FAIRNESS_WINDOW_RANGE = (7, 366)


def fairness_settings(territory: Territory | None) -> tuple[float, int]:
    """(strength, rolling window in days) of a territory: its matching weights' settings,
    or the engine's defaults (docs/fairness.md)."""
    defaults = Params(today=dt.date.today())
    strength, window = defaults.fairness_strength, defaults.fairness_window_days
    custom = (territory.matching_weights or {}) if territory is not None else {}
    try:
        value = float(custom.get(FAIRNESS_STRENGTH, strength))
        if 0 <= value <= 100:
            strength = value
        days = int(custom.get(FAIRNESS_WINDOW, window))
        if FAIRNESS_WINDOW_RANGE[0] <= days <= FAIRNESS_WINDOW_RANGE[1]:
            window = days
    except (TypeError, ValueError):
        logger.warning("territory %s: invalid fairness settings %r, defaults used", territory.pk, custom)
    return strength, window


def fill_rates_period(territory: Territory, date_from: dt.date | None, date_to: dt.date | None):
    """The period asked, or the territory's rolling window up to today."""
    from django.utils import timezone
    from django.utils.translation import gettext as _

    _strength, window = fairness_settings(territory)
    date_to = date_to or timezone.localdate()
    date_from = date_from or date_to - dt.timedelta(days=window)
    if date_from > date_to:
        raise DomainError("invalid", _("La période est à l'envers."), fields={"date_from": _("Après la date de fin.")})
    return date_from, date_to


MS = Match.MatchStatus


def received_kg(*, organization_ids, since: dt.date, until: dt.date | None = None) -> dict[int, Decimal]:
    """Kilogram-equivalents each structure received from `since` (to `until`, included):
    deliveries on the day they were received, confirmed matches not yet delivered on the day
    they were confirmed (their goods are on their way). Two queries."""
    out: dict[int, Decimal] = defaultdict(Decimal)
    deliveries = Delivery.objects.filter(match__need__organization_id__in=organization_ids, delivered_on__gte=since)
    pending = Match.objects.filter(
        need__organization_id__in=organization_ids,
        status__in=(MS.CONFIRMED, MS.SCHEDULED),
        confirmed_at__date__gte=since,
    )
    if until is not None:
        deliveries = deliveries.filter(delivered_on__lte=until)
        pending = pending.filter(confirmed_at__date__lte=until)
    for org, total in (
        deliveries.values("match__need__organization_id")
        .annotate(total=Sum("quantity_kg"))
        .values_list("match__need__organization_id", "total")
    ):
        out[org] += total or Decimal(0)
    for org, total in (
        pending.values("need__organization_id")
        .annotate(total=Sum("quantity_kg"))
        .values_list("need__organization_id", "total")
    ):
        out[org] += total or Decimal(0)
    return dict(out)


@dataclass(frozen=True)
class FillRate:
    """One structure over a period: what it received against its fair share."""

    organization_id: int
    name: str
    commune: str
    people_served_per_week: int
    received_kg: Decimal
    entitlement_kg: Decimal | None  # None when it declares nobody served
    fill_rate: float | None  # received / entitlement

    def as_dict(self) -> dict:
        return {
            "organization": self.organization_id,
            "name": self.name,
            "commune": self.commune,
            "people_served_per_week": self.people_served_per_week,
            "received_kg": str(self.received_kg),
            "entitlement_kg": str(self.entitlement_kg) if self.entitlement_kg is not None else None,
            "fill_rate": round(self.fill_rate, 4) if self.fill_rate is not None else None,
        }


def structure_fill_rates(*, territory: Territory, date_from: dt.date, date_to: dt.date) -> list[FillRate]:
    """The food-aid structures of a territory over [date_from, date_to], least served first.

    Received: kilogram-equivalents delivered, or confirmed and on their way (``received_kg``).
    Entitlement: the structure's share of what all the territory's structures received, in
    proportion to the people it serves per week. Fill rate: received ÷ entitlement, so 1 is
    exactly its fair share (docs/fairness.md). Three queries."""
    structures = list(
        Organization.objects.filter(commune__territories=territory, kind=Organization.Kind.FOOD_AID, is_active=True)
        .select_related("commune")
        .only("id", "name", "commune__name")
        .distinct()
    )
    ids = [o.pk for o in structures]
    people = dict(
        StructureProfile.objects.filter(organization_id__in=ids).values_list(
            "organization_id", "people_served_per_week"
        )
    )
    received = received_kg(organization_ids=ids, since=date_from, until=date_to)
    total_kg = sum(received.values(), Decimal(0))
    total_people = sum(people.get(org, 0) or 0 for org in ids)
    rows = []
    for org in structures:
        served = people.get(org.pk) or 0
        got = received.get(org.pk, Decimal(0)).quantize(Decimal("0.001"))
        entitlement = None
        rate = None
        if served > 0 and total_people > 0:
            entitlement = (total_kg * served / total_people).quantize(Decimal("0.001"))
            rate = float(got / entitlement) if entitlement > 0 else None
        rows.append(FillRate(org.pk, org.name, org.commune.name, served, got, entitlement, rate))
    # Least served first: lowest fill rate, then more people; those without a share last.
    rows.sort(key=lambda r: (r.fill_rate is None, r.fill_rate or 0.0, -r.people_served_per_week, r.name))
    return rows
