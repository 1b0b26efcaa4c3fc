"""Demo offers, needs and matches for the pilot PATs (called by ``manage.py seed_demo``).

Farms post what their productions give at this season, structures post what they lack,
matching runs per territory, and a few matches are carried to delivery so that the
dashboards have figures. All of it goes through the services. Dates are relative to
today, everything else is drawn from the seeded generator: two runs on the same day give
the same demo.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction

from actors.demo import CROIX_ROUGE_ARBOIS
from actors.models import Organization, User
from offers import inputs
from offers.models import Match, Offer
from offers.services import listings, matches, runs
from products.models import ProductCategory

# category code → (quantity range, usual price € per unit)
PRODUCE = {
    "potatoes": ((80, 400), "1.20"),
    "leafy-vegetables": ((10, 60), "4.50"),
    "root-vegetables": ((40, 200), "2.20"),
    "fruiting-vegetables": ((30, 150), "3.20"),
    "cabbages": ((30, 150), "2.00"),
    "squashes": ((50, 250), "2.00"),
    "apples-pears": ((60, 300), "2.20"),
    "stone-fruits": ((20, 100), "4.00"),
    "juices": ((30, 120), "3.50"),
    "jams": ((10, 40), "9.00"),
    "hen-eggs": ((10, 60), "4.00"),
    "poultry": ((10, 40), "10.00"),
    "milk": ((50, 200), "1.10"),
    "cheese": ((5, 30), "16.00"),
    "yoghurt": ((60, 300), "0.60"),
    "butter-cream": ((5, 20), "12.00"),
    "beef": ((15, 60), "11.80"),
    "frozen-meat": ((10, 40), "11.00"),
    "lamb": ((10, 30), "15.00"),
    "pork": ((15, 60), "9.00"),
    "charcuterie": ((5, 20), "18.00"),
    "honey-jars": ((5, 30), "14.00"),
    "flour": ((20, 100), "2.20"),
    "bread": ((10, 40), "4.50"),
    "cereals": ((100, 400), "0.60"),
    "pulses": ((30, 150), "3.50"),
}
NEED_FAMILIES = [
    ("Légumes frais pour la distribution", ["vegetables"], (80, 300), "kg"),
    ("Fruits de saison", ["fruits"], (50, 200), "kg"),
    ("Lait pour les familles", ["milk"], (40, 150), "l"),
    ("Fromages et beurre", ["cheese", "butter-cream"], (10, 40), "kg"),
    ("Viande pour les colis", ["meat"], (20, 80), "kg"),
    ("Œufs", ["eggs"], (20, 60), "dozen"),
    ("Légumes et pommes de terre", ["vegetables"], (100, 400), "kg"),
    ("Yaourts", ["yoghurt"], (100, 300), "piece"),
]


def _offer_post(*, by, organization, **values):
    """An offer posted as any door posts it: its input parsed, then the service."""
    return listings.offer_create(by=by, organization=organization, data=inputs.offer_data(values))


def _need_post(*, by, organization, **values):
    return listings.need_create(by=by, organization=organization, data=inputs.need_data(values))


def _offer_for(farm: Organization, admin: User, rng, today: dt.date) -> Offer | None:
    profile = farm.farm_profile
    codes = [c.code for c in profile.productions.all() if c.code in PRODUCE]
    if not codes:
        return None
    code = rng.choice(codes)
    (low, high), usual = PRODUCE[code]
    category = ProductCategory.objects.get(code=code)
    quantity = Decimal(rng.randrange(low, high))
    options = [
        p
        for p, ok in (
            ("donation", profile.accepts_donation),
            ("solidarity", profile.accepts_solidarity_price),
            ("market", profile.accepts_market_price),
        )
        if ok
    ] or ["solidarity"]
    pricing = rng.choice(options)
    usual_price = Decimal(usual)
    price = None
    if pricing == "solidarity":
        price = (usual_price * Decimal(rng.choice(["0.85", "0.88", "0.90", "0.92"]))).quantize(Decimal("0.01"))
    elif pricing == "market":
        price = usual_price
    logistics = ["pickup"]
    if profile.delivery_radius_km > 0:
        logistics.insert(0, "delivery")
    if category.parent.code == "vegetables" and rng.random() < 0.25:
        logistics.append("gleaning")
    start = today + dt.timedelta(days=rng.randrange(0, 5))
    return _offer_post(
        by=admin,
        organization=farm,
        category=category,
        product_name=category.name,
        quantity=quantity,
        unit=category.default_unit,
        window_start=start,
        window_end=start + dt.timedelta(days=rng.choice([7, 14, 21])),
        pricing=pricing,
        price_per_unit=price,
        usual_price_per_unit=usual_price if pricing == "solidarity" else None,
        labels=profile.labels,
        logistics=logistics,
        delivery_radius_km=profile.delivery_radius_km if "delivery" in logistics else None,
        recurrence=rng.choice(["once", "once", "weekly"]),
    )


def _need_for(structure: Organization, admin: User, rng, today: dt.date):
    title, families, (low, high), unit = rng.choice(NEED_FAMILIES)
    profile = structure.structure_profile
    buys = profile.monthly_budget_eur > 0
    start = today + dt.timedelta(days=rng.randrange(0, 4))
    return _need_post(
        by=admin,
        organization=structure,
        categories=list(ProductCategory.objects.filter(code__in=families)),
        title=title,
        quantity=Decimal(rng.randrange(low, high)),
        unit=unit,
        window_start=start,
        window_end=start + dt.timedelta(days=rng.choice([14, 21, 28])),
        accepted_pricing="purchase" if buys else "donation_only",
        budget_eur=profile.monthly_budget_eur if buys else None,
        frequency=rng.choice(["once", "weekly"]),
        urgency=rng.choice([1, 2, 2, 3]),
    )


def _germigney_case(admin: User, today: dt.date) -> None:
    """The booklet's case: beef at 10,80 €/kg instead of 11,80 €/kg for the Croix-Rouge in Arbois.

    Price, portions and distribution days are the booklet's; quantities, dates, lot and reach are the
    demo's. The booklet gives the farm no label, so the offer has none.
    """
    farm = Organization.objects.get(name="Ferme de Germigney")
    grocery = Organization.objects.get(name=CROIX_ROUGE_ARBOIS)
    beef = ProductCategory.objects.get(code="beef")
    offer = _offer_post(
        by=admin,
        organization=farm,
        category=beef,
        product_name="Bœuf bourguignon de génisse, portions de 500 g et 1 kg",
        quantity=Decimal(40),
        unit="kg",
        window_start=today,
        window_end=today + dt.timedelta(days=10),
        pricing="solidarity",
        price_per_unit=Decimal("10.80"),
        usual_price_per_unit=Decimal("11.80"),
        labels=[],
        logistics=["delivery"],
        delivery_radius_km=Decimal(25),
        recurrence="monthly",
        lot_number="GER-2026-11",
        use_by=today + dt.timedelta(days=9),
    )
    need = _need_post(
        by=admin,
        organization=grocery,
        categories=[ProductCategory.objects.get(code="meat")],
        title="Viande locale pour les distributions du mardi et du jeudi",
        quantity=Decimal(25),
        unit="kg",
        window_start=today,
        window_end=today + dt.timedelta(days=14),
        accepted_pricing="purchase",
        max_price_per_unit=Decimal("11.00"),
        budget_eur=Decimal(400),
        frequency="monthly",
        urgency=2,
    )
    return offer, need


@transaction.atomic
def seed(context: dict) -> str:
    territories = context["territories"]
    if Offer.objects.filter(organization__commune__territories__in=territories).exists():
        return "Offres et besoins de démonstration : déjà présents."
    rng = context["rng"]
    admin = User.objects.get(email="admin@demo.miam.fr")
    today = dt.date.today()
    offers = needs = 0
    for territory in territories:
        farms = Organization.objects.filter(kind="farm", commune__territories=territory).order_by("id")
        structures = Organization.objects.filter(kind="food_aid", commune__territories=territory).order_by("id")
        for farm in farms.select_related("farm_profile").prefetch_related("farm_profile__productions"):
            if farm.name != "Ferme de Germigney" and rng.random() < 0.7 and _offer_for(farm, admin, rng, today):
                offers += 1
        for structure in structures.select_related("structure_profile"):
            if structure.name == CROIX_ROUGE_ARBOIS:
                continue
            for _ in range(2):
                _need_for(structure, admin, rng, today)
                needs += 1
    beef, grocery_need = _germigney_case(admin, today)
    delivered = 0
    for territory in territories:
        runs.matching_run(territory_id=territory.id, trigger="manual", today=today)
        # Carry the two best proposals of each territory to delivery, so dashboards have figures
        # (but leave the booklet's case for the demo logins to play).
        best = (
            Match.objects.filter(need__organization__commune__territories=territory, status="proposed")
            .exclude(need__organization=grocery_need.organization)
            .exclude(offer__organization=beef.organization)
        )
        for match in list(best.order_by("-score", "id")[:2]):
            match = matches.match_accept(match=match, by=admin)
            matches.match_confirm_delivery(match=match, by=admin, quantity_received=match.quantity, delivered_on=today)
            delivered += 1
    if not Match.objects.filter(offer=beef, need=grocery_need).exists():
        # What the PAT officer of Cœur du Jura did by hand in the booklet's story.
        matches.match_propose_manual(by=admin, offer=beef, need=grocery_need, quantity=Decimal(25))
    proposals = Match.objects.filter(need__organization__commune__territories__in=territories).count()
    return (
        f"Offres et besoins de démonstration : {offers + 1} offres, {needs + 1} besoins, "
        f"{proposals} mises en relation dont {delivered} livrées."
    )
