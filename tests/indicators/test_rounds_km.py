"""Kilometres of pooled rounds, shared among the deliveries they carried (by the kilograms each lot
weighed on the round), with the round's vehicle's CO₂e factor; computed by hand on the dataset of
conftest.py, in its first quarter."""

from __future__ import annotations

from decimal import Decimal

import pytest

from indicators import selectors
from indicators.models import Factor
from tests.indicators.test_figures import Q1, cluny_same_commune_km, d, tenth

pytestmark = pytest.mark.django_db


def test_a_round_s_km_are_shared_by_kilograms_among_the_deliveries_it_carried(carried):
    d2, d5 = carried
    shares = selectors.round_shares(match_ids=[d2.match_id, d5.match_id])
    # 30 km × 90 / (90 + 30) and 30 km × 30 / 120: the cancelled lot is no delivery, the cancelled
    # round carried nothing; the shares add up to the round's 30 km.
    assert shares == {
        d2.match_id: (pytest.approx(22.5), Factor.Code.CO2E_CAR),
        d5.match_id: (pytest.approx(7.5), Factor.Code.CO2E_CAR),
    }


def test_the_period_counts_the_round_s_km_instead_of_each_delivery_s_own_trip(dataset, carried):
    q1 = selectors.territory_indicators(principal=dataset.officer, territory=dataset.territory, period=Q1)
    # d1 (the farm's van, same commune) keeps its own distance; d2 and d5 count the round: 30 km in all.
    same_commune = cluny_same_commune_km()
    assert q1["deliveries"]["km"] == tenth(same_commune + 30)
    assert q1["deliveries"]["round_deliveries"] == 2
    van, car = Factor.objects.get(code="co2e_km_van"), Factor.objects.get(code="co2e_km_car")
    assert q1["impact"]["co2e_kg"] == tenth(d(same_commune) * van.value + 30 * car.value)
    used = {f["code"]: f for f in q1["impact"]["co2e_factors"]}
    assert (used["co2e_km_car"]["km"], used["co2e_km_van"]["km"]) == (Decimal("30.0"), tenth(same_commune))
