"""The map's layer of hubs and cold rooms (registered in ``LogisticsConfig.ready``).

A hub is a public place and sits where it was put (its commune, or its organization's own
place when it is in that commune); its marker opens the page of the organization that runs it."""

from __future__ import annotations

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from actors.models import Territory
from logistics.models import Hub
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
)
