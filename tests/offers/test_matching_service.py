"""Matching through the database: each hard constraint, read from its DB field, excludes
the pair on its own; the feed converts units and carries fairness and history."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from actors.models import StructureProfile
from offers.matching_feed import Scope, feed_load
from offers.models import Delivery, Match, MatchingRun, Status
from offers.services.runs import matching_run
from tests.factories import FarmFactory, StructureFactory, TerritoryFactory, commune, matching_need, matching_offer

pytestmark = pytest.mark.usefixtures("geo")

SALORNAY = "71495"  # 10.3 km from Cluny as the crow flies, 13.4 km by road (× 1.3)


@pytest.fixture
def territory(geo):
    return TerritoryFactory()  # PAT du Clunisois


def proposed(territory) -> dict[tuple[int, int], Match]:
    run = matching_run(territory_id=territory.pk, trigger="manual")
    assert run.status == MatchingRun.RunStatus.SUCCESS, run.error
    return {(m.offer_id, m.need_id): m for m in Match.objects.filter(status=Match.MatchStatus.PROPOSED)}


def structure_at(code: str, **profile) -> object:
    org = StructureFactory(commune=commune(code))
    if profile:
        StructureProfile.objects.filter(organization=org).update(**profile)
    return org


def test_a_compatible_offer_and_need_are_proposed_with_a_french_explanation(territory):
    offer = matching_offer()
    need = matching_need()
    pairs = proposed(territory)
    match = pairs[(offer.pk, need.pk)]
    assert match.quantity == Decimal("50.000")
    assert match.unit == "kg"
    assert 0 < match.score <= 100
    assert "km" in match.explanation
    assert match.origin == Match.Origin.ENGINE and not match.acted_by_person


def test_a_need_for_a_parent_category_takes_offers_of_its_sub_categories(territory):
    offer = matching_offer(category="potatoes")
    need = matching_need(categories=("vegetables",))
    assert (offer.pk, need.pk) in proposed(territory)


def test_category_alone_excludes_the_pair(territory):
    matching_offer(category="potatoes")
    matching_need(categories=("fruits",))
    assert proposed(territory) == {}


def test_a_chilled_offer_needs_a_fridge(territory):
    offer = matching_offer(category="leafy-vegetables", storage="chilled")
    matching_need(has_fridge=False, chilled_capacity_kg=500)
    assert proposed(territory) == {}
    need = matching_need(has_fridge=True, chilled_capacity_kg=500)
    assert set(proposed(territory)) == {(offer.pk, need.pk)}


def test_a_frozen_offer_needs_a_freezer(territory):
    matching_offer(category="potatoes", storage="frozen")
    matching_need(has_fridge=True, chilled_capacity_kg=500, has_freezer=False, frozen_capacity_kg=500)
    assert proposed(territory) == {}


def test_a_frozen_offer_goes_to_a_structure_with_a_freezer(territory):
    offer = matching_offer(category="potatoes", storage="frozen")
    need = matching_need(has_freezer=True, frozen_capacity_kg=500)
    assert set(proposed(territory)) == {(offer.pk, need.pk)}


def test_cold_capacity_caps_the_proposed_quantity(territory):
    offer = matching_offer(category="leafy-vegetables", storage="chilled")
    need = matching_need(has_fridge=True, chilled_capacity_kg=20)
    assert proposed(territory)[(offer.pk, need.pk)].quantity == Decimal("20.000")


def test_disjoint_windows_alone_exclude_the_pair(territory):
    today = timezone.localdate()
    matching_offer(window_start=today, window_end=today + dt.timedelta(days=3))
    matching_need(window_start=today + dt.timedelta(days=5), window_end=today + dt.timedelta(days=9))
    assert proposed(territory) == {}


def test_an_offer_past_its_use_by_on_the_first_common_day_is_excluded(territory):
    today = timezone.localdate()
    matching_offer(window_end=today + dt.timedelta(days=10), use_by=today + dt.timedelta(days=2))
    matching_need(window_start=today + dt.timedelta(days=4), window_end=today + dt.timedelta(days=9))
    assert proposed(territory) == {}


def test_a_farm_delivers_only_within_its_radius(territory):
    structure = StructureFactory(commune=commune(SALORNAY))
    matching_offer(logistics=["delivery"], delivery_radius_km=10)
    matching_need(structure)
    assert proposed(territory) == {}


def test_a_farm_delivering_far_enough_reaches_the_structure(territory):
    structure = StructureFactory(commune=commune(SALORNAY))
    offer = matching_offer(logistics=["delivery"], delivery_radius_km=20)
    need = matching_need(structure)
    assert proposed(territory)[(offer.pk, need.pk)].mode == "delivery"


def test_pick_up_needs_a_vehicle_within_the_structures_radius(territory):
    structure = StructureFactory(commune=commune(SALORNAY))
    matching_offer(logistics=["pickup"], delivery_radius_km=0)
    matching_need(structure, has_vehicle=False, pickup_radius_km=30)
    assert proposed(territory) == {}
    need = matching_need(structure, has_vehicle=True, pickup_radius_km=30)
    pairs = proposed(territory)
    assert [(k[1], m.mode) for k, m in pairs.items()] == [(need.pk, "pickup")]


def test_pick_up_radius_alone_excludes_the_pair(territory):
    structure = StructureFactory(commune=commune(SALORNAY))
    matching_offer(logistics=["pickup"], delivery_radius_km=0)
    matching_need(structure, has_vehicle=True, pickup_radius_km=10)
    assert proposed(territory) == {}


def test_gleaning_needs_volunteers_from_the_structure_profile(territory):
    matching_offer(logistics=["gleaning"], delivery_radius_km=0)
    matching_need(structure_at("71137", gleaning_volunteers=0), pickup_radius_km=30)
    assert proposed(territory) == {}


def test_gleaning_with_volunteers_is_proposed(territory):
    offer = matching_offer(logistics=["gleaning"], delivery_radius_km=0)
    need = matching_need(structure_at("71137", gleaning_volunteers=4), pickup_radius_km=30)
    assert proposed(territory)[(offer.pk, need.pk)].mode == "gleaning"


def test_a_sale_is_not_proposed_to_a_structure_taking_only_donations(territory):
    matching_offer(pricing="solidarity", price_per_unit=Decimal("1.20"), usual_price_per_unit=Decimal("1.50"))
    matching_need(accepted_pricing="donation_only")
    assert proposed(territory) == {}


def test_a_price_above_the_structures_maximum_excludes_the_pair(territory):
    matching_offer(pricing="market", price_per_unit=Decimal("2.00"))
    matching_need(accepted_pricing="purchase", max_price_per_unit=Decimal("1.50"))
    assert proposed(territory) == {}


def test_a_price_within_the_maximum_is_proposed_at_the_offer_price(territory):
    offer = matching_offer(pricing="solidarity", price_per_unit=Decimal("1.20"), usual_price_per_unit=Decimal("1.50"))
    need = matching_need(accepted_pricing="purchase", max_price_per_unit=Decimal("1.50"))
    assert proposed(territory)[(offer.pk, need.pk)].price_per_unit == Decimal("1.20")


def test_a_need_smaller_than_the_offers_minimum_is_excluded(territory):
    matching_offer(min_quantity=60)
    matching_need(quantity=50)
    assert proposed(territory) == {}


def test_an_offer_in_crates_is_matched_in_kg_and_proposed_in_crates(territory):
    offer = matching_offer(unit="crate", crate_kg=Decimal("8"), quantity=10)
    need = matching_need(quantity=20)
    match = proposed(territory)[(offer.pk, need.pk)]
    assert (match.quantity, match.unit) == (Decimal("2.500"), "crate")


def test_drafts_expired_windows_and_other_territories_are_not_matched(territory):
    today = timezone.localdate()
    matching_offer(status=Status.DRAFT)
    matching_offer(window_start=today - dt.timedelta(days=5), window_end=today - dt.timedelta(days=1))
    matching_offer(FarmFactory(commune=commune("25462")))  # Pontarlier, not in the PAT
    matching_need()
    assert proposed(territory) == {}


def test_reserved_quantity_is_not_offered_again(territory):
    offer = matching_offer(quantity=100, quantity_reserved=Decimal(80))
    need = matching_need(quantity=50)
    assert proposed(territory)[(offer.pk, need.pk)].quantity == Decimal("20.000")


def test_the_feed_reads_fairness_and_history_from_past_deliveries(territory):
    today = timezone.localdate()
    farm = FarmFactory()
    structure = structure_at("71137", people_served_per_week=10)
    past_offer = matching_offer(farm, status=Status.FULLY_MATCHED)
    past_need = matching_need(structure, status=Status.FULLY_MATCHED)
    match = Match.objects.create(offer=past_offer, need=past_need, quantity=26, status=Match.MatchStatus.CLOSED)
    Delivery.objects.create(
        match=match, delivered_on=today - dt.timedelta(days=3), mode="delivery", quantity_received=26, unit="kg"
    )
    Delivery.objects.filter(match=match).update(quantity_kg=26)
    offer = matching_offer(farm)
    need = matching_need(structure)
    feed = feed_load(scope=Scope(territory_id=territory.pk), today=today)
    assert [o.id for o in feed.offers] == [offer.pk]
    (need_input,) = feed.needs
    assert need_input.id == need.pk
    assert need_input.people_served_per_week == 10
    assert need_input.received_quantity_recent == pytest.approx(26 / (90 / 7))
    assert feed.history == {(farm.pk, structure.pk): 1}
    assert (past_offer.pk, past_need.pk) not in feed.excluded_pairs  # closed listings are not loaded


def test_loading_a_territory_takes_a_fixed_number_of_queries(territory, django_assert_max_num_queries):
    for _ in range(5):
        matching_offer()
        matching_need()
    with django_assert_max_num_queries(10):
        feed = feed_load(scope=Scope(territory_id=territory.pk), today=timezone.localdate())
    assert len(feed.offers) == 5 and len(feed.needs) == 5
