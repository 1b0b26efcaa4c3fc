"""Service-side adapter between the database and the pure matching engine.

``feed_load`` reads the open offers and needs of a territory (or of a few offers, for a
cascade) with a handful of queries (``values()``, no model instances) and turns them into
engine inputs: category ancestors and the variants a need accepts, the mass of each unit
(``offers.quantities``), what is still available once confirmed and in-progress matches are
set aside, each structure's people served, kilogram-equivalents received over the
territory's rolling window and budget left this month, and the pairs never to propose
again. ``feed_write`` upserts the engine's proposals in one transaction.
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Q, Sum

from actors.models import StructureProfile
from offers import events
from offers.matching import NeedInput, OfferInput, Proposal, StructureInput
from offers.models import OPEN_STATUSES, Match, Need, Offer
from offers.quantities import convert, need_kg_per_unit, offer_kg_per_unit
from offers.reasons import as_dicts
from offers.selectors import received_kg
from offers.services import budget
from products.models import ProductCategory
from products.units import UnsafeConversion

logger = logging.getLogger(__name__)

MS = Match.MatchStatus
#: Matches not yet reserved but holding quantity for a person's decision.
LIVE_UNRESERVED = (MS.PROPOSED, MS.ACCEPTED_FARM, MS.ACCEPTED_STRUCTURE)
#: Statuses a run may rewrite, provided no person has acted and the engine made them.
REWRITABLE_STATUSES = (MS.PROPOSED, MS.WITHDRAWN)
#: Matches whose goods reached, or will reach, the structure: what it has received.
RECEIVED_STATUSES = (MS.CONFIRMED, MS.SCHEDULED, MS.DELIVERED, MS.CLOSED)
DEFAULT_WINDOW_DAYS = 30
THOUSANDTH = Decimal("0.001")


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


# --- Categories -------------------------------------------------------------------------


class Categories:
    """The taxonomy in memory (a few dozen rows): ancestors, descendants, variants, factors."""

    def __init__(self):
        self.rows = {c.pk: c for c in ProductCategory.objects.all()}
        self.children: dict[int, list[int]] = defaultdict(list)
        self.variants: dict[int, list[int]] = defaultdict(list)
        for c in self.rows.values():
            if c.parent_id:
                self.children[c.parent_id].append(c.pk)
            if c.variant_of_id:
                self.variants[c.variant_of_id].append(c.pk)

    def ancestors(self, category_id: int) -> tuple[int, ...]:
        chain, cur = [], category_id
        while cur is not None and cur not in chain and cur in self.rows:
            chain.append(cur)
            cur = self.rows[cur].parent_id
        return tuple(chain) or (category_id,)

    def closure(self, ids) -> set[int]:
        """The categories and all their sub-categories."""
        out, todo = set(), list(ids)
        while todo:
            cid = todo.pop()
            if cid in out:
                continue
            out.add(cid)
            todo.extend(self.children.get(cid, ()))
        return out

    def accepted(self, ids) -> set[int]:
        """What a need for `ids` accepts: them, their sub-categories, and the frozen or
        processed variants of any of those (with their own sub-categories)."""
        variants = {v for cid in self.closure(ids) for v in self.variants.get(cid, ())}
        return set(ids) | variants

    def need_mass(self, unit: str, ids) -> Decimal | None:
        return need_kg_per_unit(unit, [self.rows[c] for c in self.closure(ids) if c in self.rows])

    def offer_mass(self, category_id: int, unit: str, crate_kg) -> Decimal | None:
        category = self.rows.get(category_id)
        return offer_kg_per_unit(category, unit, crate_kg) if category is not None else None


# --- Loading ----------------------------------------------------------------------------


@dataclass
class Feed:
    offers: list[OfferInput]
    needs: list[NeedInput]
    structures: list[StructureInput]
    excluded_pairs: set[tuple[int, int]]
    #: offer id → (unit, price per unit, organization id, kg per unit) to write proposals back.
    offer_meta: dict[int, tuple[str, Decimal | None, int, Decimal | None]] = field(default_factory=dict)
    need_org: dict[int, int] = field(default_factory=dict)
    skipped: int = 0


def _f(value) -> float:
    return float(value) if value is not None else 0.0


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
    "pack_size",
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
    "budget_eur",
    "has_fridge",
    "chilled_capacity_kg",
    "has_freezer",
    "frozen_capacity_kg",
    "pickup_radius_km",
    "has_vehicle",
    "distribution_days",
    "preferred_labels",
    "urgency",
    "frequency",
    "organization__structure_profile__id",
    "organization__structure_profile__has_fridge",
    "organization__structure_profile__chilled_capacity_kg",
    "organization__structure_profile__has_freezer",
    "organization__structure_profile__frozen_capacity_kg",
    "organization__structure_profile__pickup_radius_km",
    "organization__structure_profile__vehicle",
    "organization__structure_profile__gleaning_volunteers",
    "organization__structure_profile__distribution_days",
    "organization__structure_profile__distribution_hours",
)
PROFILE = "organization__structure_profile__"


def _means(r: dict) -> dict:
    """The need's means: its own overrides, else its structure's profile as it is now."""
    has_profile = r[PROFILE + "id"] is not None
    profile = {
        "has_fridge": bool(r[PROFILE + "has_fridge"]),
        "chilled_capacity_kg": r[PROFILE + "chilled_capacity_kg"] or 0,
        "has_freezer": bool(r[PROFILE + "has_freezer"]),
        "frozen_capacity_kg": r[PROFILE + "frozen_capacity_kg"] or 0,
        "pickup_radius_km": r[PROFILE + "pickup_radius_km"] or 0,
        "has_vehicle": has_profile and r[PROFILE + "vehicle"] != "none",
        "distribution_days": r[PROFILE + "distribution_days"] or [],
    }
    return {name: (r[name] if r[name] is not None else value) for name, value in profile.items()}


def open_offers(scope: Scope, today: date):
    return scope.offers().filter(status__in=OPEN_STATUSES, window_end__gte=today, organization__is_active=True)


def open_needs(scope: Scope, today: date):
    return scope.needs().filter(status__in=OPEN_STATUSES, window_end__gte=today, organization__is_active=True)


def _structures(organization_ids, *, today: date, window_days: int) -> list[StructureInput]:
    ids = sorted(set(organization_ids))
    if not ids:
        return []
    profiles = dict(
        StructureProfile.objects.filter(organization_id__in=ids).values_list(
            "organization_id", "people_served_per_week"
        )
    )
    received = received_kg(organization_ids=ids, since=today - timedelta(days=window_days))
    left = budget.budget_remaining_many(organization_ids=ids, month=today)
    return [
        StructureInput(
            id=org,
            people_served_per_week=profiles.get(org) or 0,
            received_kg=float(received.get(org) or 0),
            budget_eur=float(left[org]) if left.get(org) is not None else None,
        )
        for org in ids
    ]


def _held(matches, offer_mass, need_mass_of, need_unit_of) -> dict[int, Decimal]:
    """Quantities held on each need by `matches`, in the need's unit (what converts)."""
    held: dict[int, Decimal] = defaultdict(Decimal)
    for need_id, category_id, unit, crate_kg, total in matches:
        try:
            held[need_id] += convert(
                total or 0,
                from_unit=unit,
                from_kg=offer_mass(category_id, unit, crate_kg),
                to_unit=need_unit_of[need_id],
                to_kg=need_mass_of[need_id],
            )
        except UnsafeConversion:
            continue
    return held


