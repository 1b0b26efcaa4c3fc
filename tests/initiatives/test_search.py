"""Search (accent-insensitive, ranked), filters and similar initiatives."""

import pytest

from initiatives.models import Initiative
from initiatives.selectors import CatalogFilters, initiative_list, initiative_search, initiative_similar, light_stem


def _head(initiative):
    return initiative.search_head


def test_glanage_returns_the_gleaning_initiatives_first(catalog):
    results = list(initiative_search("glanage"))
    gleaning = set(Initiative.objects.filter(type="gleaning").values_list("slug", flat=True))
    assert len(results) >= 3
    top = [i.slug for i in results[: len(gleaning)]]
    assert set(top) == gleaning
    assert "solaal-glanages-solidaires" in top[:3]


def test_epicerie_solidaire_returns_the_grocery_initiatives_first(catalog):
    results = list(initiative_search("épicerie solidaire"))
    assert len(results) >= 5
    for initiative in results[:5]:
        assert "epicerie" in _head(initiative) or "epicerie" in initiative.search_summary, initiative.slug
    # The entries named or tagged « épicerie solidaire » come before any that only mention the words.
    tagged = [i for i in results if "epicerie solidaire" in _head(i)]
    assert results[: len(tagged)] == tagged
    assert "la-salamandre-cousance" in [i.slug for i in tagged]


def test_search_ignores_accents_case_and_plurals(catalog):
    reference = [i.slug for i in initiative_search("épicerie solidaire")]
    assert [i.slug for i in initiative_search("EPICERIE SOLIDAIRE")] == reference
    assert {i.slug for i in initiative_search("glanages")} >= {"solaal-glanages-solidaires"}


def test_ligatures_are_searchable_without_them(catalog):
    slugs = [i.slug for i in initiative_search("coeur")]
    assert "lait-du-coeur" in slugs and "jardins-du-coeur-restos" in slugs


def test_a_query_of_stop_words_only_lists_everything(catalog):
    assert initiative_search("de la").count() == catalog.count()


def test_light_stem_keeps_short_words():
    assert light_stem("glanage") == "glan"
    assert light_stem("epiceries") == "epicer"
    assert light_stem("lait") == "lait"


@pytest.mark.parametrize(
    ("field", "value", "check"),
    [
        ("domain", "production", lambda i: i.domain == "production"),
        ("type", "gleaning", lambda i: "gleaning" in i.all_types),
        ("region", "Occitanie", lambda i: i.region == "Occitanie"),
        ("departement", "39", lambda i: i.departement_code == "39"),
        ("beneficiary", "students", lambda i: "students" in i.beneficiaries),
    ],
)
def test_filters_keep_only_matching_initiatives(catalog, field, value, check):
    results = list(initiative_list(filters=CatalogFilters(**{field: value})))
    assert results
    assert all(check(i) for i in results)
    assert len(results) < catalog.count()


def test_the_type_filter_keeps_primary_and_secondary_types_and_nothing_else(catalog):
    results = list(initiative_list(filters=CatalogFilters(type="awareness_training")))
    primary = {i.slug for i in results if i.type == "awareness_training"}
    secondary = {i.slug for i in results if i.type != "awareness_training"}
    assert "cd31-atelier-sensibilisation-qualite-alimentaire" in primary
    assert "la-salamandre-cousance" in secondary
    expected = {i.slug for i in catalog if "awareness_training" in i.all_types}
    assert primary | secondary == expected


def test_search_and_filters_combine(catalog):
    results = list(initiative_list(filters=CatalogFilters(q="glanage", region="Occitanie")))
    assert [i.slug for i in results] == ["solaal-aude-glanage-solidaire"]


def test_unpublished_initiatives_are_hidden(catalog):
    Initiative.objects.filter(slug="lait-du-coeur").update(is_published=False)
    assert "lait-du-coeur" not in [i.slug for i in initiative_search("lait")]


def test_similar_initiatives_share_the_type_first(catalog):
    solaal = Initiative.objects.get(slug="solaal-glanages-solidaires")
    similar = initiative_similar(solaal)
    assert similar and similar[0].type == "gleaning"
    assert solaal not in similar


@pytest.mark.postgres
def test_postgres_french_search_stems_and_ranks_glanage_and_epicerie_solidaire(catalog):
    from django.db import connection

    assert connection.vendor == "postgresql"
    gleaning = list(initiative_search("glanage"))
    assert {i.type for i in gleaning[:3]} == {"gleaning"}
    assert all(float(i.rank) > 0 for i in gleaning)
    # The French stemmer makes singular and plural the same word.
    assert [i.slug for i in initiative_search("glanages")][:3] == [i.slug for i in gleaning][:3]
    groceries = list(initiative_search("épiceries solidaires"))
    for initiative in groceries[:5]:
        assert "epicer" in initiative.search_head or "epicer" in initiative.search_summary
    assert float(groceries[0].rank) > float(groceries[-1].rank)
