"""The officer's dashboard: figures, matching runs, recompute now, pairing by hand, CSV.

Kilometres come from the two organizations' own points, never from the stored
``Delivery.distance_km`` (the helper below stores 0 to prove it), and are never 0 between two
points of one commune."""

from __future__ import annotations

import datetime as dt
import math
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.urls import reverse
from shapely.geometry import shape

from miam.geo import haversine_km
from offers import indicators
from offers.models import Delivery, Match, MatchingRun
from tests.factories import NeedFactory, OfferFactory, UserFactory, commune, web_match

pytestmark = pytest.mark.usefixtures("geo")


DETOUR = 1.3
#: A farm at its exact address in Cluny, north of the town hall, and a structure at its own address,
#: a few hundred metres from the farm: two points of one commune.
CLUNY_FARM = (46.4420, 4.6610)
CLUNY_STRUCTURE = (46.4370, 4.6650)


def tenth(value: float) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def cluny_disc_km() -> float:
    """Both sides on Cluny's town hall: the mean distance between two points of a disc as large as
    Cluny, 128 R / 45 π with R = √(area / π), times the road detour."""
    outline = commune("71137").outline
    geometry = shape(outline.get("geometry", outline))
    km_per_degree = math.pi * 6371.0088 / 180
    area = geometry.area * km_per_degree**2 * math.cos(math.radians(geometry.centroid.y))
    return 128 * math.sqrt(area / math.pi) / (45 * math.pi) * DETOUR


def place(organization, point):
    organization.latitude, organization.longitude = point
    organization.location_precision = "address"
    organization.save()


def delivered(farm, structure, *, kg: str, eur: str = "0", km: str = "0", on=dt.date(2026, 3, 10)):
    match = web_match(OfferFactory(organization=farm), NeedFactory(organization=structure), status="delivered")
    Delivery.objects.create(
        match=match,
        delivered_on=on,
        mode="delivery",
        quantity_received=Decimal(kg),
        unit="kg",
        quantity_kg=Decimal(kg),
        amount_paid_eur=Decimal(eur),
        distance_km=Decimal(km),
    )
    return match


def test_indicators_add_up_deliveries_by_month(territory, farm, structure):
    place(farm, CLUNY_FARM)
    place(structure, CLUNY_STRUCTURE)
    delivered(farm, structure, kg="40", eur="12.50", km="5", on=dt.date(2026, 3, 10))
    delivered(farm, structure, kg="10", eur="0", km="7", on=dt.date(2026, 4, 2))
    data = indicators.territory_indicators(territory=territory)
    one_way = haversine_km(*CLUNY_FARM, *CLUNY_STRUCTURE) * DETOUR  # about 0.8 km: never 0
    assert one_way > 0.5
    assert data["totals"] == {"deliveries": 2, "kg": Decimal("50"), "eur": Decimal("12.50"), "km": tenth(2 * one_way)}
    assert [(row["deliveries"], row["km"]) for row in data["by_month"]] == [(1, tenth(one_way)), (1, tenth(one_way))]
    assert data["matches"]["delivered"] == 2


def test_two_organizations_on_one_town_hall_are_not_0_km_apart(territory, farm, structure):
    assert (farm.latitude, farm.longitude) == (structure.latitude, structure.longitude)  # Cluny's town hall
    delivered(farm, structure, kg="40", on=dt.date(2026, 3, 10))
    data = indicators.territory_indicators(territory=territory)
    assert cluny_disc_km() > 3  # Cluny covers about 24 km²
    assert data["totals"]["km"] == tenth(cluny_disc_km())
    assert data["by_month"][0]["km"] == tenth(cluny_disc_km())


def test_the_dashboard_and_the_territory_indicators_count_the_same_kilometres(territory, farm, structure):
    from indicators.periods import period_between
    from indicators.selectors import compute

    place(farm, CLUNY_FARM)
    delivered(farm, structure, kg="40", on=dt.date(2026, 3, 10))  # farm at its address, structure on the town hall
    delivered(farm, structure, kg="40", on=dt.date(2026, 3, 12))
    dashboard = indicators.delivery_totals(territory=territory)["km"]
    figures = compute(territory=territory, period=period_between(dt.date(2026, 1, 1), dt.date(2026, 12, 31)))
    cluny = commune("71137")
    assert (
        dashboard
        == figures["deliveries"]["km"]
        == tenth(2 * haversine_km(*CLUNY_FARM, cluny.latitude, cluny.longitude) * DETOUR)
    )


def test_needs_covered_is_the_covered_share_of_what_was_asked(territory, structure):
    NeedFactory(organization=structure, quantity=100).__class__.objects.filter().update(quantity_covered=Decimal("25"))
    NeedFactory(organization=structure, quantity=100)
    assert indicators.needs_coverage(territory=territory)["percent"] == 12  # 25 of 200


def test_another_territory_deliveries_are_not_counted(territory, farm, structure):
    from tests.factories import FarmFactory, StructureFactory, commune

    far_farm, far_structure = FarmFactory(commune=commune("25462")), StructureFactory(commune=commune("25462"))
    delivered(far_farm, far_structure, kg="99")
    assert indicators.delivery_totals(territory=territory)["deliveries"] == 0


