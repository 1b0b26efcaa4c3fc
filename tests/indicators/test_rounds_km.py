"""Kilometres of pooled rounds, shared among the deliveries they carried (by the kilograms each lot
weighed on the round), with the round's vehicle's CO₂e factor; computed by hand on the dataset of
conftest.py, in its first quarter."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from indicators import selectors
from indicators.models import Factor
from logistics.models import Round, Stop, Vehicle
from offers.models import Match
from tests.factories import NeedFactory, OfferFactory, category
from tests.indicators.conftest import _deliver
from tests.indicators.test_figures import Q1, cluny_same_commune_km, d, tenth

pytestmark = pytest.mark.django_db
FEBRUARY_10 = dt.date(2026, 2, 10)


def a_round(dataset, vehicle, *, day, km, lots, status=Round.RoundStatus.DONE) -> Round:
    """A round of the territory that picked up each (match, kg) of ``lots``."""
    made = Round.objects.create(
        territory=dataset.territory,
        day=day,
        vehicle=vehicle,
        status=status,
        starts_at=dt.time(8),
        ends_at=dt.time(12),
        distance_km=Decimal(km),
        duration_min=240,
    )
    Stop.objects.bulk_create(
        Stop(
            round=made,
            position=position,
            kind=Stop.Kind.PICKUP,
            organization=match.offer.organization,
            match=match,
            latitude=match.offer.organization.latitude,
            longitude=match.offer.organization.longitude,
            arrives_at=dt.time(9),
            quantity_kg=Decimal(kg),
        )
        for position, (match, kg) in enumerate(lots, start=1)
    )
    return made


@pytest.fixture
def carried(dataset):
    """d2 (90 kg of potatoes, Blanot → Cluny) and d5 (30 kg, Ferme du Bourg → Restos de Blanot) rode
    on one 30 km round of a car on 10 February, with a 60 kg lot that was cancelled on the way; a
    cancelled round had planned to take d2 too."""
    d5 = _deliver(
        OfferFactory(organization=dataset.bourg, category=category("potatoes"), quantity=30),
        NeedFactory(organization=dataset.restos, categories=["potatoes"], quantity=30),
        key="d5",
        on=FEBRUARY_10,
        quantity=Decimal(30),
        unit="kg",
        kg=Decimal(30),
        mode="partner",
        posted=dt.date(2026, 2, 1),
        proposed=dt.date(2026, 2, 2),
        confirmed=dt.date(2026, 2, 6),
    )
    dropped = Match.objects.create(
        offer=OfferFactory(organization=dataset.blanot, quantity=60),
        need=NeedFactory(organization=dataset.epicerie, quantity=60),
        quantity=Decimal(60),
        unit="kg",
        status=Match.MatchStatus.CANCELLED,
    )
    car = Vehicle.objects.create(
        organization=dataset.restos, name="Voiture des bénévoles", kind=Vehicle.Kind.CAR, capacity_kg=Decimal(300)
    )
    d2 = dataset.deliveries["d2"]
    a_round(dataset, car, day=FEBRUARY_10, km="30.0", lots=[(d2.match, 90), (d5.match, 30), (dropped, 60)])
    van = Vehicle.objects.create(organization=dataset.bourg, name="Fourgon", capacity_kg=Decimal(800))
    a_round(dataset, van, day=dt.date(2026, 2, 11), km="55.0", lots=[(d2.match, 90)], status="cancelled")
    return d2, d5


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
