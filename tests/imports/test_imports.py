"""Imports of spreadsheets through the services, as an officer would from the page."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from actors.models import FarmProfile, Organization, StructureProfile
from imports import services
from imports.models import ImportBatch
from tests.factories import FarmFactory, TerritoryFactory, make_officer

HEADERS = ["Nom", "Commune", "SIRET", "Livraison jusqu'à (km)", "Véhicule", "Labels"]


@pytest.fixture
def officer(geo):
    return make_officer(TerritoryFactory())


def _csv(rows, headers=HEADERS, *, encoding="utf-8", delimiter=";") -> bytes:
    lines = [delimiter.join(headers)] + [delimiter.join(str(c) for c in row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


def _farms(n: int) -> list[list]:
    return [[f"Ferme numéro {i}", "71137", "", "10", "utilitaire", "AB"] for i in range(1, n + 1)]


def _import(officer, content: bytes, *, filename="fermes.csv", kind="farms", on_duplicate="update"):
    territory = officer.territory_roles.get().territory
    batch = services.batch_create(
        by=officer, kind=kind, territory=territory, filename=filename, content=content, on_duplicate=on_duplicate
    )
    batch.refresh_from_db()
    if batch.status == ImportBatch.Status.CHECKED:
        batch = services.batch_commit(by=officer, batch=batch)
        batch.refresh_from_db()
    return batch


def test_three_bad_lines_among_500_commit_nothing_and_are_each_reported_with_column_and_reason(officer):
    rows = _farms(500)
    rows[41][2] = "12345678901234"  # line 43: a SIRET whose check key is wrong
    rows[199][3] = "-5"  # line 201: a negative radius...
    rows[199][4] = "fusée"  # ...and an unknown vehicle on the same line
    rows[449][1] = "00000"  # line 451: no such commune
    before = Organization.objects.count()

    batch = _import(officer, _csv(rows))

    assert batch.status == ImportBatch.Status.INVALID
    assert Organization.objects.count() == before
    assert (batch.rows_total, batch.rows_invalid) == (500, 3)
    found = {(e["line"], e["column"], e["value"]) for e in batch.errors}
    assert found == {
        (43, "SIRET", "12345678901234"),
        (201, "Livraison jusqu'à (km)", "-5"),
        (201, "Véhicule", "fusée"),
        (451, "Commune", "00000"),
    }
    reasons = {e["line"]: e["reason"] for e in batch.errors if e["column"] != "Véhicule"}
    assert reasons[43] == "Ce SIRET n'est pas valide (clé de contrôle incorrecte)."
    assert reasons[201] == "Assurez-vous que cette valeur est supérieure ou égale à\u00a00."
    assert reasons[451] == "Commune inconnue : « 00000 »."


def test_a_good_file_is_checked_first_then_written_in_full(officer):
    territory = officer.territory_roles.get().territory
    batch = services.batch_create(
        by=officer, kind="farms", territory=territory, filename="f.csv", content=_csv(_farms(3))
    )
    assert batch.status == ImportBatch.Status.CHECKED and batch.rows_created == 3
    assert not Organization.objects.filter(name__startswith="Ferme numéro").exists()  # the check wrote nothing
    services.batch_commit(by=officer, batch=batch)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.DONE
    farm = Organization.objects.get(name="Ferme numéro 2")
    assert (farm.kind, farm.commune.insee_code) == ("farm", "71137")
    assert (farm.farm_profile.vehicle, farm.farm_profile.labels) == ("van", ["AB"])
    assert farm.farm_profile.delivery_radius_km == 10


def test_the_same_file_imported_twice_creates_no_duplicate(officer):
    content = _csv(_farms(20))
    first = _import(officer, content)
    count = Organization.objects.count()
    second = _import(officer, content)
    assert first.rows_created == 20
    assert (second.status, second.rows_created, second.rows_updated) == (ImportBatch.Status.DONE, 0, 20)
    assert Organization.objects.count() == count


def test_a_duplicate_found_by_siret_is_skipped_when_asked(officer):
    FarmFactory(name="GAEC ancien nom", siret="73282932000074")
    content = _csv([["GAEC nouveau nom", "71137", "732 829 320 00074", "5", "aucun", ""]])
    batch = _import(officer, content, on_duplicate="skip")
    assert (batch.rows_skipped, batch.rows_created) == (1, 0)
    assert Organization.objects.filter(siret="73282932000074").get().name == "GAEC ancien nom"


def test_a_duplicate_found_by_siret_is_updated_by_default(officer):
    FarmFactory(name="GAEC ancien nom", siret="73282932000074")
    batch = _import(officer, _csv([["GAEC nouveau nom", "71137", "73282932000074", "25", "aucun", ""]]))
    assert batch.rows_updated == 1
    farm = Organization.objects.get(siret="73282932000074")
    assert farm.name == "GAEC nouveau nom" and farm.farm_profile.delivery_radius_km == 25


def test_a_name_in_another_case_and_without_accents_in_the_same_commune_is_the_same_actor(officer):
    FarmFactory(name="Ferme de l'Étang", commune=__import__("tests.factories", fromlist=["commune"]).commune("71137"))
    batch = _import(officer, _csv([["FERME DE L'ETANG", "Cluny", "", "5", "aucun", ""]]))
    assert (batch.rows_updated, batch.rows_created) == (1, 0)


def test_two_lines_for_the_same_actor_in_one_file_are_an_error(officer):
    batch = _import(officer, _csv([["Ferme A", "71137", "", "5", "", ""], ["ferme a", "71137", "", "6", "", ""]]))
    assert batch.status == ImportBatch.Status.INVALID
    assert [(e["line"], e["column"]) for e in batch.errors] == [(3, "Nom")]
    assert "ligne 2" in batch.errors[0]["reason"]


def test_a_latin1_file_keeps_its_accents(officer):
    content = _csv([["Ferme de l'Écluse — Bœuf", "71137", "", "5", "utilitaire réfrigéré", ""]], encoding="cp1252")
    with pytest.raises(UnicodeDecodeError):
        content.decode("utf-8")
    batch = _import(officer, content)
    assert batch.status == ImportBatch.Status.DONE, batch.errors
    assert batch.encoding == "cp1252"
    farm = Organization.objects.get(name="Ferme de l'Écluse — Bœuf")
    assert farm.farm_profile.vehicle == FarmProfile.Vehicle.REFRIGERATED


def test_a_strict_latin1_file_keeps_its_accents(officer):
    content = _csv([["Épicerie de Château", "71137", "", "5", "aucun", ""]], encoding="latin-1")
    batch = _import(officer, content)
    assert batch.status == ImportBatch.Status.DONE, batch.errors
    assert Organization.objects.filter(name="Épicerie de Château").exists()


def test_columns_in_another_order_with_french_synonyms_and_extra_columns_are_understood(officer):
    headers = ["Remarque interne", "VEHICULE", "rayon de livraison", "Code INSEE", "Raison sociale", "Courriel"]
    rows = [["à rappeler", "utilitaire", '"12,5"', "71137", "Les Vergers", "contact@vergers.fr"]]
    batch = _import(officer, _csv(rows, headers=headers, delimiter=","))
    assert batch.status == ImportBatch.Status.DONE, batch.errors
    farm = Organization.objects.get(name="Les Vergers")
    assert (farm.email, str(farm.farm_profile.delivery_radius_km)) == ("contact@vergers.fr", "12.5")


def test_a_file_that_is_not_a_spreadsheet_gets_a_clear_french_error(officer):
    batch = _import(officer, b"%PDF-1.4\n\x00\x01\x02 binary", filename="rapport.pdf")
    assert batch.status == ImportBatch.Status.INVALID
    assert batch.file_error == "Ce fichier n'est pas un tableur lisible : enregistrez-le en CSV ou en XLSX."


def test_a_file_without_a_required_column_gets_a_clear_french_error(officer):
    batch = _import(officer, _csv([["Ferme X", "10"]], headers=["Nom", "Livraison jusqu'à (km)"]))
    assert batch.status == ImportBatch.Status.INVALID
    assert batch.file_error.startswith("Colonne obligatoire absente : « Commune ».")


def test_an_xlsx_file_of_food_aid_structures_is_imported(officer):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Nom", "Commune", "Type de structure", "Personnes accueillies par semaine", "Frigo", "Jours"])
    sheet.append(["Épicerie solidaire du bourg", "71137", "Épicerie sociale ou solidaire", 45, "oui", "mardi, jeudi"])
    sheet.append(["Restos de Cluny", "71137", "restos", 120.0, "non", ""])
    out = io.BytesIO()
    workbook.save(out)
    batch = _import(officer, out.getvalue(), filename="structures.xlsx", kind="structures")
    assert batch.status == ImportBatch.Status.DONE, batch.errors
    epicerie = StructureProfile.objects.get(organization__name="Épicerie solidaire du bourg")
    assert (epicerie.structure_type, epicerie.people_served_per_week, epicerie.has_fridge) == ("epicerie", 45, True)
    assert epicerie.distribution_days == [1, 3]
    assert StructureProfile.objects.get(organization__name="Restos de Cluny").people_served_per_week == 120


def test_an_officer_cannot_import_actors_of_a_commune_outside_their_territory(officer):
    batch = _import(officer, _csv([["Ferme du Doubs", "25462", "", "5", "", ""]]))
    assert batch.status == ImportBatch.Status.INVALID
    assert batch.errors[0]["column"] == "Commune" and "n'est pas dans le territoire" in batch.errors[0]["reason"]
    assert not Organization.objects.filter(name="Ferme du Doubs").exists()


def test_someone_who_is_not_on_the_territory_team_cannot_import(geo):
    from miam.errors import NotAllowed
    from tests.factories import UserFactory

    with pytest.raises(NotAllowed):
        services.batch_create(
            by=UserFactory(), kind="farms", territory=TerritoryFactory(), filename="f.csv", content=_csv(_farms(1))
        )


def test_the_error_report_lists_every_error_with_line_column_value_and_reason(officer):
    rows = _farms(3)
    rows[0][2] = "1234"
    rows[2][3] = "beaucoup"
    batch = _import(officer, _csv(rows))
    text = services.exports.to_csv(services.batch_error_report(batch)).decode("utf-8-sig")
    assert "Ligne;Colonne;Valeur;Raison" in text
    assert "2;SIRET;1234;Un SIRET compte exactement 14 chiffres." in text
    assert "4;Livraison jusqu'à (km);beaucoup;Nombre invalide." in text


def test_offers_of_a_partner_platform_are_imported_for_farms_found_by_siret(officer):
    farm = FarmFactory(siret="73282932000074")
    headers = [
        "SIRET",
        "Catégorie (code)",
        "Produit",
        "Quantité",
        "Unité",
        "Disponible du",
        "Disponible jusqu'au",
        "Condition",
    ]
    from django.utils import timezone

    start = timezone.localdate()
    end = start + __import__("datetime").timedelta(days=10)
    rows = [
        [
            "73282932000074",
            "potatoes",
            "Pommes de terre",
            "120",
            "kg",
            start.strftime("%d/%m/%Y"),
            end.strftime("%d/%m/%Y"),
            "don",
        ],
        [
            "00000000000000",
            "potatoes",
            "Carottes",
            "beaucoup",
            "kg",
            start.strftime("%d/%m/%Y"),
            end.strftime("%d/%m/%Y"),
            "don",
        ],
    ]
    batch = _import(officer, _csv(rows, headers=headers), kind="offers")
    assert batch.status == ImportBatch.Status.INVALID
    assert {(e["line"], e["column"]) for e in batch.errors} >= {(3, "SIRET"), (3, "Quantité")}
    assert not farm.offers.exists()
    batch = _import(officer, _csv(rows[:1], headers=headers), kind="offers")
    assert batch.status == ImportBatch.Status.DONE, batch.errors
    assert farm.offers.get().product_name == "Pommes de terre"


def test_a_downloaded_template_is_accepted_as_it_is(officer):
    content = services.template_file("farms", fmt="xlsx")
    batch = _import(officer, content, filename="modele.xlsx")
    assert batch.status == ImportBatch.Status.DONE, batch.errors
    assert Organization.objects.filter(name="GAEC des Prés").exists()


def test_imported_farms_are_written_whole_their_productions_search_text_and_place(officer):
    headers = [*HEADERS, "Productions (codes)", "Adresse"]
    rows = [["Ferme des Saules", "71137", "", "12", "aucun", "AB, HVE", "potatoes, apples-pears", "2 rue du Pont"]]
    batch = _import(officer, _csv(rows, headers=headers))
    assert batch.status == ImportBatch.Status.DONE, batch.errors
    farm = Organization.objects.get(name="Ferme des Saules")
    assert farm.search_text == "ferme des saules cluny"  # what the directory's search reads
    assert (farm.latitude, farm.longitude) == (farm.commune.latitude, farm.commune.longitude)
    assert (farm.location_precision, farm.address) == ("commune", "2 rue du Pont")
    profile = FarmProfile.objects.get(organization=farm)
    assert sorted(profile.productions.values_list("code", flat=True)) == ["apples-pears", "potatoes"]
    assert (profile.labels, profile.vehicle, profile.delivery_radius_km) == (["AB", "HVE"], "none", 12)
    assert not farm.memberships.exists()  # an officer registering in their territory does not become its admin


def test_an_import_drops_the_visitors_cached_lists_once_it_is_written(officer, django_capture_on_commit_callbacks):
    from django.core.cache import cache

    from miam.api_cache import _VERSION_KEY

    cache.set(_VERSION_KEY, 7, None)
    territory = officer.territory_roles.get().territory
    with django_capture_on_commit_callbacks(execute=True):
        batch = services.batch_create(
            by=officer, kind="farms", territory=territory, filename="f.csv", content=_csv(_farms(3))
        )
    assert cache.get(_VERSION_KEY) == 7  # the check rolled back: nothing visitors see has changed
    with django_capture_on_commit_callbacks(execute=True):
        services.batch_commit(by=officer, batch=batch)
    assert cache.get(_VERSION_KEY) == 8  # one bump for the whole file, not one per farm


def test_the_same_actor_given_by_siret_then_by_name_in_one_file_is_an_error(officer):
    rows = [["Ferme B", "71137", "73282932000074", "5", "", ""], ["ferme b", "71137", "", "6", "", ""]]
    batch = _import(officer, _csv(rows))
    assert batch.status == ImportBatch.Status.INVALID
    assert [(e["line"], e["column"]) for e in batch.errors] == [(3, "Nom")]
    assert "ligne 2" in batch.errors[0]["reason"]
    assert not Organization.objects.filter(name__iexact="Ferme B").exists()


def test_imported_needs_are_written_with_their_categories_and_announced_in_one_batch(officer, monkeypatch):
    import datetime as dt

    from django.utils import timezone

    from miam import events
    from offers.models import MatchingRun, Need
    from tests.factories import StructureFactory

    batches = []
    monkeypatch.setattr(events, "_LISTENERS", [*events._LISTENERS, batches.append])
    structure = StructureFactory(siret="73282932000074")
    start = timezone.localdate()
    end = start + dt.timedelta(days=10)
    headers = ["SIRET", "Catégories (codes)", "Intitulé", "Quantité", "Unité", "Du", "Au"]
    rows = [
        ["73282932000074", "potatoes, apples-pears", f"Besoin {i}", "30", "kg", f"{start:%d/%m/%Y}", f"{end:%d/%m/%Y}"]
        for i in range(3)
    ]
    batch = _import(officer, _csv(rows, headers=headers), kind="needs")
    assert batch.status == ImportBatch.Status.DONE, batch.errors
    needs = list(Need.objects.filter(organization=structure).order_by("id"))
    assert [n.title for n in needs] == ["Besoin 0", "Besoin 1", "Besoin 2"]
    assert all(sorted(n.categories.values_list("code", flat=True)) == ["apples-pears", "potatoes"] for n in needs)
    assert all(n.status == "published" and n.created_by == officer for n in needs)
    created = [b for b in batches if b and b[0].type == "need.created"]
    # One batch a pass, not one event at a time: the check's (rolled back with its transaction,
    # as what a listener wrote of it) and the import's.
    assert [len(b) for b in created] == [3, 3]
    assert [e.data["id"] for e in created[-1]] == [n.pk for n in needs]
    assert {e.organization_ids for e in created[-1]} == {(structure.pk,)}
    assert MatchingRun.objects.filter(status="pending").count() <= len(structure.commune.territories.all())