def test_the_csv_export_has_the_same_figures(client, territory, officer, farm, structure):
    delivered(farm, structure, kg="40", eur="12.50")
    client.force_login(officer)
    response = client.get(reverse("offers:indicators_csv"))
    assert response["Content-Type"].startswith("text/csv")
    body = response.content.decode("utf-8-sig")
    assert "Kilos livrés;40,00" in body and "Euros payés aux producteurs;12,50" in body and "01/03/2026;1;40,00" in body


def test_the_indicators_export_says_its_period_and_exists_as_xlsx(client, territory, officer, farm, structure):
    from io import BytesIO

    from django.utils import timezone
    from openpyxl import load_workbook

    delivered(farm, structure, kg="40", eur="12.50")
    client.force_login(officer)
    lines = client.get(reverse("offers:indicators_csv")).content.decode("utf-8-sig").splitlines()
    today = timezone.localdate().strftime("%d/%m/%Y")
    assert lines[1] == f"Période;{Delivery.objects.get().delivered_on:%d/%m/%Y};{today}"
    response = client.get(reverse("offers:indicators_xlsx"))
    sheet = load_workbook(BytesIO(response.content)).active
    rows = [[c.value for c in row if c.value is not None] for row in sheet.iter_rows()]
    assert ["Kilos livrés", 40] in rows and rows[1][0] == "Période" and rows[1][2].date() == timezone.localdate()


def test_the_dashboard_shows_actors_listings_matches_and_indicators(client, territory, officer, farm, structure):
    delivered(farm, structure, kg="40")
    OfferFactory(organization=farm)
    client.force_login(officer)
    response = client.get(reverse("offers:dashboard"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="indicator-kg">40<' in html
    assert response.context["listings"]["offers"] >= 1
    assert ("Ferme", 1) in response.context["actors"]
    assert "Recalculer maintenant" in html


def test_only_the_territory_team_sees_the_dashboard(client, territory, farmer):
    client.force_login(farmer)
    assert client.get(reverse("offers:dashboard")).status_code == 403
    client.logout()
    assert client.get(reverse("offers:dashboard")).status_code == 302  # to the sign-in page


def test_recompute_now_runs_matching_and_shows_the_run(
    client, territory, officer, farm, structure, django_capture_on_commit_callbacks
):
    OfferFactory(organization=farm, logistics=["delivery"], delivery_radius_km=20)
    NeedFactory(organization=structure)
    client.force_login(officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("offers:matching_request"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'id="matching-runs"' in response.content.decode()
    run = MatchingRun.objects.get(territory=territory, trigger="manual")
    assert run.status == MatchingRun.RunStatus.SUCCESS
    assert Match.objects.filter(offer__organization=farm).exists()


def test_a_running_run_is_polled_until_it_ends(client, territory, officer):
    MatchingRun.objects.create(territory=territory, trigger="manual", status="running", progress=40, stage="load")
    client.force_login(officer)
    html = client.get(reverse("offers:dashboard_runs")).content.decode()
    assert 'hx-trigger="every 1s"' in html and 'value="40"' in html
    assert "40 % · lecture des offres et besoins" in html and "· load" not in html
    MatchingRun.objects.update(status="success", progress=100)
    assert "every 1s" not in client.get(reverse("offers:dashboard_runs")).content.decode()


def test_an_officer_proposes_a_pairing_by_hand(client, territory, officer, farm, structure):
    offer = OfferFactory(organization=farm, quantity=100, logistics=["delivery"], delivery_radius_km=20)
    need = NeedFactory(organization=structure, quantity=30)
    client.force_login(officer)
    response = client.post(
        reverse("offers:match_propose"), {"offer": offer.pk, "need": need.pk, "quantity": "30"}, follow=True
    )
    assert response.status_code == 200
    match = Match.objects.get(offer=offer, need=need)
    assert match.origin == Match.Origin.MANUAL and match.quantity == 30


def test_pairing_by_hand_is_for_officers_only(client, territory, farmer):
    client.force_login(farmer)
    assert client.get(reverse("offers:match_propose")).status_code == 403


def test_the_dashboard_query_count_is_pinned(
    client, territory, officer, farm, structure, django_assert_max_num_queries
):
    for _ in range(10):
        delivered(farm, structure, kg="3")
    client.force_login(officer)
    client.get(reverse("offers:dashboard"))
    with django_assert_max_num_queries(26):  # + 1: the pooled rounds that carried the deliveries (their km share)
        assert client.get(reverse("offers:dashboard")).status_code == 200


def test_strangers_cannot_export(client, territory):
    client.force_login(UserFactory())
    assert client.get(reverse("offers:indicators_csv")).status_code == 403


def test_the_farmer_the_structure_and_the_officer_see_the_same_kilometres(client, officer, farm, farmer, structure):
    """Both on Cluny's town hall: the matching said 0 km (it stored 0.0), the pages say the estimate."""
    from tests.factories import make_member

    match = delivered(farm, structure, kg="40")
    Match.objects.filter(pk=match.pk).update(distance_km=Decimal("0.0"))
    shown = f"{tenth(cluny_disc_km())} km".replace(".", ",")  # « 3,3 km »
    for person in (farmer, make_member(structure)):
        client.force_login(person)
        html = client.get(reverse("offers:deliveries")).content.decode()
        assert f"· {shown}" in html and "· 0 km" not in html
    client.force_login(farmer)
    assert shown in client.get(reverse("offers:match_detail", args=[match.pk])).content.decode()
    client.force_login(officer)  # the dashboard's recent matches
    assert f"<td>{shown}</td>" in client.get(reverse("offers:dashboard")).content.decode()
