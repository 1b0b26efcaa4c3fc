"""A territory's indicators and its COPIL report on a year of deliveries.

    python bench/indicators/run.py                     # 5,000 deliveries in a year
    python bench/indicators/run.py --deliveries 20000
    python bench/indicators/run.py --deliveries 50 --fill-only   # does it start and fill?

It uses its own PostgreSQL database (``miam_indicators_bench`` by default, created if missing),
migrates it, loads the communes of Saône-et-Loire, makes the Clunisois territory with 60 farms and
20 food-aid structures on their town halls (so many deliveries are same-commune estimates), and
bulk-creates the deliveries over 2026 (offers, needs, matches, deliveries; mixed units, prices and
labels). A fifth of the deliveries were carried by pooled rounds (five lots a round, on the
vehicles of a logistics organization, vans and cars: each delivery counts its share of its round's
km), and there is a gleaning day for every 50 deliveries (two harvests each: one recorded as the
delivery of a need, one outside any need), so the round shares and the gleaned kilograms are
measured on volume too. Then it times, best of three: the year's figures, one quarter's, the
comparison across territories, the PDF, the XLSX and the officer's dashboard (all time). Not part
of the test suite.

It runs with DEBUG off, as production does, and sets a throwaway ``SECRET_KEY`` for itself (the
settings refuse to start without one; as ``bench/api/run.py`` does), unless the environment gives
one. A database filled by an earlier version (no rounds nor gleaning days) gets them added.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/miam_indicators_bench")
    parser.add_argument("--deliveries", type=int, default=5_000)
    parser.add_argument("--fill-only", action="store_true", help="fill the database, time nothing")
    return parser.parse_args()


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def best_of(fn, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def fill(n: int) -> None:
    import datetime as dt
    from decimal import Decimal

    from django.utils import timezone

    from actors.models import EPCI, Commune, FarmProfile, Organization, StructureProfile, Territory
    from offers.models import Delivery, Match, Need, Offer
    from products.models import ProductCategory

    territory, _created = Territory.objects.get_or_create(slug="bench-clunisois", defaults={"name": "Bench Clunisois"})
    communes = list(Commune.objects.filter(epci__in=EPCI.objects.filter(code="200040293")))
    territory.communes.set(communes)
    if Delivery.objects.filter(match__need__organization__commune__territories=territory).count() >= n:
        return
    rng = random.Random(42)
    farms = [
        Organization(kind="farm", name=f"Ferme {i}", commune=c, latitude=c.latitude, longitude=c.longitude)
        for i, c in enumerate(rng.choices(communes, k=60))
    ]
    structures = [
        Organization(kind="food_aid", name=f"Structure {i}", commune=c, latitude=c.latitude, longitude=c.longitude)
        for i, c in enumerate(rng.choices(communes, k=20))
    ]
    for org in farms + structures:
        org.save()
    FarmProfile.objects.bulk_create([FarmProfile(organization=f, vehicle=rng.choice(["van", "none"])) for f in farms])
    StructureProfile.objects.bulk_create(
        [
            StructureProfile(organization=s, structure_type="epicerie", people_served_per_week=rng.randint(20, 300))
            for s in structures
        ]
    )
    eggs, potatoes, apples = (ProductCategory.objects.get(code=c) for c in ("hen-eggs", "potatoes", "apples-pears"))
    today = timezone.localdate()
    offers, needs = [], []
    for _i in range(n):
        category, unit = rng.choice([(eggs, "dozen"), (potatoes, "kg"), (apples, "kg")])
        pricing = rng.choice(["donation", "solidarity", "market"])
        offers.append(
            Offer(
                organization=rng.choice(farms),
                category=category,
                product_name="p",
                quantity=100,
                unit=unit,
                window_start=today,
                window_end=today,
                pricing=pricing,
                price_per_unit=None if pricing == "donation" else Decimal("1.00"),
                usual_price_per_unit=Decimal("1.50"),
                labels=rng.choice([[], ["AB"]]),
                status="fully_matched",
            )
        )
        needs.append(
            Need(
                organization=rng.choice(structures),
                title="n",
                quantity=100,
                unit=unit,
                window_start=today,
                window_end=today,
                status="fully_matched",
            )
        )
    Offer.objects.bulk_create(offers, batch_size=2000)
    Need.objects.bulk_create(needs, batch_size=2000)
    matches = [
        Match(
            offer=o,
            need=nd,
            quantity=10,
            unit=o.unit,
            status="delivered",
            price_per_unit=o.price_per_unit,
            confirmed_at=timezone.now(),
            delivered_at=timezone.now(),
        )
        for o, nd in zip(offers, needs, strict=True)
    ]
    Match.objects.bulk_create(matches, batch_size=2000)
    deliveries = []
    for m in matches:
        day = dt.date(2026, 1, 1) + dt.timedelta(days=rng.randrange(365))
        kg = Decimal("6.960") if m.unit == "dozen" else Decimal(10)
        deliveries.append(
            Delivery(
                match=m,
                delivered_on=day,
                mode=rng.choice(["delivery", "pickup"]),
                quantity_received=10,
                unit=m.unit,
                quantity_kg=kg,
                amount_paid_eur=(m.price_per_unit or 0) * 10,
            )
        )
    Delivery.objects.bulk_create(deliveries, batch_size=2000)


#: Lots a pooled round carries, the share of deliveries rounds carried, deliveries per gleaning day.
ROUND_LOTS = 5
ROUND_SHARE = 5
DELIVERIES_PER_GLEANING = 50


def _round_stops(round_, lots, depot) -> list:
    """A round's stops: the depot, a pick-up at each lot's farm, a delivery at each lot's
    structure (the kilograms of its delivery), the depot."""
    import datetime as dt

    from logistics.models import Stop

    places = [("start", None, None, 0, depot)]
    for d in lots:
        farm = d.match.offer.organization
        places.append(("pickup", farm, d.match, d.quantity_kg or 0, (farm.latitude, farm.longitude)))
    for d in lots:
        structure = d.match.need.organization
        places.append(("delivery", structure, d.match, d.quantity_kg or 0, (structure.latitude, structure.longitude)))
    places.append(("end", None, None, 0, depot))
    return [
        Stop(
            round=round_,
            position=position,
            kind=kind,
            organization=organization,
            match=match,
            latitude=point[0],
            longitude=point[1],
            arrives_at=dt.time(8, 0),
            quantity_kg=kg,
        )
        for position, (kind, organization, match, kg, point) in enumerate(places, start=1)
    ]


def fill_logistics(n: int) -> None:
    """Pooled rounds over a fifth of the territory's deliveries (stops on their matches) and
    gleaning days with their harvests, once (a database filled before has them added)."""
    import datetime as dt
    from decimal import Decimal

    from django.utils import timezone

    from actors.models import Organization, Territory
    from logistics.models import GleaningDay, GleaningHarvest, Round, Stop, Vehicle
    from offers.models import Delivery, Match, Need, Offer
    from products.models import ProductCategory

    territory = Territory.objects.get(slug="bench-clunisois")
    if Round.objects.filter(territory=territory).exists():
        return
    rng = random.Random(7)
    in_territory = Organization.objects.filter(commune__territories=territory).distinct().order_by("id")
    farms = list(in_territory.filter(kind="farm"))
    structures = list(in_territory.filter(kind="food_aid"))
    home = farms[0].commune
    carrier = Organization.objects.create(
        kind="logistics", name="Bench logistique", commune=home, latitude=home.latitude, longitude=home.longitude
    )
    vehicles = [
        Vehicle.objects.create(organization=carrier, name=f"Véhicule {i}", kind=kind, capacity_kg=800)
        for i, kind in enumerate(["van", "van", "car"])
    ]

    # Rounds: every fifth delivery, grouped by day, five lots a round.
    deliveries = list(
        Delivery.objects.filter(match__need__organization__commune__territories=territory)
        .exclude(mode="gleaning")
        .select_related("match__offer__organization", "match__need__organization")
        .order_by("delivered_on", "id")
    )
    by_day: dict = {}
    for delivery in deliveries[::ROUND_SHARE]:
        by_day.setdefault(delivery.delivered_on, []).append(delivery)
    rounds, stops = [], []
    for day, carried in by_day.items():
        for start in range(0, len(carried), ROUND_LOTS):
            lots = carried[start : start + ROUND_LOTS]
            rounds.append(
                (
                    Round(
                        territory=territory,
                        day=day,
                        vehicle=rng.choice(vehicles),
                        status="done",
                        starts_at=dt.time(8, 0),
                        ends_at=dt.time(12, 0),
                        distance_km=Decimal(rng.randint(15, 90)),
                        duration_min=240,
                        max_load_kg=sum((d.quantity_kg or 0) for d in lots),
                    ),
                    lots,
                )
            )
    Round.objects.bulk_create([r for r, _lots in rounds], batch_size=2000)
    depot = (carrier.latitude, carrier.longitude)
    for round_, lots in rounds:
        stops.extend(_round_stops(round_, lots, depot))
    Stop.objects.bulk_create(stops, batch_size=5000)

    # Gleaning days: one harvest recorded as the delivery of a need, one outside any need.
    potatoes = ProductCategory.objects.get(code="potatoes")
    today = timezone.localdate()
    days = max(1, n // DELIVERIES_PER_GLEANING)
    for i in range(days):
        farm = rng.choice(farms)
        date = dt.date(2026, 1, 1) + dt.timedelta(days=rng.randrange(365))
        offer = Offer.objects.create(
            organization=farm,
            category=potatoes,
            product_name="glanage",
            quantity=500,
            unit="kg",
            window_start=today,
            window_end=today,
            pricing="donation",
            logistics=["gleaning"],
            status="partly_matched",
        )
        day = GleaningDay.objects.create(
            offer=offer,
            place=f"Parcelle {i}",
            commune=farm.commune,
            latitude=farm.latitude,
            longitude=farm.longitude,
            date=date,
            starts_at=dt.time(9, 0),
            ends_at=dt.time(17, 0),
            status="done",
        )
        with_need, without = rng.sample(structures, 2)
        kg = Decimal(rng.randint(20, 200))
        need = Need.objects.create(
            organization=with_need,
            title="glanage",
            quantity=500,
            unit="kg",
            window_start=today,
            window_end=today,
            status="partly_matched",
        )
        match = Match.objects.create(
            offer=offer,
            need=need,
            quantity=kg,
            unit="kg",
            quantity_kg=kg,
            mode="gleaning",
            origin="gleaning",
            status="delivered",
            delivered_at=timezone.now(),
        )
        delivery = Delivery.objects.create(
            match=match,
            delivered_on=date,
            mode="gleaning",
            quantity_received=kg,
            unit="kg",
            quantity_kg=kg,
            amount_paid_eur=0,
        )
        GleaningHarvest.objects.create(day=day, structure=with_need, quantity_kg=kg, delivery=delivery)
        GleaningHarvest.objects.create(day=day, structure=without, quantity_kg=Decimal(rng.randint(10, 80)))


def main() -> None:
    args = parse_args()
    ensure_database(args.database_url)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "miam.settings")
    # DEBUG off, as in production: the settings then need a real key (nothing here is signed for
    # anyone else, so a throwaway one does).
    os.environ.setdefault("DEBUG", "0")
    os.environ.setdefault("SECRET_KEY", "bench-not-secret-" + "x" * 40)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from actors.models import Commune

    if not Commune.objects.filter(insee_code="71137").exists():
        from actors.reference import load_reference

        load_reference(departements=["71"])
    fill(args.deliveries)
    fill_logistics(args.deliveries)

    from actors.models import Territory, User
    from indicators import report, selectors
    from indicators.periods import period_parse
    from offers import indicators as dashboard

    territory = Territory.objects.get(slug="bench-clunisois")
    staff = User.objects.filter(is_staff=True).first() or User.objects.create_user("bench@example.org", is_staff=True)
    year, quarter = period_parse("2026"), period_parse("2026-Q3")
    data = selectors.compute(territory=territory, period=year)
    totals = data["deliveries"]
    print(
        f"{totals['deliveries']} deliveries in 2026, {totals['kg']} kg, "
        f"{totals['km_estimated_deliveries']} same-commune estimates, {totals['round_deliveries']} carried by "
        f"pooled rounds, {totals['gleaned_kg']} kg gleaned ({totals['gleaned_without_delivery']} harvests "
        "outside any need)"
    )
    if args.fill_only:
        return
    rows = [
        ("figures, year", best_of(lambda: selectors.compute(territory=territory, period=year))),
        ("figures, quarter", best_of(lambda: selectors.compute(territory=territory, period=quarter))),
        ("compare territories, year", best_of(lambda: selectors.territories_compare(principal=staff, period=year))),
        ("PDF of the year", best_of(lambda: report.report_pdf(data), runs=2)),
        ("XLSX of the year", best_of(lambda: __import__("miam.exports").exports.to_xlsx(report.report_export(data)))),
        ("officer's dashboard figures, all time", best_of(lambda: dashboard.territory_indicators(territory=territory))),
    ]
    print("| step | best of 3 (s) |\n| --- | ---: |")
    for name, seconds in rows:
        print(f"| {name} | {seconds:.2f} |")


if __name__ == "__main__":
    main()
