"""How long the costs that grow with an agreement's length take: starting a three-year weekly
agreement with three structures (writing its ~470 occurrences as matches), recording a month of
deliveries (each consuming a funding line under its row lock), a month's statement in CSV and
PDF, and ending the agreement (removing its future occurrences).

    DATABASE_URL=postgres://…/miam_bench python bench/agreements/bench.py [--years 3] [--structures 3]

Without DATABASE_URL it runs on a throw-away SQLite file. It migrates the database it is given.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--structures", type=int, default=3)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="miam-bench-agreements-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "miam.settings")
    os.environ["REDIS_URL"] = ""
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    if not os.environ.get("DATABASE_URL"):
        os.environ["SQLITE_PATH"] = str(Path(folder) / "bench.sqlite3")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    from actors.models import Commune, Membership, Organization, StructureProfile, Territory, TerritoryRole, User
    from actors.reference import load_reference
    from agreements import documents
    from agreements.inputs import agreement_data, funding_line_data
    from agreements.models import Funder
    from agreements.selectors import statement_for
    from agreements.services import agreements as svc
    from agreements.services import funding
    from miam.exports import to_csv
    from offers.services.matches import match_confirm_delivery
    from products.models import ProductCategory
    from products.taxonomy import taxonomy_load

    if not Commune.objects.filter(insee_code="71137").exists():
        load_reference(departements=["71"])
    if not ProductCategory.objects.exists():
        taxonomy_load(ProductCategory)
    cluny = Commune.objects.get(insee_code="71137")
    stamp = time.strftime("%H%M%S")
    territory = Territory.objects.create(name=f"Bench {stamp}", slug=f"bench-agreements-{stamp}")
    territory.communes.add(cluny)

    def org(kind, name):
        return Organization.objects.create(
            kind=kind, name=name, commune=cluny, latitude=cluny.latitude, longitude=cluny.longitude
        )

    def person(organization=None):
        user = User.objects.create_user(email=f"bench-{stamp}-{User.objects.count()}@example.org", password="x")  # noqa: S106
        if organization is not None:
            Membership.objects.create(user=user, organization=organization, role="admin")
        return user

    farm = org("farm", f"Ferme bench {stamp}")
    farmer = person(farm)
    structures = []
    for i in range(args.structures):
        structure = org("food_aid", f"Structure bench {stamp} {i}")
        StructureProfile.objects.create(organization=structure, structure_type="epicerie", monthly_budget_eur=100_000)
        structures.append((structure, person(structure)))
    officer = person()
    TerritoryRole.objects.create(user=officer, territory=territory, role="officer")
    start = dt.date(2023, 1, 3)  # a Tuesday, in the past: every delivery can be recorded
    end = start + dt.timedelta(days=365 * args.years)
    funder = Funder.objects.create(territory=territory, name="Département", kind="departement")
    line = funding.funding_line_create(
        by=officer,
        data=funding_line_data(
            {
                "funder": funder.pk,
                "name": "Ligne",
                "amount_eur": "1000000",
                "period_start": start.isoformat(),
                "period_end": end.isoformat(),
                "share_per_kg_eur": "1.00",
            }
        ),
    )
    values = {
        "farm": farm.pk,
        "structures": [s.pk for s, _u in structures],
        "category": "beef",
        "product_name": "Bœuf",
        "quantity_per_delivery": "10",
        "recurrence": "chaque mardi",
        "start_date": start.isoformat(),
        "end_date": end.isoformat(),
        "fair_price_per_unit": "10.80",
        "price_paid_per_unit": "9.80",
        "carrier": farm.pk,
        "transport_payer": farm.pk,
        "funding_line": line.pk,
    }
    agreement = svc.agreement_create(by=farmer, data=agreement_data(values))
    svc.agreement_propose(by=farmer, agreement=agreement)
    svc.agreement_sign(by=farmer, agreement=agreement)
    for structure, volunteer in structures[:-1]:
        svc.agreement_sign(by=volunteer, agreement=agreement, organization=structure, today=start)
    structure, volunteer = structures[-1]
    t = time.perf_counter()
    # The last signature reserves the planned gap of every delivery on the funding line.
    svc.agreement_sign(by=volunteer, agreement=agreement, organization=structure, today=start)
    sign_ms = 1000 * (time.perf_counter() - t)

    t = time.perf_counter()
    svc.agreement_activate(by=farmer, agreement=agreement, today=start)
    activate_s = time.perf_counter() - t
    count = agreement.occurrences.count()

    month = agreement.occurrences.order_by("date").first().date.replace(day=1)
    following = (month + dt.timedelta(days=32)).replace(day=1)
    volunteers = {s.pk: u for s, u in structures}
    of_month = list(agreement.occurrences.filter(date__gte=month, date__lt=following).select_related("match"))
    t = time.perf_counter()
    for occurrence in of_month:
        match_confirm_delivery(
            match=occurrence.match,
            by=volunteers[occurrence.structure_id],
            quantity_received=Decimal(10),
            delivered_on=occurrence.date,
        )
    deliver_ms = 1000 * (time.perf_counter() - t) / len(of_month)

    t = time.perf_counter()
    statement = statement_for(organization=farm, month=month)
    statement_ms = 1000 * (time.perf_counter() - t)
    t = time.perf_counter()
    to_csv(documents.statement_export(statement))
    csv_ms = 1000 * (time.perf_counter() - t)
    t = time.perf_counter()
    documents.statement_pdf(statement)
    first_pdf_ms = 1000 * (time.perf_counter() - t)  # WeasyPrint loads its fonts once per process
    t = time.perf_counter()
    documents.statement_pdf(statement)
    pdf_ms = 1000 * (time.perf_counter() - t)

    t = time.perf_counter()
    svc.agreement_end(by=farmer, agreement=agreement, on=following)
    end_s = time.perf_counter() - t
    left = agreement.occurrences.count()

    database = "PostgreSQL" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "SQLite"
    print(f"database: {database}; {args.years} years weekly × {args.structures} structures")
    print(f"start (write {count} occurrences as matches): {activate_s:.2f} s")
    print(f"last signature (the whole planned gap reserved on the line): {sign_ms:.0f} ms")
    print(f"record a delivery (funding line consumed under its lock): {deliver_ms:.0f} ms each ({len(of_month)})")
    print(f"monthly statement of the farm ({len(statement.lines)} lines): {statement_ms:.0f} ms, CSV {csv_ms:.0f} ms")
    print(f"its PDF: {pdf_ms:.0f} ms (the first of the process, fonts loaded: {first_pdf_ms:.0f} ms)")
    print(f"end after the first month (remove {count - left} future occurrences): {end_s:.2f} s")


if __name__ == "__main__":
    main()
