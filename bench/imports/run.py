"""Spreadsheet imports and list exports at scale, on PostgreSQL.

    python bench/imports/run.py                 # 10,000 farms imported, 100,000 offers exported
    python bench/imports/run.py --rows 2000 --offers 20000
    python bench/imports/run.py --only reimport    # one scenario: import, reimport or export

It uses its own database (``miam_bench_imports`` by default, created and migrated if missing),
loads the communes of Saône-et-Loire, makes one territory of all of them with an officer, then:

  (a) imports a CSV of N farms (distinct names, communes drawn from the territory, a radius, a
      vehicle, labels) as the officer: the check (every line through ``organization_data`` and
      ``organization_prepare``, then ``organizations_create_many``, rolled back), then the import
      (the same, committed); the farms are deleted afterwards so that a second run measures the
      same work;
  (r) re-imports the same N farms with one field changed (the delivery radius), matched by name
      and commune: every line through ``organization_data`` (partial) and ``organization_change``,
      then ``organizations_update_many``; the check, then the import (the farms are imported
      first, untimed, and deleted afterwards);
  (b) exports 100,000 offers (``bulk_create`` once) with ``offers.exports.offers_export`` to CSV
      and to XLSX, the page's code path without the HTTP layer.

Each line also gives the peak resident memory (``ru_maxrss``) once the step is done. The
imports' is the bench process's (it only grows); each export runs in a forked child, its own
peak given with how much the export itself added to what the child started with.

It runs with DEBUG off and sets a throwaway ``SECRET_KEY`` unless the environment gives one (as
``bench/api/run.py`` does). Not part of the test suite; figures go to the README.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/miam_bench_imports")
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--offers", type=int, default=100_000)
    parser.add_argument("--only", choices=["import", "reimport", "export"], help="run this scenario alone")
    return parser.parse_args()


def ensure_database(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def main() -> None:
    args = parse_args()
    ensure_database(args.database_url)
    env = {**os.environ, "DATABASE_URL": args.database_url, "DJANGO_SETTINGS_MODULE": "miam.settings"}
    env.pop("REDIS_URL", None)  # the import runs inline: the figure is the work, not the queue
    # DEBUG off, as in production: the settings then need a real key; a throwaway one does here.
    env.setdefault("DEBUG", "0")
    env.setdefault("SECRET_KEY", "bench-not-secret-" + "x" * 40)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    os.environ.update(env)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings

    from actors.models import Commune, Territory, TerritoryRole, User

    if not Commune.objects.filter(departement__code="71").exists():
        subprocess.run(
            [sys.executable, "manage.py", "load_communes", "--departements", "71", "--no-progress"],
            cwd=ROOT,
            env=env,
            check=True,
        )
    territory, _created = Territory.objects.get_or_create(slug="bench-imports", defaults={"name": "PAT bench imports"})
    communes = list(Commune.objects.filter(departement__code="71").order_by("insee_code"))
    territory.communes.set(communes)
    officer, _created = User.objects.get_or_create(email="officer@bench-imports.example")
    TerritoryRole.objects.get_or_create(user=officer, territory=territory, defaults={"role": "officer"})
    settings.IMPORTS_INLINE_MAX_ROWS = args.rows + 1
    settings.GEOCODER = "none"

    print(
        "| measure | rows | wall time | CPU time (this process) | peak RSS after |\n| --- | ---: | ---: | ---: | ---: |"
    )
    if args.only in (None, "import"):
        bench_import(args, territory, officer, communes)
    if args.only in (None, "reimport"):
        bench_reimport(args, territory, officer, communes)
    if args.only in (None, "export"):
        bench_export(args, communes)


def peak_rss() -> str:
    return f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB"  # Linux: kilobytes


def delete_bench_farms() -> None:
    from actors.models import Organization
    from miam import sync

    with sync.tombstones_batched():  # their tombstones in one INSERT
        Organization.objects.filter(name__startswith="Ferme bench ").delete()


def farms_file(args, communes, *, radius=None) -> bytes:
    """N farms (the same ones for the same N); ``radius``: every farm's delivery radius."""
    rng = random.Random(42)  # noqa: S311 - reproducible synthetic data
    lines = ["Nom;Commune;Livraison jusqu'à (km);Véhicule;Labels;Ouvert au don"]
    for i in range(args.rows):
        commune = rng.choice(communes)
        km = rng.choice([0, 10, 15, 20])
        lines.append(f"Ferme bench {i};{commune.insee_code};{km if radius is None else radius};utilitaire;AB;oui")
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def bench_import(args, territory, officer, communes) -> None:
    from imports import services
    from imports.models import ImportBatch

    content = farms_file(args, communes)
    delete_bench_farms()

    started, cpu = time.perf_counter(), time.process_time()
    batch = services.batch_create(by=officer, kind="farms", territory=territory, filename="bench.csv", content=content)
    checked, checked_cpu = time.perf_counter() - started, time.process_time() - cpu
    rss_checked = peak_rss()
    assert batch.status == ImportBatch.Status.CHECKED, (batch.file_error, batch.errors[:3])
    started, cpu = time.perf_counter(), time.process_time()
    batch = services.batch_commit(by=officer, batch=batch)
    imported, imported_cpu = time.perf_counter() - started, time.process_time() - cpu
    assert batch.status == ImportBatch.Status.DONE and batch.rows_created == args.rows
    print(f"| import: check (dry run) | {args.rows:,} | {checked:.1f} s | {checked_cpu:.1f} s | {rss_checked} |")
    print(
        f"| import: import (all or nothing) | {args.rows:,} | {imported:.1f} s | {imported_cpu:.1f} s | {peak_rss()} |"
    )
    total, total_cpu = checked + imported, checked_cpu + imported_cpu
    print(f"| import: check + import | {args.rows:,} | {total:.1f} s | {total_cpu:.1f} s | {peak_rss()} |")
    delete_bench_farms()


