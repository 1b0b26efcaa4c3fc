"""The catalog filled from the sources: loading, idempotence, all-or-nothing, placement."""

import json

import pytest
from django.core.management import CommandError, call_command

from initiatives import typology
from initiatives.models import Initiative, KeyFigure
from initiatives.services import DATA_FILE, initiatives_load
from miam.errors import DomainError


def _records():
    return json.loads(DATA_FILE.read_text(encoding="utf-8"))


def test_catalog_holds_at_least_forty_initiatives_across_the_four_domains_each_with_place_and_source(catalog):
    assert catalog.count() >= 40
    domains = set(catalog.values_list("domain", flat=True))
    assert domains == set(typology.DOMAIN_CODES)
    for initiative in catalog:
        assert initiative.source_file.endswith(".txt"), initiative.slug
        assert initiative.place_label, initiative.slug
        assert initiative.type in typology.TYPE_CODES
        assert typology.TYPE_DOMAIN[initiative.type] == initiative.domain


def test_catalog_draws_on_every_source_document(catalog):
    files = set(catalog.values_list("source_file", flat=True))
    assert {f[:3] for f in files} >= {"000", "001", "002", "003", "004"}


def test_key_figures_are_structured_values_with_unit(catalog):
    germigney = Initiative.objects.get(slug="ferme-germigney-boeuf-croix-rouge-arbois")
    prices = {(str(f.value.normalize()), f.unit) for f in germigney.key_figures.all()}
    assert ("10.8", "€/kg") in prices and ("11.8", "€/kg") in prices
    assert not KeyFigure.objects.filter(unit="").exists()


def test_an_initiative_with_a_loaded_commune_sits_on_its_town_hall(catalog):
    germigney = Initiative.objects.get(slug="ferme-germigney-boeuf-croix-rouge-arbois")
    assert germigney.commune.insee_code == "39013"
    assert germigney.departement.code == "39"
    assert (germigney.latitude, germigney.longitude) == (germigney.commune.latitude, germigney.commune.longitude)
    assert germigney.location_precision == "commune"


def test_an_initiative_known_by_departement_only_sits_on_its_main_town(catalog):
    montbeliard = Initiative.objects.get(slug="partageons-nos-fruitiers-montbeliard")
    assert montbeliard.commune is None
    assert montbeliard.location_precision == "departement"
    assert montbeliard.latitude is not None


def test_an_initiative_outside_the_loaded_geography_is_listed_but_not_placed(catalog):
    dinan = Initiative.objects.get(slug="jardins-associatifs-dinan")  # Côtes-d'Armor: not loaded in tests
    assert dinan.latitude is None and dinan.location_precision == "none"
    assert dinan.departement_code == "22"


def test_loading_twice_writes_nothing_the_second_time(catalog, django_assert_max_num_queries):
    count = catalog.count()
    report = initiatives_load()
    assert report.created == [] and report.updated == []
    assert len(report.unchanged) == count


def test_a_changed_record_is_updated_by_slug(catalog):
    records = _records()
    records[0]["tagline"] = "Une accroche revue."
    records[0]["key_figures"] = records[0]["key_figures"][:1]
    report = initiatives_load(records=records)
    assert report.updated == [records[0]["slug"]]
    initiative = Initiative.objects.get(slug=records[0]["slug"])
    assert initiative.tagline == "Une accroche revue."
    assert initiative.key_figures.count() == 1


def test_a_bad_record_in_the_middle_of_the_file_writes_nothing(geo):
    records = _records()
    records[len(records) // 2]["key_figures"] = [{"value": 3, "unit": "", "measures": "x", "year": 2020}]
    with pytest.raises(DomainError) as error:
        initiatives_load(records=records)
    assert error.value.code == "unit_required"
    assert Initiative.objects.count() == 0 and KeyFigure.objects.count() == 0


def test_a_start_year_in_the_future_is_refused_and_nothing_is_written(geo):
    from django.utils import timezone

    records = _records()
    records[-1]["start_year"] = timezone.localdate().year + 1
    with pytest.raises(DomainError) as error:
        initiatives_load(records=records)
    assert error.value.code == "future_year"
    assert Initiative.objects.count() == 0


def test_a_type_outside_its_domain_is_refused(geo):
    records = _records()[:2]
    records[1]["domain"] = "production"
    records[1]["type"] = "gleaning"
    with pytest.raises(DomainError, match="n'appartient pas"):
        initiatives_load(records=records)
    assert Initiative.objects.count() == 0


def test_a_duplicated_slug_is_refused(geo):
    records = _records()[:2]
    records[1]["slug"] = records[0]["slug"]
    with pytest.raises(DomainError) as error:
        initiatives_load(records=records)
    assert error.value.code == "duplicate_slug"
    assert Initiative.objects.count() == 0


def test_the_command_reports_created_updated_and_unchanged(geo, capsys):
    call_command("load_initiatives")
    first = capsys.readouterr().out
    call_command("load_initiatives")
    second = capsys.readouterr().out
    n = Initiative.objects.count()
    assert f"{n} initiatives créées, 0 mises à jour, 0 inchangées" in first
    assert f"0 initiatives créées, 0 mises à jour, {n} inchangées" in second


def test_the_command_fails_clearly_on_a_broken_file(geo, tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('[{"slug": "x"', encoding="utf-8")
    with pytest.raises(CommandError, match="rien n'a été écrit"):
        call_command("load_initiatives", file=str(broken))
    assert Initiative.objects.count() == 0
