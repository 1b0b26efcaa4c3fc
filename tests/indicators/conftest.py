"""A hand-built territory over two quarters of 2026, whose every figure the tests compute by hand.

Clunisois (CC du Clunisois). Two farms, two food-aid structures:

- Ferme du Bourg, Cluny, placed on Cluny's town hall (commune precision), delivers in a van;
- Ferme de Blanot, at its exact address in Blanot, no vehicle;
- Épicerie de Cluny, on Cluny's town hall too, collects by car (no van), 100 people a week;
- Restos de Blanot, exact address in Blanot, 40 people a week.

First quarter (2026-Q1):
- d1, 15 January: Ferme du Bourg → Épicerie de Cluny, 10 dozen eggs, a donation (usual price
  3.00 € a dozen), delivered by the farm in its van; both on Cluny's town hall: same commune;
  its kilograms were not recorded (an old delivery): the units' factors weigh it (0.696 kg a dozen);
- d2, 10 February: Ferme de Blanot → Épicerie de Cluny, 90 kg of organic (AB) potatoes at the
  solidarity price of 0.80 €/kg instead of 1.20, collected by the structure (a car).
Second quarter (2026-Q2):
- d3, 20 April: Ferme de Blanot → Restos de Blanot, 50 kg of apples at the market price 2.00 €/kg,
  delivered (the farm has no van: a car);
- d4, 5 May: Ferme du Bourg → Épicerie de Cluny, 5 dozen eggs given without a usual price,
  delivered in the van; same commune again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils import timezone

from actors.models import Organization
from indicators import selectors
from indicators.factors import factors_seed
from indicators.models import Factor
from indicators.periods import period_parse
from initiatives.models import ActionIndicator, PlannedAction
from logistics.models import GleaningDay, Round, Stop, Vehicle
from logistics.services import gleaning
from meetings.models import Decision, Registration
from offers.models import Delivery, Match, Need, Offer
from tests.factories import (
    ActionPlanFactory,
    FarmFactory,
    MeetingFactory,
    NeedFactory,
    OfferFactory,
    StructureFactory,
    TerritoryFactory,
    category,
    commune,
    make_member,
    make_officer,
    web_match,
)

BLANOT_FARM = (46.4801, 4.7402)
BLANOT_RESTOS = (46.4731, 4.7301)


def at(day: dt.date, hour: int = 9) -> dt.datetime:
    return timezone.make_aware(dt.datetime(day.year, day.month, day.day, hour))


@dataclass
class Dataset:
    territory: object
    officer: object
    bourg: Organization
    blanot: Organization
    epicerie: Organization
    restos: Organization
    deliveries: dict


def _deliver(offer, need, *, key, on, quantity, unit, kg, mode, price=None, posted, proposed, confirmed):
    match = web_match(offer, need, quantity=quantity, unit=unit, status="delivered", price_per_unit=price, mode=mode)
    eur = (price * quantity).quantize(Decimal("0.01")) if price else Decimal(0)
    delivery = Delivery.objects.create(
        match=match,
        delivered_on=on,
        mode=mode,
        quantity_received=quantity,
        unit=unit,
        quantity_kg=kg,
        amount_paid_eur=eur,
        distance_km=Decimal("0"),  # what the matching recorded: never read, the points are
    )
    Need.objects.filter(pk=need.pk).update(created_at=at(posted))
    Offer.objects.filter(pk=offer.pk).update(created_at=at(posted))
    Match.objects.filter(pk=match.pk).update(
        created_at=at(proposed), confirmed_at=at(confirmed), delivered_at=at(on, 15)
    )
    return delivery


@pytest.fixture
def dataset(geo) -> Dataset:
    factors_seed(Factor)  # a transactional test elsewhere may have flushed the migration's rows
    territory = TerritoryFactory(name="PAT du Clunisois", slug="clunisois")
    officer = make_officer(territory, email="cm.pat@example.org")
    cluny, blanot_commune = commune("71137"), commune("71039")
    bourg = FarmFactory(name="Ferme du Bourg", commune=cluny, profile__vehicle="van")
    blanot = FarmFactory(
        name="Ferme de Blanot",
        commune=blanot_commune,
        latitude=BLANOT_FARM[0],
        longitude=BLANOT_FARM[1],
        location_precision="address",
        profile__vehicle="none",
    )
    epicerie = StructureFactory(
        name="Épicerie de Cluny", commune=cluny, profile__vehicle="none", profile__people_served_per_week=100
    )
    restos = StructureFactory(
        name="Restos de Blanot",
        commune=blanot_commune,
        latitude=BLANOT_RESTOS[0],
        longitude=BLANOT_RESTOS[1],
        location_precision="address",
        profile__people_served_per_week=40,
    )
    Organization.objects.filter(pk__in=[bourg.pk, blanot.pk, epicerie.pk, restos.pk]).update(
        created_at=at(dt.date(2025, 12, 1))
    )
    eggs, potatoes, apples = category("hen-eggs"), category("potatoes"), category("apples-pears")
    d = {}
    d["d1"] = _deliver(
        OfferFactory(
            organization=bourg, category=eggs, unit="dozen", quantity=10, usual_price_per_unit=Decimal("3.00")
        ),
        NeedFactory(organization=epicerie, categories=[eggs], unit="dozen", quantity=10),
        key="d1",
        on=dt.date(2026, 1, 15),
        quantity=Decimal(10),
        unit="dozen",
        kg=None,
        mode="delivery",
        posted=dt.date(2026, 1, 5),
        proposed=dt.date(2026, 1, 8),
        confirmed=dt.date(2026, 1, 10),
    )
    d["d2"] = _deliver(
        OfferFactory(
            organization=blanot,
            category=potatoes,
            quantity=100,
            pricing="solidarity",
            price_per_unit=Decimal("0.80"),
            usual_price_per_unit=Decimal("1.20"),
            labels=["AB"],
        ),
        NeedFactory(organization=epicerie, categories=["potatoes"], quantity=100),
        key="d2",
        on=dt.date(2026, 2, 10),
        quantity=Decimal(90),
        unit="kg",
        kg=Decimal(90),
        mode="pickup",
        price=Decimal("0.80"),
        posted=dt.date(2026, 2, 1),
        proposed=dt.date(2026, 2, 2),
        confirmed=dt.date(2026, 2, 6),
    )
    d["d3"] = _deliver(
        OfferFactory(
            organization=blanot, category=apples, quantity=50, pricing="market", price_per_unit=Decimal("2.00")
        ),
        NeedFactory(organization=restos, categories=["apples-pears"], quantity=50),
        key="d3",
        on=dt.date(2026, 4, 20),
        quantity=Decimal(50),
        unit="kg",
        kg=Decimal(50),
        mode="delivery",
        price=Decimal("2.00"),
        posted=dt.date(2026, 4, 10),
        proposed=dt.date(2026, 4, 11),
        confirmed=dt.date(2026, 4, 13),
    )
    d["d4"] = _deliver(
        OfferFactory(organization=bourg, category=eggs, unit="dozen", quantity=5),
        NeedFactory(organization=epicerie, categories=[eggs], unit="dozen", quantity=5),
        key="d4",
        on=dt.date(2026, 5, 5),
        quantity=Decimal(5),
        unit="dozen",
        kg=Decimal("3.480"),
        mode="delivery",
        posted=dt.date(2026, 4, 28),
        proposed=dt.date(2026, 4, 29),
        confirmed=dt.date(2026, 5, 1),
    )
    # A steering committee in March: two participants attended (the farm, a resident), one decision.
    meeting = MeetingFactory(
        territory=territory,
        title="Comité de pilotage de mars",
        kind="steering_committee",
        starts_at=at(dt.date(2026, 3, 5), 14),
        ends_at=at(dt.date(2026, 3, 5), 17),
    )
    Registration.objects.create(meeting=meeting, organization=bourg, actor_kind="farm", attended=True)
    Registration.objects.create(
        meeting=meeting, guest_name="Dominique", guest_consent=True, actor_kind="resident", attended=True
    )
    Registration.objects.create(meeting=meeting, organization=restos, actor_kind="food_aid", attended=False)
    Decision.objects.create(meeting=meeting, text="Lancer une journée de glanage en juin.")
    # The action plan: one selected action measured in kg from 1 January, target 200 kg.
    plan = ActionPlanFactory(territory=territory, title="Plan d'action du Clunisois")
    action = PlannedAction.objects.create(
        plan=plan,
        title="Dons de producteurs aux épiceries",
        state="selected",
        priority=1,
        status="in_progress",
        start_date=dt.date(2026, 1, 1),
    )
    ActionIndicator.objects.create(action=action, name="Kilos livrés", unit="kg", target_value=200, baseline_value=0)
    return Dataset(territory, officer, bourg, blanot, epicerie, restos, d)


@pytest.fixture
def meal_factor(db) -> Factor:
    factors_seed(Factor)
    return Factor.objects.get(code="meal_kg")


# --- A pooled round (tests/indicators/test_rounds_km.py) and a gleaning day (test_gleaned_kg.py) ---


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
        on=dt.date(2026, 2, 10),
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
    a_round(dataset, car, day=dt.date(2026, 2, 10), km="30.0", lots=[(d2.match, 90), (d5.match, 30), (dropped, 60)])
    van = Vehicle.objects.create(organization=dataset.bourg, name="Fourgon", capacity_kg=Decimal(800))
    a_round(dataset, van, day=dt.date(2026, 2, 11), km="55.0", lots=[(d2.match, 90)], status="cancelled")
    return d2, d5


@pytest.fixture
def gleaned(dataset):
    """A gleaning day in the Ferme de Blanot's orchard on 20 May: Restos de Blanot takes 60 kg of
    apples home (it needs 60: the need is covered), Épicerie de Cluny 25 kg (it has no need for
    fruit: nothing to cover, the kilograms still count)."""
    before = selectors.territory_indicators(
        principal=dataset.officer, territory=dataset.territory, period=period_parse("2026-T2")
    )
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
        date=dt.date(2026, 5, 20),
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