def feed_load(*, scope: Scope, today: date, window_days: int = DEFAULT_WINDOW_DAYS) -> Feed:
    """Engine inputs for a scope, in about a dozen queries whatever its size."""
    offers_qs = open_offers(scope, today)
    needs_qs = open_needs(scope, today)
    return _load(
        offer_rows=list(offers_qs.values(*OFFER_FIELDS)),
        need_rows=list(needs_qs.values(*NEED_FIELDS)),
        offer_ids_qs=offers_qs.values("id"),
        need_ids_qs=needs_qs.values("id"),
        rewritable=scope.rewritable_q(),
        today=today,
        window_days=window_days,
    )


def _load(*, offer_rows, need_rows, offer_ids_qs, need_ids_qs, rewritable, today, window_days) -> Feed:
    categories = Categories()
    need_categories: dict[int, set[int]] = defaultdict(set)
    for need_id, category_id in Need.categories.through.objects.filter(need_id__in=need_ids_qs).values_list(
        "need_id", "productcategory_id"
    ):
        need_categories[need_id].add(category_id)
    need_mass = {r["id"]: categories.need_mass(r["unit"], need_categories.get(r["id"], ())) for r in need_rows}
    need_unit = {r["id"]: r["unit"] for r in need_rows}

    # Quantities held by live matches this run does not rewrite (a person acted, or
    # outside the scope): what the engine may still hand out is what remains.
    held_offer: dict[int, Decimal] = defaultdict(Decimal)
    for offer_id, total in (
        Match.objects.filter(offer_id__in=offer_ids_qs, status__in=LIVE_UNRESERVED)
        .exclude(rewritable)
        .values("offer_id")
        .annotate(total=Sum("quantity"))
        .values_list("offer_id", "total")
    ):
        held_offer[offer_id] = total or Decimal(0)
    held_need = _held(
        Match.objects.filter(need_id__in=need_ids_qs, status__in=LIVE_UNRESERVED)
        .exclude(rewritable)
        .values("need_id", "offer__category_id", "offer__unit", "offer__crate_kg")
        .annotate(total=Sum("quantity"))
        .values_list("need_id", "offer__category_id", "offer__unit", "offer__crate_kg", "total"),
        categories.offer_mass,
        need_mass,
        need_unit,
    )
    spent_need = budget.need_spent_many(need_ids=[r["id"] for r in need_rows if r["budget_eur"] is not None])
    excluded = set(
        Match.objects.filter(offer_id__in=offer_ids_qs).exclude(rewritable).values_list("offer_id", "need_id")
    )

    feed = Feed(offers=[], needs=[], structures=[], excluded_pairs=excluded)
    for r in offer_rows:
        available = r["quantity"] - r["quantity_reserved"] - held_offer.get(r["id"], 0)
        if available <= 0 or r["organization__latitude"] is None:
            feed.skipped += 1
            continue
        mass = categories.offer_mass(r["category_id"], r["unit"], r["crate_kg"])
        try:
            offer_input = _offer_input(r, categories, available, mass)
        except ValueError as error:  # a row the engine refuses must not sink the whole run
            logger.warning("offer %s left out of matching: %s", r["id"], error)
            feed.skipped += 1
            continue
        feed.offer_meta[r["id"]] = (r["unit"], r["price_per_unit"], r["organization_id"], mass)
        feed.offers.append(offer_input)
    for r in need_rows:
        open_quantity = r["quantity"] - r["quantity_covered"] - held_need.get(r["id"], 0)
        accepted = need_categories.get(r["id"])
        if open_quantity <= 0 or not accepted or r["organization__latitude"] is None:
            feed.skipped += 1
            continue
        budget_left = None
        if r["budget_eur"] is not None:
            budget_left = max(Decimal(0), r["budget_eur"] - spent_need.get(r["id"], Decimal(0)))
        try:
            need_input = _need_input(r, categories.accepted(accepted), open_quantity, need_mass[r["id"]], budget_left)
        except ValueError as error:
            logger.warning("need %s left out of matching: %s", r["id"], error)
            feed.skipped += 1
            continue
        feed.need_org[r["id"]] = r["organization_id"]
        feed.needs.append(need_input)
    feed.structures = _structures(feed.need_org.values(), today=today, window_days=window_days)
    return feed


