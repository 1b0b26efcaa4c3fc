"""The whole loop in a real browser: an officer invites a farm and a food-aid structure, the
farmer posts an offer from a phone, the structure posts a need, matching runs, both accept,
the structure confirms the delivery and the dashboard counts it. Screenshots of each step go
to test-artifacts/e2e/; axe-core checks the map, both forms, the proposals and the dashboard."""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest
from django.core import mail

from actors.models import Organization
from offers.models import Delivery, Match, Need, Offer
from tests.e2e.conftest import axe_violations
from tests.factories import TerritoryFactory, make_officer

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("transactional_geo")]
PASSWORD = "Un-mot-de-passe-solide-2026"


def invitation_path(email: str) -> str:
    message = next(m for m in reversed(mail.outbox) if email in m.to)
    link = re.search(r"https?://\S+/invitation/\S+/", message.body).group(0)
    return urlparse(link).path


def shot(page, artifacts, name: str) -> None:
    page.screenshot(path=str(artifacts / f"{name}.png"), full_page=True)


def assert_accessible(page, where: str) -> None:
    violations = axe_violations(page)
    assert violations == [], f"{where}: {violations}"


def log_in(page, email: str, password: str) -> None:
    page.goto("/connexion/")
    page.fill("#id_username", email)
    page.fill("#id_password", password)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/(mon-espace/)?$"))


def register_and_invite(page, *, kind: str, name: str, commune: str, email: str) -> None:
    page.select_option("#id_new-kind", kind)
    page.fill("#id_new-name", name)
    page.select_option("#id_new-commune", commune)
    page.fill("#id_new-email", email)
    page.locator("#register-form button[type=submit]").click()
    page.locator(".fr-alert--success").filter(has_text=name).wait_for()


def accept_invitation(page, path: str, first_name: str, last_name: str) -> None:
    page.goto(path)
    page.fill("#id_first_name", first_name)
    page.fill("#id_last_name", last_name)
    page.fill("#id_password", PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url("**/mon-espace/")


def test_an_offer_goes_from_invitation_to_a_counted_delivery(live_server, open_context, artifacts, settings):
    settings.SITE_URL = live_server.url
    territory = TerritoryFactory(name="PAT du Clunisois", slug="clunisois")
    officer = make_officer(territory, email="cm.pat@example.org", first_name="Claire")
    officer.set_password(PASSWORD)
    officer.save()

    # 1. The officer signs in and invites a farm and a food-aid structure.
    officer_page = open_context().new_page()
    log_in(officer_page, "cm.pat@example.org", PASSWORD)
    officer_page.goto(f"/territoires/{territory.slug}/invitations/")
    register_and_invite(
        officer_page, kind="farm", name="Ferme du Bois Joli", commune="71137", email="paul@boisjoli.example"
    )
    register_and_invite(
        officer_page,
        kind="food_aid",
        name="Épicerie solidaire du Clunisois",
        commune="71137",
        email="lea@epicerie.example",
    )
    shot(officer_page, artifacts, "01-officer-invitations")
    assert Organization.objects.filter(name="Ferme du Bois Joli", kind="farm").exists()

    # 2. The farmer accepts on a phone and posts an offer.
    farmer_page = open_context(phone=True).new_page()
    accept_invitation(farmer_page, invitation_path("paul@boisjoli.example"), "Paul", "Martin")
    shot(farmer_page, artifacts, "02-farmer-my-space")
    farmer_page.get_by_role("link", name="Je propose").first.click()
    farmer_page.wait_for_url("**/je-propose/")
    assert_accessible(farmer_page, "offer form")
    farmer_page.select_option("#id_category", label="Pommes de terre")
    farmer_page.fill("#id_quantity", "100")
    farmer_page.locator("label", has_text="la ferme livre").click()
    assert farmer_page.locator("input[name=logistics][value=delivery]").is_checked()
    farmer_page.fill("#id_delivery_radius_km", "20")
    shot(farmer_page, artifacts, "03-farmer-offer-form")
    farmer_page.get_by_role("button", name="Publier mon offre").click()
    farmer_page.wait_for_url("**/mes-offres/")
    farmer_page.get_by_text("Pommes de terre").first.wait_for()
    shot(farmer_page, artifacts, "04-farmer-my-offers")
    offer = Offer.objects.get(organization__name="Ferme du Bois Joli")
    assert offer.quantity == 100 and offer.status == "published"

    # 3. The structure accepts and posts a need.
    structure_page = open_context(phone=True).new_page()
    accept_invitation(structure_page, invitation_path("lea@epicerie.example"), "Léa", "Bernard")
    structure_page.goto("/j-ai-besoin/")
    assert_accessible(structure_page, "need form")
    structure_page.locator("#id_categories-fieldset label", has_text=re.compile(r"^Légumes$")).click()
    structure_page.fill("#id_quantity", "50")
    shot(structure_page, artifacts, "05-structure-need-form")
    structure_page.get_by_role("button", name="Publier mon besoin").click()
    structure_page.wait_for_url("**/mes-besoins/")
    need = Need.objects.get(organization__name="Épicerie solidaire du Clunisois")
    assert need.quantity == 50

    # 4. The officer recomputes now; the run finishes (Celery is eager here).
    officer_page.goto("/tableau-de-bord/")
    officer_page.locator("#recompute-now").click()
    officer_page.locator("#matching-runs [data-run-status=success]").first.wait_for()
    shot(officer_page, artifacts, "06-officer-recompute")
    match = Match.objects.get(offer=offer, need=need)
    assert match.status == Match.MatchStatus.PROPOSED

    # 5. Both accept, each from their proposals page (htmx swaps the card).
    farmer_page.goto("/mes-propositions/")
    card = farmer_page.locator(f"#match-{match.pk}")
    card.locator(".miam-explanation").wait_for()
    assert_accessible(farmer_page, "proposals page")
    shot(farmer_page, artifacts, "07-farmer-proposals")
    card.get_by_role("button", name="Accepter").click()
    farmer_page.locator(f"#match-{match.pk}[data-status=accepted_farm]").wait_for()
    structure_page.goto("/mes-propositions/")
    structure_page.locator(f"#match-{match.pk}").get_by_role("button", name="Accepter").click()
    structure_page.locator(f"#match-{match.pk}[data-status=confirmed]").wait_for()
    shot(structure_page, artifacts, "08-structure-confirmed")

    # 6. The structure confirms the delivery with the quantity received.
    structure_page.goto("/mes-livraisons/")
    structure_page.fill(f"#id_quantity_received_{match.pk}", "48")
    structure_page.get_by_role("button", name="J'ai bien reçu").click()
    structure_page.locator(".fr-alert--success").wait_for()
    shot(structure_page, artifacts, "09-structure-delivery")
    delivery = Delivery.objects.get(match=match)
    assert delivery.quantity_received == 48

    # 7. The dashboard counts it.
    officer_page.goto("/tableau-de-bord/")
    assert officer_page.locator("#indicator-deliveries").inner_text().strip() == "1"
    assert officer_page.locator("#indicator-kg").inner_text().strip() == "48"
    assert_accessible(officer_page, "dashboard")
    shot(officer_page, artifacts, "10-officer-dashboard")

    # 8. The map: markers ready, and accessible.
    officer_page.goto(f"/carte/?territory={territory.pk}")
    officer_page.wait_for_function("() => window.miamMapReady === true")
    assert officer_page.evaluate("window.miamMarkerCount") >= 2
    assert_accessible(officer_page, "map")
    shot(officer_page, artifacts, "11-map")
