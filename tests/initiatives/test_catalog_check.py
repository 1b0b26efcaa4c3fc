"""The data check: each entry's types, figures and claims with the source section they come from."""

import importlib
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from initiatives import sources
from initiatives.checks import numbers_in
from initiatives.services import DATA_FILE

DOC = Path(__file__).resolve().parents[2] / "docs" / "catalog-check.md"


def _record(**changes):
    record = {
        "slug": "marche-test",
        "name": "Marché test",
        "types": ["short_chain_sales"],
        "type_basis": "Vente directe.",
        "other_types": ["resolis:fairs_markets"],
        "place": {"country": "FR"},
        "summary": "Un marché de producteurs.",
        "results": ["Des clients fidèles.", {"text": "Un second document le confirme.", "ref": 1}],
        "key_figures": [
            {"value": 42, "unit": "producteurs", "measures": "présents", "year": 2018},
            {"value": 7, "unit": "marchés", "measures": "par an", "ref": 1},
        ],
        "sources": [
            {"document": "resolis-2022", "section": "Fiches initiatives › Le marché test"},
            {"document": "miam-livret", "section": "Témoignages", "anchor": "Témoignages", "lines": 2},
        ],
    }
    record.update(changes)
    return record


def _run(tmp_path, records, *args):
    data = tmp_path / "data.json"
    data.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "report.md"
    call_command("catalog_check", f"--file={data}", f"--output={out}", *args)
    return out.read_text(encoding="utf-8")


def _library(tmp_path, resolis_text):
    folder = tmp_path / "sources"
    folder.mkdir()
    (folder / "a.txt").write_text(
        f"{sources.DOCUMENTS['resolis-2022'].fingerprint}\n## Le marché test\n{resolis_text}\n", encoding="utf-8"
    )
    (folder / "b.txt").write_text(
        f"{sources.DOCUMENTS['miam-livret'].fingerprint}\n# Témoignages\nsept marchés par an\n", encoding="utf-8"
    )
    return folder


def test_the_report_lists_types_figures_and_claims_with_their_source_sections(db, tmp_path):
    text = _run(tmp_path, [_record()])
    assert "## Marché test" in text and "`marche-test`" in text
    assert "**Vente en circuit court sans tarification solidaire** — Vente directe." in text
    assert "Foires et marchés de plein vent (resolis:fairs_markets) — ✓ concorde" in text
    assert "[0] RESOLIS, catalogue thématique" in text and "§ Fiches initiatives › Le marché test" in text
    assert "| 42 producteurs | présents | 2018 | [0] | — |" in text
    assert "- `results` [1] Un second document le confirme." in text
    assert ".txt" not in text


def test_with_the_source_texts_each_section_and_figure_is_found_or_reported(db, tmp_path):
    folder = _library(tmp_path, "Une quarantaine de producteurs ; 42 exposants en 2018.")
    text = _run(tmp_path, [_record()], f"--sources={folder}")
    assert "lignes 2 à 3" in text
    assert "| 42 producteurs | présents | 2018 | [0] | ✓ |" in text
    assert "| 7 marchés | par an |  | [1] | ✓ |" in text  # « sept », in the second document
    assert str(folder) not in text and "a.txt" not in text


def test_strict_mode_fails_when_a_figure_is_not_in_its_section(db, tmp_path):
    folder = _library(tmp_path, "Aucun chiffre ici.")
    with pytest.raises(CommandError, match="problème"):
        _run(tmp_path, [_record()], f"--sources={folder}", "--strict")


def test_strict_mode_fails_when_a_section_cannot_be_found(db, tmp_path):
    folder = _library(tmp_path, "42")
    record = _record(
        sources=[
            {"document": "resolis-2022", "section": "Fiches › Une fiche qui n'existe pas"},
            _record()["sources"][1],
        ]
    )
    with pytest.raises(CommandError):
        _run(tmp_path, [record], f"--sources={folder}", "--strict")


def test_the_report_lists_entries_reclassified_since_a_previous_file(db, tmp_path):
    previous = tmp_path / "previous.json"
    previous.write_text(json.dumps([{"slug": "marche-test", "type": "solidarity_pricing_sales"}]), encoding="utf-8")
    text = _run(tmp_path, [_record()], f"--previous={previous}")
    assert "Reclassées par rapport au fichier précédent : 1" in text
    assert "| Marché test | Vente avec tarification solidaire" in text


def test_a_broken_record_stops_the_check(db, tmp_path):
    with pytest.raises(CommandError, match="source"):
        _run(tmp_path, [_record(sources=[])])


def test_numbers_are_read_as_the_sources_write_them():
    found = numbers_in("42 000 arbres, 1,3 tonne, 1 million de litres, une trentaine de femmes, +275%")
    assert {Decimal(42000), Decimal("1.3"), Decimal(1000000), Decimal(30), Decimal(275)} <= found
    assert Decimal(42) not in found


def test_the_committed_check_covers_every_entry_of_the_catalog():
    records = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    text = DOC.read_text(encoding="utf-8")
    assert f"{len(records)} initiatives." in text
    for record in records:
        assert f"`{record['slug']}`" in text, record["slug"]
    assert ".txt" not in text and "/work/" not in text
    assert "✗" not in text, "a section or a figure was not found in the sources when the check was last run"


def test_the_migration_cites_documents_with_the_titles_the_catalog_uses():
    migration = importlib.import_module("initiatives.migrations.0003_sheet_fields_typology_sources")
    for document, title in migration.FILE_TO_DOCUMENT.values():
        assert sources.DOCUMENTS[document].title == title
