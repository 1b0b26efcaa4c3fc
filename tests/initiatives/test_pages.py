"""Pages: catalog, map, detail, plan (public), plan editing (officers), CSV and print."""

import csv
import io
from pathlib import Path

from django.urls import reverse
from django.utils.html import escape

from initiatives import services
from initiatives.models import ActionIndicator, IndicatorValue, PlannedAction
from tests.factories import InitiativeFactory, UserFactory


def test_the_catalog_page_searches_and_filters(catalog, client):
    response = client.get(reverse("initiatives:list"), {"q": "glanage", "domain": "supply"})
    assert response.status_code == 200
    page = list(response.context["page"])
    assert page[0].type == "gleaning"
    assert "Solaal" in response.content.decode()


def test_the_catalog_page_paginates(catalog, client):
    response = client.get(reverse("initiatives:list"), {"page": 2})
    assert response.status_code == 200
    assert response.context["page"].number == 2


def test_the_map_page_lists_every_initiative_even_unplaced_ones(catalog, client):
    response = client.get(reverse("initiatives:map"))
    body = response.content.decode()
    assert response.status_code == 200
    assert len(response.context["initiatives"]) == catalog.count()
    assert "Jardins associatifs" in body or "Dinan" in body  # not placed in tests, still listed
    assert "leaflet/leaflet.js" in body and "miam/initiatives_map.js" in body and 'id="initiatives-geojson"' in body


