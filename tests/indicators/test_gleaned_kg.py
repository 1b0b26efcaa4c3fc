"""Kilograms gleaned, recorded per structure after a gleaning day, feed the deliveries (the need
they cover counts them) and the indicators; computed by hand on the dataset of conftest.py, in its
second quarter (before: 50 kg of apples, d3, and 5 dozen eggs weighed 3.480 kg, d4)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from indicators import selectors
from logistics.models import GleaningDay
from logistics.services import gleaning
from offers.models import Delivery, Need
from tests.factories import NeedFactory, OfferFactory, category, commune, make_member
from tests.indicators.conftest import at
from tests.indicators.test_figures import Q2

pytestmark = pytest.mark.django_db
MAY_20 = dt.date(2026, 5, 20)


def q2(dataset):
    return selectors.territory_indicators(principal=dataset.officer, territory=dataset.territory, period=Q2)


def fruit(figures) -> dict:
    (row,) = [f for f in figures["by_family"] if f["code"] == "fruits"]
    return row


@pytest.fixture
def gleaned(dataset):
    """A gleaning day in the Ferme de Blanot's orchard on 20 May: Restos de Blanot takes 60 kg of
    apples home (it needs 60: the need is covered), Épicerie de Cluny 25 kg (it has no need for
    fruit: nothing to cover, the kilograms still count)."""
    before = q2(dataset)
    offer = OfferFactory(organization=dataset.blanot, category=category("apples-pears"), quantity=200)
    offer.logistics = ["gleaning"]
    offer.save(update_fields=["logistics"])
    need = NeedFactory(
        organization=dataset.restos,
        categories=["apples-pears"],
        quantity=60,
        window_start=dt.date(2026, 5, 1),
        window_end=dt.date(2026, 5, 31),
    )
    Need.objects.filter(pk=need.pk).update(created_at=at(dt.date(2026, 5, 2)))
    blanot = commune("71039")
    day = GleaningDay.objects.create(
        offer=offer,
        place="Verger de Blanot",
        commune=blanot,
        latitude=blanot.latitude,
        longitude=blanot.longitude,
        date=MAY_20,
        starts_at=dt.time(9),
        ends_at=dt.time(17),
        status=GleaningDay.GleaningStatus.CONFIRMED,
        agreement_reference="CONV-2026-05",
        insurance_reference="MAIF 123",
    )
    organiser = make_member(dataset.blanot)
    restos, epicerie = dataset.restos, dataset.epicerie
    gleaning.gleaning_record_harvest(by=organiser, day=day, structure=restos, quantity_kg=Decimal(50))
    gleaning.gleaning_record_harvest(by=organiser, day=day, structure=restos, quantity_kg=Decimal(60))  # corrected
    gleaning.gleaning_record_harvest(by=organiser, day=day, structure=epicerie, quantity_kg=Decimal(25))
    return before, need


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
