"""THE figures, on the hand-built dataset of conftest.py, over two quarters: every expected value is
computed here by hand from the dataset, never read back from the code under test."""

from __future__ import annotations

import datetime as dt
import math
from decimal import ROUND_HALF_UP, Decimal

import pytest
from shapely.geometry import shape

from indicators import selectors
from indicators.models import Factor
from indicators.periods import period_parse
from miam.errors import NotAllowed
from miam.geo import haversine_km
from tests.factories import UserFactory, commune
from tests.indicators.conftest import BLANOT_FARM, BLANOT_RESTOS

Q1, Q2 = period_parse("2026-Q1"), period_parse("2026-T2")
DETOUR = 1.3
EGG_DOZEN_KG = Decimal("0.696")  # 12 eggs of 58 g (docs/units.md)


def d(value) -> Decimal:
    return Decimal(str(value))


def tenth(value) -> Decimal:
    return d(value).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def cluny_same_commune_km() -> float:
    """Two points of Cluny both on its town hall: the mean distance between two points of a disc as
    large as Cluny (128 R / 45 π), times the road detour."""
    outline = commune("71137").outline
    geometry = shape(outline.get("geometry", outline))
    km_per_degree = math.pi * 6371.0088 / 180
    area = geometry.area * km_per_degree**2 * math.cos(math.radians(geometry.centroid.y))
    radius = math.sqrt(area / math.pi)
    return 128 * radius / (45 * math.pi) * DETOUR


def cluny_town_hall():
    cluny = commune("71137")
    return cluny.latitude, cluny.longitude


@pytest.fixture
def q1(dataset):
    return selectors.territory_indicators(principal=dataset.officer, territory=dataset.territory, period=Q1)


@pytest.fixture
def q2(dataset):
    return selectors.territory_indicators(principal=dataset.officer, territory=dataset.territory, period=Q2)


def test_kilograms_count_eggs_by_the_dozen_and_split_by_family_and_month(q1, q2):
    eggs_q1 = 10 * EGG_DOZEN_KG  # 6.960 kg, weighed by the units' factors (not recorded)
    assert q1["deliveries"]["kg"] == eggs_q1 + 90
    assert q1["deliveries"]["not_weighed"] == 0
    families = {row["code"]: row["kg"] for row in q1["by_family"]}
    assert families == {"vegetables": Decimal("90.000"), "eggs": Decimal("6.960")}
    assert [(row["month"], row["kg"], row["deliveries"]) for row in q1["by_month"]] == [
        (dt.date(2026, 1, 1), Decimal("6.960"), 1),
        (dt.date(2026, 2, 1), Decimal("90.000"), 1),
        (dt.date(2026, 3, 1), Decimal("0.000"), 0),
    ]
    assert q2["deliveries"]["kg"] == Decimal(50) + 5 * EGG_DOZEN_KG  # 53.480
    assert {row["code"]: row["kg"] for row in q2["by_family"]} == {
        "fruits": Decimal("50.000"),
        "eggs": Decimal("3.480"),
    }


def test_money_paid_donations_at_the_usual_price_and_solidarity_discounts(q1, q2):
    assert q1["deliveries"]["eur"] == Decimal("72.00")  # 90 kg × 0.80 €
    assert q1["deliveries"]["donation_value_eur"] == Decimal("30.00")  # 10 dozen × 3.00 € usual
    assert q1["deliveries"]["solidarity_discount_eur"] == Decimal("36.00")  # (1.20 − 0.80) × 90 kg
    assert q1["deliveries"]["donations_without_usual_price"] == 0
    assert q2["deliveries"]["eur"] == Decimal("100.00")  # 50 kg × 2.00 €, market price
    assert q2["deliveries"]["donation_value_eur"] == Decimal("0.00")
    assert q2["deliveries"]["donations_without_usual_price"] == 1  # said, not guessed
    assert q2["deliveries"]["solidarity_discount_eur"] == Decimal("0.00")


def test_share_of_labelled_products(q1, q2):
    assert q1["deliveries"]["labelled_kg"] == Decimal("90.000")
    assert q1["deliveries"]["labelled_share"] == tenth(100 * 90 / 96.96)  # 92.8 %
    assert q1["by_label"] == [{"label": "AB", "kg": Decimal("90.000")}]
    assert q2["deliveries"]["labelled_share"] == Decimal("0.0")


def test_kilometres_come_from_the_points_and_a_same_commune_delivery_is_never_zero(q1, q2):
    same_commune = cluny_same_commune_km()
    assert same_commune > 1  # Cluny covers about 24 km²: well above 0
    blanot_to_cluny = haversine_km(*BLANOT_FARM, *cluny_town_hall()) * DETOUR
    assert q1["deliveries"]["km"] == tenth(same_commune + blanot_to_cluny)
    assert q1["deliveries"]["km_estimated_deliveries"] == 1  # said beside the figure
    blanot_to_restos = haversine_km(*BLANOT_FARM, *BLANOT_RESTOS) * DETOUR
    assert q2["deliveries"]["km"] == tenth(blanot_to_restos + same_commune)


