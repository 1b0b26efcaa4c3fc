"""The PAT case of engine_bench.py, before and after the rounds' shared payload, in one run.

The same synthetic PAT (every commune within 30 km of Cluny, its pooled rounds) goes through
the engine at `--baseline-rev` (extracted from git, each lot only within one vehicle's payload,
chilled lots only on refrigerated rounds) and through the engine now (a weekday's lots within
the sum of its vehicles' payloads, chilled lots on a dry round when their direct ride fits the
planner's out-of-fridge time). Printed: time, proposals, kg sent by round per weekday against
that day's payload, Σ score × kg-eq.

    python bench/matching/rounds_bench.py --baseline-rev 64e2bad

With `--baseline-rev HEAD` it compares the committed engine with the working tree on the same
data and parameters (how the LP re-solve around an overloaded day was measured).
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from dataclasses import fields, replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import engine_bench as eb  # noqa: E402

from offers.matching import Params, run  # noqa: E402

#: The planner's defaults (settings.LOGISTICS_OUT_OF_FRIDGE_MINUTES, LOGISTICS_SPEED_KMH):
#: 30 minutes at 50 km/h for chilled lots, never for frozen ones.
DRY_RIDE_KM_CHILLED = 30 / 60 * 50.0


def convert(old, item):
    """The same dataclass in the old package (fields both have)."""
    cls = getattr(old, type(item).__name__)
    names = {f.name for f in fields(cls)}
    return cls(**{f.name: getattr(item, f.name) for f in fields(item) if f.name in names})


def by_round(proposals, rounds) -> str:
    loads = {}
    for p in proposals:
        if p.mode == "partner":
            day = p.delivery_date.weekday()
            loads[day] = loads.get(day, 0.0) + (p.quantity_kg or 0.0)
    payload = {}
    for r in rounds:
        payload[r.weekday] = payload.get(r.weekday, 0.0) + r.capacity_kg
    return ", ".join(f"day {d}: {loads.get(d, 0.0):,.0f} / {payload[d]:,.0f} kg" for d in sorted(payload))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pat-offers", type=int, default=2000)
    parser.add_argument("--pat-needs", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--baseline-rev", default="64e2bad")
    args = parser.parse_args()

    old = eb.load_baseline(args.baseline_rev)
    codes, lat, lon, pop = eb.load_communes()
    rng = np.random.default_rng(args.seed)
    # The same draws as engine_bench.py's default national case, so the PAT data are its own.
    eb.make_offers(rng, lat, lon, pop, 100_000)
    eb.make_needs(rng, lat, lon, pop, 20_000)
    cluny = codes.index(eb.CLUNY)
    near = eb.within_km(lat, lon, lat[cluny], lon[cluny], eb.PAT_RADIUS_KM)
    offers = eb.make_offers(rng, lat[near], lon[near], pop[near], args.pat_offers)
    needs, structures = eb.make_needs(rng, lat[near], lon[near], pop[near], args.pat_needs)
    params = replace(Params(today=eb.TODAY, rounds=eb.PAT_ROUNDS), dry_ride_km_chilled=DRY_RIDE_KM_CHILLED)

    rows = []
    for label in ("before", "now"):
        gc.collect()
        start = time.perf_counter()
        if label == "before":
            if old is None:
                continue
            # Every parameter the baseline knows (64e2bad had no out-of-fridge ride), its rounds too.
            old_params = replace(convert(old, params), rounds=tuple(convert(old, r) for r in params.rounds))
            result = old.run(
                [convert(old, o) for o in offers],
                [convert(old, n) for n in needs],
                params=old_params,
                structures=[convert(old, s) for s in structures],
            )
        else:
            result = run(offers, needs, params=params, structures=structures)
        seconds = time.perf_counter() - start
        t = result.stats.timings_s
        rows.append(
            (
                label,
                f"{seconds:.2f} s (allocation {t['allocation']:.2f} s)",
                f"{result.stats.n_proposals:,}",
                f"{sum(p.mode == 'partner' for p in result.proposals):,}",
                by_round(result.proposals, params.rounds),
                f"{result.stats.objective:,.0f}",
                f"{result.stats.least_served_fill_rate:.4f}",
            )
        )
    print(f"load average {os.getloadavg()[0]:.2f}, {len(offers)} offers × {len(needs)} needs")
    head = ("engine", "time", "proposals", "by round", "kg by round / payload", "Σ score × kg-eq", "least served")
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
