"""Re-importing a file of existing actors: the changes go through the rules of
``organization_update`` (``organization_change``) and are written in bulk, all or nothing."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from actors import services as actor_services
from actors.inputs import organization_data
from actors.models import Organization
from actors.validators import luhn_ok
from imports import services
from imports.models import ImportBatch
from miam.errors import DomainError
from tests.factories import FarmFactory, StructureFactory, TerritoryFactory, commune, make_officer

HEADERS = ["Nom", "Commune", "SIRET", "Livraison jusqu'à (km)", "E-mail"]


def siret(n: int) -> str:
    """A valid SIRET (Luhn key) numbered ``n``."""
    body = f"4{n:012d}"
    return next(body + str(d) for d in range(10) if luhn_ok(body + str(d)))


@pytest.fixture
def officer(geo):
    return make_officer(TerritoryFactory())


def _csv(rows, headers=HEADERS) -> bytes:
    lines = [";".join(headers)] + [";".join(str(c) for c in row) for row in rows]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def _import(officer, content: bytes, *, kind="farms"):
    territory = officer.territory_roles.get().territory
    batch = services.batch_create(by=officer, kind=kind, territory=territory, filename="f.csv", content=content)
    if batch.status == ImportBatch.Status.CHECKED:
        batch = services.batch_commit(by=officer, batch=batch)
    batch.refresh_from_db()
    return batch


def _state(organization: Organization) -> tuple:
    organization.refresh_from_db()
    profile = organization.farm_profile
    profile.refresh_from_db()
    return (
        organization.name,
        organization.email,
        organization.description,
        organization.updated_at,
        organization.search_text,
        profile.delivery_radius_km,
        profile.vehicle,
    )


def _farms(n: int, **kwargs) -> list[Organization]:
    return [
        FarmFactory(name=f"Ferme {i}", siret=siret(i), email=f"ferme{i}@example.org", description="garder", **kwargs)
        for i in range(n)
    ]


def test_a_reimport_changes_exactly_the_rows_and_the_cells_it_gives(officer):
    farms = _farms(4)
    untouched = _state(farms[3])
    rows = [
        [farms[0].name, "71137", siret(0), "35", "nouveau0@example.org"],  # found by SIRET
        ["FERME 1", "Cluny", "", "40", ""],  # found by name and commune; an empty cell changes nothing
        ["Ferme 2 renommée", "71137", siret(2), "", ""],  # by SIRET: only its name changes
        ["Ferme neuve", "71137", "", "5", ""],
    ]
    batch = _import(officer, _csv(rows))

    assert batch.status == ImportBatch.Status.DONE, batch.errors
    assert (batch.rows_created, batch.rows_updated, batch.rows_skipped) == (1, 3, 0)
    name, email, description, _at, search_text, radius, vehicle = _state(farms[0])
    assert (email, description, radius, vehicle) == ("nouveau0@example.org", "garder", 35, "van")
    name, email, description, _at, search_text, radius, vehicle = _state(farms[1])
    assert (name, email, radius, vehicle) == ("FERME 1", "ferme1@example.org", 40, "van")  # the name as given
    name, email, description, _at, search_text, radius, vehicle = _state(farms[2])
    assert (name, email, radius) == ("Ferme 2 renommée", "ferme2@example.org", 20)
    assert search_text == "ferme 2 renommee cluny"  # what the directory searches follows the name
    assert _state(farms[3]) == untouched  # not in the file: not even its date moved
    assert Organization.objects.filter(name__istartswith="Ferme").count() == 5


def test_a_bad_line_in_the_middle_of_a_reimport_changes_nothing_at_all(officer):
    farms = _farms(6)
    before = [_state(f) for f in farms]
    rows = [[f.name, "71137", f.siret, "50", f"autre{i}@example.org"] for i, f in enumerate(farms)]
    rows[3][3] = "-1"  # line 5
    rows.append(["Ferme neuve", "71137", "", "5", ""])

    batch = _import(officer, _csv(rows))

    assert batch.status == ImportBatch.Status.INVALID
    assert [(e["line"], e["column"]) for e in batch.errors] == [(5, "Livraison jusqu'à (km)")]
    assert (batch.rows_updated, batch.rows_invalid) == (5, 1)
    assert [_state(f) for f in farms] == before
    assert not Organization.objects.filter(name="Ferme neuve").exists()


def test_the_check_of_a_reimport_writes_nothing_and_the_import_drops_the_visitors_cache_once(
    officer, django_capture_on_commit_callbacks
):
    from django.core.cache import cache

    from miam.api_cache import _VERSION_KEY

    farms = _farms(3)
    before = [_state(f) for f in farms]
    territory = officer.territory_roles.get().territory
    content = _csv([[f.name, "71137", f.siret, "50", ""] for f in farms])
    cache.set(_VERSION_KEY, 7, None)
    with django_capture_on_commit_callbacks(execute=True):
        batch = services.batch_create(by=officer, kind="farms", territory=territory, filename="f.csv", content=content)
    assert (batch.status, batch.rows_updated) == (ImportBatch.Status.CHECKED, 3)
    assert [_state(f) for f in farms] == before
    assert cache.get(_VERSION_KEY) == 7
    with django_capture_on_commit_callbacks(execute=True):
        services.batch_commit(by=officer, batch=batch)
    assert cache.get(_VERSION_KEY) == 8  # once for the file, not once per actor
    assert all(_state(f)[5] == 50 for f in farms)


def test_a_reimport_costs_as_many_queries_for_forty_lines_as_for_four(officer):
    farms = _farms(40)

    def queries(selected, radius):
        headers = [*HEADERS, "Productions (codes)"]
        content = _csv([[f.name, "71137", f.siret, radius, "", "potatoes, apples-pears"] for f in selected], headers)
        with CaptureQueriesContext(connection) as captured:
            batch = _import(officer, content)
        assert (batch.status, batch.rows_updated) == (ImportBatch.Status.DONE, len(selected)), batch.errors
        return len(captured)

    queries(farms[:1], "29")  # what is loaded once per person (their territories) is loaded
    assert queries(farms, "30") == queries(farms[:4], "31")
    assert all(_state(f)[5] == (31 if i < 4 else 30) for i, f in enumerate(farms))


def test_an_officer_cannot_take_over_by_siret_an_actor_of_another_territory(officer):
    far = FarmFactory(name="Ferme du Doubs", siret=siret(7), commune=commune("25462"))
    before = _state(far)
    batch = _import(officer, _csv([["Ferme du Doubs", "71137", siret(7), "90", ""]]))
    assert batch.status == ImportBatch.Status.INVALID
    assert [(e["line"], e["reason"]) for e in batch.errors] == [
        (2, "Vous ne pouvez agir que pour vos propres organisations.")
    ]
    assert _state(far) == before


def test_one_existing_actor_named_by_siret_then_by_name_in_one_file_is_an_error(officer):
    farm = _farms(1)[0]
    before = _state(farm)
    batch = _import(officer, _csv([["Autre nom", "71137", farm.siret, "11", ""], [farm.name, "71137", "", "12", ""]]))
    assert batch.status == ImportBatch.Status.INVALID
    assert [(e["line"], e["column"]) for e in batch.errors] == [(3, "Nom")]
    assert "ligne 2" in batch.errors[0]["reason"]
    assert _state(farm) == before


def test_a_reimport_moves_an_actor_to_its_new_town_hall_and_replaces_its_productions(officer):
    territory = officer.territory_roles.get().territory
    elsewhere = territory.communes.exclude(insee_code="71137").order_by("insee_code").first()
    farm = _farms(1)[0]
    farm.farm_profile.productions.set([])
    headers = ["Nom", "Commune", "SIRET", "Productions (codes)"]
    batch = _import(officer, _csv([[farm.name, elsewhere.insee_code, farm.siret, "potatoes, apples-pears"]], headers))
    assert batch.status == ImportBatch.Status.DONE, batch.errors
    farm.refresh_from_db()
    assert (farm.commune_id, farm.latitude, farm.longitude) == (elsewhere.pk, elsewhere.latitude, elsewhere.longitude)
    assert farm.location_precision == "commune"
    codes = sorted(farm.farm_profile.productions.values_list("code", flat=True))
    assert codes == ["apples-pears", "potatoes"]
    batch = _import(officer, _csv([[farm.name, elsewhere.insee_code, farm.siret, "potatoes"]], headers))
    assert list(farm.farm_profile.productions.values_list("code", flat=True)) == ["potatoes"]


def test_a_structure_reimported_without_a_profile_gets_one_and_keeps_its_own(officer):
    structure = StructureFactory(name="Épicerie du bourg", siret=siret(9))
    bare = StructureFactory(name="Épicerie sans profil", siret=siret(10))
    bare.structure_profile.delete()
    headers = ["Nom", "Commune", "SIRET", "Personnes accueillies par semaine"]
    rows = [[structure.name, "71137", structure.siret, "80"], [bare.name, "71137", bare.siret, "15"]]
    batch = _import(officer, _csv(rows, headers), kind="structures")
    assert batch.status == ImportBatch.Status.DONE, batch.errors
    structure.structure_profile.refresh_from_db()
    assert (structure.structure_profile.people_served_per_week, structure.structure_profile.has_fridge) == (80, True)
    bare = Organization.objects.get(pk=bare.pk)
    assert (bare.structure_profile.people_served_per_week, bare.structure_profile.structure_type) == (15, "other")


def test_changes_to_a_row_someone_changed_meanwhile_are_refused_whole(officer):
    farms = _farms(2)
    loaded = list(Organization.objects.filter(pk__in=[f.pk for f in farms]).select_related("commune"))
    scope = actor_services.organization_scope(by=officer, communes=(), organizations=loaded)
    changes = [
        actor_services.organization_change(
            scope=scope, organization=o, data=organization_data({"description": "importé"}, partial=True)
        )
        for o in loaded
    ]
    FarmFactory._meta.model.objects.filter(pk=farms[1].pk).first().save()  # someone saves it meanwhile
    with pytest.raises(DomainError) as error:
        actor_services.organizations_update_many(by=officer, changes=changes)
    assert error.value.code == "changed_meanwhile"
    assert set(Organization.objects.filter(pk__in=[f.pk for f in farms]).values_list("description", flat=True)) == {
        "garder"
    }


def test_an_unknown_production_code_is_refused_with_the_input_s_message(officer):
    headers = ["Nom", "Commune", "Productions (codes)"]
    batch = _import(officer, _csv([["Ferme des Licornes", "71137", "potatoes, licornes"]], headers))
    assert batch.status == ImportBatch.Status.INVALID
    assert [(e["line"], e["column"], e["reason"]) for e in batch.errors] == [
        (2, "Productions (codes)", "Catégorie inconnue : « licornes ».")
    ]


def test_a_reimport_writes_every_kind_of_value_as_a_page_would(officer):
    farm = _farms(1)[0]
    structure = StructureFactory(name="Épicerie des valeurs", siret=siret(11))
    headers = ["Nom", "Commune", "SIRET", "Labels", "Véhicule", "Livraison jusqu'à (km)", "Ouvert au don", "Site web"]
    rows = [[farm.name, "71137", farm.siret, "AB, HVE", "utilitaire réfrigéré", "12,5", "non", "ferme.example.org"]]
    assert _import(officer, _csv(rows, headers)).status == ImportBatch.Status.DONE
    farm.refresh_from_db()
    profile = farm.farm_profile
    profile.refresh_from_db()
    assert (profile.labels, profile.vehicle, str(profile.delivery_radius_km)) == (["AB", "HVE"], "refrigerated", "12.5")
    assert (profile.accepts_donation, farm.website) == (False, "https://ferme.example.org")
    headers = ["Nom", "Commune", "SIRET", "Jours", "Frigo", "Budget d'achat mensuel (€)"]
    rows = [[structure.name, "71137", structure.siret, "lundi, vendredi", "non", "1 250,50"]]
    batch = _import(officer, _csv(rows, headers), kind="structures")
    assert batch.status == ImportBatch.Status.DONE, batch.errors
    profile = Organization.objects.get(pk=structure.pk).structure_profile
    assert (profile.distribution_days, profile.has_fridge, str(profile.monthly_budget_eur)) == (
        [0, 4],
        False,
        "1250.50",
    )
