"""Territories and the taxonomy kept in each process's memory (``miam.refcache``): a save or a
delete here drops them, a value not found reads the table again, and nothing is older than
the cache's age."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from actors.models import Territory
from actors.selectors import TERRITORY_KEYS, territory_ids_named
from offers.selectors import TAXONOMY
from offers.selectors import listing_category_ids as category_ids
from products.models import ProductCategory
from tests.factories import TerritoryFactory


def test_a_territory_created_elsewhere_is_known_at_once(db, django_assert_num_queries):
    known = TerritoryFactory(slug="clunisois")
    assert territory_ids_named(["clunisois"]) == ([known.pk], [])
    with django_assert_num_queries(0):
        assert territory_ids_named([str(known.pk)]) == ([known.pk], [])
    # bulk_create sends no signal: as if another process had created it.
    (other,) = Territory.objects.bulk_create([Territory(name="Bresse", slug="bresse")])
    with django_assert_num_queries(1):
        assert territory_ids_named(["bresse", "clunisois"]) == (sorted([known.pk, other.pk]), [])
    assert territory_ids_named(["nulle-part"]) == ([], ["nulle-part"])


def test_a_rename_here_is_seen_at_once_and_one_elsewhere_within_the_cache_age(db, monkeypatch):
    territory = TerritoryFactory(slug="clunisois")
    assert territory_ids_named(["clunisois"])[0] == [territory.pk]
    territory.slug = "pays-clunisois"
    territory.save()  # a signal: dropped in this process
    assert territory_ids_named(["clunisois"]) == ([], ["clunisois"])
    Territory.objects.filter(pk=territory.pk).update(slug="clunisois-2")  # no signal: "elsewhere"
    assert territory_ids_named(["pays-clunisois"]) == ([territory.pk], [])  # still known, for now
    monkeypatch.setattr(TERRITORY_KEYS, "seconds", 0)
    assert territory_ids_named(["pays-clunisois"]) == ([], ["pays-clunisois"])


def test_the_taxonomy_follows_a_new_category(db):
    vegetables = ProductCategory.objects.get(code="vegetables")
    before, _unknown = category_ids(["vegetables"])
    assert vegetables.pk in before and len(before) > 1
    TAXONOMY.get()  # loaded
    ProductCategory.objects.bulk_create(
        [ProductCategory(code="cardons", name="Cardons", name_en="Cardoons", parent=vegetables)]
    )
    after, unknown = category_ids(["cardons"])  # unknown in memory: the table is read again
    assert unknown == [] and len(after) == 1
    assert set(category_ids(["vegetables"])[0]) == set(before) | set(after)
    assert category_ids(["nulle-part"]) == ([], ["nulle-part"])


@pytest.mark.parametrize("param", ["territory", "category"])
def test_the_lists_still_refuse_an_unknown_one(db, param):
    response = APIClient().get("/api/v1/offers/", {param: "nulle-part"})
    assert response.status_code == 400
    assert "nulle-part" in str(response.json())
