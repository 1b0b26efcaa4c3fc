"""Directory, organization pages (public fields only for visitors), edit, invitations, navigation."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from actors.models import Invitation, Organization
from tests.factories import FarmFactory, StructureFactory, UserFactory, commune

pytestmark = pytest.mark.usefixtures("geo")


def test_the_directory_filters_by_kind_and_name(client, territory, farm, structure):
    response = client.get(reverse("actors:directory"), {"territory": territory.pk, "kind": "farm"})
    html = response.content.decode()
    assert farm.name in html and structure.name not in html
    html = client.get(reverse("actors:directory"), {"territory": territory.pk, "q": "Épicerie"}).content.decode()
    assert structure.name in html and farm.name not in html


def test_an_htmx_filter_returns_only_the_results(client, territory, farm):
    response = client.get(reverse("actors:directory"), {"territory": territory.pk}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.strip().startswith('<div id="directory-results"') and "<html" not in html


def test_the_directory_query_count_does_not_grow(client, territory, django_assert_max_num_queries):
    for _ in range(25):
        FarmFactory()
    with django_assert_max_num_queries(8):
        assert client.get(reverse("actors:directory"), {"territory": territory.pk}).status_code == 200


def test_visitors_see_the_commune_never_the_address_nor_an_email(client, farm, farmer):
    html = client.get(reverse("actors:organization_detail", args=[farm.pk])).content.decode()
    assert farm.name in html and "Cluny" in html
    assert "12 chemin des Prés" not in html
    assert "contact@grandspres.example" not in html and farmer.email not in html


def test_the_territory_team_sees_contact_details_members_see_members(client, farm, farmer, officer):
    client.force_login(officer)
    html = client.get(reverse("actors:organization_detail", args=[farm.pk])).content.decode()
    assert "12 chemin des Prés" in html and "contact@grandspres.example" in html
    client.force_login(farmer)
    assert farmer.email in client.get(reverse("actors:organization_detail", args=[farm.pk])).content.decode()


def test_a_member_edits_the_farm_profile_through_the_service(client, farm, farmer):
    client.force_login(farmer)
    form = client.get(reverse("actors:organization_edit", args=[farm.pk])).context["form"]
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(
        {
            "name": "Ferme des Grands Prés (GAEC)",
            "commune": "71137",
            "delivery_radius_km": "35",
            "vehicle": "van",
            "labels": ["AB"],
            "accepts_donation": "on",
        }
    )
    for key in ("accepts_solidarity_price", "accepts_market_price"):
        data.pop(key, None)
    response = client.post(reverse("actors:organization_edit", args=[farm.pk]), data)
    assert response.status_code == 302, response.context["form"].errors
    farm.refresh_from_db()
    assert farm.name == "Ferme des Grands Prés (GAEC)"
    assert farm.farm_profile.delivery_radius_km == 35 and farm.farm_profile.labels == ["AB"]
    assert not farm.farm_profile.accepts_market_price


def test_strangers_cannot_edit_an_organization(client, farm):
    client.force_login(UserFactory())
    assert client.get(reverse("actors:organization_edit", args=[farm.pk])).status_code == 403


def test_an_officer_registers_a_farm_and_invites_its_farmer_in_one_step(
    client, territory, officer, django_capture_on_commit_callbacks
):
    client.force_login(officer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("actors:invitations", args=[territory.slug]),
            {
                "action": "new",
                "new-kind": "farm",
                "new-name": "Ferme du Bois Joli",
                "new-commune": "71137",
                "new-email": "paul@bois.example",
            },
        )
    assert response.status_code == 302
    organization = Organization.objects.get(name="Ferme du Bois Joli")
    assert organization.kind == "farm" and organization.commune.insee_code == "71137"
    invitation = Invitation.objects.get(email="paul@bois.example")
    assert invitation.organization == organization
    assert len(mail.outbox) == 1 and "/invitation/" in mail.outbox[0].body


def test_a_bad_invitation_keeps_what_was_typed(client, territory, officer):
    client.force_login(officer)
    response = client.post(
        reverse("actors:invitations", args=[territory.slug]),
        {
            "action": "new",
            "new-kind": "farm",
            "new-name": "Ferme du Bois Joli",
            "new-commune": "71137",
            "new-email": "pas-un-email",
        },
    )
    assert response.status_code == 400
    assert "new-email" in response.content.decode() and 'value="Ferme du Bois Joli"' in response.content.decode()
    assert not Organization.objects.filter(name="Ferme du Bois Joli").exists()


def test_an_officer_invites_someone_into_an_existing_structure(client, territory, officer, structure):
    client.force_login(officer)
    client.post(
        reverse("actors:invitations", args=[territory.slug]),
        {
            "action": "organization",
            "org-organization": structure.pk,
            "org-email": "nouveau@example.org",
            "org-organization_role": "member",
        },
    )
    assert Invitation.objects.get(email="nouveau@example.org").organization == structure


def test_only_officers_open_the_invitations_page(client, territory, farmer):
    client.force_login(farmer)
    assert client.get(reverse("actors:invitations", args=[territory.slug])).status_code == 403


def test_accepting_an_invitation_with_a_weak_password_keeps_the_names(client, territory, officer, farm):
    from actors import services

    _invitation, token = services.invitation_create(by=officer, email="new@example.org", organization=farm)
    response = client.post(
        reverse("invitation_accept", args=[token]), {"first_name": "Jeanne", "last_name": "Durand", "password": "123"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'value="Jeanne"' in html and "fr-error-text" in html


def test_the_navigation_follows_the_roles(client, territory, farmer, officer, volunteer):
    def labels(response):
        items = response.context["nav_items"]
        out = []
        for item in items:
            out.append(item["label"])
            out += [child["label"] for child in item.get("children", [])]
        return out

    assert "Mon espace" not in labels(client.get(reverse("home")))
    client.force_login(farmer)
    farmer_nav = labels(client.get(reverse("home")))
    assert "Je propose" in farmer_nav and "J'ai besoin" not in farmer_nav and "Tableau de bord" not in farmer_nav
    client.force_login(volunteer)
    assert "J'ai besoin" in labels(client.get(reverse("home")))
    client.force_login(officer)
    officer_nav = labels(client.get(reverse("home")))
    assert "Tableau de bord" in officer_nav and "Invitations" in officer_nav


def test_the_territory_page_embeds_the_map(client, territory):
    StructureFactory(commune=commune("71137"))
    html = client.get(reverse("actors:territory_detail", args=[territory.slug])).content.decode()
    assert 'id="miam-map"' in html and "Structure d&#x27;aide alimentaire : 1" in html
