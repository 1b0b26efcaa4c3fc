"""How far and how long between places: the one interface the round planner asks.

``CrowFlightRoads`` is what matching already uses: the great-circle distance times the road
detour factor (``settings.ROAD_DETOUR_FACTOR``), at an average speed. A road-network backend
(OSRM, Valhalla) may come later behind the same ``matrices`` method.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from offers.matching.arrays import haversine_km


class DistanceBackend(Protocol):
    def matrices(self, points: Sequence[tuple[float, float]]) -> tuple[np.ndarray, np.ndarray]:
        """(km, seconds) between every pair of (lat, lon) points, as two square matrices."""


@dataclass(frozen=True)
class CrowFlightRoads:
    detour_factor: float = 1.3
    speed_kmh: float = 50.0

    def matrices(self, points: Sequence[tuple[float, float]]) -> tuple[np.ndarray, np.ndarray]:
        if not points:
            return np.zeros((0, 0)), np.zeros((0, 0))
        lat = np.array([p[0] for p in points], dtype=float)
        lon = np.array([p[1] for p in points], dtype=float)
        km = haversine_km(lat[:, None], lon[:, None], lat[None, :], lon[None, :]) * self.detour_factor
        seconds = km / self.speed_kmh * 3600.0
        return km, seconds
