"""The action plan's page and API validate a planned action through the same input
(``initiatives.inputs``): a bad value gets the same French message through either door, and
changes nothing."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from rest_framework.test import APIClient

from initiatives import services
from initiatives.models import PlannedAction
from tests.factories import FarmFactory, InitiativeFactory


@pytest.fixture
def action(plan, officer):
    return services.planned_action_shortlist(plan=plan, by=officer, title="Glanage")


def _api(officer) -> APIClient:
    api = APIClient()
    api.force_login(officer)
    return api


def _page_errors(response) -> dict[str, list[str]]:
    form = response.context["form"]
    return {name: list(messages) for name, messages in form.errors.items()}


FOLLOW_UP = {"title": "Glanage", "status": "not_started", "budget_eur": "", "start_date": "", "end_date": ""}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("budget_eur", "beaucoup", "Un nombre valide est requis."),
        ("budget_eur", "-5", "Assurez-vous que cette valeur est supérieure ou égale à\xa00."),
        ("start_date", "le 3 mars", "La date n'a pas le bon format. Utilisez un des formats suivants\xa0: YYYY-MM-DD."),
        ("status", "fini", "«\xa0fini\xa0» n'est pas un choix valide."),
        ("title", "x" * 301, "Assurez-vous que ce champ comporte au plus 300\xa0caractères."),
        ("owner_name", "x" * 201, "Assurez-vous que ce champ comporte au plus 200\xa0caractères."),
    ],
)
def test_a_bad_follow_up_value_is_refused_alike_by_the_page_and_the_api(
    client, territory, officer, action, field, value, message
):
    client.force_login(officer)
    edit = reverse("initiatives:action_edit", args=[territory.slug, action.pk])
    page = client.post(edit, {"form": "action", **FOLLOW_UP, field: value})
    assert page.status_code == 200
    assert _page_errors(page) == {field: [message]}
    api = _api(officer).patch(f"/api/v1/planned-actions/{action.pk}/", {field: value}, format="json")
    assert api.status_code == 400
    assert api.json()["fields"] == {field: [message]}
    action.refresh_from_db()
    assert (action.title, action.status, action.budget_eur, action.start_date, action.owner_name) == (
        "Glanage",
        "not_started",
        None,
        None,
        "",
    )


def test_a_blank_title_is_refused_by_both_doors(client, territory, officer, action):
    """A page sends every field, an empty one as "" (DRF reads it as not given, as HTML forms
    send untouched fields): the service's rule answers there, DRF's blank check in JSON."""
    client.force_login(officer)
    edit = reverse("initiatives:action_edit", args=[territory.slug, action.pk])
    page = client.post(edit, {"form": "action", **FOLLOW_UP, "title": ""})
    assert _page_errors(page) == {"title": ["Le titre est obligatoire."]}
    api = _api(officer).patch(f"/api/v1/planned-actions/{action.pk}/", {"title": ""}, format="json")
    assert api.json()["fields"] == {"title": ["Ce champ ne peut être vide."]}
    action.refresh_from_db()
    assert action.title == "Glanage"


def test_an_unknown_partner_is_refused_alike_by_the_page_and_the_api(client, territory, officer, action):
    client.force_login(officer)
    edit = reverse("initiatives:action_edit", args=[territory.slug, action.pk])
    message = "Clé primaire «\xa0999999\xa0» non valide - l'objet n'existe pas."
    page = client.post(edit, {"form": "action", **FOLLOW_UP, "partner_organizations": ["999999"]})
    assert _page_errors(page) == {"partner_organizations": [message]}
    api = _api(officer).patch(
        f"/api/v1/planned-actions/{action.pk}/", {"partner_organizations": [999999]}, format="json"
    )
    assert api.json()["fields"] == {"partner_organizations": [message]}
    assert not action.partner_organizations.exists()


def test_the_follow_up_page_saves_what_the_api_would(client, territory, officer, action):
    farm = FarmFactory()
    client.force_login(officer)
    edit = reverse("initiatives:action_edit", args=[territory.slug, action.pk])
    form = client.get(edit).context["form"]
    assert form["title"].value() == "Glanage" and form["status"].value() == "not_started"
    response = client.post(
        edit,
        {
            "form": "action",
            **FOLLOW_UP,
            "title": "Glanage d'automne",
            "status": "in_progress",
            "owner_organization": str(farm.pk),
            "owner_name": "Léa Martin",
            "partner_organizations": [str(farm.pk)],
            "budget_eur": "800.50",
            "start_date": "2027-09-01",
            "end_date": "2027-10-01",
        },
    )
    assert response.status_code == 302
    action.refresh_from_db()
    assert (action.title, action.status, str(action.budget_eur), action.owner_name) == (
        "Glanage d'automne",
        "in_progress",
        "800.50",
        "Léa Martin",
    )
    assert action.owner_organization == farm and list(action.partner_organizations.all()) == [farm]
    edited = client.get(edit).context["form"]
    assert edited["partner_organizations"].value() == [farm.pk] and edited["start_date"].value().isoformat() == (
        "2027-09-01"
    )


def test_the_api_sets_the_owner_name_too(territory, officer, action):
    response = _api(officer).patch(f"/api/v1/planned-actions/{action.pk}/", {"owner_name": "Léa"}, format="json")
    assert response.status_code == 200 and response.json()["owner"] == "Léa"
    assert "owner_name" not in response.json()  # written, read in « owner » by the team only


def test_an_unknown_initiative_is_refused_alike_when_shortlisted_by_the_page_or_the_api(
    client, territory, officer, action
):
    client.force_login(officer)
    message = "L'objet avec slug=nulle-part n'existe pas."
    page = client.post(reverse("initiatives:plan_shortlist", args=[territory.slug]), {"initiative": "nulle-part"})
    assert page.status_code == 302
    assert [str(m) for m in get_messages(page.wsgi_request)] == [message]
    api = _api(officer).post(
        "/api/v1/planned-actions/", {"plan": action.plan_id, "initiative": "nulle-part"}, format="json"
    )
    assert api.status_code == 400 and api.json()["fields"] == {"initiative": [message]}
    assert list(PlannedAction.objects.values_list("title", flat=True)) == ["Glanage"]


def test_a_shortlisted_title_too_long_is_refused_alike(client, territory, officer, action):
    client.force_login(officer)
    message = "Assurez-vous que ce champ comporte au plus 300\xa0caractères."
    page = client.post(reverse("initiatives:plan_shortlist", args=[territory.slug]), {"title": "x" * 301})
    assert [str(m) for m in get_messages(page.wsgi_request)] == [message]
    api = _api(officer).post("/api/v1/planned-actions/", {"plan": action.plan_id, "title": "x" * 301}, format="json")
    assert api.json()["fields"] == {"title": [message]}
    assert PlannedAction.objects.count() == 1


def test_the_plan_page_offers_the_published_catalog_to_shortlist(client, territory, officer, action):
    published, hidden = InitiativeFactory(name="Paniers solidaires"), InitiativeFactory(is_published=False)
    client.force_login(officer)
    body = client.get(reverse("initiatives:plan", args=[territory.slug])).content.decode()
    assert f'value="{published.slug}"' in body and f'value="{hidden.slug}"' not in body
    response = client.post(reverse("initiatives:plan_shortlist", args=[territory.slug]), {"initiative": published.slug})
    assert response.status_code == 302
    assert PlannedAction.objects.filter(initiative=published).exists()


INACTIVE_OWNER = (
    "« Ferme fermée » n'est plus active sur MIAM : choisissez une organisation active pour piloter l'action."
)
INACTIVE_PARTNER = (
    "Ces organisations ne sont plus actives sur MIAM et ne peuvent pas être partenaires : « Ferme fermée »."
)


def test_an_inactive_owner_is_refused_alike_by_the_page_and_the_api(client, territory, officer, action):
    closed = FarmFactory(name="Ferme fermée", is_active=False)
    client.force_login(officer)
    edit = reverse("initiatives:action_edit", args=[territory.slug, action.pk])
    page = client.post(edit, {"form": "action", **FOLLOW_UP, "owner_organization": str(closed.pk), "budget_eur": "500"})
    assert page.status_code == 200
    assert _page_errors(page) == {"owner_organization": [INACTIVE_OWNER]}
    api = _api(officer).patch(
        f"/api/v1/planned-actions/{action.pk}/", {"owner_organization": closed.pk, "budget_eur": "500"}, format="json"
    )
    assert api.status_code == 400
    assert api.json()["code"] == "inactive_organization"
    assert api.json()["fields"] == {"owner_organization": [INACTIVE_OWNER]}
    action.refresh_from_db()
    assert (action.owner_organization, action.budget_eur) == (None, None)


def test_an_inactive_partner_is_refused_alike_by_the_page_and_the_api(client, territory, officer, action):
    active, closed = FarmFactory(name="Ferme ouverte"), FarmFactory(name="Ferme fermée", is_active=False)
    client.force_login(officer)
    edit = reverse("initiatives:action_edit", args=[territory.slug, action.pk])
    page = client.post(
        edit,
        {
            "form": "action",
            **FOLLOW_UP,
            "owner_organization": str(active.pk),
            "partner_organizations": [str(closed.pk)],
        },
    )
    assert _page_errors(page) == {"partner_organizations": [INACTIVE_PARTNER]}
    api = _api(officer).patch(
        f"/api/v1/planned-actions/{action.pk}/",
        {"owner_organization": active.pk, "partner_organizations": [active.pk, closed.pk]},
        format="json",
    )
    assert api.status_code == 400
    assert api.json()["fields"] == {"partner_organizations": [INACTIVE_PARTNER]}
    action.refresh_from_db()
    assert action.owner_organization is None and not action.partner_organizations.exists()


def test_an_organization_deactivated_since_it_was_named_stays_but_no_other_joins(client, territory, officer, action):
    farm = FarmFactory(name="Ferme de Cluny")
    services.planned_action_update(action=action, by=officer, owner_organization=farm, partner_organizations=[farm])
    farm.is_active = False
    farm.save()
    closed = FarmFactory(name="Ferme fermée", is_active=False)
    client.force_login(officer)
    edit = reverse("initiatives:action_edit", args=[territory.slug, action.pk])
    form = client.get(edit).context["form"]
    offered = {value for value, _label in form.fields["partner_organizations"].widget.choices}
    assert farm.pk in offered and closed.pk not in offered  # still offered, so a save keeps it
    kept = {"form": "action", **FOLLOW_UP, "owner_organization": str(farm.pk), "partner_organizations": [str(farm.pk)]}
    joined = client.post(edit, {**kept, "partner_organizations": [str(farm.pk), str(closed.pk)], "budget_eur": "900"})
    assert _page_errors(joined) == {"partner_organizations": [INACTIVE_PARTNER]}
    action.refresh_from_db()
    assert action.budget_eur is None
    assert client.post(edit, {**kept, "budget_eur": "900"}).status_code == 302
    action.refresh_from_db()
    assert action.budget_eur == 900 and action.owner_organization == farm
    assert list(action.partner_organizations.all()) == [farm]


def test_the_follow_up_page_offers_only_active_organizations_of_the_territory(client, territory, officer, action):
    active, closed = FarmFactory(name="Ferme ouverte"), FarmFactory(name="Ferme fermée", is_active=False)
    client.force_login(officer)
    form = client.get(reverse("initiatives:action_edit", args=[territory.slug, action.pk])).context["form"]
    offered = {value for value, _label in form.fields["partner_organizations"].widget.choices}
    assert active.pk in offered and closed.pk not in offered
