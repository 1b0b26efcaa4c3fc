"""ProductCategory moved from ``offers`` to ``products`` keeping its rows and every link to
them, and the move can be undone: backward then forward again on the test database."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from actors.models import FarmProfile
from tests.factories import FarmFactory, NeedFactory, OfferFactory, category

BEFORE_THE_MOVE = [("offers", "0003_match_lifecycle"), ("products", None)]
#: What ``offers``, ``actors`` and the content types looked like before the move.
OLD_STATE = [("offers", "0003_match_lifecycle"), ("actors", "0003_organization_search_text")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    nodes = [t for t in targets if t[1] is not None]
    return executor.loader.project_state(OLD_STATE if targets == BEFORE_THE_MOVE else nodes).apps


def _latest():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()


@pytest.mark.slow
def test_the_category_move_keeps_offers_needs_and_productions_both_ways(transactional_geo):
    farm = FarmFactory()
    FarmProfile.objects.filter(organization=farm).get().productions.set([category("potatoes"), category("eggs")])
    offer = OfferFactory(organization=farm, category=category("milk"), unit="l")
    need = NeedFactory(categories=["vegetables", "fruits"])
    latest = _latest()
    try:
        old = _migrate(BEFORE_THE_MOVE)
        OldCategory = old.get_model("offers", "ProductCategory")
        assert OldCategory._meta.db_table == "offers_productcategory"
        old_offer = old.get_model("offers", "Offer").objects.get(pk=offer.pk)
        assert old_offer.category.code == "milk"
        old_need = old.get_model("offers", "Need").objects.get(pk=need.pk)
        assert sorted(c.code for c in old_need.categories.all()) == ["fruits", "vegetables"]
        profile = old.get_model("actors", "FarmProfile").objects.get(organization_id=farm.pk)
        assert sorted(c.code for c in profile.productions.all()) == ["eggs", "potatoes"]
        ContentType = old.get_model("contenttypes", "ContentType")
        assert not ContentType.objects.filter(app_label="products", model="productcategory").exists()
    finally:
        _migrate(latest)
    offer.refresh_from_db()
    need.refresh_from_db()
    assert offer.category.code == "milk" and offer.category.kg_per_litre == Decimal("1.0300")
    assert sorted(c.code for c in need.categories.all()) == ["fruits", "vegetables"]
    profile = FarmProfile.objects.get(organization=farm)
    assert sorted(c.code for c in profile.productions.all()) == ["eggs", "potatoes"]
