"""Benchmark of the round planner (``logistics.routing``, VROOM): a week of a PAT.

A synthetic PAT of about 40 × 40 km around Cluny: 40 farms, 15 food-aid structures, one
logistics platform with 10 vehicles (4 refrigerated), and 100 lots a week (200 stops: a
pick-up and a delivery each), a third of them chilled or frozen, spread over five days, with
farm pick-up hours and structure reception hours. Each day is planned on its own (what the
job does); the same 200 stops are also planned as a single day (the hardest case).

Prints the solving time and the ratio of the rounds' km to one return trip per lot
(farm → structure → farm, what happens without pooling). Seeded: the same figures each run
on the same machine.

    .venv/bin/python bench/logistics/run.py [--seed 7] [--lots 100] [--out-of-fridge 30]

``--out-of-fridge M``: a chilled or frozen lot may ride a dry vehicle for M minutes (the
``LOGISTICS_OUT_OF_FRIDGE_MINUTES`` rule); the script checks every such ride.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from logistics import routing  # noqa: E402
from logistics.distances import CrowFlightRoads  # noqa: E402

CLUNY = (46.4359, 4.6582)
H = 3600


def around(rng: random.Random, spread_deg: float = 0.18) -> tuple[float, float]:
    return CLUNY[0] + rng.uniform(-spread_deg, spread_deg), CLUNY[1] + rng.uniform(-spread_deg * 1.4, spread_deg * 1.4)


def world(seed: int, n_lots: int, out_of_fridge_min: int = 0):
    rng = random.Random(seed)
    farms = [routing.Place(f"farm:{i}", *around(rng)) for i in range(40)]
    structures = [routing.Place(f"structure:{i}", *around(rng, 0.12)) for i in range(15)]
    farm_hours = {f.key: rng.choice([(8, 12), (8, 18), (13, 18)]) for f in farms}
    structure_hours = {s.key: rng.choice([(9, 12), (14, 17), (8, 18), (10, 16)]) for s in structures}
    depot = routing.Place("hub", *CLUNY)
    trucks = [
        routing.Truck(
            id=i + 1,
            capacity_kg=rng.choice([600, 800, 1200]),
            refrigerated=i < 4,
            depot=depot,
            window=routing.Window(7 * H, 19 * H),
            max_duration_s=8 * H,
        )
        for i in range(10)
    ]
    lots_by_day: dict[int, list[routing.Lot]] = {d: [] for d in range(5)}
    for i in range(n_lots):
        farm, structure = rng.choice(farms), rng.choice(structures)
        fh, sh = farm_hours[farm.key], structure_hours[structure.key]
        lots_by_day[i % 5].append(
            routing.Lot(
                id=i + 1,
                kg=rng.choice([20, 35, 50, 80, 120, 150]),
                cold=rng.random() < 1 / 3,
                pickup=farm,
                delivery=structure,
                pickup_windows=(routing.Window(fh[0] * H, fh[1] * H),),
                delivery_windows=(routing.Window(sh[0] * H, sh[1] * H),),
                out_of_fridge_s=out_of_fridge_min * 60,
            )
        )
    return trucks, lots_by_day


def check_cold_chain(r: routing.PlannedRound, truck: routing.Truck, lots, service_s: int) -> None:
    """A cold lot in a dry vehicle rides no longer than its out-of-fridge time."""
    if truck.refrigerated:
        return
    by_id = {lot.id: lot for lot in lots}
    loaded = {}
    for s in r.stops:
        lot = by_id.get(s.lot_id)
        if lot is None or not lot.cold:
            continue
        if s.kind == "pickup":
            loaded[lot.id] = s.arrival_s + service_s
        elif s.kind == "delivery":
            assert lot.out_of_fridge_s > 0 and s.arrival_s - loaded[lot.id] <= lot.out_of_fridge_s


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--lots", type=int, default=100)
    parser.add_argument("--out-of-fridge", type=int, default=0, help="minutes a cold lot may ride a dry vehicle")
    args = parser.parse_args()
    trucks, lots_by_day = world(args.seed, args.lots, args.out_of_fridge)
    roads = CrowFlightRoads(detour_factor=1.3, speed_kmh=50)
    params = routing.RoutingParams(service_s=600)

    started = time.perf_counter()
    km = separate = 0.0
    unassigned = rounds = 0
    for day, lots in lots_by_day.items():
        result = routing.plan(lots, trucks, distances=roads, params=params)
        km, separate = km + result.km, separate + result.separate_trips_km
        unassigned += len(result.unassigned)
        rounds += len(result.rounds)
        for r in result.rounds:
            truck = next(t for t in trucks if t.id == r.truck_id)
            assert r.max_load_kg <= truck.capacity_kg
            check_cold_chain(r, truck, lots, params.service_s)
        print(
            f"day {day}: {len(lots)} lots, {len(result.rounds)} rounds, {result.km:.0f} km, solved in {result.solve_s:.2f} s"
        )
    week_s = time.perf_counter() - started
    stops = 2 * sum(len(v) for v in lots_by_day.values())
    print(
        f"week: {stops} stops, 10 vehicles, {rounds} rounds, {unassigned} lots left out, "
        f"{week_s:.2f} s in all; {km:.0f} km against {separate:.0f} km for one trip per lot: ratio {km / separate:.2f}"
    )

    everything = [lot for lots in lots_by_day.values() for lot in lots]
    impossible = sum(1 for lot in everything if lot.pickup_windows[0].start_s >= lot.delivery_windows[0].end_s)
    print(f"lots no vehicle could carry the same day (the farm opens after the structure closes): {impossible}")
    started = time.perf_counter()
    result = routing.plan(everything, trucks, distances=roads, params=params)
    one_day_s = time.perf_counter() - started
    print(
        f"one day of all {stops} stops: {len(result.rounds)} rounds, {len(result.unassigned)} lots left out, "
        f"{one_day_s:.2f} s; ratio {result.km / result.separate_trips_km:.2f} on the lots carried"
    )


if __name__ == "__main__":
    main()
