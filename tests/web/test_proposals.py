"""Proposals with their explanation, accepted or declined with htmx; deliveries confirmed."""

from __future__ import annotations

import pytest
from django.urls import reverse

from offers.models import Delivery, Match
from tests.factories import NeedFactory, OfferFactory, UserFactory, make_member, web_match

pytestmark = pytest.mark.usefixtures("geo")


@pytest.fixture
def match(farm, structure):
    return web_match(OfferFactory(organization=farm, quantity=100), NeedFactory(organization=structure, quantity=50))


def test_each_side_sees_the_proposal_with_its_explanation(client, match, farmer, volunteer):
    client.force_login(farmer)
    html = client.get(reverse("offers:proposals")).content.decode()
    assert "Épicerie solidaire de Cluny" in html and "couvre 100 % du besoin" in html
    client.force_login(volunteer)
    html = client.get(reverse("offers:proposals")).content.decode()
    assert "Ferme des Grands Prés" in html and "Pourquoi cette proposition" in html


def test_accepting_with_htmx_returns_the_updated_card_only(client, match, farmer):
    client.force_login(farmer)
    response = client.post(reverse("offers:match_accept", args=[match.pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.strip().startswith("<article") and 'data-status="accepted_farm"' in html
    assert "En attente de la structure" in html
    match.refresh_from_db()
    assert match.status == Match.MatchStatus.ACCEPTED_FARM


def test_when_both_accept_the_match_is_confirmed(client, match, farmer, volunteer):
    client.force_login(farmer)
    client.post(reverse("offers:match_accept", args=[match.pk]))
    client.force_login(volunteer)
    response = client.post(reverse("offers:match_accept", args=[match.pk]))
    assert response.status_code == 302
    match.refresh_from_db()
    assert match.status == Match.MatchStatus.CONFIRMED


def test_declining_needs_a_reason_and_keeps_it(client, match, volunteer):
    client.force_login(volunteer)
    response = client.post(reverse("offers:match_decline", args=[match.pk]), {"reason": ""}, HTTP_HX_REQUEST="true")
    assert "Indiquez le motif du refus" in response.content.decode()
    match.refresh_from_db()
    assert match.status == Match.MatchStatus.PROPOSED
    client.post(reverse("offers:match_decline", args=[match.pk]), {"reason": "distance", "detail": "pas de camion"})
    match.refresh_from_db()
    assert match.status == Match.MatchStatus.DECLINED
    assert "Trop loin" in match.declined_reason and "pas de camion" in match.declined_reason


def test_a_stranger_cannot_act_on_a_match(client, match):
    client.force_login(UserFactory())
    assert client.post(reverse("offers:match_accept", args=[match.pk])).status_code == 403


def test_the_structure_confirms_the_delivery_with_the_received_quantity(client, match, farmer, volunteer):
    client.force_login(farmer)
    client.post(reverse("offers:match_accept", args=[match.pk]))
    client.force_login(volunteer)
    client.post(reverse("offers:match_accept", args=[match.pk]))
    page = client.get(reverse("offers:deliveries")).content.decode()
    assert "J'ai bien reçu" in page
    response = client.post(
        reverse("offers:match_confirm_delivery", args=[match.pk]),
        {"quantity_received": "47.5", "delivered_on": "2026-01-15", "note": ""},
        follow=True,
    )
    assert "Réception enregistrée" in response.content.decode()
    assert Delivery.objects.get(match=match).quantity_received == 47.5


def test_receiving_more_than_agreed_is_refused_with_a_french_message(client, match, farmer, volunteer):
    for person in (farmer, volunteer):
        client.force_login(person)
        client.post(reverse("offers:match_accept", args=[match.pk]))
    response = client.post(
        reverse("offers:match_confirm_delivery", args=[match.pk]),
        {"quantity_received": "500", "delivered_on": "2026-01-15"},
        follow=True,
    )
    assert "Plus que la quantité convenue" in response.content.decode()
    assert not Delivery.objects.exists()


def test_the_proposals_page_pins_its_query_count(client, farm, structure, farmer, django_assert_max_num_queries):
    for _ in range(15):
        web_match(OfferFactory(organization=farm), NeedFactory(organization=structure))
    client.force_login(farmer)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("offers:proposals"))
    assert len(response.context["items"]) == 15


def test_the_deliveries_page_pins_its_query_count(client, farm, structure, volunteer, django_assert_max_num_queries):
    for _ in range(15):
        web_match(OfferFactory(organization=farm), NeedFactory(organization=structure), status="confirmed")
    client.force_login(volunteer)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("offers:deliveries"))
    assert len(response.context["items"]) == 15


def test_my_space_counts_what_waits_for_me(client, match, farmer):
    make_member(match.offer.organization)
    client.force_login(farmer)
    response = client.get(reverse("offers:my_space"))
    assert response.context["proposals"] == 1 and response.context["is_farm"]
