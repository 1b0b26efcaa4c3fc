"""Building a round by hand in a real browser on a phone: a logistics coordinator picks the
vehicle and the day's matches, sees the planner's order with the km, the load against the
payload and the cold check, saves it; the page stays within the screen, with no serious
accessibility violation (axe). Then a structure sets its opening hours on a phone."""

from __future__ import annotations

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from logistics.models import OpeningHours, Round
from tests.e2e.conftest import PHONE, axe_violations
from tests.e2e.test_first_touch import _session_cookie
from tests.factories import TerritoryFactory, make_member
from tests.logistics.helpers import confirmed_match, farm, logistics_org, next_tuesday, structure, vehicle

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def geo(transactional_geo):
    return None


def fits(page) -> bool:
    """No wider than the phone once laid out: polled for up to 5 s, since the DSFR's scripts
    size a table after the page has loaded (a loaded machine showed it wider for a moment)."""
    try:
        page.wait_for_function(f"document.documentElement.scrollWidth <= {PHONE['width']}", timeout=5000)
    except PlaywrightTimeoutError:
        return False
    return True


def test_a_coordinator_builds_a_round_on_a_phone(open_context, live_server, geo):
    territory, tuesday = TerritoryFactory(), next_tuesday()
    owner = logistics_org()
    truck = vehicle(owner, days=(1,), name="Camion frigo")
    first = confirmed_match(farm("71007"), structure("71137"), day=tuesday)
    second = confirmed_match(farm("71532"), structure("71240"), day=tuesday, category="dairy", storage="chilled")
    context = open_context(phone=True)
    context.add_cookies([_session_cookie(make_member(owner), live_server)])
    page = context.new_page()

    response = page.goto(f"/logistique/tournees/nouvelle/?territory={territory.pk}&day={tuesday.isoformat()}")
    assert response.status == 200
    assert fits(page)
    assert axe_violations(page) == []
    page.select_option("select[name=vehicle]", str(truck.pk))
    for match in (first, second):  # a DSFR checkbox is ticked through its label
        box = page.get_attribute(f"input[name=lots][value='{match.pk}']", "id")
        page.click(f"label[for={box}]")
    page.get_by_role("button", name="Calculer l'ordre des arrêts").click()
    page.wait_for_selector("#draft")
    assert "pour une charge utile de 1000 kg" in page.inner_text("#draft-load")
    assert page.locator(".draft-stop").count() == 6
    assert "véhicule réfrigéré, la chaîne du froid est tenue" in page.inner_text("#draft")
    assert fits(page)
    assert axe_violations(page) == []
    assert not Round.objects.exists()

    page.get_by_role("button", name="Enregistrer la tournée").click()
    made = None
    page.wait_for_selector("text=Tournée enregistrée.")
    made = Round.objects.get()
    assert page.url.endswith(f"/logistique/tournees/{made.pk}/")
    assert made.stops.filter(kind="pickup").count() == 2


def test_a_structure_sets_its_opening_hours_on_a_phone(open_context, live_server, geo):
    place = structure("71137")
    context = open_context(phone=True)
    context.add_cookies([_session_cookie(make_member(place), live_server)])
    page = context.new_page()
    assert page.goto(f"/logistique/horaires/{place.pk}/").status == 200
    assert fits(page)
    assert axe_violations(page) == []
    page.fill("input[name=d1_0_opens_at]", "14:00")
    page.fill("input[name=d1_0_closes_at]", "13:00")
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_selector("text=L'heure de fin doit être après l'heure de début.")
    assert not OpeningHours.objects.filter(organization=place).exists()
    page.fill("input[name=d1_0_closes_at]", "17:00")
    page.get_by_role("button", name="Enregistrer").click()
    page.wait_for_selector("text=Horaires d'accueil enregistrés.")
    assert OpeningHours.objects.filter(organization=place, weekday=1).count() == 1
