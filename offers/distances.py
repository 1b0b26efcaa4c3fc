"""The kilometres of a delivery: the one place that computes them.

A delivery goes from the farm's point to the structure's point (``Organization.latitude`` and
``longitude``: the exact address when known, else the town hall), measured as the matching engine
measures a pair: the great circle (``miam.geo.haversine_km``, the formula of
``offers.matching.arrays.haversine_km``) times ``settings.ROAD_DETOUR_FACTOR``, one way.

Two organizations of one commune both placed on its town hall would be 0 km apart, which is
false: their distance is then estimated as the mean distance between two points drawn at random
in a disc as large as the commune (128 R / 45 π), and flagged as an estimate. The officer's
dashboard (``offers.indicators``), the territory's indicators (``indicators.selectors``) and the
kilometres recorded with a delivery (``offers.services.matches.delivery_confirm``) all come from
here. Method and figures: docs/indicators.md.

A delivery carried by a pooled round made no trip of its own: it counts its share of the round's
km (``round_shares``: by the kilograms of the round's delivered lots), told by ``logistics``
through ``miam.pooled_rounds`` (``offers`` does not import it). ``delivered_kms`` gives, for a
list of matches, the km every reader counts: the indicators, the dashboard, « Mes livraisons »
and its export.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from django.conf import settings

from actors.models import Commune, Organization
from miam import pooled_rounds
from miam.geo import EARTH_RADIUS_KM, haversine_km

#: Mean distance between two points drawn at random in a disc of radius R is 128 R / (45 π).
MEAN_DISC_DISTANCE = 128 / (45 * math.pi)
#: A commune whose outline is unknown: its two town-hall points are taken this far apart.
SAME_COMMUNE_FALLBACK_KM = 1.0
#: The smallest distance recorded between two points that differ (a Decimal with one decimal).
RECORDED_MIN_KM = Decimal("0.1")


class Place(NamedTuple):
    """What a distance needs of an organization (an ``Organization`` has the same attributes)."""

    latitude: float
    longitude: float
    location_precision: str
    commune_id: int


#: The fields of an organization a ``Place`` reads, for ``values()`` queries.
PLACE_FIELDS = ("latitude", "longitude", "location_precision", "commune_id")


def place_fields(prefix: str) -> tuple[str, ...]:
    """``PLACE_FIELDS`` behind a lookup prefix (``"match__offer__organization__"``)."""
    return tuple(prefix + field for field in PLACE_FIELDS)


def place_of(row: dict, prefix: str) -> Place:
    return Place(*(row[prefix + field] for field in PLACE_FIELDS))


def commune_radius_km(outline) -> float | None:
    """The radius of a disc as large as the commune (its outline's area, in km²)."""
    if not outline:
        return None
    try:
        from shapely.geometry import shape

        geometry = shape(outline.get("geometry", outline) if isinstance(outline, dict) else outline)
    except (ValueError, TypeError, AttributeError, KeyError):
        return None
    if geometry.is_empty:
        return None
    lat = geometry.centroid.y
    km_per_degree = math.pi * EARTH_RADIUS_KM / 180
    area_km2 = geometry.area * km_per_degree * km_per_degree * math.cos(math.radians(lat))
    return math.sqrt(area_km2 / math.pi) if area_km2 > 0 else None


def _on_one_town_hall(a: Place | Organization, b: Place | Organization) -> bool:
    return (
        (a.latitude, a.longitude) == (b.latitude, b.longitude)
        and a.location_precision == Organization.Precision.COMMUNE
        and b.location_precision == Organization.Precision.COMMUNE
        and a.commune_id == b.commune_id
    )


def commune_radii(commune_ids: Iterable[int]) -> dict[int, float | None]:
    """The disc radius of each commune asked (one query; none when the set is empty)."""
    ids = set(commune_ids)
    if not ids:
        return {}
    return {
        pk: commune_radius_km(outline)
        for pk, outline in Commune.objects.filter(pk__in=ids).values_list("pk", "outline")
    }


def distance_km(
    offer_side: Place | Organization, need_side: Place | Organization, radii: dict[int, float | None]
) -> tuple[float, bool]:
    """Road kilometres between the two sides' own points, and whether the figure is an estimate.

    ``radii`` holds the disc radius of the communes where both sides sit on one town hall
    (``commune_radii``); a commune missing from it counts ``SAME_COMMUNE_FALLBACK_KM``."""
    detour = float(settings.ROAD_DETOUR_FACTOR)
    if _on_one_town_hall(offer_side, need_side):
        radius = radii.get(offer_side.commune_id)
        straight = MEAN_DISC_DISTANCE * radius if radius else SAME_COMMUNE_FALLBACK_KM
        return straight * detour, True
    straight = haversine_km(offer_side.latitude, offer_side.longitude, need_side.latitude, need_side.longitude)
    return straight * detour, False


def shared_town_halls(pairs: Iterable[tuple[Place | Organization, Place | Organization]]) -> set[int]:
    """The communes where some pair sits on one town hall: the only outlines a set of distances reads."""
    return {a.commune_id for a, b in pairs if _on_one_town_hall(a, b)}


def distances_km(
    pairs: list[tuple[Place | Organization, Place | Organization]],
) -> list[tuple[float, bool]]:
    """``distance_km`` of every (offer side, need side) pair, reading the outlines it needs once."""
    radii = commune_radii(shared_town_halls(pairs))
    return [distance_km(a, b, radii) for a, b in pairs]


def recorded_km(km: float, *, points_differ: bool) -> Decimal:
    """A distance as ``Delivery.distance_km`` stores it (one decimal), never 0 between two points
    that differ."""
    value = Decimal(str(km)).quantize(RECORDED_MIN_KM, rounding=ROUND_HALF_UP)
    if points_differ and value < RECORDED_MIN_KM:
        return RECORDED_MIN_KM
    return value


def recorded_distance_km(
    offer_side: Place | Organization, need_side: Place | Organization, radii: dict[int, float | None]
) -> Decimal:
    """What ``Delivery.distance_km`` stores for a pair: ``distance_km`` with one decimal, never 0
    between two points that differ. Also what the data migration
    ``offers/0014_delivery_distance_from_points`` recomputed the older deliveries with."""
    km, estimated = distance_km(offer_side, need_side, radii)
    points_differ = estimated or (offer_side.latitude, offer_side.longitude) != (
        need_side.latitude,
        need_side.longitude,
    )
    return recorded_km(km, points_differ=points_differ)


def match_km(match) -> Decimal:
    """The kilometres to record with the delivery of ``match`` (its offer's and need's organizations)."""
    farm, structure = match.offer.organization, match.need.organization
    return recorded_distance_km(farm, structure, commune_radii(shared_town_halls([(farm, structure)])))


class RoundShare(NamedTuple):
    """A delivered lot's share of the round that carried it: km, and the round's vehicle kind."""

    km: float
    vehicle_kind: str


def round_shares(match_ids) -> dict[int, RoundShare]:
    """The km of the pooled rounds, shared among the deliveries they carried: match id → the
    round's km × the lot's share of the kilograms the round carried for its delivered lots
    (equal shares when none weighs anything). Over a round's deliveries the shares add up to the
    round's km. ``match_ids``: matches that were delivered (a lot not delivered takes no share)."""
    carried, loads = pooled_rounds.carrying(match_ids)
    out = {}
    for match_id, round_id in carried.items():
        load = loads.get(round_id)
        if load is None or match_id not in load.lots_kg:
            continue
        total = sum(load.lots_kg.values())
        share = load.lots_kg[match_id] / total if total else 1 / len(load.lots_kg)
        out[match_id] = RoundShare(load.km * share, load.vehicle_kind)
    return out


class DeliveredKm(NamedTuple):
    km: float
    estimated: bool  # two town-hall points of one commune: the commune's mean distance
    by_round: bool  # the match's share of the pooled round that carried it


def delivered_kms(matches) -> list[DeliveredKm]:
    """The kilometres of each match (its ``offer.organization`` and ``need.organization`` loaded),
    as the indicators count them: for a delivered match that a pooled round carried, its share of
    the round's km; otherwise (not delivered yet, or no round) the trip between both
    organizations' points."""
    from offers.models import Match

    matches = list(matches)
    delivered_ids = [m.pk for m in matches if m.status == Match.MatchStatus.DELIVERED]
    shares = round_shares(delivered_ids) if delivered_ids else {}
    direct = distances_km([(m.offer.organization, m.need.organization) for m in matches])
    out = []
    for match, (km, estimated) in zip(matches, direct, strict=True):
        share = shares.get(match.pk)
        out.append(DeliveredKm(share.km, False, True) if share else DeliveredKm(km, estimated, False))
    return out
