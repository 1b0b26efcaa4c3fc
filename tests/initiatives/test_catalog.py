"""The catalog filled from the sources: loading, idempotence, all-or-nothing, placement."""

import json
import re

import pytest
from django.core.management import CommandError, call_command

from initiatives import sources, typology
from initiatives.models import Initiative, KeyFigure
from initiatives.services import DATA_FILE, initiatives_load
from miam.errors import DomainError


def _records():
    return json.loads(DATA_FILE.read_text(encoding="utf-8"))


def test_catalog_holds_at_least_forty_initiatives_across_the_domains_each_with_place_and_source(catalog):
    assert catalog.count() >= 40
    domains = set(catalog.values_list("domain", flat=True))
    assert domains == set(typology.DOMAIN_CODES)
    for initiative in catalog:
        assert initiative.sources, initiative.slug
        for ref in initiative.sources:
            assert ref["title"] == sources.DOCUMENTS[ref["document"]].title and ref["section"], initiative.slug
        assert initiative.place_label, initiative.slug
        assert initiative.type in typology.TYPE_CODES
        assert typology.TYPE_DOMAIN[initiative.type] == initiative.domain
        assert initiative.type not in initiative.secondary_types


def test_catalog_draws_on_every_source_document(catalog):
    cited = {ref["document"] for i in catalog for ref in i.sources}
    assert cited == set(sources.DOCUMENT_CODES)


@pytest.mark.parametrize("record", _records(), ids=lambda r: r["slug"])
def test_every_entry_of_the_data_file_cites_a_known_document_and_a_section(record):
    assert record.get("sources"), "no source reference"
    for ref in record["sources"]:
        assert ref.get("document") in sources.DOCUMENTS
        assert isinstance(ref.get("section"), str) and ref["section"].strip()


def test_an_entry_without_a_source_reference_is_refused_and_nothing_is_written(geo):
    records = _records()
    records[3]["sources"] = []
    with pytest.raises(DomainError, match="au moins une source"):
        initiatives_load(records=records)
    records[3]["sources"] = [{"document": "miam-livret", "section": "  "}]
    with pytest.raises(DomainError, match="section"):
        initiatives_load(records=records)
    assert Initiative.objects.count() == 0


def test_an_entry_citing_a_file_name_instead_of_a_document_is_refused(geo):
    records = _records()[:2]
    del records[1]["sources"]
    records[1]["source"] = {"file": "001_498803352b07b053.txt", "section": "x"}
    with pytest.raises(DomainError, match="au moins une source"):
        initiatives_load(records=records)
    records[1]["sources"] = [{"document": "001_498803352b07b053.txt", "section": "x"}]
    del records[1]["source"]
    with pytest.raises(DomainError, match="document source inconnu"):
        initiatives_load(records=records)


def test_a_claim_pointing_at_a_source_the_entry_does_not_cite_is_refused(geo):
    records = _records()[:1]
    records[0]["results"] = [{"text": "Une affirmation.", "ref": len(records[0]["sources"])}]
    with pytest.raises(DomainError, match="ref"):
        initiatives_load(records=records)


def _used_refs(value) -> set[int]:
    if isinstance(value, dict):
        ref = value.get("ref", 0)
        return set(ref if isinstance(ref, list) else [ref]) | set().union(*(_used_refs(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(set(), *(_used_refs(v) for v in value))
    return set()


@pytest.mark.parametrize("record", _records(), ids=lambda r: r["slug"])
def test_every_cited_section_backs_at_least_one_claim_or_figure(record):
    claims = {k: v for k, v in record.items() if k != "sources"}
    used = _used_refs(claims) | {0}
    assert used == set(range(len(record["sources"]))), sorted(set(range(len(record["sources"]))) - used)


def test_the_data_file_names_no_source_file_no_e_mail_and_no_phone_number():
    text = DATA_FILE.read_text(encoding="utf-8")
    assert not re.search(r"\b\d{3}_[0-9a-f]{16}\.txt\b", text)
    assert not re.search(r"[\w.+-]+@[\w-]+\.[\w.]+", text)
    assert not re.search(r"\b0\d(?:[ .]?\d\d){4}\b", text)


def test_every_entry_says_why_it_has_its_type_and_the_source_classification_agrees_or_is_said():
    for record in _records():
        assert record.get("type_basis", "").strip(), record["slug"]
        for code in record.get("other_types") or []:
            if code.startswith("resolis:"):
                # RESOLIS sales types never default to solidarity pricing: see typology.RESOLIS_TO_CATALOG.
                assert typology.other_type_compatible(code, record["types"]), (record["slug"], code)


def test_solidarity_pricing_is_only_given_where_the_basis_names_a_price_a_discount_or_solidarity_baskets():
    words = ("prix", "tarif", "remise", "paniers solidaires", "participation")
    for record in _records():
        if "solidarity_pricing_sales" in record["types"]:
            basis = record["type_basis"].lower()
            assert any(w in basis for w in words), record["slug"]


def test_resolis_sales_types_map_to_short_chain_sales_by_default():
    for code in ("fairs_markets", "farm_sales", "producer_shops", "drives_vending", "intermediary_sales"):
        default, allowed = typology.RESOLIS_TO_CATALOG[code]
        assert default == "short_chain_sales" and "short_chain_sales" in allowed
    assert set(typology.RESOLIS_TO_CATALOG) == {code for code, _label in typology.RESOLIS_TYPES}
    assert len(typology.MIAM_TYPE_CODES) == 16 and set(typology.ADDED_TYPE_CODES) == {
        "short_chain_sales",
        "awareness_training",
        "networking_directory",
        "public_support",
    }


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
    records[1]["types"] = ["gleaning"]
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