def test_the_detail_page_shows_figures_sources_by_title_and_similar(catalog, client):
    response = client.get(reverse("initiatives:detail", args=["ferme-germigney-boeuf-croix-rouge-arbois"]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "€/kg" in body
    assert "Livret méthodologique MIAM, phase 1 (2023-2024), § Témoignages › agriculteur" in body
    assert ".txt" not in body
    assert response.context["similar"]


def test_the_detail_page_shows_the_fields_of_a_resolis_sheet(catalog, client):
    body = client.get(
        reverse("initiatives:detail", args=["asurif-marches-bio-femmes-rurales-algerie"])
    ).content.decode()
    for text in (
        "3 salariés",
        "5 bénévoles",
        "8 adhérents",
        "Source d&#x27;inspiration",
        "Objectifs",
        "Résultats et impacts",
        "Enseignements",
        "Solutions adoptées",
        "Classement de la source",
        "Foires et marchés de plein vent",
        "fiche lue le 11/04/2016",
    ):
        assert text in body, text


def test_the_detail_page_flags_a_place_the_source_gets_wrong_and_its_notes(catalog, client):
    body = client.get(
        reverse("initiatives:detail", args=["pat-pyrenees-orientales-plateforme-aide-alimentaire"])
    ).content.decode()
    assert "Pamiers" in body and "Ariège" in body
    assert "Remarques sur la source" in body


def test_an_officer_shortlists_an_initiative_from_its_page(geo, client, territory, officer):
    initiative = InitiativeFactory()
    client.force_login(officer)
    page = client.get(reverse("initiatives:detail", args=[initiative.slug]))
    assert "Présélectionner pour PAT du Clunisois" in page.content.decode()
    url = reverse("initiatives:plan_shortlist", args=[territory.slug])
    response = client.post(url, {"initiative": initiative.slug, "from": "detail"})
    assert response.status_code == 302
    assert PlannedAction.objects.filter(initiative=initiative, plan__territory=territory).count() == 1
    again = client.post(url, {"initiative": initiative.slug, "from": "detail"}, follow=True)
    assert "figure déjà dans le plan" in again.content.decode()
    assert PlannedAction.objects.count() == 1


def test_a_visitor_cannot_shortlist(geo, client, territory):
    initiative = InitiativeFactory()
    client.force_login(UserFactory())
    response = client.post(
        reverse("initiatives:plan_shortlist", args=[territory.slug]), {"initiative": initiative.slug}
    )
    assert response.status_code == 302
    assert PlannedAction.objects.count() == 0


def test_the_plan_page_is_public_without_the_owner_name(geo, client, territory, plan, officer):
    action = services.planned_action_shortlist(plan=plan, by=officer, title="Journées de glanage")
    services.planned_action_select(action=action, by=officer)
    services.planned_action_update(action=action, by=officer, owner_name="Claire Pilote")
    response = client.get(reverse("initiatives:plan", args=[territory.slug]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Journées de glanage" in body and "Claire Pilote" not in body
    assert "Retenir" not in body
    client.force_login(officer)
    assert "Claire Pilote" in client.get(reverse("initiatives:plan", args=[territory.slug])).content.decode()


def test_the_territory_page_shows_its_plan(geo, client, territory, plan, officer):
    action = services.planned_action_shortlist(plan=plan, by=officer, title="Journées de glanage")
    services.planned_action_select(action=action, by=officer)
    body = client.get(reverse("actors:territory_detail", args=[territory.slug])).content.decode()
    assert "Plan d&#x27;action" in body or "Plan d'action" in body
    assert "Journées de glanage" in body


def test_an_officer_selects_reorders_and_follows_actions_from_the_pages(geo, client, territory, plan, officer):
    a = services.planned_action_shortlist(plan=plan, by=officer, title="Glanage")
    b = services.planned_action_shortlist(plan=plan, by=officer, title="Paniers solidaires")
    client.force_login(officer)
    for action in (a, b):
        client.post(reverse("initiatives:action_transition", args=[territory.slug, action.pk, "select"]))
    client.post(reverse("initiatives:action_move", args=[territory.slug, b.pk, "up"]))
    assert list(plan.actions.order_by("priority").values_list("title", flat=True)) == ["Paniers solidaires", "Glanage"]
    twice = client.post(reverse("initiatives:action_transition", args=[territory.slug, a.pk, "select"]), follow=True)
    assert "déjà retenue" in twice.content.decode()

    edit = reverse("initiatives:action_edit", args=[territory.slug, a.pk])
    response = client.post(edit, {"form": "indicator", "indicator-name": "Volume glané", "indicator-unit": ""})
    assert response.status_code == 200
    assert "L&#x27;unité est obligatoire." in response.content.decode()
    assert ActionIndicator.objects.count() == 0
    client.post(edit, {"form": "indicator", "indicator-name": "Volume glané", "indicator-unit": "kg"})
    indicator = ActionIndicator.objects.get()
    client.post(edit, {"form": "values", "values-period_label": "2024", f"values-indicator_{indicator.pk}": "320"})
    future = client.post(
        edit, {"form": "values", "values-period_label": "2999", f"values-indicator_{indicator.pk}": "1"}
    )
    assert "dans le futur" in future.content.decode()
    assert list(IndicatorValue.objects.values_list("period_label", "value")) == [("2024", 320)]
    client.post(edit, {"form": "step", "step-title": "Signer la convention de glanage"})
    response = client.post(
        edit,
        {
            "form": "action",
            "title": "Glanage d'automne",
            "status": "in_progress",
            "budget_eur": "800",
            "start_date": "2025-09-01",
            "end_date": "2025-08-01",
        },
    )
    assert "La date de fin doit suivre la date de début." in response.content.decode()
    a.refresh_from_db()
    assert a.title == "Glanage" and a.steps.count() == 1


def test_a_visitor_cannot_open_the_action_editor(geo, client, territory, plan, officer):
    action = services.planned_action_shortlist(plan=plan, by=officer, title="Glanage")
    client.force_login(UserFactory())
    response = client.get(reverse("initiatives:action_edit", args=[territory.slug, action.pk]))
    assert response.status_code == 302


def test_the_plan_exports_as_csv_and_prints(geo, client, territory, plan, officer):
    action = services.planned_action_shortlist(plan=plan, by=officer, title="Glanage")
    indicator = services.action_indicator_add(action=action, by=officer, name="Volume", unit="kg")
    services.indicator_value_record(indicator=indicator, by=officer, period_label="2024", value=42)
    response = client.get(reverse("initiatives:plan_csv", args=[territory.slug]))
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0]["action"] == "Glanage" and rows[0]["2024"] == "42"
    same = client.get(reverse("initiatives:plan", args=[territory.slug]), {"format": "csv"})  # as every list
    assert same["Content-Type"].startswith("text/csv") and same.content == response.content
    printable = client.get(reverse("initiatives:plan_print", args=[territory.slug]))
    assert printable.status_code == 200 and "miam/plan_print.css" in printable.content.decode()
    from django.contrib.staticfiles import finders  # the print style is a file (CSP: no inline style)

    assert "@media print" in Path(finders.find("miam/plan_print.css")).read_text()


def test_plans_index_lists_territories(geo, client, territory):
    assert territory.name in client.get(reverse("initiatives:plans")).content.decode()


def test_the_team_sees_the_meetings_where_an_action_was_discussed(geo, client, territory, plan, officer):
    from tests.factories import MeetingFactory

    action = services.planned_action_shortlist(plan=plan, by=officer, title="Journées de glanage")
    meeting = MeetingFactory(territory=territory, title="Deuxième réunion collective")
    meeting.discussed_actions.add(action)
    url = reverse("initiatives:plan", args=[territory.slug])
    assert "Deuxième réunion collective" not in client.get(url).content.decode()
    client.force_login(officer)
    assert "Deuxième réunion collective" in client.get(url).content.decode()


def test_the_plan_page_query_count_does_not_grow_with_actions(
    geo, client, territory, plan, officer, django_assert_max_num_queries
):
    for n in range(8):
        action = services.planned_action_shortlist(plan=plan, by=officer, title=f"Action {n}")
        services.planned_action_select(action=action, by=officer)
        indicator = services.action_indicator_add(action=action, by=officer, name="Volume", unit="kg")
        services.indicator_value_record(indicator=indicator, by=officer, period_label="2024", value=n)
        services.action_step_add(action=action, by=officer, title="Étape")
    client.force_login(officer)
    with django_assert_max_num_queries(25):
        response = client.get(reverse("initiatives:plan", args=[territory.slug]))
    assert response.status_code == 200


def test_every_initiative_page_renders_its_sources_by_title(catalog, client):
    for initiative in catalog:
        body = client.get(reverse("initiatives:detail", args=[initiative.slug])).content.decode()
        assert initiative.sources[0]["title"].split(" (")[0][:30] in body.replace("&#x27;", "'"), initiative.slug


def test_an_officer_renames_the_plan_from_its_page_and_a_blank_title_is_refused(geo, client, territory, plan, officer):
    client.force_login(officer)
    page = client.get(reverse("initiatives:plan", args=[territory.slug])).content.decode()
    assert f'value="{escape(plan.title)}"' in page and 'maxlength="200"' in page
    url = reverse("initiatives:plan_update", args=[territory.slug])
    client.post(url, {"title": "  Plan alimentaire du Clunisois ", "status": "adopted", "description": "Voté."})
    plan.refresh_from_db()
    assert (plan.title, plan.status, plan.description) == ("Plan alimentaire du Clunisois", "adopted", "Voté.")
    client.post(url, {"title": "", "status": "closed", "description": ""})
    plan.refresh_from_db()
    assert (plan.title, plan.status) == ("Plan alimentaire du Clunisois", "adopted")
