"""The pooled rounds a territory runs each week, told to matching without ``offers`` importing
``logistics`` (which sits above it).

``logistics`` registers one provider in its ``AppConfig.ready()``: a function of a territory id
returning ``WeeklyRound`` rows (one per vehicle and weekday it is available for the territory's
rounds). Matching (``offers.services.runs.matching_params``) asks ``weekly(territory_id)`` and
gives them to the engine as the "partner" mode: « livré par la tournée du mardi ». No provider
(``logistics`` not installed): no round, and the partner mode reaches nobody. The same pattern
as the map's layers (``miam.maps``) and the pages' sections (``miam.sections``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple


class WeeklyRound(NamedTuple):
    weekday: int  # 0 = Monday
    capacity_kg: float  # the vehicle's payload: the heaviest lot it takes
    refrigerated: bool


_PROVIDERS: list[Callable[[int], list[WeeklyRound]]] = []


def register(provider: Callable[[int], list[WeeklyRound]]) -> None:
    if provider not in _PROVIDERS:
        _PROVIDERS.append(provider)


def weekly(territory_id: int) -> list[WeeklyRound]:
    """Every round the territory runs in a week, sorted (weekday, capacity, refrigerated)."""
    rows = {row for provider in _PROVIDERS for row in provider(territory_id)}
    return sorted(rows)
