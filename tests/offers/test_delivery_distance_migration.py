"""The data migration that recomputes the stored ``Delivery.distance_km`` from both organizations'
points, as a delivery confirmed today records it (``offers.distances.match_km``); reversing it
changes nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from offers import distances
from offers.models import Delivery
from tests.factories import FarmFactory, NeedFactory, OfferFactory, StructureFactory, commune, web_match

BEFORE = [("offers", "0013_matching_run_stage_labels")]
AFTER = [("offers", "0014_delivery_distance_from_points")]


def _migrate(targets):
    MigrationExecutor(connection).migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


def _delivery(farm, structure, *, stored, mode="pickup") -> Delivery:
    match = web_match(OfferFactory(organization=farm), NeedFactory(organization=structure), status="delivered")
    return Delivery.objects.create(
        match=match,
        delivered_on=dt.date(2026, 3, 10),
        mode=mode,
        quantity_received=Decimal(10),
        unit="kg",
        quantity_kg=Decimal(10),
        distance_km=stored,
    )


@pytest.mark.django_db(transaction=True)
def test_old_stored_distances_are_recomputed_from_the_points_and_reversing_keeps_them(transactional_geo):
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes()
    try:
        cluny = commune("71137")
        # Two organizations on Cluny's town hall (the matching stored 0 km), a farm at its exact
        # address in Blanot (a stale 99 km), and a gleaning delivery (nothing stored: kept so).
        bourg = FarmFactory(commune=cluny)
        epicerie = StructureFactory(commune=cluny)
        blanot = FarmFactory(commune=commune("71039"), latitude=46.4801, longitude=4.7402, location_precision="address")
        same_commune = _delivery(bourg, epicerie, stored=Decimal("0.0"))
        stale = _delivery(blanot, epicerie, stored=Decimal("99.0"))
        gleaned = _delivery(blanot, epicerie, stored=None, mode="gleaning")
        expected = {d.pk: distances.match_km(d.match) for d in (same_commune, stale)}
        assert expected[same_commune.pk] > Decimal("2") and expected[stale.pk] not in (Decimal(0), Decimal(99))
        _migrate(BEFORE)
        apps = _migrate(AFTER)
        stored = dict(apps.get_model("offers", "Delivery").objects.values_list("pk", "distance_km"))
        assert stored == {**expected, gleaned.pk: None}
        apps = _migrate(BEFORE)  # a no-op: the recomputed values stay
        assert dict(apps.get_model("offers", "Delivery").objects.values_list("pk", "distance_km")) == stored
    finally:
        _migrate(latest)
