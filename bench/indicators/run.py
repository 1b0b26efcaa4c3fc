"""A territory's indicators and its COPIL report on a year of deliveries.

    python bench/indicators/run.py                     # 5,000 deliveries in a year
    python bench/indicators/run.py --deliveries 20000

It uses its own PostgreSQL database (``miam_indicators_bench`` by default, created if missing),
migrates it, loads the communes of Saône-et-Loire, makes the Clunisois territory with 60 farms and
20 food-aid structures on their town halls (so many deliveries are same-commune estimates), and
bulk-creates the deliveries over 2026 (offers, needs, matches, deliveries; mixed units, prices and
labels). Then it times, best of three: the year's figures, one quarter's, the comparison across
territories, the PDF, the XLSX and the officer's dashboard (all time). Not part of the test suite.
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


def main() -> None:
    args = parse_args()
    ensure_database(args.database_url)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "miam.settings")
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

    from actors.models import Territory, User
    from indicators import report, selectors
    from indicators.periods import period_parse
    from offers import indicators as dashboard

    territory = Territory.objects.get(slug="bench-clunisois")
    staff = User.objects.filter(is_staff=True).first() or User.objects.create_user("bench@example.org", is_staff=True)
    year, quarter = period_parse("2026"), period_parse("2026-Q3")
    data = selectors.compute(territory=territory, period=year)
    rows = [
        ("figures, year", best_of(lambda: selectors.compute(territory=territory, period=year))),
        ("figures, quarter", best_of(lambda: selectors.compute(territory=territory, period=quarter))),
        ("compare territories, year", best_of(lambda: selectors.territories_compare(principal=staff, period=year))),
        ("PDF of the year", best_of(lambda: report.report_pdf(data), runs=2)),
        ("XLSX of the year", best_of(lambda: __import__("miam.exports").exports.to_xlsx(report.report_export(data)))),
        ("officer's dashboard figures, all time", best_of(lambda: dashboard.territory_indicators(territory=territory))),
    ]
    print(
        f"{data['deliveries']['deliveries']} deliveries in 2026, {data['deliveries']['kg']} kg, "
        f"{data['deliveries']['km_estimated_deliveries']} same-commune estimates"
    )
    print("| step | best of 3 (s) |\n| --- | ---: |")
    for name, seconds in rows:
        print(f"| {name} | {seconds:.2f} |")


if __name__ == "__main__":
    main()
