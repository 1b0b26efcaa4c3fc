"""The demo tells only what the MIAM booklet says: each figure with its own source and year, flags where
the booklet supports them, computed figures labelled as computed."""

import pytest
from django.urls import reverse

from actors.demo import PILOTS, seed
from actors.models import Organization, Territory


@pytest.fixture
def demo(geo):
    seed(farms_divisor=60)
    return {t.slug: t for t in Territory.objects.all()}


def test_each_pilot_figure_carries_the_source_and_year_the_booklet_gives_it(demo):
    expected = {
        "clunisois": (317, 2021, "Chambre d'agriculture"),
        "auxonne-pontailler": (152, 2020, "Chambre d'agriculture"),
        "coeur-du-jura": (433, 2022, "Communauté de communes Cœur du Jura"),
        "pays-de-montbeliard": (140, 2020, "Pays de Montbéliard Agglomération"),
    }
    for slug, (farms, year, source) in expected.items():
        t = demo[slug]
        assert (t.farms_count, t.farms_count_year, t.farms_count_source) == (farms, year, source)
        assert (t.poverty_rate_source, t.poverty_rate_year) == ("INSEE", 2021)
        assert "Livret méthodologique MIAM" in t.diagnostic_source and ".txt" not in t.diagnostic_source
    assert demo["pays-de-montbeliard"].food_aid_count == 28
    assert (demo["clunisois"].published_communes_count, demo["clunisois"].published_population) == (41, 14500)


def test_the_social_justice_axis_is_set_only_where_the_booklet_supports_it(demo):
    assert not demo["auxonne-pontailler"].has_social_justice_axis
    assert "pas été traitée" in demo["auxonne-pontailler"].social_justice_axis_source
    assert not demo["clunisois"].has_social_justice_axis
    for slug in ("coeur-du-jura", "pays-de-montbeliard"):
        assert demo[slug].has_social_justice_axis and demo[slug].social_justice_axis_source


def test_the_germigney_farm_has_no_label_the_booklet_does_not_give(demo):
    farm = Organization.objects.get(name="Ferme de Germigney")
    assert farm.farm_profile.labels == []
    assert "valeurs de démonstration" in farm.description
    assert Organization.objects.filter(name="Croix-Rouge – le Panier arboisien (Arbois)").exists()


def test_seeding_again_corrects_a_demo_seeded_with_one_source_for_every_figure(demo):
    Territory.objects.filter(slug="auxonne-pontailler").update(
        has_social_justice_axis=True, farms_count_source="", diagnostic_source="Chambre d'agriculture, INSEE 2021"
    )
    seed(farms_divisor=60)
    auxonne = Territory.objects.get(slug="auxonne-pontailler")
    assert not auxonne.has_social_justice_axis and auxonne.farms_count_source == "Chambre d'agriculture"
    assert len(PILOTS) == Territory.objects.count()


def test_the_territory_page_labels_computed_figures_and_gives_each_figure_its_source(demo, client):
    body = client.get(reverse("actors:territory_detail", args=["coeur-du-jura"])).content.decode()
    assert "calculés à partir du référentiel des communes" in body and "population municipale 2017" in body
    assert "433 exploitations agricoles en 2022" in body and "Communauté de communes Cœur du Jura" in body
    assert "INSEE 2021" in body
    assert "23\u00a0500 habitants" in body  # the booklet's figure, beside the computed one


def test_the_territory_api_says_which_year_the_computed_population_is(demo, client):
    data = client.get("/api/v1/territories/").json()
    row = next(r for r in data["results"] if r["slug"] == "clunisois")
    assert row["population_year"] == 2017 and row["farms_count_source"] == "Chambre d'agriculture"
