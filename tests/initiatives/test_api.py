"""REST API: public catalog and plans; officers write through the services."""

import csv
import io

import pytest
from rest_framework.test import APIClient

from actors.models import ApiKey
from initiatives import services
from initiatives.models import ActionIndicator, IndicatorValue, PlannedAction
from tests.factories import FarmFactory, InitiativeFactory, TerritoryFactory, UserFactory, make_officer


@pytest.fixture
def client():
    return APIClient()


@pytest.fixture
def territory(geo):
    return TerritoryFactory(slug="clunisois")


@pytest.fixture
def officer(territory):
    return make_officer(territory, first_name="Claire", last_name="Pilote")


def test_anyone_can_search_the_catalog_ranked(catalog, client, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        response = client.get("/api/v1/initiatives/", {"q": "glanage"})
    assert response.status_code == 200
    results = response.json()["results"]
    assert results[0]["type"] == "gleaning" and results[0]["rank"] > 0
    assert {"place", "sources", "domain_label", "secondary_types"} <= set(results[0])
    assert results[0]["sources"][0]["title"] and results[0]["sources"][0]["section"]


def test_the_catalog_filters_by_departement_and_beneficiary(catalog, client):
    data = client.get("/api/v1/initiatives/", {"departement": "39", "page_size": 100}).json()
    assert data["count"] >= 1 and all(r["departement_code"] == "39" for r in data["results"])
    data = client.get("/api/v1/initiatives/", {"beneficiary": "students"}).json()
    assert all("students" in r["beneficiaries"] for r in data["results"])


def test_an_initiative_detail_holds_its_key_figures_and_sources_by_title_and_section(catalog, client):
    data = client.get("/api/v1/initiatives/ferme-germigney-boeuf-croix-rouge-arbois/").json()
    assert {"value": "10.80", "unit": "€/kg", "year": 2024, "source_index": 0}.items() <= data["key_figures"][0].items()
    assert [s["title"] for s in data["sources"]] == ["Livret méthodologique MIAM, phase 1 (2023-2024)"] * 2
    assert all(s["section"] and ".txt" not in s["section"] for s in data["sources"])
    assert client.get("/api/v1/initiatives/ferme-germigney-boeuf-croix-rouge-arbois/similar/").status_code == 200


def test_an_initiative_detail_holds_the_fields_of_its_resolis_sheet(catalog, client):
    data = client.get("/api/v1/initiatives/asurif-marches-bio-femmes-rurales-algerie/").json()
    assert (data["employees_count"], data["volunteers_count"], data["members_count"]) == (3, 5, 8)
    assert data["carrier_kinds"] == ["association"]
    assert data["committee_assessments"] == ["inspiration"] and data["committee_read_on"] == "2016-04-11"
    assert data["objectives"] and data["results"] and data["difficulties"] and data["solutions"]
    assert data["other_types"] == ["resolis:fairs_markets"] and data["type"] == "short_chain_sales"


def test_the_type_filter_finds_secondary_types_too(catalog, client):
    data = client.get("/api/v1/initiatives/", {"type": "awareness_training", "page_size": 100}).json()
    slugs = {r["slug"]: r for r in data["results"]}
    assert slugs["cd31-atelier-sensibilisation-qualite-alimentaire"]["type"] == "awareness_training"
    assert "awareness_training" in slugs["la-salamandre-cousance"]["secondary_types"]
    assert all(
        r["type"] == "awareness_training" or "awareness_training" in r["secondary_types"] for r in data["results"]
    )


def test_the_typology_endpoint_maps_the_sources_typologies(client, db):
    data = client.get("/api/v1/initiatives/typology/").json()
    kinds = {t["code"]: t for t in data["types"]}
    assert sum(t["is_miam"] for t in data["types"]) == 16
    assert kinds["short_chain_sales"]["is_miam"] is False and kinds["short_chain_sales"]["domain"] == "distribution"
    assert data["resolis_to_catalog"]["farm_sales"]["default"] == "short_chain_sales"
    assert "networking_directory" in data["resolis_to_catalog"]["digital_platforms"]["allowed"]
    assert len(data["resolis_to_catalog"]) == 8
    assert data["cocolupa_to_domains"]["transformation"] == ["transformation"]


def test_the_geojson_layer_has_only_placed_initiatives(catalog, client):
    data = client.get("/api/v1/initiatives/geojson/").json()
    assert data["type"] == "FeatureCollection"
    assert 0 < len(data["features"]) < catalog.count()


def test_an_officer_builds_the_plan_through_the_api(geo, client, territory, officer):
    initiative = InitiativeFactory()
    client.force_authenticate(officer)
    plan = client.post("/api/v1/action-plans/", {"territory": "clunisois"}, format="json")
    assert plan.status_code == 201, plan.json()
    plan_id = plan.json()["id"]
    created = client.post("/api/v1/planned-actions/", {"plan": plan_id, "initiative": initiative.slug}, format="json")
    assert created.status_code == 201, created.json()
    action_id = created.json()["id"]
    again = client.post("/api/v1/planned-actions/", {"plan": plan_id, "initiative": initiative.slug}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "already_on_plan"
    selected = client.post(f"/api/v1/planned-actions/{action_id}/select/")
    assert selected.json()["state"] == "selected" and selected.json()["priority"] == 1
    twice = client.post(f"/api/v1/planned-actions/{action_id}/select/")
    assert twice.status_code == 409 and twice.json()["code"] == "already_selected"
    patched = client.patch(
        f"/api/v1/planned-actions/{action_id}/", {"status": "in_progress", "budget_eur": "1200.00"}, format="json"
    )
    assert patched.status_code == 200 and patched.json()["status"] == "in_progress"
    no_unit = client.post("/api/v1/action-indicators/", {"action": action_id, "name": "Volume"}, format="json")
    assert no_unit.status_code == 400 and no_unit.json()["code"] == "unit_required"
    assert ActionIndicator.objects.count() == 0
    indicator = client.post(
        "/api/v1/action-indicators/",
        {"action": action_id, "name": "Volume", "unit": "kg", "target_value": "500"},
        format="json",
    ).json()
    for period, value in (("2024", "120"), ("2025-T1", "80")):
        response = client.post(
            "/api/v1/indicator-values/",
            {"indicator": indicator["id"], "period_label": period, "value": value},
            format="json",
        )
        assert response.status_code == 201, response.json()
    future = client.post(
        "/api/v1/indicator-values/", {"indicator": indicator["id"], "period_label": "2999", "value": "1"}, format="json"
    )
    assert future.status_code == 400 and future.json()["code"] == "future_year"
    assert IndicatorValue.objects.count() == 2
    export = client.get(f"/api/v1/action-plans/{plan_id}/export/")
    rows = list(csv.DictReader(io.StringIO(export.content.decode("utf-8-sig")), delimiter=";"))
    assert (rows[0]["2024"], rows[0]["2025-T1"], rows[0]["pilote"]) == ("120", "80", "")


def test_the_plan_is_public_to_read_but_not_the_owner(geo, client, territory, officer):
    plan = services.action_plan_get_or_create(territory=territory, by=officer)
    action = services.planned_action_shortlist(plan=plan, by=officer, title="Glanage")
    services.planned_action_update(action=action, by=officer, owner_name="Claire Pilote")
    data = client.get("/api/v1/planned-actions/", {"plan": plan.pk}).json()
    assert data["results"][0]["title"] == "Glanage" and data["results"][0]["owner"] == ""
    client.force_authenticate(officer)
    assert client.get("/api/v1/planned-actions/", {"plan": plan.pk}).json()["results"][0]["owner"] == "Claire Pilote"


@pytest.mark.parametrize("who", ["anonymous", "other officer", "read-only key"])
def test_outsiders_cannot_write_on_a_plan(geo, client, territory, officer, who):
    plan = services.action_plan_get_or_create(territory=territory, by=officer)
    if who == "other officer":
        client.force_authenticate(make_officer(TerritoryFactory(epci_codes=["200071595"])))
    elif who == "read-only key":
        raw, prefix, key_hash = ApiKey.generate()
        ApiKey.objects.create(name="lecture", prefix=prefix, key_hash=key_hash, territory=territory)
        client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    response = client.post("/api/v1/planned-actions/", {"plan": plan.pk, "title": "Intrus"}, format="json")
    assert response.status_code in (401, 403)
    assert PlannedAction.objects.count() == 0


def test_a_staff_member_may_create_any_plan(geo, client, territory):
    client.force_authenticate(UserFactory(is_staff=True))
    assert client.post("/api/v1/action-plans/", {"territory": territory.slug}, format="json").status_code == 201


def test_the_planned_actions_list_query_count_is_pinned(geo, client, territory, officer, django_assert_max_num_queries):
    plan = services.action_plan_get_or_create(territory=territory, by=officer)
    for n in range(6):
        action = services.planned_action_shortlist(plan=plan, by=officer, title=f"Action {n}")
        services.action_indicator_add(action=action, by=officer, name="Volume", unit="kg")
    with django_assert_max_num_queries(8):
        response = client.get("/api/v1/planned-actions/", {"plan": plan.pk})
    assert response.json()["count"] == 6


def test_typology_labels_are_translated_for_an_english_client(catalog, client):
    data = client.get("/api/v1/initiatives/typology/", HTTP_ACCEPT_LANGUAGE="en").json()
    labels = {t["code"]: t["label"] for t in data["types"]}
    assert labels["short_chain_sales"] == "Short-chain sales without solidarity pricing"
    assert labels["gleaning"] == "Gleaning"
    detail = client.get("/api/v1/initiatives/la-salamandre-cousance/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert detail["type_label"] == "Sales with solidarity pricing (solidarity baskets, markets...)"


def test_a_create_with_follow_up_fields_stores_and_returns_them(geo, client, territory, officer):
    plan = services.action_plan_get_or_create(territory=territory, by=officer)
    owner, partner = FarmFactory(name="Ferme du Bois"), FarmFactory(name="Ferme des Prés")
    client.force_authenticate(officer)
    response = client.post(
        "/api/v1/planned-actions/",
        {
            "plan": plan.pk,
            "title": "Glanage d'automne",
            "status": "in_progress",
            "owner_organization": owner.pk,
            "owner_name": "Léa Martin",
            "partner_organizations": [partner.pk],
            "other_partners": "Mairie de Cluny",
            "budget_eur": "1500.00",
            "funding": "Département",
            "start_date": "2027-09-01",
            "end_date": "2027-11-30",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["status"], data["owner_organization"], data["partner_organizations"], data["owner"]) == (
        "in_progress",
        owner.pk,
        [partner.pk],
        "Léa Martin",
    )
    assert (data["other_partners"], data["budget_eur"], data["funding"]) == (
        "Mairie de Cluny",
        "1500.00",
        "Département",
    )
    assert (data["start_date"], data["end_date"], data["state"]) == ("2027-09-01", "2027-11-30", "shortlisted")
    action = PlannedAction.objects.get()
    assert (action.status, action.owner_organization, action.owner_name, str(action.budget_eur)) == (
        "in_progress",
        owner,
        "Léa Martin",
        "1500.00",
    )
    assert list(action.partner_organizations.all()) == [partner]
    assert (action.start_date.isoformat(), action.end_date.isoformat()) == ("2027-09-01", "2027-11-30")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (lambda closed: {"partner_organizations": [closed.pk]}, "partner_organizations"),
        (lambda closed: {"owner_organization": closed.pk}, "owner_organization"),
        (lambda closed: {"start_date": "2027-09-01", "end_date": "2027-01-01"}, "end_date"),
    ],
)
def test_a_create_whose_follow_up_is_refused_creates_nothing(geo, client, territory, officer, body, field):
    plan = services.action_plan_get_or_create(territory=territory, by=officer)
    initiative = InitiativeFactory()
    closed = FarmFactory(name="Ferme fermée", is_active=False)
    client.force_authenticate(officer)
    response = client.post(
        "/api/v1/planned-actions/", {"plan": plan.pk, "initiative": initiative.slug, **body(closed)}, format="json"
    )
    assert response.status_code == 400, response.json()
    assert list(response.json()["fields"]) == [field]
    assert PlannedAction.objects.count() == 0
    # Nothing half-made stands in the way: the same initiative goes on the plan once fixed.
    again = client.post("/api/v1/planned-actions/", {"plan": plan.pk, "initiative": initiative.slug}, format="json")
    assert again.status_code == 201
