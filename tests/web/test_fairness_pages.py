"""The pages of fair shares: who is least served on the dashboard, why a need has no
proposal, « Je suis intéressé·e » on an offer."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from actors.models import StructureProfile
from offers.models import Delivery, Match
from tests.factories import (
    NeedFactory,
    OfferFactory,
    StructureFactory,
    make_member,
    matching_need,
    matching_offer,
    web_match,
)

pytestmark = pytest.mark.usefixtures("geo")


def received(structure, farm, kg: str, days_ago: int = 3) -> None:
    match = web_match(OfferFactory(organization=farm), NeedFactory(organization=structure), status="delivered")
    Delivery.objects.create(
        match=match,
        delivered_on=timezone.localdate() - dt.timedelta(days=days_ago),
        mode="delivery",
        quantity_received=Decimal(kg),
        unit="kg",
        quantity_kg=Decimal(kg),
    )


def test_the_dashboard_lists_structures_least_served_first_and_explains_the_strength(client, officer, farm, structure):
    big = StructureFactory(name="Restos du Cœur de Cluny", profile__people_served_per_week=300)
    received(structure, farm, "60")  # 100 people: 60 kg
    received(big, farm, "30")  # 300 people: 30 kg
    client.force_login(officer)
    page = client.get(reverse("offers:dashboard"))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Qui est le moins servi ?" in html
    assert "sur les 30 derniers jours, au regard des personnes qu'elles accueillent (force 1 :" in html
    table = html[html.index('id="fill-rates-table"') :]
    assert table.index("Restos du Cœur de Cluny") < table.index("Épicerie solidaire de Cluny")
    rows = [r for r in page.context["fill_rates"] if r.organization_id in (big.pk, structure.pk)]
    # 90 kg for 400 people: 0.225 kg each; 30 kg for 300 is 4/9 of the share, 60 for 100 is 8/3.
    assert [(r.name, r.fill_rate) for r in rows] == [
        ("Restos du Cœur de Cluny", pytest.approx(4 / 9)),
        ("Épicerie solidaire de Cluny", pytest.approx(8 / 3)),
    ]
    earlier = client.get(reverse("offers:dashboard"), {"date_from": "2020-01-01", "date_to": "2020-01-31"})
    assert all(r.received_kg == 0 for r in earlier.context["fill_rates"])


def test_a_need_without_proposal_shows_why_on_its_page(client, volunteer, structure):
    StructureProfile.objects.filter(organization=structure).update(has_fridge=False)
    matching_offer(category="leafy-vegetables", storage="chilled")
    need = matching_need(structure)
    client.force_login(volunteer)
    page = client.get(reverse("offers:need_detail", args=[need.pk]))
    assert page.context["near_misses"], page.context["near_misses"]
    html = page.content.decode()
    assert "Pourquoi aucune proposition ?" in html
    assert "réfrigérée(s) à" in html and "vous n&#x27;avez pas de frigo" in html


def test_a_structure_asks_for_an_offer_from_its_page(client, volunteer, structure, farm):
    offer = matching_offer(farm, quantity=30)
    need = matching_need(structure, quantity=20)
    client.force_login(volunteer)
    page = client.get(reverse("offers:offer_detail", args=[offer.pk]))
    assert "Je suis intéressé·e" in page.content.decode()
    form = client.get(reverse("offers:offer_request", args=[offer.pk]))
    assert form.status_code == 200 and form.context["form"].initial["quantity"] == Decimal(20)
    refused = client.post(reverse("offers:offer_request", args=[offer.pk]), {"need": need.pk, "quantity": "50"})
    assert refused.status_code == 400 and "ne respecte pas les conditions" in refused.content.decode()
    sent = client.post(reverse("offers:offer_request", args=[offer.pk]), {"need": need.pk, "quantity": "15"})
    assert sent.status_code == 302
    match = Match.objects.get(offer=offer, need=need)
    assert (match.status, match.origin, match.quantity) == ("accepted_structure", "request", Decimal(15))


def test_a_farmer_sees_no_interest_button_on_an_offer(client, farmer, farm):
    offer = matching_offer(farm)
    client.force_login(farmer)
    assert "Je suis intéressé·e" not in client.get(reverse("offers:offer_detail", args=[offer.pk])).content.decode()
    assert client.get(reverse("offers:offer_request", args=[offer.pk])).status_code == 403
    assert make_member  # the farmer has no food-aid structure, so no need to ask for