def bench_reimport(args, territory, officer, communes) -> None:
    from actors.models import FarmProfile
    from imports import services
    from imports.models import ImportBatch

    delete_bench_farms()
    batch = services.batch_create(
        by=officer, kind="farms", territory=territory, filename="bench.csv", content=farms_file(args, communes)
    )
    batch = services.batch_commit(by=officer, batch=batch)
    assert batch.status == ImportBatch.Status.DONE and batch.rows_created == args.rows, batch.errors[:3]
    content = farms_file(args, communes, radius=42)

    started, cpu = time.perf_counter(), time.process_time()
    batch = services.batch_create(by=officer, kind="farms", territory=territory, filename="again.csv", content=content)
    checked, checked_cpu = time.perf_counter() - started, time.process_time() - cpu
    rss_checked = peak_rss()
    assert batch.status == ImportBatch.Status.CHECKED and batch.rows_updated == args.rows, batch.errors[:3]
    started, cpu = time.perf_counter(), time.process_time()
    batch = services.batch_commit(by=officer, batch=batch)
    imported, imported_cpu = time.perf_counter() - started, time.process_time() - cpu
    assert batch.status == ImportBatch.Status.DONE and batch.rows_updated == args.rows
    farms = FarmProfile.objects.filter(organization__name__startswith="Ferme bench ")
    assert farms.filter(delivery_radius_km=42).count() == args.rows
    print(
        f"| re-import, one field changed: check | {args.rows:,} | {checked:.1f} s | {checked_cpu:.1f} s | {rss_checked} |"
    )
    print(
        f"| re-import, one field changed: import | {args.rows:,} | {imported:.1f} s | {imported_cpu:.1f} s "
        f"| {peak_rss()} |"
    )
    total, total_cpu = checked + imported, checked_cpu + imported_cpu
    print(f"| re-import: check + import | {args.rows:,} | {total:.1f} s | {total_cpu:.1f} s | {peak_rss()} |")
    delete_bench_farms()


def bench_export(args, communes) -> None:
    import datetime as dt
    from decimal import Decimal

    from actors.models import Organization
    from miam import exports
    from offers.models import Offer
    from products.models import ProductCategory

    farm = Organization.objects.filter(name="Ferme export bench").first()
    if farm is None:
        commune = communes[0]
        farm = Organization.objects.create(
            kind="farm",
            name="Ferme export bench",
            commune=commune,
            latitude=commune.latitude,
            longitude=commune.longitude,
        )
    missing = args.offers - Offer.objects.filter(organization=farm).count()
    if missing > 0:
        category = ProductCategory.objects.get(code="potatoes")
        today = dt.date.today()
        Offer.objects.bulk_create(
            [
                Offer(
                    organization=farm,
                    category=category,
                    product_name=f"Pommes de terre {i}",
                    quantity=Decimal(100 + i % 50),
                    unit="kg",
                    window_start=today,
                    window_end=today + dt.timedelta(days=10),
                    pricing="solidarity",
                    price_per_unit=Decimal("1.20"),
                    usual_price_per_unit=Decimal("1.50"),
                    labels=["AB"],
                    status="published",
                )
                for i in range(missing)
            ],
            batch_size=5000,
        )
    queryset = Offer.objects.filter(organization=farm)[: args.offers]
    queryset = Offer.objects.filter(pk__in=queryset.values("pk"))
    for fmt, write in (("CSV", exports.to_csv), ("XLSX", exports.to_xlsx)):
        print(in_child(lambda write=write, fmt=fmt: _export_line(args, queryset, fmt, write)))


def _export_line(args, queryset, fmt, write) -> str:
    from offers.exports import offers_export

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started, cpu = time.perf_counter(), time.process_time()
    data = write(offers_export(queryset, title="Offres"))
    elapsed, used = time.perf_counter() - started, time.process_time() - cpu
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    return (
        f"| export of offers, {fmt} ({len(data) / 1e6:.1f} MB) | {args.offers:,} | {elapsed:.1f} s | {used:.1f} s "
        f"| {peak_rss()} (+{grown:.0f} MB in the export) |"
    )


def in_child(work) -> str:
    """Run ``work`` in a forked process, so that its peak memory is its own (the parent's peak,
    bulk-creating the offers, is not counted); returns what it returns, as text."""
    from django.db import connections

    connections.close_all()  # the child opens its own connection
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.close(read)
        try:
            text = work()
        except BaseException as error:  # noqa: BLE001 - reported by the parent
            text = f"| failed: {error!r} |"
        os.write(write, text.encode())
        os._exit(0)
    os.close(write)
    chunks = []
    while chunk := os.read(read, 65536):
        chunks.append(chunk)
    os.waitpid(pid, 0)
    return b"".join(chunks).decode()


if __name__ == "__main__":
    main()