def _offer_input(r: dict, categories: Categories, available: Decimal, mass: Decimal | None) -> OfferInput:
    price, usual = r["price_per_unit"], r["usual_price_per_unit"]
    return OfferInput(
        id=r["id"],
        organization_id=r["organization_id"],
        category_id=r["category_id"],
        category_ancestors=categories.ancestors(r["category_id"]),
        lat=r["organization__latitude"],
        lon=r["organization__longitude"],
        quantity=float(available),
        unit=r["unit"],
        kg_per_unit=1.0 if r["unit"] == "kg" else (float(mass) if mass is not None else None),
        min_quantity=float(r["min_quantity"] or 0),
        window_start=r["window_start"],
        window_end=r["window_end"],
        use_by=r["use_by"],
        storage=r["storage"],
        pricing=r["pricing"],
        price_per_unit=float(price) if price is not None else None,
        usual_price_per_unit=float(usual) if usual is not None else None,
        logistics=frozenset(x for x in (r["logistics"] or []) if isinstance(x, str)),
        delivery_radius_km=_f(r["delivery_radius_km"]),
        labels=frozenset(str(x) for x in (r["labels"] or [])),
        recurrence=r["recurrence"],
        shelf_life_days=r["category__shelf_life_days"],
        pack_size=float(r["pack_size"] or 0),
    )


def _weekdays(values) -> frozenset[int]:
    return frozenset(int(v) for v in (values or []) if isinstance(v, int | str) and str(v).isdecimal() and int(v) < 7)


