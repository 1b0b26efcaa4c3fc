"""The territory map's layers: each app serves its own, the map page shows them all.

An app registers a ``MapLayer`` in its ``AppConfig.ready()``; the map page (``offers``)
asks ``layers()`` for them in order, so that it never imports the apps whose markers it
shows (farms and structures from ``actors``, initiatives from ``initiatives``...).

A layer gives, for a territory: compact ``rows`` for the map (one list per marker, its
``columns`` named once: 5,000 markers weigh a third of GeoJSON and encode several times
faster), the queryset the accessible table below the map pages through, and the address
of a marker's page (``{id}`` stands for the marker's id).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_LAYERS: dict[str, MapLayer] = {}


@dataclass(frozen=True)
class MapLayer:
    code: str  # "farms", "offers"... : the key in the map's data and the table's ``?liste=``
    label: Any  # a lazy translated label, for the table's tabs
    order: int
    columns: tuple[str, ...]  # the names of each row's values; the first two are lat, lon
    rows: Callable[..., list[list]]  # (territory=, exact=, filters=) → rows for the map
    listing: Callable[..., Any]  # (territory=, filters=) → the table's queryset
    detail_url: Callable[[], str]  # the address of a marker's page, "{id}" for its id


def register(layer: MapLayer) -> None:
    _LAYERS[layer.code] = layer


def layers() -> list[MapLayer]:
    return sorted(_LAYERS.values(), key=lambda layer: layer.order)


def layer(code: str) -> MapLayer | None:
    return _LAYERS.get(code)


def point(lat, lon) -> tuple[float, float] | None:
    """A marker's place, rounded to about a metre; None when unknown."""
    if lat is None or lon is None:
        return None
    return round(lat, 5), round(lon, 5)
