"""Matching reads the world as it is, through the services: one test per item (the same
items through the API are in test_fair_shares_api.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from actors.models import Notification, StructureProfile
from miam.errors import DomainError, NotAllowed
from offers.models import Match, MatchingRun, Status
from offers.services import budget, explain
from offers.services import matches as services
from offers.services.runs import matching_run
from tests.factories import StructureFactory, TerritoryFactory, commune, make_member, matching_need, matching_offer

pytestmark = pytest.mark.usefixtures("geo")
MS = Match.MatchStatus
SALORNAY = "71495"


@pytest.fixture
def territory(geo):
    return TerritoryFactory()


def run(territory) -> dict[tuple[int, int], Match]:
    result = matching_run(territory_id=territory.pk, trigger="manual")
    assert result.status == MatchingRun.RunStatus.SUCCESS, result.error
    return {(m.offer_id, m.need_id): m for m in Match.objects.filter(status=MS.PROPOSED)}


def confirm(match: Match) -> Match:
    services.match_accept(match=match, by=make_member(match.offer.organization))
    return services.match_accept(match=match, by=make_member(match.need.organization))


def test_changing_the_structures_profile_changes_the_next_run(territory):
    structure = StructureFactory(commune=commune(SALORNAY))  # 13 km by road, a van, 30 km
    offer = matching_offer(logistics=["pickup"], delivery_radius_km=0)
    need = matching_need(structure)
    assert (offer.pk, need.pk) in run(territory)
    StructureProfile.objects.filter(organization=structure).update(vehicle="none")
    assert run(territory) == {}
    need.has_vehicle = True  # the need says otherwise: a volunteer's car this time
    need.save()
    assert (offer.pk, need.pk) in run(territory)


def test_quantities_proposed_and_asked_for_are_multiples_of_the_pack_size(territory):
    offer = matching_offer(category="honey-jars", quantity=20, pack_size=Decimal("0.5"))
    need = matching_need(categories=("honey",), quantity=Decimal("3.7"))
    assert run(territory)[(offer.pk, need.pk)].quantity == Decimal("3.5")
    with pytest.raises(DomainError) as error:
        services.match_request(by=make_member(need.organization), offer=offer, need=need, quantity=Decimal("1.2"))
    assert error.value.code == "pair_not_feasible" and "multiple du colis" in error.value.message


def test_the_engine_never_proposes_what_the_budget_left_cannot_pay(territory):
    structure = StructureFactory(profile__monthly_budget_eur=30)
    sale = {"pricing": "market", "price_per_unit": Decimal("2"), "quantity": 100}
    offer = matching_offer(**sale)
    need = matching_need(structure, quantity=100, accepted_pricing="purchase", max_price_per_unit=3)
    donations = matching_need(structure, quantity=10)
    gift = matching_offer(quantity=10)
    pairs = run(territory)
    assert pairs[(offer.pk, need.pk)].quantity == Decimal("15")  # 30 € at 2 €/kg
    assert (gift.pk, donations.pk) in pairs  # donations never touch the budget
    assert budget.budget_remaining(structure=structure, month=timezone.localdate()) == Decimal(30)
    confirm(pairs[(offer.pk, need.pk)])
    assert budget.budget_remaining(structure=structure, month=timezone.localdate()) == Decimal(0)
    assert [p for p in run(territory) if p[0] == offer.pk] == []  # nothing left to spend


def test_a_purchase_over_the_months_budget_is_refused_at_confirmation_and_nothing_is_written(territory):
    structure = StructureFactory(profile__monthly_budget_eur=30)
    offer = matching_offer(pricing="market", price_per_unit=Decimal("2"), quantity=100)
    need = matching_need(structure, quantity=100, accepted_pricing="purchase", max_price_per_unit=3)
    match = Match.objects.create(offer=offer, need=need, quantity=20, price_per_unit=2, status=MS.PROPOSED)
    services.match_accept(match=match, by=make_member(offer.organization))
    with pytest.raises(DomainError) as error:
        services.match_accept(match=match, by=make_member(structure))
    assert error.value.code == "budget_exceeded"
    assert "il reste 30,00 € pour un achat de 40,00 €" in error.value.message
    match.refresh_from_db()
    offer.refresh_from_db()
    assert match.status == MS.ACCEPTED_FARM and offer.quantity_reserved == 0


def test_distribution_days_set_the_date_proposed_and_bound_the_schedule(territory):
    structure = StructureFactory()
    StructureProfile.objects.filter(organization=structure).update(distribution_days=[1, 4])  # Tue, Fri
    offer = matching_offer()
    need = matching_need(structure)
    match = run(territory)[(offer.pk, need.pk)]
    assert match.proposed_for.weekday() in (1, 4) and match.proposed_for >= timezone.localdate()
    assert match.reasons[-1]["code"] == "delivery_day"
    confirm(match)
    wrong = next(
        timezone.localdate() + dt.timedelta(days=k)
        for k in range(1, 8)
        if (timezone.localdate() + dt.timedelta(days=k)).weekday() in (0, 2)
    )
    with pytest.raises(DomainError) as error:
        services.match_schedule(match=match, by=make_member(structure), date=wrong, mode="delivery")
    assert error.value.code == "not_a_distribution_day" and "mardi, vendredi" in error.value.message
    # A need may name its own days (a volunteer is there on Wednesdays for this one).
    need.distribution_days = [2]
    need.save()
    scheduled = services.match_schedule(
        match=match,
        by=make_member(structure),
        date=wrong if wrong.weekday() == 2 else wrong + dt.timedelta(days=2),
        mode="delivery",
    )
    assert scheduled.status == MS.SCHEDULED


def test_receiving_less_than_agreed_leaves_the_rest_open_and_proposes_it_again(territory):
    offer = matching_offer(quantity=25)
    need = matching_need(quantity=25)
    match = confirm(run(territory)[(offer.pk, need.pk)])
    need.refresh_from_db()
    assert need.status == Status.FULLY_MATCHED
    services.match_confirm_delivery(match=match, by=make_member(need.organization), quantity_received=Decimal("22"))
    need.refresh_from_db()
    assert (need.status, need.quantity_covered, need.quantity_open) == (Status.PARTLY_MATCHED, 22, 3)
    other = matching_offer(quantity=10)
    assert run(territory)[(other.pk, need.pk)].quantity == Decimal("3")


def test_a_need_without_proposal_lists_its_near_misses_or_says_the_offers_went_elsewhere(territory):
    structure = StructureFactory(commune=commune("71137"))
    StructureProfile.objects.filter(organization=structure).update(has_fridge=False)
    matching_offer(category="leafy-vegetables", storage="chilled")
    need = matching_need(structure)
    run(territory)
    why = explain.need_near_misses(need=need)
    assert why["proposals"] == 0
    assert [(r["code"], r["params"]["constraint"], r["params"]["count"]) for r in why["reasons"]] == [
        ("near_miss", "no_fridge", 1)
    ]
    fruit_need = matching_need(structure, categories=("fruits",))
    assert explain.need_near_misses(need=fruit_need)["reasons"] == [{"code": "no_offer", "params": {}}]


def test_a_structure_asks_for_an_offer_and_the_same_hard_constraints_apply(territory):
    offer = matching_offer(category="leafy-vegetables", storage="chilled", quantity=30)
    structure = StructureFactory()
    need = matching_need(structure)
    volunteer, farmer = make_member(structure), make_member(offer.organization)
    with pytest.raises(NotAllowed):
        services.match_request(by=make_member(StructureFactory()), offer=offer, need=need, quantity=Decimal(5))
    StructureProfile.objects.filter(organization=structure).update(has_fridge=False)
    with pytest.raises(DomainError) as error:
        services.match_request(by=volunteer, offer=offer, need=need, quantity=Decimal(5))
    assert error.value.fields["constraints"] == ["no_fridge"]
    StructureProfile.objects.filter(organization=structure).update(has_fridge=True)
    asked = services.match_request(by=volunteer, offer=offer, need=need, quantity=Decimal(20))
    assert (asked.status, asked.origin, asked.structure_accepted_at is not None) == (
        MS.ACCEPTED_STRUCTURE,
        Match.Origin.REQUEST,
        True,
    )
    assert Notification.objects.filter(user=farmer, kind="match_requested").exists()
    assert services.match_accept(match=asked, by=farmer).status == MS.CONFIRMED
    with pytest.raises(DomainError) as again:
        services.match_request(by=volunteer, offer=offer, need=need, quantity=Decimal(5))
    assert again.value.code == "pair_exists"
