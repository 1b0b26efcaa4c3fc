"""The pooled rounds a territory runs each week, told to matching without ``offers`` importing
``logistics`` (which sits above it).

``logistics`` registers one provider in its ``AppConfig.ready()``: a function of a territory id
returning ``WeeklyRound`` rows (one per vehicle and weekday it is available for the territory's
rounds). Matching (``offers.services.runs.matching_params``) asks ``weekly(territory_id)`` and
gives them to the engine as the "partner" mode: « livré par la tournée du mardi ». No provider
(``logistics`` not installed): no round, and the partner mode reaches nobody. The same pattern
as the map's layers (``miam.maps``) and the pages' sections (``miam.sections``).

What a round carried is told the same way: ``logistics`` registers a carriage provider (match ids
→ the round that carried each and its delivered lots), so that ``offers.distances`` counts a
delivery carried by a round as its share of the round's km, for every reader (the indicators,
the dashboard, « Mes livraisons » and its export), without ``offers`` importing ``logistics``.

The cold chain is told here too, once for both sides: the round planner (``logistics.routing``)
lets a chilled lot ride a vehicle without refrigeration when its direct drive (the road estimate
at ``settings.LOGISTICS_SPEED_KMH``) fits its out-of-fridge time
(``settings.LOGISTICS_OUT_OF_FRIDGE_MINUTES``), and matching asks ``dry_ride_km`` the same
question as a distance.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from django.conf import settings


class RoundLoad(NamedTuple):
    """A round as the kilometres share it: its km (depot to depot), its vehicle's kind, and the
    kilograms it carried for each of its lots that was delivered (match id → kg)."""

    km: float
    vehicle_kind: str
    lots_kg: dict[int, float]


class WeeklyRound(NamedTuple):
    weekday: int  # 0 = Monday
    capacity_kg: float  # the vehicle's payload: the heaviest lot it takes, and its share of the day's
    refrigerated: bool


def speed_kmh() -> float:
    """Average speed on the roads a round takes (the planner's and matching's)."""
    return float(settings.LOGISTICS_SPEED_KMH)


def out_of_fridge_s(storage: str) -> int:
    """How long a lot of this storage class may ride without refrigeration, in seconds
    (``settings.LOGISTICS_OUT_OF_FRIDGE_MINUTES``; 0: never; ambient lots are not asked)."""
    minutes = (settings.LOGISTICS_OUT_OF_FRIDGE_MINUTES or {}).get(storage, 0)
    return max(0, int(minutes)) * 60


def dry_ride_km(storage: str) -> float:
    """The longest direct road ride (km, the road-detour estimate) a lot of this storage class
    may take in a vehicle without refrigeration: its out-of-fridge time at the rounds' speed."""
    return out_of_fridge_s(storage) / 3600.0 * speed_kmh()


_PROVIDERS: list[Callable[[int], list[WeeklyRound]]] = []


def register(provider: Callable[[int], list[WeeklyRound]]) -> None:
    if provider not in _PROVIDERS:
        _PROVIDERS.append(provider)


def weekly(territory_id: int) -> list[WeeklyRound]:
    """Every round the territory runs in a week, one per vehicle and weekday (two alike vans
    are two rows: the day's payload is their sum), sorted (weekday, capacity, refrigerated)."""
    return sorted(row for provider in _PROVIDERS for row in provider(territory_id))


#: A carriage provider: match ids → (match id → the id of the round that carried it, round id →
#: its ``RoundLoad``).
Carriage = tuple[dict[int, int], dict[int, RoundLoad]]
_CARRIAGE: list[Callable[..., Carriage]] = []


def register_carriage(provider: Callable[..., Carriage]) -> None:
    if provider not in _CARRIAGE:
        _CARRIAGE.append(provider)


def carrying(match_ids) -> Carriage:
    """Which round carried each of ``match_ids`` and what each of those rounds carried (no
    provider: no round carried anything)."""
    carried: dict[int, int] = {}
    loads: dict[int, RoundLoad] = {}
    match_ids = list(match_ids)
    for provider in _CARRIAGE:
        by_match, by_round = provider(match_ids=match_ids)
        carried.update(by_match)
        loads.update(by_round)
    return carried, loads
