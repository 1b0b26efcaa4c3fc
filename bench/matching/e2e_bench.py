"""End-to-end benchmark of a matching recompute: read from PostgreSQL, compute, write back.

Synthetic farms and food-aid structures are bulk-inserted at real commune town halls
(jittered by up to ~2 km) into their own PostgreSQL database, then the real service
``offers.services.runs.matching_run`` recomputes a territory, as the Celery task does.

Cases:
- **PAT**: 2,000 open offers and 2,000 open needs in the communes within 30 km of Cluny,
  territory = those communes.
- **national**: 100,000 open offers and 20,000 open needs over the whole of France,
  territory = one synthetic national territory holding every commune (one run).

Each case runs twice: a cold run that creates every proposal, then a rerun (idempotent:
nothing to write). Times per stage come from the run record (``MatchingRun.counts``);
peak memory is the process's resident set size sampled every 5 ms during each stage.

    createdb -h 127.0.0.1 -U postgres miam_bench_matching
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/miam_bench_matching
    python manage.py migrate && python manage.py load_communes
    python bench/matching/e2e_bench.py                 # both cases
    python bench/matching/e2e_bench.py --case pat
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "miam.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from actors.models import Commune, Organization, StructureProfile, Territory  # noqa: E402
from offers.models import Delivery, Match, MatchingRun, Need, Offer  # noqa: E402
from offers.services import runs as run_services  # noqa: E402
from products.models import ProductCategory  # noqa: E402

CLUNY = "71137"
PAT_RADIUS_KM = 30.0
PAGE = os.sysconf("SC_PAGE_SIZE")
SLUG = "bench-matching-"


# --- Memory sampling ---------------------------------------------------------------------


def rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * PAGE


class StageMemory:
    """Peak resident memory per stage of the service, sampled in a thread."""

    def __init__(self):
        self.stage = "setup"
        self.peaks: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self):
        while not self._stop.is_set():
            value = rss_bytes()
            if value > self.peaks.get(self.stage, 0):
                self.peaks[self.stage] = value
            time.sleep(0.005)

    def mark(self, stage: str) -> None:
        """A stage starts: CPU time of this process is charged to it from now on."""
        now = time.process_time()
        self.cpu[self.stage] = self.cpu.get(self.stage, 0.0) + now - self._cpu_mark
        self._cpu_mark, self.stage = now, stage

    def __enter__(self):
        self.cpu: dict[str, float] = {}
        self._cpu_mark = time.process_time()
        self._thread.start()
        original = run_services._progress

        def progress(run, stage, progress):
            self.mark(stage)
            original(run, stage, progress)

        self._original = original
        run_services._progress = progress
        return self

    def __exit__(self, *exc):
        self.mark("after")
        self._stop.set()
        self._thread.join()
        run_services._progress = self._original


# --- Synthetic data ------------------------------------------------------------------------


def communes_for(case: str) -> list[tuple[int, float, float, int]]:
    rows = list(Commune.objects.filter(latitude__isnull=False).values_list("id", "latitude", "longitude", "population"))
    if case == "national":
        return rows
    cluny = Commune.objects.get(insee_code=CLUNY)
    lat0, lon0 = math.radians(cluny.latitude), math.radians(cluny.longitude)
    out = []
    for cid, lat, lon, pop in rows:
        la, lo = math.radians(lat), math.radians(lon)
        h = math.sin((la - lat0) / 2) ** 2 + math.cos(la) * math.cos(lat0) * math.sin((lo - lon0) / 2) ** 2
        if 2 * 6371.0088 * math.asin(math.sqrt(h)) <= PAT_RADIUS_KM:
            out.append((cid, lat, lon, pop))
    return out


def clear() -> None:
    """Remove every synthetic row of a previous run (the communes stay)."""
    with connection.cursor() as cur:
        for table in (
            Delivery._meta.db_table,
            Match._meta.db_table,
            MatchingRun._meta.db_table,
            Need.categories.through._meta.db_table,
            Need._meta.db_table,
            Offer._meta.db_table,
            StructureProfile._meta.db_table,
        ):
            cur.execute(f"TRUNCATE {table} CASCADE")
    Organization.objects.filter(name__startswith="Bench ").delete()
    Territory.objects.filter(slug__startswith=SLUG).delete()


def populate(case: str, n_offers: int, n_needs: int, seed: int) -> Territory:
    rng = np.random.default_rng(seed)
    today = timezone.localdate()
    communes = communes_for(case)
    ids = np.array([c[0] for c in communes])
    lat = np.array([c[1] for c in communes])
    lon = np.array([c[2] for c in communes])
    pop = np.array([max(c[3], 1) for c in communes], dtype=float)

    territory = Territory.objects.create(name=f"Bench {case}", slug=f"{SLUG}{case}")
    through = Territory.communes.through
    through.objects.bulk_create([through(territory_id=territory.pk, commune_id=int(c)) for c in ids], batch_size=10_000)

    def place(count: int, weights: np.ndarray):
        pick = rng.choice(len(ids), size=count, p=weights / weights.sum())
        jitter = rng.normal(0, 0.008, size=(count, 2))
        return ids[pick], lat[pick] + jitter[:, 0], lon[pick] + jitter[:, 1]

    now = timezone.now()
    n_farms, n_structures = max(1, n_offers // 5), max(1, n_needs // 2)
    f_c, f_lat, f_lon = place(n_farms, np.sqrt(pop))
    s_c, s_lat, s_lon = place(n_structures, pop)
    farms = Organization.objects.bulk_create(
        [
            Organization(
                kind="farm",
                name=f"Bench ferme {i}",
                commune_id=int(f_c[i]),
                latitude=float(f_lat[i]),
                longitude=float(f_lon[i]),
                created_at=now,
                updated_at=now,
            )
            for i in range(n_farms)
        ],
        batch_size=10_000,
    )
    structures = Organization.objects.bulk_create(
        [
            Organization(
                kind="food_aid",
                name=f"Bench structure {i}",
                commune_id=int(s_c[i]),
                latitude=float(s_lat[i]),
                longitude=float(s_lon[i]),
                created_at=now,
                updated_at=now,
            )
            for i in range(n_structures)
        ],
        batch_size=10_000,
    )
    StructureProfile.objects.bulk_create(
        [
            StructureProfile(
                organization=o,
                structure_type="epicerie",
                people_served_per_week=int(rng.integers(20, 400)),
                gleaning_volunteers=int(rng.integers(0, 6)) if rng.random() < 0.3 else 0,
            )
            for o in structures
        ],
        batch_size=10_000,
    )

    categories = list(ProductCategory.objects.exclude(parent=None).order_by("sort_order"))[:30]
    offers = []
    for _ in range(n_offers):
        cat = categories[int(rng.integers(len(categories)))]
        start = today + timedelta(days=int(rng.integers(0, 5)))
        pricing = rng.choice(["donation", "solidarity", "market"], p=[0.6, 0.3, 0.1])
        usual = round(float(rng.uniform(1, 6)), 2)
        price = None if pricing == "donation" else round(usual * (0.8 if pricing == "solidarity" else 1.0), 2)
        logistics = [m for m, p in (("delivery", 0.6), ("pickup", 0.5), ("gleaning", 0.1)) if rng.random() < p]
        offers.append(
            Offer(
                organization=farms[int(rng.integers(n_farms))],
                category=cat,
                product_name=cat.name,
                quantity=round(float(rng.uniform(5, 300)), 1),
                unit=cat.default_unit,
                min_quantity=5 if rng.random() < 0.2 else 0,
                window_start=start,
                window_end=start + timedelta(days=int(rng.integers(3, 21))),
                pricing=pricing,
                price_per_unit=price,
                usual_price_per_unit=usual if price else None,
                storage=cat.storage,
                logistics=logistics or ["pickup"],
                delivery_radius_km=round(float(rng.uniform(10, 40)), 1),
                status="published",
                created_at=now,
                updated_at=now,
            )
        )
    Offer.objects.bulk_create(offers, batch_size=10_000)
    del offers

    parents = list(ProductCategory.objects.filter(parent=None).order_by("sort_order"))
    by_unit = {"kg": [p for p in parents if p.default_unit == "kg"], "dozen": [p for p in parents if p.code == "eggs"]}
    needs, need_cats = [], []
    for _ in range(n_needs):
        unit = "dozen" if rng.random() < 0.05 else "kg"
        choices = by_unit[unit]
        k = min(len(choices), int(rng.integers(1, 4)))
        cats = rng.choice(len(choices), size=k, replace=False)
        start = today + timedelta(days=int(rng.integers(0, 5)))
        buys = rng.random() < 0.4
        needs.append(
            Need(
                organization=structures[int(rng.integers(n_structures))],
                title="Besoin",
                quantity=round(float(rng.uniform(10, 200)), 1),
                unit=unit,
                window_start=start,
                window_end=start + timedelta(days=int(rng.integers(7, 30))),
                accepted_pricing="purchase" if buys else "donation_only",
                max_price_per_unit=round(float(rng.uniform(1, 5)), 2) if buys else None,
                has_fridge=rng.random() < 0.6,
                chilled_capacity_kg=int(rng.integers(50, 500)),
                has_freezer=rng.random() < 0.3,
                frozen_capacity_kg=int(rng.integers(20, 300)),
                pickup_radius_km=round(float(rng.uniform(5, 30)), 1),
                has_vehicle=rng.random() < 0.5,
                urgency=int(rng.integers(1, 4)),
                status="published",
                created_at=now,
                updated_at=now,
            )
        )
        need_cats.append([choices[int(c)].pk for c in cats])
    Need.objects.bulk_create(needs, batch_size=10_000)
    link = Need.categories.through
    link.objects.bulk_create(
        [link(need_id=n.pk, productcategory_id=c) for n, cs in zip(needs, need_cats, strict=True) for c in cs],
        batch_size=20_000,
    )
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    return territory


# --- Runs ----------------------------------------------------------------------------------


def measure(territory: Territory, label: str) -> dict:
    connection.close()  # a fresh connection, as a worker's task would have
    base = rss_bytes()
    started, cpu_started = time.perf_counter(), time.process_time()
    with StageMemory() as memory:
        run = run_services.matching_run(territory_id=territory.pk, trigger="nightly")
    total, cpu_total = time.perf_counter() - started, time.process_time() - cpu_started
    assert run.status == MatchingRun.RunStatus.SUCCESS, run.error
    counts = run.counts
    t = counts["timings_s"]
    return {
        "label": label,
        "offers": counts["offers"],
        "needs": counts["needs"],
        "pairs": counts["candidate_pairs"],
        "proposals": counts["proposals"],
        "created": counts["created"],
        "unchanged": counts["unchanged"],
        "load": t.get("load", 0),
        "candidates": t.get("candidates", 0),
        "scores": t.get("scores", 0),
        "allocation": t.get("allocation", 0) + t.get("output", 0),
        "write": t.get("write", 0),
        "total": total,
        "cpu_total": cpu_total,
        "cpu_load": memory.cpu.get("load", 0),
        "cpu_compute": memory.cpu.get("compute", 0),
        "cpu_write": memory.cpu.get("write", 0) + memory.cpu.get("done", 0),
        "mem_load": memory.peaks.get("load", 0),
        "mem_compute": memory.peaks.get("compute", 0),
        "mem_write": max(memory.peaks.get("write", 0), memory.peaks.get("done", 0)),
        "mem_base": base,
        "mem_peak": max(memory.peaks.values()),
    }


def mib(value: int) -> str:
    return f"{value / 2**20:,.0f}".replace(",", " ")


def table(rows: list[dict]) -> str:
    out = [
        "| case | open offers / needs | feasible pairs | proposals (created / unchanged) "
        "| load | candidates | scores | allocation | write | **end to end** "
        "| CPU load / compute / write / total | peak RSS load / compute / write (MiB) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        out.append(
            f"| {r['label']} | {r['offers']:,} / {r['needs']:,} | {r['pairs']:,} "
            f"| {r['proposals']:,} ({r['created']:,} / {r['unchanged']:,}) "
            f"| {r['load']:.2f} s | {r['candidates']:.2f} s | {r['scores']:.2f} s | {r['allocation']:.2f} s "
            f"| {r['write']:.2f} s | **{r['total']:.2f} s** "
            f"| {r['cpu_load']:.2f} / {r['cpu_compute']:.2f} / {r['cpu_write']:.2f} / {r['cpu_total']:.2f} s "
            f"| {mib(r['mem_load'])} / {mib(r['mem_compute'])} / {mib(r['mem_write'])} |"
        )
    return "\n".join(out).replace(",", " ")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--case", choices=["pat", "national", "both"], default="both")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--national-offers", type=int, default=100_000)
    parser.add_argument("--national-needs", type=int, default=20_000)
    parser.add_argument("--pat-offers", type=int, default=2_000)
    parser.add_argument("--pat-needs", type=int, default=2_000)
    args = parser.parse_args()
    if not settings.IS_POSTGRES:
        sys.exit("Set DATABASE_URL to a PostgreSQL database (e.g. miam_bench_matching).")
    if not Commune.objects.exists():
        sys.exit("Load the communes first: python manage.py load_communes")
    cases = ["pat", "national"] if args.case == "both" else [args.case]
    sizes = {"pat": (args.pat_offers, args.pat_needs), "national": (args.national_offers, args.national_needs)}
    rows = []
    for case in cases:
        clear()
        started = time.perf_counter()
        territory = populate(case, *sizes[case], seed=args.seed)
        print(f"{case}: synthetic data inserted in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        rows.append(measure(territory, f"{case}: first run"))
        rows.append(measure(territory, f"{case}: rerun"))
        print(table(rows[-2:]), file=sys.stderr)
    print(table(rows))
    peak = max(r["mem_peak"] for r in rows)
    load = os.getloadavg()[0]
    print(
        f"\nProcess peak RSS: {mib(peak)} MiB (Python + Django + data); {os.cpu_count()} CPU; load average {load:.1f}."
    )


if __name__ == "__main__":
    main()