def _need_input(r: dict, categories, open_quantity: Decimal, mass: Decimal | None, budget_left) -> NeedInput:
    max_price = r["max_price_per_unit"]
    means = _means(r)
    return NeedInput(
        id=r["id"],
        organization_id=r["organization_id"],
        category_ids=frozenset(categories),
        lat=r["organization__latitude"],
        lon=r["organization__longitude"],
        quantity=float(max(Decimal(0), open_quantity)),
        unit=r["unit"],
        kg_per_unit=1.0 if r["unit"] == "kg" else (float(mass) if mass is not None else None),
        window_start=r["window_start"],
        window_end=r["window_end"],
        accepts_purchase=r["accepted_pricing"] == Need.AcceptedPricing.PURCHASE,
        max_price_per_unit=float(max_price) if max_price is not None else None,
        budget_eur=float(budget_left) if budget_left is not None else None,
        has_fridge=means["has_fridge"],
        chilled_capacity_kg=float(means["chilled_capacity_kg"] or 0),
        has_freezer=means["has_freezer"],
        frozen_capacity_kg=float(means["frozen_capacity_kg"] or 0),
        pickup_radius_km=_f(means["pickup_radius_km"]),
        has_vehicle=means["has_vehicle"],
        gleaning_volunteers=r["organization__structure_profile__gleaning_volunteers"] or 0,
        preferred_labels=frozenset(str(x) for x in (r["preferred_labels"] or [])),
        urgency=r["urgency"] if r["urgency"] in (1, 2, 3) else 2,
        frequency=r["frequency"] if r["frequency"] in ("once", "weekly", "monthly") else "monthly",
        distribution_days=_weekdays(means["distribution_days"]),
        distribution_hours=r["organization__structure_profile__distribution_hours"] or "",
    )


def need_inputs(*, need: Need, scope: Scope, today: date, window_days: int = DEFAULT_WINDOW_DAYS) -> Feed:
    """Engine inputs for one need against every open offer of its territory (near-misses)."""
    offers_qs = open_offers(scope, today)
    return _load(
        offer_rows=list(offers_qs.values(*OFFER_FIELDS)),
        need_rows=list(Need.objects.filter(pk=need.pk).values(*NEED_FIELDS)),
        offer_ids_qs=offers_qs.values("id"),
        need_ids_qs=Need.objects.filter(pk=need.pk).values("id"),
        rewritable=scope.rewritable_q(),
        today=today,
        window_days=window_days,
    )


# --- One pair, for hand-made proposals and a structure's requests --------------------------


def pair_inputs(
    *, offer: Offer, need: Need, today: date, window_days: int = DEFAULT_WINDOW_DAYS
) -> tuple[OfferInput | None, NeedInput | None, list[StructureInput]]:
    """Engine inputs for one offer and one need as they stand: what is left once confirmed
    matches are set aside (matches still waiting for an answer hold nothing here: the farm
    chooses among them); None for a side with nothing left."""
    feed = _load(
        offer_rows=list(Offer.objects.filter(pk=offer.pk).values(*OFFER_FIELDS)),
        need_rows=list(Need.objects.filter(pk=need.pk).values(*NEED_FIELDS)),
        offer_ids_qs=Offer.objects.filter(pk=offer.pk).values("id"),
        need_ids_qs=Need.objects.filter(pk=need.pk).values("id"),
        rewritable=Q(status__in=(*LIVE_UNRESERVED, MS.WITHDRAWN)),
        today=today,
        window_days=window_days,
    )
    return (feed.offers[0] if feed.offers else None), (feed.needs[0] if feed.needs else None), feed.structures


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


def proposal_values(p: Proposal, *, unit: str, price: Decimal | None) -> dict:
    """A match's fields from an engine proposal."""
    return {
        "quantity": Decimal(str(p.quantity)).quantize(THOUSANDTH),
        "unit": unit,
        "score": max(0, min(100, int(p.score))),
        "distance_km": Decimal(str(round(p.distance_km, 1))),
        "mode": p.mode,
        "reasons": as_dicts(p.reasons),
        "components": {k: (v if math.isfinite(v) else 0.0) for k, v in p.components.items()},
        "price_per_unit": price,
        "quantity_kg": Decimal(str(p.quantity_kg)).quantize(THOUSANDTH) if p.quantity_kg is not None else None,
        "proposed_for": p.delivery_date,
    }


COMPARED = ("quantity", "score", "distance_km", "mode", "reasons", "price_per_unit", "quantity_kg", "proposed_for")


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
        to_create, to_update, revived_pairs = [], [], []
        for p in proposals:
            meta = feed.offer_meta.get(p.offer_id)
            if meta is None:
                result.skipped += 1
                continue
            values = proposal_values(p, unit=meta[0], price=meta[1])
            if values["quantity"] <= 0:
                result.skipped += 1
                continue
            pair = (p.offer_id, p.need_id)
            proposed_pairs.add(pair)
            match = existing.get(pair)
            if match is None:
                to_create.append(Match(offer_id=p.offer_id, need_id=p.need_id, run=run, **values))
                result.new_pairs_orgs.append((meta[2], feed.need_org.get(p.need_id)))
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
                result.new_pairs_orgs.append((meta[2], feed.need_org.get(p.need_id)))
                revived_pairs.append(pair)
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
        if to_create or revived_pairs:
            events.matches_proposed(run, {(m.offer_id, m.need_id) for m in to_create} | set(revived_pairs))
        if before_commit:
            before_commit()
    return result
