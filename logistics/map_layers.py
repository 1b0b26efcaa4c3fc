"""The map's layers of hubs and cold rooms, and of vehicles (registered in
``LogisticsConfig.ready``).

A hub is a public place and sits where it was put (its commune, or its organization's own
place when it is in that commune); its marker opens the page of the organization that runs it.
A vehicle sits at its home hub, else at its organization (an organization's resource, no
person's: its drivers are never shown)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from actors.models import Territory
from logistics.models import Hub, Vehicle
from miam.maps import MapLayer, point

COLUMNS = ("lat", "lon", "id", "name", "commune", "chilled_kg", "frozen_kg", "dry_kg")


def hubs(*, territory: Territory, filters: dict | None = None) -> QuerySet:
    return (
        Hub.objects.filter(is_active=True, commune__territories=territory)
        .select_related("commune", "organization")
        .order_by("name", "id")
    )


def rows(*, territory: Territory, exact: bool, filters: dict) -> list[list]:
    out = []
    for lat, lon, org_id, name, commune, chilled, frozen, dry in hubs(territory=territory).values_list(
        "latitude",
        "longitude",
        "organization_id",
        "name",
        "commune__name",
        "chilled_capacity_kg",
        "frozen_capacity_kg",
        "dry_capacity_kg",
    ):
        where = point(lat, lon)
        if where:
            out.append([*where, org_id, name, commune, chilled, frozen, dry])
    return out


def _detail_url() -> str:
    return reverse("actors:organization_detail", args=[0]).replace("/0/", "/{id}/")


VEHICLE_COLUMNS = ("lat", "lon", "id", "name", "by", "commune", "capacity_kg", "refrigerated")


def vehicles(*, territory: Territory, filters: dict | None = None) -> QuerySet:
    from django.db.models import Q

    return (
        Vehicle.objects.filter(is_active=True)
        .filter(
            Q(hub__commune__territories=territory) | Q(hub__isnull=True, organization__commune__territories=territory)
        )
        .select_related("organization__commune", "hub__commune")
        .distinct()
        .order_by("name", "id")
    )


def vehicle_rows(*, territory: Territory, exact: bool, filters: dict) -> list[list]:
    out = []
    for v in vehicles(territory=territory):
        place = v.hub if v.hub_id else v.organization
        where = point(place.latitude, place.longitude)
        if where:
            out.append(
                [
                    *where,
                    v.organization_id,
                    v.name,
                    v.organization.name,
                    place.commune.name,
                    float(v.capacity_kg),
                    v.is_refrigerated,
                ]
            )
    return out


LAYERS = (
    MapLayer(
        code="hubs",
        label=_("Hubs et chambres froides"),
        order=45,
        columns=COLUMNS,
        rows=rows,
        listing=hubs,
        detail_url=_detail_url,
    ),
    MapLayer(
        code="vehicles",
        label=_("Véhicules"),
        order=46,
        columns=VEHICLE_COLUMNS,
        rows=vehicle_rows,
        listing=vehicles,
        detail_url=_detail_url,
    ),
)
