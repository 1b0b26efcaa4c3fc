"""The map's layer of catalog initiatives placed in the territory (registered in
``InitiativesConfig.ready``)."""

from __future__ import annotations

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from actors.models import Territory
from initiatives.models import Initiative
from miam.maps import MapLayer, point


def initiatives(*, territory: Territory, filters: dict | None = None) -> QuerySet:
    return (
        Initiative.objects.filter(is_published=True, latitude__isnull=False, commune__territories=territory)
        .select_related("commune")
        .order_by("name", "id")
    )


def rows(*, territory: Territory, exact: bool, filters: dict) -> list[list]:
    out = []
    for lat, lon, slug, name, commune_name in initiatives(territory=territory).values_list(
        "latitude", "longitude", "slug", "name", "commune__name"
    ):
        out.append([*point(lat, lon), slug, name, commune_name or ""])
    return out


def _detail_url() -> str:
    return reverse("initiatives:detail", args=["slug-placeholder"]).replace("slug-placeholder", "{id}")


LAYER = MapLayer(
    code="initiatives",
    label=_("Initiatives"),
    order=50,
    columns=("lat", "lon", "id", "name", "commune"),
    rows=rows,
    listing=initiatives,
    detail_url=_detail_url,
)