def test_meals_and_co2e_come_from_the_factors_table_and_name_it(q1, meal_factor):
    assert q1["impact"]["meals"] == 194  # 96.96 kg ÷ 0.5 kg a meal = 193.92
    assert q1["impact"]["meal_factor"]["id"] == meal_factor.pk
    assert q1["impact"]["meal_factor"]["value"] == Decimal("0.5")
    assert "Banques Alimentaires" in q1["impact"]["meal_factor"]["source"]
    van, car = Factor.objects.get(code="co2e_km_van"), Factor.objects.get(code="co2e_km_car")
    # d1: the farm's van, in Cluny; d2: the structure collects by car from Blanot.
    van_km = cluny_same_commune_km()
    car_km = haversine_km(*BLANOT_FARM, *cluny_town_hall()) * DETOUR
    expected = d(van_km) * van.value + d(car_km) * car.value
    assert q1["impact"]["co2e_kg"] == tenth(expected)
    used = {f["code"]: f for f in q1["impact"]["co2e_factors"]}
    assert used["co2e_km_van"]["id"] == van.pk and used["co2e_km_van"]["km"] == tenth(van_km)
    assert used["co2e_km_car"]["value"] == Decimal("0.218") and used["co2e_km_car"]["year"] == 2022
    assert "Base Carbone" in used["co2e_km_car"]["source"]


def test_a_new_factor_applies_from_its_day_and_the_past_keeps_its_own(dataset, meal_factor):
    newer = Factor.objects.create(
        code="meal_kg",
        value=Decimal("0.4"),
        unit="kg/repas",
        source_title="Convention révisée (test)",
        source_year=2026,
        valid_from=dt.date(2026, 4, 1),
    )
    q1 = selectors.territory_indicators(principal=dataset.officer, territory=dataset.territory, period=Q1)
    q2 = selectors.territory_indicators(principal=dataset.officer, territory=dataset.territory, period=Q2)
    assert (q1["impact"]["meals"], q1["impact"]["meal_factor"]["id"]) == (194, meal_factor.pk)
    assert (q2["impact"]["meals"], q2["impact"]["meal_factor"]["id"]) == (134, newer.pk)  # 53.48 ÷ 0.4 = 133.7


def test_people_reached_needs_covered_and_fill_rates(dataset, q1, q2):
    assert q1["people_reached"] == 100  # only the épicerie received
    assert q2["people_reached"] == 140  # the épicerie and the Restos
    # By family: who received it, and the people they serve each week.
    by_family = {r["code"]: (r["structures_served"], r["people_reached"]) for r in q1["by_family"]}
    assert by_family == {"vegetables": (1, 100), "eggs": (1, 100)}  # both went to the épicerie
    by_family = {r["code"]: (r["structures_served"], r["people_reached"]) for r in q2["by_family"]}
    assert by_family == {"fruits": (1, 40), "eggs": (1, 100)}  # apples to the Restos, eggs to the épicerie
    assert {r["code"]: (r["needs"], r["covered"]) for r in q1["needs_by_family"]} == {
        "eggs": (1, 0),
        "vegetables": (1, 0),
    }
    fill = {row.name: row for row in q1["fill_rates"]}
    assert fill["Épicerie de Cluny"].received_kg == Decimal("90.000")  # the fairness selector's own count
    assert [row.name for row in q1["fill_rates"]][0] == "Restos de Blanot"  # least served first


def test_organizations_activity_and_response_times(q1, q2):
    kinds = {row["kind"]: row for row in q1["organizations"]}
    assert (kinds["farm"]["registered"], kinds["farm"]["new"], kinds["farm"]["active"]) == (2, 0, 2)
    assert (kinds["food_aid"]["registered"], kinds["food_aid"]["active"]) == (2, 1)
    activity = q1["activity"]
    assert (activity["offers_posted"], activity["needs_posted"]) == (2, 2)
    assert (activity["matches_proposed"], activity["matches_accepted"], activity["matches_delivered"]) == (2, 2, 2)
    # Posted → first proposal: 3 and 1 days; proposal → confirmed: 2 and 4; confirmed (9:00) →
    # delivered (15:00): 5.25 and 4.25 days.
    assert activity["response_days"] == {
        "posted_to_first_proposal": 2.0,
        "proposal_to_confirmed": 3.0,
        "confirmed_to_delivered": 4.8,
    }
    assert q2["activity"]["matches_delivered"] == 2


