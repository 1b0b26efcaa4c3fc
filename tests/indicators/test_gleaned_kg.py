"""Kilograms gleaned, recorded per structure after a gleaning day, feed the deliveries (the need
they cover counts them) and the indicators; computed by hand on the dataset of conftest.py, in its
second quarter (before: 50 kg of apples, d3, and 5 dozen eggs weighed 3.480 kg, d4)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from indicators import selectors
from offers.models import Delivery
from tests.indicators.test_figures import Q2

pytestmark = pytest.mark.django_db
MAY_20 = dt.date(2026, 5, 20)


def q2(dataset):
    return selectors.territory_indicators(principal=dataset.officer, territory=dataset.territory, period=Q2)


def fruit(figures) -> dict:
    (row,) = [f for f in figures["by_family"] if f["code"] == "fruits"]
    return row


def test_a_harvest_is_the_delivery_of_the_need_it_covers(gleaned):
    _before, need = gleaned
    (delivery,) = Delivery.objects.filter(match__need=need)
    assert (delivery.delivered_on, delivery.mode, delivery.quantity_kg) == (MAY_20, "gleaning", Decimal(60))
    assert delivery.gleaning_harvest.quantity_kg == 60
    need.refresh_from_db()
    assert (need.quantity_covered, need.status) == (Decimal(60), "fully_matched")  # 60, not 50 + 60
    assert delivery.match.status == "delivered" and delivery.match.origin == "gleaning"


def test_gleaned_kilograms_count_by_family_and_the_covered_need_too(dataset, gleaned):
    before, _need = gleaned
    after = q2(dataset)
    # 60 kg delivered to the Restos' need + 25 kg for the Épicerie, which had no need for fruit.
    assert after["deliveries"]["gleaned_kg"] == Decimal("85.000")
    assert after["deliveries"]["gleaned_without_delivery"] == 1
    assert before["deliveries"]["kg"] == Decimal("53.480")
    assert after["deliveries"]["kg"] == Decimal("138.480")  # 50 + 3.480 + 60 + 25
    assert after["deliveries"]["deliveries"] == before["deliveries"]["deliveries"] + 1
    assert fruit(after)["kg"] == Decimal("135.000")  # 50 (d3) + 60 + 25
    may = next(m for m in after["by_month"] if m["month"] == dt.date(2026, 5, 1))
    assert may["kg"] == Decimal("3.480") + 85
    assert after["impact"]["meals"] == 277  # 138.48 kg ÷ 0.5 kg a meal = 276.96
    fruit_needs = {r["code"]: r for r in before["needs_by_family"]}.get("fruits", {"needs": 0, "covered": 0})
    fruit_needs_after = {r["code"]: r for r in after["needs_by_family"]}["fruits"]
    assert (fruit_needs_after["needs"], fruit_needs_after["covered"]) == (
        fruit_needs["needs"] + 1,
        fruit_needs["covered"] + 1,
    )
