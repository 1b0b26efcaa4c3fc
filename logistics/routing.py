"""The round planner: lots to carry (a pick-up and a delivery each) and vehicles in, rounds out.

Plain Python around VROOM (``pyvroom``), a maintained vehicle-routing solver: no ORM, no
settings, no clock. ``logistics.services.rounds`` adapts the database to it; ``bench/logistics``
runs it alone. Times are seconds from the day's midnight, quantities kilograms.

What VROOM is told:

- each lot is a *shipment* (pick-up at the farm, delivery at the structure, in that order, on
  the same vehicle), its kilograms the amount, rounded up;
- a vehicle's capacity is its payload, rounded down: no round ever carries more;
- cold chain: a chilled or frozen lot needs skill ``COLD``, which only refrigerated vehicles have,
  unless it has an out-of-fridge time (``Lot.out_of_fridge_s``) and its direct drive fits in it;
  the solution is then checked: a cold lot that rode longer than its out-of-fridge time on a
  vehicle without refrigeration is planned again with the skill required (``_cold_chain``);
- time windows: the farm's pick-up hours, the structure's reception hours, the vehicle's
  availability; its maximum duration bounds the time it drives (``max_travel_time``);
- distances and durations come from a ``DistanceBackend`` (``logistics.distances``).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import numpy as np
import vroom

from logistics.distances import CrowFlightRoads, DistanceBackend

COLD = 1
#: Solutions checked for the out-of-fridge time before the plain rule (cold lots only in
#: refrigerated vehicles) is applied to every cold lot.
MAX_COLD_ATTEMPTS = 2


@dataclass(frozen=True)
class Place:
    key: str  # what identifies the place for the caller ("org:12", "hub:3")
    lat: float
    lon: float


@dataclass(frozen=True)
class Window:
    start_s: int
    end_s: int


@dataclass(frozen=True)
class Lot:
    id: int
    kg: float
    cold: bool
    pickup: Place
    delivery: Place
    pickup_windows: tuple[Window, ...] = ()
    delivery_windows: tuple[Window, ...] = ()
    # How long a cold lot may ride out of the fridge, from leaving the pick-up to the start of
    # its delivery; 0: only in a refrigerated vehicle.
    out_of_fridge_s: int = 0


@dataclass(frozen=True)
class Truck:
    id: int
    capacity_kg: float
    refrigerated: bool
    depot: Place
    window: Window
    max_duration_s: int


@dataclass(frozen=True)
class RoutingParams:
    service_s: int = 600  # minutes spent at each stop, loading or unloading
    exploration_level: int = 5
    threads: int = 1


@dataclass(frozen=True)
class PlannedStop:
    kind: str  # "start", "pickup", "delivery", "end"
    lot_id: int | None
    place: Place
    arrival_s: int
    load_kg: float  # on board after the stop
    km_from_start: float


@dataclass(frozen=True)
class PlannedRound:
    truck_id: int
    stops: tuple[PlannedStop, ...]
    km: float
    duration_s: int  # from the start to the return, waits included
    travel_s: int

    @property
    def max_load_kg(self) -> float:
        return max((s.load_kg for s in self.stops), default=0.0)


@dataclass(frozen=True)
class RoutingResult:
    rounds: tuple[PlannedRound, ...]
    unassigned: tuple[int, ...]  # lots no vehicle could take
    km: float
    separate_trips_km: float  # one return trip per lot, farm → structure → farm
    solve_s: float
    stats: dict = field(default_factory=dict)


def _windows(windows: tuple[Window, ...]) -> list:
    return [vroom.TimeWindow(w.start_s, w.end_s) for w in windows]


def plan(
    lots: list[Lot],
    trucks: list[Truck],
    *,
    distances: DistanceBackend | None = None,
    params: RoutingParams | None = None,
) -> RoutingResult:
    params = params or RoutingParams()
    distances = distances or CrowFlightRoads()
    index: dict[tuple[float, float], int] = {}

    def where(place: Place) -> int:
        return index.setdefault((place.lat, place.lon), len(index))

    for truck in trucks:
        where(truck.depot)
    for lot in lots:
        where(lot.pickup)
        where(lot.delivery)
    points = list(index)
    km, seconds = distances.matrices(points)
    by_id = {lot.id: lot for lot in lots}
    separate = sum(2 * float(km[where(lot.pickup), where(lot.delivery)]) for lot in lots)
    if not lots or not trucks:
        return RoutingResult((), tuple(by_id), 0.0, separate, 0.0)

    # A cold lot may go in a dry vehicle only when its direct drive fits its out-of-fridge time.
    strict = {
        lot.id
        for lot in lots
        if lot.cold
        and not (
            lot.out_of_fridge_s > 0 and float(seconds[where(lot.pickup), where(lot.delivery)]) <= lot.out_of_fridge_s
        )
    }
    started = time.perf_counter()
    for attempt in range(MAX_COLD_ATTEMPTS + 1):
        if attempt == MAX_COLD_ATTEMPTS:
            strict = {lot.id for lot in lots if lot.cold}  # last resort: the plain rule
        solution = _solve(lots, trucks, where, seconds, km, strict, params)
        rounds = _rounds(solution, trucks, by_id)
        too_long = _cold_chain(rounds, trucks, by_id, params) - strict
        if not too_long:
            break
        strict |= too_long
    solve_s = time.perf_counter() - started
    unassigned = tuple(sorted({u["id"] for u in solution.get("unassigned", [])}))
    total = sum(r.km for r in rounds)
    return RoutingResult(
        rounds=tuple(sorted(rounds, key=lambda r: r.truck_id)),
        unassigned=unassigned,
        km=total,
        separate_trips_km=separate,
        solve_s=solve_s,
        stats={"points": len(points), "lots": len(lots), "trucks": len(trucks), "solves": attempt + 1},
    )


def _solve(lots, trucks, where, seconds, km, strict: set[int], params: RoutingParams) -> dict:
    problem = vroom.Input()
    problem.set_durations_matrix(profile="car", matrix_input=np.rint(seconds).astype(np.uint32))
    problem.set_distances_matrix(profile="car", matrix_input=np.rint(km * 1000).astype(np.uint32))
    for truck in trucks:
        problem.add_vehicle(
            vroom.Vehicle(
                truck.id,
                start=where(truck.depot),
                end=where(truck.depot),
                capacity=[max(0, math.floor(truck.capacity_kg))],
                skills={COLD} if truck.refrigerated else set(),
                time_window=vroom.TimeWindow(truck.window.start_s, truck.window.end_s),
                max_travel_time=int(truck.max_duration_s),
            )
        )
    for lot in lots:
        problem.add_shipment(
            pickup=vroom.ShipmentStep(
                lot.id,
                location=where(lot.pickup),
                default_service=params.service_s,
                time_windows=_windows(lot.pickup_windows),
            ),
            delivery=vroom.ShipmentStep(
                lot.id,
                location=where(lot.delivery),
                default_service=params.service_s,
                time_windows=_windows(lot.delivery_windows),
            ),
            amount=vroom.Amount([max(1, math.ceil(lot.kg))]),
            skills={COLD} if lot.id in strict else set(),
        )
    return problem.solve(exploration_level=params.exploration_level, nb_threads=params.threads).to_dict()


def _rounds(solution: dict, trucks, by_id) -> list[PlannedRound]:
    truck_by_id = {t.id: t for t in trucks}
    rounds = []
    for route in solution.get("routes", []):
        truck = truck_by_id[route["vehicle"]]
        stops = []
        load = 0.0
        for step in route["steps"]:
            kind = step["type"]
            lot = by_id.get(step.get("id")) if kind in ("pickup", "delivery") else None
            if kind == "pickup":
                load += lot.kg
                place = lot.pickup
            elif kind == "delivery":
                load -= lot.kg
                place = lot.delivery
            elif kind in ("start", "end"):
                place = truck.depot
            else:
                continue
            stops.append(
                PlannedStop(
                    kind=kind,
                    lot_id=lot.id if lot else None,
                    place=place,
                    # When the stop begins: an early vehicle waits for the window to open.
                    arrival_s=int(step["arrival"]) + int(step.get("waiting_time", 0)),
                    load_kg=round(max(load, 0.0), 3),
                    km_from_start=step.get("distance", 0) / 1000,
                )
            )
        rounds.append(
            PlannedRound(
                truck_id=truck.id,
                stops=tuple(stops),
                km=route.get("distance", 0) / 1000,
                duration_s=stops[-1].arrival_s - stops[0].arrival_s,
                travel_s=int(route.get("duration", 0)),
            )
        )
    return rounds


def _cold_chain(rounds, trucks, by_id, params: RoutingParams) -> set[int]:
    """Cold lots that rode longer than their out-of-fridge time in a vehicle without
    refrigeration: from the end of loading at the pick-up to the start of the delivery."""
    refrigerated = {t.id for t in trucks if t.refrigerated}
    over = set()
    for planned in rounds:
        if planned.truck_id in refrigerated:
            continue
        loaded = {}
        for stop in planned.stops:
            lot = by_id.get(stop.lot_id)
            if lot is None or not lot.cold:
                continue
            if stop.kind == "pickup":
                loaded[lot.id] = stop.arrival_s + params.service_s
            elif stop.kind == "delivery":
                ride = stop.arrival_s - loaded.get(lot.id, stop.arrival_s)
                if lot.out_of_fridge_s <= 0 or ride > lot.out_of_fridge_s:
                    over.add(lot.id)
    return over
