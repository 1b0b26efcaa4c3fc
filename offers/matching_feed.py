"""Service-side adapter between the database and the pure matching engine.

``feed_load`` reads the open offers and needs of a territory (or of a few offers, for a
cascade) with a handful of queries (``values()``, no model instances) and turns them into
engine inputs: category ancestors, quantities converted to one unit per kind (crates to
kg), what is still available once confirmed and in-progress matches are set aside, the
structures' fairness data, the pair history and the pairs never to propose again.
``feed_write`` upserts the engine's proposals in one transaction.
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q, Sum

from offers.matching import NeedInput, OfferInput, Proposal
from offers.models import OPEN_STATUSES, Delivery, Match, Need, Offer
from products.models import ProductCategory, Unit

logger = logging.getLogger(__name__)

MS = Match.MatchStatus
#: Matches not yet reserved but holding quantity for a person's decision.
LIVE_UNRESERVED = (MS.PROPOSED, MS.ACCEPTED_FARM, MS.ACCEPTED_STRUCTURE)
#: Statuses a run may rewrite, provided no person has acted and the engine made them.
REWRITABLE_STATUSES = (MS.PROPOSED, MS.WITHDRAWN)
FAIRNESS_DAYS = 90
THOUSANDTH = Decimal("0.001")


def default_crate_kg() -> Decimal:
    return Decimal(str(settings.MATCHING_DEFAULT_CRATE_KG))


# --- Units ------------------------------------------------------------------------------


def base_unit(unit: str) -> str:
    """The unit the engine compares in: crates are weighed in kg."""
    return Unit.KG if unit == Unit.CRATE else unit


def to_base(quantity, unit: str, crate_kg=None) -> Decimal:
    quantity = Decimal(quantity)
    if unit == Unit.CRATE:
        return quantity * Decimal(crate_kg or default_crate_kg())
    return quantity


def from_base(quantity, unit: str, crate_kg=None) -> Decimal:
    """Back to ``unit``, rounded down to the thousandth (never more than computed)."""
    quantity = Decimal(str(quantity))
    if unit == Unit.CRATE:
        quantity = quantity / Decimal(crate_kg or default_crate_kg())
    return quantity.quantize(THOUSANDTH, rounding=ROUND_DOWN)


def kg_equivalent(quantity, unit: str, crate_kg=None) -> Decimal | None:
    """Mass of a quantity when it is known (1 l taken as 1 kg); None for pieces and dozens."""
    if unit in (Unit.KG, Unit.LITRE, Unit.CRATE):
        return to_base(quantity, unit, crate_kg).quantize(THOUSANDTH)
    return None


def convert(quantity, *, from_unit: str, from_crate_kg=None, to_unit: str, to_crate_kg=None) -> Decimal:
    return from_base(to_base(quantity, from_unit, from_crate_kg), to_unit, to_crate_kg)


# --- Scope ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """What a run reads and may rewrite: a whole territory, or some offers (cascade)."""

    territory_id: int
    offer_ids: tuple[int, ...] | None = None

    def offers(self):
        qs = Offer.objects.filter(organization__commune__territories=self.territory_id)
        if self.offer_ids is not None:
            qs = Offer.objects.filter(id__in=self.offer_ids)
        return qs

    def needs(self):
        return Need.objects.filter(organization__commune__territories=self.territory_id)

    def rewritable_q(self) -> Q:
        """Untouched engine proposals this run owns: it updates, keeps or withdraws them."""
        q = Q(status__in=REWRITABLE_STATUSES, acted_by_person=False, origin=Match.Origin.ENGINE)
        if self.offer_ids is not None:
            return q & Q(offer_id__in=self.offer_ids)
        return (
            q
            & Q(offer__organization__commune__territories=self.territory_id)
            & Q(need__organization__commune__territories=self.territory_id)
        )


def untouched_q() -> Q:
    return Q(status__in=REWRITABLE_STATUSES, acted_by_person=False, origin=Match.Origin.ENGINE)


# --- Loading ----------------------------------------------------------------------------


@dataclass
class Feed:
    offers: list[OfferInput]
    needs: list[NeedInput]
    history: dict[tuple[int, int], int]
    excluded_pairs: set[tuple[int, int]]
    #: offer id → (unit, crate_kg, price per unit, organization id) to write proposals back.
    offer_meta: dict[int, tuple[str, Decimal | None, Decimal | None, int]] = field(default_factory=dict)
    need_org: dict[int, int] = field(default_factory=dict)
    skipped: int = 0


def _f(value) -> float:
    return float(value) if value is not None else 0.0


def category_ancestors() -> dict[int, tuple[int, ...]]:
    parents = dict(ProductCategory.objects.values_list("id", "parent_id"))
    out = {}
    for cid in parents:
        chain, cur = [], cid
        while cur is not None and cur not in chain:
            chain.append(cur)
            cur = parents.get(cur)
        out[cid] = tuple(chain)
    return out


OFFER_FIELDS = (
    "id",
    "organization_id",
    "category_id",
    "organization__latitude",
    "organization__longitude",
    "quantity",
    "quantity_reserved",
    "unit",
    "crate_kg",
    "min_quantity",
    "window_start",
    "window_end",
    "use_by",
    "storage",
    "pricing",
    "price_per_unit",
    "usual_price_per_unit",
    "logistics",
    "delivery_radius_km",
    "labels",
    "recurrence",
    "category__shelf_life_days",
)
NEED_FIELDS = (
    "id",
    "organization_id",
    "organization__latitude",
    "organization__longitude",
    "quantity",
    "quantity_covered",
    "unit",
    "window_start",
    "window_end",
    "accepted_pricing",
    "max_price_per_unit",
    "has_fridge",
    "chilled_capacity_kg",
    "has_freezer",
    "frozen_capacity_kg",
    "pickup_radius_km",
    "has_vehicle",
    "preferred_labels",
    "urgency",
    "frequency",
    "organization__structure_profile__people_served_per_week",
    "organization__structure_profile__gleaning_volunteers",
)


def open_offers(scope: Scope, today: date):
    return scope.offers().filter(status__in=OPEN_STATUSES, window_end__gte=today, organization__is_active=True)


def open_needs(scope: Scope, today: date):
    return scope.needs().filter(status__in=OPEN_STATUSES, window_end__gte=today, organization__is_active=True)


def feed_load(*, scope: Scope, today: date) -> Feed:
    """Engine inputs for a scope, in about ten queries whatever its size."""
    offers_qs = open_offers(scope, today)
    needs_qs = open_needs(scope, today)
    offer_rows = list(offers_qs.values(*OFFER_FIELDS))
    need_rows = list(needs_qs.values(*NEED_FIELDS))
    offer_ids_qs = offers_qs.values("id")
    need_ids_qs = needs_qs.values("id")

    ancestors = category_ancestors()
    need_categories: dict[int, set[int]] = defaultdict(set)
    for need_id, category_id in Need.categories.through.objects.filter(need_id__in=need_ids_qs).values_list(
        "need_id", "productcategory_id"
    ):
        need_categories[need_id].add(category_id)

    # Quantities held by live matches this run does not rewrite (a person acted, or
    # outside the scope): what the engine may still hand out is what remains.
    rewritable = scope.rewritable_q()
    held_offer: dict[int, Decimal] = defaultdict(Decimal)
    for offer_id, total in (
        Match.objects.filter(offer_id__in=offer_ids_qs, status__in=LIVE_UNRESERVED)
        .exclude(rewritable)
        .values("offer_id")
        .annotate(total=Sum("quantity"))
        .values_list("offer_id", "total")
    ):
        held_offer[offer_id] = total or Decimal(0)
    held_need: dict[int, Decimal] = defaultdict(Decimal)  # in the need's base unit
    for need_id, unit, crate_kg, total in (
        Match.objects.filter(need_id__in=need_ids_qs, status__in=LIVE_UNRESERVED)
        .exclude(rewritable)
        .values("need_id", "offer__unit", "offer__crate_kg")
        .annotate(total=Sum("quantity"))
        .values_list("need_id", "offer__unit", "offer__crate_kg", "total")
    ):
        held_need[need_id] += to_base(total or 0, unit, crate_kg)

    since = today - timedelta(days=FAIRNESS_DAYS)
    received = dict(
        Delivery.objects.filter(
            delivered_on__gte=since, match__need__organization_id__in=needs_qs.values("organization_id")
        )
        .values("match__need__organization_id")
        .annotate(total=Sum("quantity_kg"))
        .values_list("match__need__organization_id", "total")
    )
    history = {
        (farm, structure): count
        for farm, structure, count in Delivery.objects.filter(
            match__need__organization_id__in=needs_qs.values("organization_id")
        )
        .values("match__offer__organization_id", "match__need__organization_id")
        .annotate(count=Count("id"))
        .values_list("match__offer__organization_id", "match__need__organization_id", "count")
    }
    excluded = set(
        Match.objects.filter(offer_id__in=offer_ids_qs).exclude(rewritable).values_list("offer_id", "need_id")
    )

    feed = Feed(offers=[], needs=[], history=history, excluded_pairs=excluded)
    weeks = FAIRNESS_DAYS / 7
    for r in offer_rows:
        available = r["quantity"] - r["quantity_reserved"] - held_offer.get(r["id"], 0)
        if available <= 0 or r["organization__latitude"] is None:
            feed.skipped += 1
            continue
        try:
            offer_input = _offer_input(r, ancestors, available)
        except ValueError as error:  # a row the engine refuses must not sink the whole run
            logger.warning("offer %s left out of matching: %s", r["id"], error)
            feed.skipped += 1
            continue
        feed.offer_meta[r["id"]] = (r["unit"], r["crate_kg"], r["price_per_unit"], r["organization_id"])
        feed.offers.append(offer_input)
    for r in need_rows:
        open_base = to_base(r["quantity"] - r["quantity_covered"], r["unit"]) - held_need.get(r["id"], 0)
        categories = need_categories.get(r["id"])
        if open_base <= 0 or not categories or r["organization__latitude"] is None:
            feed.skipped += 1
            continue
        # Weekly average over the period, so that it compares with people served per week.
        received_weekly = float(received.get(r["organization_id"]) or 0) / weeks
        try:
            need_input = _need_input(r, categories, open_base, received_weekly)
        except ValueError as error:
            logger.warning("need %s left out of matching: %s", r["id"], error)
            feed.skipped += 1
            continue
        feed.need_org[r["id"]] = r["organization_id"]
        feed.needs.append(need_input)
    return feed


def _offer_input(r: dict, ancestors: dict, available: Decimal) -> OfferInput:
    unit, crate_kg = r["unit"], r["crate_kg"]
    factor = to_base(1, unit, crate_kg)  # base units per offer unit
    price, usual = r["price_per_unit"], r["usual_price_per_unit"]
    return OfferInput(
        id=r["id"],
        organization_id=r["organization_id"],
        category_id=r["category_id"],
        category_ancestors=ancestors.get(r["category_id"], (r["category_id"],)),
        lat=r["organization__latitude"],
        lon=r["organization__longitude"],
        quantity=float(to_base(available, unit, crate_kg)),
        unit=base_unit(unit),
        min_quantity=float(to_base(r["min_quantity"], unit, crate_kg)),
        window_start=r["window_start"],
        window_end=r["window_end"],
        use_by=r["use_by"],
        storage=r["storage"],
        pricing=r["pricing"],
        price_per_unit=float(price / factor) if price is not None else None,
        usual_price_per_unit=float(usual / factor) if usual is not None else None,
        logistics=frozenset(x for x in (r["logistics"] or []) if isinstance(x, str)),
        delivery_radius_km=_f(r["delivery_radius_km"]),
        labels=frozenset(str(x) for x in (r["labels"] or [])),
        recurrence=r["recurrence"],
        shelf_life_days=r["category__shelf_life_days"],
    )


def _need_input(r: dict, categories, open_base: Decimal, received_weekly: float) -> NeedInput:
    max_price = r["max_price_per_unit"]
    if max_price is not None and r["unit"] == Unit.CRATE:
        max_price = max_price / default_crate_kg()
    return NeedInput(
        id=r["id"],
        organization_id=r["organization_id"],
        category_ids=frozenset(categories),
        lat=r["organization__latitude"],
        lon=r["organization__longitude"],
        quantity=float(max(Decimal(0), open_base)),
        unit=base_unit(r["unit"]),
        window_start=r["window_start"],
        window_end=r["window_end"],
        accepts_purchase=r["accepted_pricing"] == Need.AcceptedPricing.PURCHASE,
        max_price_per_unit=float(max_price) if max_price is not None else None,
        has_fridge=r["has_fridge"],
        chilled_capacity_kg=float(r["chilled_capacity_kg"] or 0),
        has_freezer=r["has_freezer"],
        frozen_capacity_kg=float(r["frozen_capacity_kg"] or 0),
        pickup_radius_km=_f(r["pickup_radius_km"]),
        has_vehicle=r["has_vehicle"],
        gleaning_volunteers=r["organization__structure_profile__gleaning_volunteers"] or 0,
        preferred_labels=frozenset(str(x) for x in (r["preferred_labels"] or [])),
        urgency=r["urgency"] if r["urgency"] in (1, 2, 3) else 2,
        frequency=r["frequency"] if r["frequency"] in ("once", "weekly", "monthly") else "monthly",
        people_served_per_week=r["organization__structure_profile__people_served_per_week"] or 0,
        received_quantity_recent=received_weekly,
    )


# --- One pair, for officers' hand-made proposals ----------------------------------------


def pair_inputs(*, offer: Offer, need: Need) -> tuple[OfferInput, NeedInput]:
    """Engine inputs for one offer and one need as they stand (what remains of each)."""
    o = Offer.objects.filter(pk=offer.pk).values(*OFFER_FIELDS).get()
    n = Need.objects.filter(pk=need.pk).values(*NEED_FIELDS).get()
    categories = set(need.categories.values_list("id", flat=True))
    available = max(Decimal(0), o["quantity"] - o["quantity_reserved"])
    open_base = to_base(n["quantity"] - n["quantity_covered"], n["unit"])
    return _offer_input(o, category_ancestors(), available), _need_input(n, categories, open_base, 0.0)


# --- Writing ----------------------------------------------------------------------------


@dataclass
class WriteResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    withdrawn: int = 0
    skipped: int = 0
    #: (offer organization id, need organization id) of each new or revived proposal.
    new_pairs_orgs: list[tuple[int, int]] = field(default_factory=list)


def _match_values(p: Proposal, meta) -> dict:
    unit, crate_kg, price, _org = meta
    return {
        "quantity": from_base(p.quantity, unit, crate_kg),
        "unit": unit,
        "score": max(0, min(100, int(p.score))),
        "distance_km": Decimal(str(round(p.distance_km, 1))),
        "mode": p.mode,
        "explanation": p.explanation[:2000],
        "components": {k: (v if math.isfinite(v) else 0.0) for k, v in p.components.items()},
        "price_per_unit": price,
    }


COMPARED = ("quantity", "score", "distance_km", "mode", "explanation", "price_per_unit")


def feed_write(*, scope: Scope, feed: Feed, proposals, run, before_commit=None) -> WriteResult:
    """Upsert proposals: one row per pair, untouched proposals updated or withdrawn,
    never a match a person acted on. All or nothing."""
    result = WriteResult()
    with transaction.atomic():
        existing = {
            (m.offer_id, m.need_id): m
            for m in Match.objects.select_for_update()
            .filter(scope.rewritable_q())
            .only(*COMPARED, "offer", "need", "status", "components", "unit", "run")
        }
        proposed_pairs = set()
        to_create, to_update = [], []
        for p in proposals:
            meta = feed.offer_meta.get(p.offer_id)
            if meta is None:
                result.skipped += 1
                continue
            values = _match_values(p, meta)
            if values["quantity"] <= 0:
                result.skipped += 1
                continue
            pair = (p.offer_id, p.need_id)
            proposed_pairs.add(pair)
            match = existing.get(pair)
            if match is None:
                to_create.append(Match(offer_id=p.offer_id, need_id=p.need_id, run=run, **values))
                result.new_pairs_orgs.append((meta[3], feed.need_org.get(p.need_id)))
                continue
            revived = match.status != MS.PROPOSED
            if not revived and all(getattr(match, k) == values[k] for k in COMPARED):
                result.unchanged += 1
                continue
            for k, v in values.items():
                setattr(match, k, v)
            match.status = MS.PROPOSED
            match.run = run
            to_update.append(match)
            if revived:
                result.new_pairs_orgs.append((meta[3], feed.need_org.get(p.need_id)))
        stale = [m.pk for pair, m in existing.items() if pair not in proposed_pairs and m.status == MS.PROPOSED]
        if stale:
            for start in range(0, len(stale), 5000):
                Match.objects.filter(pk__in=stale[start : start + 5000]).update(status=MS.WITHDRAWN, run=run)
            result.withdrawn = len(stale)
        if to_update:
            Match.objects.bulk_update(to_update, [*COMPARED, "unit", "components", "status", "run"], batch_size=2000)
            result.updated = len(to_update)
        if to_create:
            # A pair a person acted on while we computed keeps its row: the conflict is ignored.
            Match.objects.bulk_create(to_create, batch_size=5000, ignore_conflicts=True)
            result.created = len(to_create)
        if before_commit:
            before_commit()
    return result
