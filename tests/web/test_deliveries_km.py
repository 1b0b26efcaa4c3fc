"""« Mes livraisons », its export and the officer's dashboard count a delivery's kilometres as the
indicators do (``offers.distances``): from both organizations' points, never the matching's stored
``Match.distance_km``; a delivery a pooled round carried counts its share of the round's km (by the
kilograms of the round's delivered lots), not a trip of its own."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from logistics.models import Round, Stop, Vehicle
from miam.geo import haversine_km
from offers import indicators
from offers.models import Delivery, Match
from tests.factories import NeedFactory, OfferFactory, StructureFactory, web_match

pytestmark = pytest.mark.usefixtures("geo")
FARM, EPICERIE, RESTOS = (46.4420, 4.6610), (46.4370, 4.6650), (46.4731, 4.7301)
MARCH_10 = dt.date(2026, 3, 10)
KM_COLUMN, BY_ROUND_COLUMN = "Distance (km)", "Portée par une tournée mutualisée (km : sa part de la tournée)"


def tenth(value) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def at(organization, point):
    organization.latitude, organization.longitude = point
    organization.location_precision = "address"
    organization.save()


def delivered(farm, structure, *, kg: int) -> Match:
    """A delivered match whose stored distance (the matching's estimate) is 4.2 km and whose
    recorded delivery says 0 km: neither is read."""
    match = web_match(OfferFactory(organization=farm), NeedFactory(organization=structure), status="delivered")
    assert match.distance_km == Decimal("4.2")
    Delivery.objects.create(
        match=match,
        delivered_on=MARCH_10,
        mode="partner",
        quantity_received=Decimal(kg),
        unit="kg",
        quantity_kg=Decimal(kg),
        distance_km=Decimal(0),
    )
    return match


@pytest.fixture
def three(territory, farm, structure):
    """The farm delivered the Épicerie itself (a), and a 30 km round carried 90 kg to the Restos (b)
    and 30 kg to the Épicerie (c), with a 60 kg lot of a match never delivered."""
    restos = StructureFactory(name="Restos de Blanot")
    at(farm, FARM)
    at(structure, EPICERIE)
    at(restos, RESTOS)
    a, b, c = delivered(farm, structure, kg=10), delivered(farm, restos, kg=90), delivered(farm, structure, kg=30)
    never = web_match(OfferFactory(organization=farm), NeedFactory(organization=restos), status="scheduled")
    van = Vehicle.objects.create(organization=restos, name="Fourgon", capacity_kg=Decimal(800))
    made = Round.objects.create(
        territory=territory,
        day=MARCH_10,
        vehicle=van,
        status=Round.RoundStatus.DONE,
        starts_at=dt.time(8),
        ends_at=dt.time(12),
        distance_km=Decimal(30),
        duration_min=240,
    )
    for position, (match, kg) in enumerate([(b, 90), (c, 30), (never, 60)], start=1):
        Stop.objects.create(
            round=made,
            position=position,
            kind=Stop.Kind.PICKUP,
            organization=farm,
            match=match,
            latitude=farm.latitude,
            longitude=farm.longitude,
            arrives_at=dt.time(9),
            quantity_kg=Decimal(kg),
        )
    direct = haversine_km(*FARM, *EPICERIE) * 1.3  # about 0.8 km, not the 4.2 stored
    return a, b, c, direct


def by_id(rows) -> tuple[dict, list]:
    header = rows[0]
    return {row[0]: dict(zip(header, row, strict=False)) for row in rows[1:]}, header


def test_my_deliveries_export_counts_the_points_and_the_round_share_not_the_stored_distance(client, farmer, three):
    a, b, c, direct = three
    client.force_login(farmer)
    sheet = load_workbook(io.BytesIO(client.get(reverse("offers:deliveries"), {"format": "xlsx"}).content)).active
    rows, header = by_id([[cell.value for cell in row] for row in sheet.iter_rows()])
    assert KM_COLUMN in header and BY_ROUND_COLUMN in header
    assert tenth(direct) != Decimal("4.2")
    assert rows[a.pk][KM_COLUMN] == pytest.approx(float(tenth(direct)))
    # 30 km × 90 / (90 + 30) and 30 km × 30 / 120: the lot never delivered takes no share.
    assert (rows[b.pk][KM_COLUMN], rows[c.pk][KM_COLUMN]) == (pytest.approx(22.5), pytest.approx(7.5))
    assert [rows[m.pk][BY_ROUND_COLUMN] for m in (a, b, c)] == ["non", "oui", "oui"]
    response = client.get(reverse("offers:deliveries"), {"format": "csv"})
    rows, _header = by_id(list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";")))
    assert [rows[str(m.pk)][KM_COLUMN] for m in (a, b, c)] == [str(tenth(direct)).replace(".", ","), "22,5", "7,5"]


def test_my_deliveries_page_says_which_km_are_a_share_of_a_round(client, farmer, three):
    client.force_login(farmer)
    html = client.get(reverse("offers:deliveries")).content.decode()
    assert html.count("(sa part de la tournée mutualisée)") == 2  # b and c, not a


def test_the_dashboard_counts_a_round_s_km_once_shared_among_its_deliveries(territory, three):
    _a, _b, _c, direct = three
    data = indicators.territory_indicators(territory=territory)
    assert data["totals"]["km"] == tenth(direct + 30)
