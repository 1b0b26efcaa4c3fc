"""Building blocks for the logistics tests: a Tuesday, places of the Clunisois, confirmed matches."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from actors.models import Organization, StructureProfile
from logistics.models import Hub, Vehicle
from offers.models import Logistics, Match
from tests.factories import FarmFactory, OrganizationFactory, StructureFactory, commune, matching_need, matching_offer

# Farms to the north of Cluny, structures around it: a round beats one trip per match.
FARM_COMMUNES = ("71007", "71532", "71057")  # Ameugny, Taizé, Bray
STRUCTURE_COMMUNES = ("71137", "71240", "71264")  # Cluny, Jalogny, Lournand


def next_tuesday() -> dt.date:
    today = timezone.localdate()
    return today + dt.timedelta(days=(1 - today.weekday()) % 7 or 7)


def at(code: str, factory=OrganizationFactory, **kwargs) -> Organization:
    place = commune(code)
    return factory(commune=place, latitude=place.latitude, longitude=place.longitude, **kwargs)


def farm(code: str) -> Organization:
    return at(code, FarmFactory)


def structure(code: str, *, hours: str = "") -> Organization:
    org = at(code, StructureFactory)
    if hours:
        StructureProfile.objects.filter(organization=org).update(distribution_hours=hours)
    return org


def confirmed_match(farm_org, structure_org, *, day, kg=100, category="potatoes", **offer_fields) -> Match:
    offer = matching_offer(farm_org, category=category, quantity=500, **offer_fields)
    need = matching_need(structure_org, quantity=500)
    return Match.objects.create(
        offer=offer,
        need=need,
        quantity=Decimal(kg),
        unit="kg",
        quantity_kg=Decimal(kg),
        status=Match.MatchStatus.CONFIRMED,
        scheduled_for=day,
        mode=Logistics.PARTNER,
    )


def three_matches(day, **kwargs) -> list[Match]:
    """A confirmed match from each farm of ``FARM_COMMUNES`` to the structure of
    ``STRUCTURE_COMMUNES`` at the same rank, on ``day`` (``kwargs``: ``confirmed_match``'s)."""
    return [
        confirmed_match(farm(f), structure(s), day=day, **kwargs)
        for f, s in zip(FARM_COMMUNES, STRUCTURE_COMMUNES, strict=True)
    ]


def logistics_org(code: str = "71137") -> Organization:
    return at(code, kind=Organization.Kind.LOGISTICS, name="Plateforme logistique du Clunisois")


def vehicle(owner=None, *, capacity=1000, refrigerated=True, days=(0, 1, 2, 3, 4), **fields) -> Vehicle:
    return Vehicle.objects.create(
        organization=owner or logistics_org(),
        name=fields.pop("name", "Camion"),
        capacity_kg=Decimal(capacity),
        is_refrigerated=refrigerated,
        days_available=list(days),
        **fields,
    )


def hub(owner=None, code: str = "71137", **fields) -> Hub:
    place = commune(code)
    return Hub.objects.create(
        organization=owner or logistics_org(code),
        name=fields.pop("name", "Chambre froide de Cluny"),
        commune=place,
        latitude=place.latitude,
        longitude=place.longitude,
        **fields,
    )