def test_meetings_held_participants_by_kind_and_decisions(q1, q2):
    meetings = q1["meetings"]
    assert meetings["held"] == 1
    assert meetings["by_kind"][0]["kind"] == "steering_committee"
    assert meetings["participants"] == 2  # the Restos registered but did not come
    assert {r["kind"]: r["count"] for r in meetings["participants_by_actor_kind"]} == {"farm": 1, "resident": 1}
    assert [r["text"] for r in meetings["decisions"]] == ["Lancer une journée de glanage en juin."]
    assert q2["meetings"]["held"] == 0


def test_a_plan_indicator_in_kg_is_fed_by_the_deliveries(q1, q2):
    action = q1["action_plan"]["actions"][0]
    indicator = action["indicators"][0]
    assert indicator["from_deliveries"] is True
    assert indicator["value"] == Decimal("96.96")  # from 1 January to 31 March
    assert indicator["progress_percent"] == 48  # of 200 kg
    indicator = q2["action_plan"]["actions"][0]["indicators"][0]
    assert indicator["value"] == Decimal("150.44")  # 96.96 + 53.48, since the action started
    assert indicator["progress_percent"] == 75


def test_territories_compare_for_a_regional_viewer(dataset):
    from actors.models import TerritoryRole
    from tests.factories import TerritoryFactory

    jura = TerritoryFactory(name="PAT Cœur du Jura", slug="jura", epci_codes=["200071595"])
    TerritoryRole.objects.create(user=dataset.officer, territory=jura, role="officer")
    rows = selectors.territories_compare(principal=dataset.officer, period=Q1)
    by_name = {row["territory"]["name"]: row for row in rows}
    assert by_name["PAT du Clunisois"]["kg"] == Decimal("96.960")
    assert by_name["PAT du Clunisois"]["meals"] == 194
    assert by_name["PAT Cœur du Jura"]["deliveries"] == 0


def test_someone_outside_the_territory_reads_nothing(dataset):
    with pytest.raises(NotAllowed):
        selectors.territory_indicators(principal=UserFactory(), territory=dataset.territory, period=Q1)


def test_plan_indicators_in_euros_farms_and_tonnes_are_fed_too_and_others_keep_their_recorded_value(dataset):
    from initiatives.models import ActionIndicator, IndicatorValue, PlannedAction

    action = PlannedAction.objects.get(title="Dons de producteurs aux épiceries")
    ActionIndicator.objects.create(action=action, name="Payé aux producteurs", unit="€", target_value=344)
    ActionIndicator.objects.create(action=action, name="Fermes engagées", unit="fermes", target_value=4)
    ActionIndicator.objects.create(action=action, name="Volume", unit="tonnes", target_value=1)
    workshops = ActionIndicator.objects.create(action=action, name="Ateliers cuisine", unit="ateliers", target_value=10)
    IndicatorValue.objects.create(
        indicator=workshops, period_label="mars 2026", period_date=dt.date(2026, 3, 15), value=3
    )
    IndicatorValue.objects.create(
        indicator=workshops, period_label="mai 2026", period_date=dt.date(2026, 5, 15), value=5
    )

    def indicators(period):
        data = selectors.territory_indicators(principal=dataset.officer, territory=dataset.territory, period=period)
        return {i["name"]: i for i in data["action_plan"]["actions"][0]["indicators"]}

    q1, q2 = indicators(Q1), indicators(Q2)
    # Euros paid: d1 is a donation (0 €), d2 90 kg × 0.80 € = 72.00 €; then d3 50 kg × 2.00 € = 100.00 €.
    assert (q1["Payé aux producteurs"]["value"], q1["Payé aux producteurs"]["progress_percent"]) == (d("72.00"), 21)
    assert q2["Payé aux producteurs"]["value"] == d("172.00") and q2["Payé aux producteurs"]["progress_percent"] == 50
    # Farms: the Ferme du Bourg (d1, d4) and the Ferme de Blanot (d2, d3), since 1 January.
    assert (q1["Fermes engagées"]["value"], q2["Fermes engagées"]["value"]) == (d(2), d(2))
    assert q1["Fermes engagées"]["from_deliveries"] and q1["Fermes engagées"]["progress_percent"] == 50
    # Tonnes: 96.96 kg = 0.09696 t, to the hundredth.
    assert q1["Volume"]["value"] == d("0.10")
    # Not something deliveries measure: the last value recorded by the period's end.
    assert (q1["Ateliers cuisine"]["value"], q1["Ateliers cuisine"]["from_deliveries"]) == (d(3), False)
    assert q2["Ateliers cuisine"]["value"] == d(5) and q2["Ateliers cuisine"]["progress_percent"] == 50
