"""The migration that back-fills what gleaning harvests recorded before ``logistics/0006`` took
from their offer: it finds exactly what recording them today holds (``logistics.harvests``, the
arithmetic both share), for open offers only, and running it again changes nothing. Run through
the MigrationExecutor on PostgreSQL."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from logistics.harvests import harvest_take
from logistics.models import GleaningHarvest
from logistics.services import gleaning
from offers.models import Match, Offer
from tests.factories import StructureFactory, matching_need
from tests.logistics.test_gleaning import _confirmed_day

BEFORE = [("logistics", "0006_harvest_offer_quantity")]
BACKFILL = [("logistics", "0007_backfill_harvest_offer_quantity")]


def _migrate(targets) -> None:
    MigrationExecutor(connection).migrate(targets)


def _offer(offer_id: int) -> tuple:
    return Offer.objects.values_list("quantity_reserved", "status").get(pk=offer_id)


def _harvests() -> dict:
    return {h.pk: (h.offer_quantity, h.offer_quantity_held) for h in GleaningHarvest.objects.all()}


def test_the_pure_arithmetic_holds_what_is_left_beyond_the_match_never_below_nothing():
    take = harvest_take(quantity_kg=Decimal(50), kg_per_unit=Decimal(1), already=Decimal(40), available=60, reserved=40)
    assert (take.change, take.offer_quantity, take.offer_quantity_held) == (10, 50, 10)
    full = harvest_take(quantity_kg=Decimal(95), kg_per_unit=Decimal(1), already=0, available=Decimal(70), reserved=30)
    assert (full.change, full.offer_quantity, full.offer_quantity_held) == (70, 70, 70)
    # A correction gives back what it held beyond the new figure.
    back = harvest_take(
        quantity_kg=Decimal(10), kg_per_unit=Decimal(1), already=0, available=0, reserved=100, held_before=Decimal(30)
    )
    assert (back.change, back.offer_quantity_held) == (-20, 10)
    assert harvest_take(quantity_kg=Decimal(9), kg_per_unit=None, already=0, available=5, reserved=0).change == 0


@pytest.mark.postgres
@pytest.mark.usefixtures("transactional_geo")
def test_the_backfill_holds_what_recording_the_harvests_today_holds_for_open_offers_only():
    # An offer of 100 kg gleaned by two structures without a need (no delivery): 30 kg, then
    # 95 kg, of which only the 70 left can be held.
    day, organiser = _confirmed_day()
    first, second = StructureFactory(), StructureFactory()
    # An offer whose pair was confirmed before the day (40 kg reserved), gleaned 30 kg.
    matched_day, matched_organiser = _confirmed_day()
    paired = StructureFactory()
    Match.objects.create(
        offer_id=matched_day.offer_id,
        need=matching_need(paired, quantity=200),
        quantity=40,
        unit="kg",
        quantity_kg=40,
        status="confirmed",
        confirmed_at=timezone.now(),
        mode="gleaning",
    )
    Offer.objects.filter(pk=matched_day.offer_id).update(quantity_reserved=40, status="partly_matched")
    # An offer withdrawn since its day.
    closed_day, closed_organiser = _confirmed_day()
    offers = (day.offer_id, matched_day.offer_id, closed_day.offer_id)
    before = {pk: _offer(pk) for pk in offers}

    gleaning.gleaning_record_harvest(by=organiser, day=day, structure=first, quantity_kg=Decimal(30))
    gleaning.gleaning_record_harvest(by=organiser, day=day, structure=second, quantity_kg=Decimal(95))
    gleaning.gleaning_record_harvest(by=matched_organiser, day=matched_day, structure=paired, quantity_kg=Decimal(30))
    gleaning.gleaning_record_harvest(
        by=closed_organiser, day=closed_day, structure=StructureFactory(), quantity_kg=Decimal(20)
    )
    # What the service holds today: the figures the migration must find again.
    expected_offers = {pk: _offer(pk) for pk in offers[:2]}
    expected_harvests = _harvests()
    assert expected_offers == {day.offer_id: (100, "fully_matched"), matched_day.offer_id: (40, "partly_matched")}
    assert sorted(expected_harvests.values()) == [(20, 20), (30, 30), (40, 0), (70, 70)]
    closed_harvest = GleaningHarvest.objects.get(day=closed_day).pk

    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        _migrate(BEFORE)
        # As before 0006: the harvests held nothing, their offers offered what they did before.
        GleaningHarvest.objects.update(offer_quantity=0, offer_quantity_held=0)
        for pk, (reserved, status) in before.items():
            Offer.objects.filter(pk=pk).update(quantity_reserved=reserved, status=status)
        Offer.objects.filter(pk=closed_day.offer_id).update(status="withdrawn")
        _migrate(BACKFILL)

        assert {pk: _offer(pk) for pk in offers[:2]} == expected_offers
        assert _offer(closed_day.offer_id) == (before[closed_day.offer_id][0], "withdrawn")  # not open: untouched
        assert _harvests() == {**expected_harvests, closed_harvest: (0, 0)}

        # Again: nothing more (what holds something is left alone).
        _migrate(BEFORE)
        _migrate(BACKFILL)
        assert {pk: _offer(pk) for pk in offers[:2]} == expected_offers
        assert _harvests() == {**expected_harvests, closed_harvest: (0, 0)}
    finally:
        _migrate(latest)
