"""What a newcomer meets first: the territory follows the person, menus only offer pages one may
open, no form loses what was typed to the territory switcher, the admin speaks French."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import TerritoryFactory, make_officer

pytestmark = pytest.mark.usefixtures("geo")


@pytest.fixture
def first_pat(territory):
    """Another PAT, first in alphabetical order (the old default for everyone)."""
    return TerritoryFactory(name="PAT Auxonne – Pontailler", slug="auxonne", epci_codes=["200070902"])


def _shown(client):
    return client.get(reverse("offers:map")).context["territory"]


def test_an_officer_lands_on_their_own_pat_not_the_first_one(client, territory, first_pat, officer):
    client.force_login(officer)
    assert _shown(client) == territory


def test_a_farmer_lands_on_the_territory_of_their_farm(client, territory, first_pat, farmer):
    client.force_login(farmer)
    assert _shown(client) == territory


def test_a_visitor_choice_is_remembered(client, territory, first_pat):
    assert _shown(client) == first_pat  # nothing chosen: the first one
    client.post(reverse("offers:territory_switch"), {"territory": territory.pk, "next": "/carte/"})
    assert _shown(client) == territory
    assert client.get(reverse("actors:directory")).context["territory"] == territory


def test_logging_in_through_the_form_brings_the_officer_back_to_their_pat(client, territory, first_pat):
    officer = make_officer(territory, email="cm2@example.org")
    officer.set_password("Un-mot-de-passe-solide-2026")
    officer.save()
    client.post(reverse("offers:territory_switch"), {"territory": first_pat.pk, "next": "/carte/"})
    response = client.post(reverse("login"), {"username": officer.email, "password": "Un-mot-de-passe-solide-2026"})
    assert response.status_code == 302
    assert _shown(client) == territory


def test_an_anonymous_visit_with_the_default_territory_creates_no_session(client, territory):
    client.get(reverse("offers:map"))
    client.get(reverse("home"))
    assert "sessionid" not in client.cookies


def test_an_officer_on_another_pat_is_only_offered_invitations_of_their_own(client, territory, first_pat, officer):
    client.force_login(officer)
    client.post(reverse("offers:territory_switch"), {"territory": first_pat.pk, "next": "/carte/"})
    nav = client.get(reverse("offers:map")).context["nav_items"]
    links = [c["url"] for item in nav for c in item.get("children", [])]
    assert reverse("actors:invitations", args=[territory.slug]) in links
    assert reverse("actors:invitations", args=[first_pat.slug]) not in links
    for url in links:
        assert client.get(url).status_code == 200, url


def test_visitors_have_a_meetings_entry(client, territory):
    nav = client.get(reverse("home")).context["nav_items"]
    assert reverse("meetings:list") in [item.get("url") for item in nav]
    assert client.get(reverse("meetings:list")).status_code == 200


def test_the_login_page_and_the_forms_have_no_territory_switcher(client, territory, first_pat, farmer):
    assert 'id="territory-switch"' not in client.get(reverse("login")).content.decode()
    client.force_login(farmer)
    assert 'id="territory-switch"' not in client.get(reverse("offers:offer_create")).content.decode()
    assert 'id="territory-switch"' in client.get(reverse("offers:map")).content.decode()


def test_the_admin_speaks_french_and_staff_find_it_from_the_site(client, territory):
    from tests.factories import UserFactory

    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    assert reverse("admin:index") in client.get(reverse("home")).content.decode()
    admin = client.get(reverse("admin:index")).content.decode()
    assert "MIAM — administration" in admin and "Administration de Django" not in admin


def test_people_who_are_not_staff_see_no_admin_link(client, farmer):
    client.force_login(farmer)
    assert reverse("admin:index") not in client.get(reverse("home")).content.decode()


def test_the_favicon_is_found(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("favicon.ico")


def test_a_match_notification_leads_to_a_page_that_exists(client, farm, structure, farmer, volunteer):
    from actors.models import Notification
    from offers.services import matches as services
    from tests.factories import NeedFactory, OfferFactory, web_match

    match = web_match(OfferFactory(organization=farm), NeedFactory(organization=structure))
    services.match_accept(match=match, by=farmer)
    urls = set(Notification.objects.exclude(url="").values_list("url", flat=True))
    assert urls, "accepting notifies the other side"
    client.force_login(farmer)
    for url in urls | {f"/rapprochements/{match.pk}/", "/rapprochements/"}:
        assert client.get(url, follow=True).status_code == 200, url
