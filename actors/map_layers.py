"""The map's layers of farms and food-aid structures (registered in ``ActorsConfig.ready``).

The map shows public fields only. For visitors (and anyone who is not on the territory's
team), an organization sits at its commune's town-hall point, never at its address.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from actors.models import PRODUCER_KINDS, Organization, Territory
from actors.permissions import viewer_territory_ids
from miam.maps import MapLayer, point

COLUMNS = ("lat", "lon", "id", "name", "commune")
#: An organization's exact place, then its commune's: ``values_list`` columns for ``place``.
PLACE = ("latitude", "longitude", "commune__latitude", "commune__longitude")


def sees_exact_locations(user, territory: Territory) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and territory.pk in viewer_territory_ids(user)


def place(row, exact: bool, offset: int = 0) -> tuple[float, float] | None:
    """(lat, lon) from a row holding ``PLACE`` at ``offset``: exact, or the commune's."""
    return point(row[offset], row[offset + 1]) if exact else point(row[offset + 2], row[offset + 3])


def prefixed(prefix: str) -> tuple[str, ...]:
    """``PLACE`` seen from a model that points at an organization (``"organization__"``)."""
    return tuple(prefix + name for name in PLACE)


def organizations(*, territory: Territory, kinds) -> QuerySet:
    return (
        Organization.objects.filter(is_active=True, kind__in=kinds, commune__territories=territory)
        .select_related("commune")
        .order_by("name", "id")
    )


def _rows(kinds):
    def rows(*, territory: Territory, exact: bool, filters: dict) -> list[list]:
        out = []
        for row in organizations(territory=territory, kinds=kinds).values_list(*PLACE, "id", "name", "commune__name"):
            where = place(row, exact)
            if where:
                out.append([*where, row[4], row[5], row[6]])
        return out

    return rows


def _listing(kinds):
    def listing(*, territory: Territory, filters: dict) -> QuerySet:
        return organizations(territory=territory, kinds=kinds)

    return listing


def _organization_url() -> str:
    return reverse("actors:organization_detail", args=[0]).replace("/0/", "/{id}/")


LAYERS = (
    MapLayer(
        code="farms",
        label=_("Fermes"),
        order=10,
        columns=COLUMNS,
        rows=_rows(PRODUCER_KINDS),
        listing=_listing(PRODUCER_KINDS),
        detail_url=_organization_url,
    ),
    MapLayer(
        code="structures",
        label=_("Structures d'aide alimentaire"),
        order=20,
        columns=COLUMNS,
        rows=_rows((Organization.Kind.FOOD_AID,)),
        listing=_listing((Organization.Kind.FOOD_AID,)),
        detail_url=_organization_url,
    ),
)
