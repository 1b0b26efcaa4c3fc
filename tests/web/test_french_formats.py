"""French the way people read and type it: the decimal comma, plurals, « 1er décembre », statuses
that agree with what they describe, distances rounded one way, error pages with a way back."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django import forms
from django.urls import reverse
from django.utils import timezone, translation

from miam import formatting
from miam.forms import DecimalCommaField
from offers.models import Offer
from tests.factories import NeedFactory, OfferFactory, web_match
from tests.web.test_listing_forms import offer_data

pytestmark = pytest.mark.usefixtures("geo")


# --- The decimal comma ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "read"),
    [("1,2", Decimal("1.2")), ("1.2", Decimal("1.2")), ("1 234,5", Decimal("1234.5")), ("12", Decimal("12"))],
)
def test_a_decimal_typed_the_french_way_or_with_a_point_is_read_as_meant(typed, read):
    with translation.override("fr"):
        assert DecimalCommaField(max_digits=9, decimal_places=2).clean(typed) == read


@pytest.mark.parametrize("typed", ["1.234", "1.234,5", "1,234.5"])
def test_a_number_that_reads_two_ways_is_a_clear_error_never_a_guess(typed):
    with translation.override("fr"), pytest.raises(forms.ValidationError) as error:
        DecimalCommaField(max_digits=12, decimal_places=3).clean(typed)
    assert error.value.code == "ambiguous" and "deux façons" in error.value.messages[0]


def test_a_decimal_is_shown_with_a_comma_and_without_trailing_zeros():
    field = DecimalCommaField()
    with translation.override("fr"):
        assert field.prepare_value(Decimal("25.000")) == "25"
        assert field.prepare_value(Decimal("10.80")) == "10,8"
    with translation.override("en"):
        assert field.prepare_value(Decimal("10.80")) == "10.8"


def test_numbers_from_the_api_pass_as_they_are():
    field = DecimalCommaField(max_digits=9, decimal_places=2)
    assert field.clean(12) == Decimal("12") and field.clean(1.5) == Decimal("1.5")


def test_a_price_typed_1_comma_2_is_1_euro_20_never_12(client, farm, farmer):
    client.force_login(farmer)
    data = offer_data(farm, pricing="market", price_per_unit="1,2")
    response = client.post(reverse("offers:offer_create"), data)
    assert response.status_code == 302
    assert Offer.objects.get(organization=farm).price_per_unit == Decimal("1.20")


def test_an_ambiguous_price_keeps_what_was_typed_next_to_a_clear_error(client, farm, farmer):
    client.force_login(farmer)
    response = client.post(reverse("offers:offer_create"), offer_data(farm, pricing="market", price_per_unit="1.234"))
    body = response.content.decode()
    assert response.status_code == 400 and not Offer.objects.exists()
    assert "peut se lire de deux façons" in body and 'value="1.234"' in body


def test_the_price_fields_say_when_they_are_required(client, farm, farmer):
    client.force_login(farmer)
    body = client.get(reverse("offers:offer_create")).content.decode()
    assert "Obligatoire pour un prix solidaire" in body
    assert 'inputmode="decimal"' in body and 'type="number"' not in body


def test_a_delivery_form_sent_with_an_error_keeps_what_was_typed(client, farm, structure, farmer, volunteer):
    match = web_match(OfferFactory(organization=farm, quantity=100), NeedFactory(organization=structure, quantity=50))
    for person in (farmer, volunteer):
        client.force_login(person)
        client.post(reverse("offers:match_accept", args=[match.pk]))
    page = client.get(reverse("offers:deliveries")).content.decode()
    assert 'name="quantity_received" value="50"' in page and "50.000" not in page  # never « 50.000 »
    response = client.post(
        reverse("offers:match_confirm_delivery", args=[match.pk]),
        {"quantity_received": "47,5", "delivered_on": "pas une date", "note": "cagettes abîmées"},
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert 'value="47,5"' in body and "cagettes abîmées" in body and "Date invalide" in body


# --- Plurals, dates, statuses, distances ---------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        ("104", "l", "104 litres"),
        ("1", "l", "1 litre"),
        ("1.5", "l", "1,5 litre"),
        ("19", "dozen", "19 douzaines"),
        ("1", "dozen", "1 douzaine"),
        ("2.5", "kg", "2,5 kg"),
        ("3", "crate", "3 cagettes"),
        ("12.000", "piece", "12 pièces"),
    ],
)
def test_a_quantity_agrees_with_its_unit_in_french(value, unit, text):
    with translation.override("fr"):
        assert formatting.quantity_text(Decimal(value), unit) == text


def test_a_quantity_reads_in_english_too():
    with translation.override("en"):
        assert formatting.quantity_text(Decimal("1.5"), "l") == "1.5 litres"
        assert formatting.quantity_text(Decimal("1"), "dozen") == "1 dozen"


def test_the_first_of_the_month_is_1er_in_french():
    with translation.override("fr"):
        assert formatting.long_date(dt.date(2026, 12, 1)) == "1er décembre 2026"
        assert formatting.long_date(dt.date(2026, 12, 2)) == "2 décembre 2026"
        assert formatting.day_month(dt.date(2026, 12, 11)) == "11 décembre"
        assert formatting.weekday_date(dt.date(2026, 12, 1)) == "mardi 1er décembre"
    with translation.override("en"):
        assert formatting.long_date(dt.date(2026, 12, 1)) == "1 December 2026"
        assert formatting.weekday_date(dt.date(2026, 12, 1)) == "Tuesday 1 December"


def test_a_need_is_publie_and_an_offer_publiee():
    with translation.override("fr"):
        assert formatting.listing_status_text("published", kind="need") == "publié"
        assert formatting.listing_status_text("published", kind="offer") == "publiée"
        assert formatting.listing_status_text("partly_matched", kind="need") == "en partie pourvu"


def test_distances_are_rounded_one_way_everywhere():
    with translation.override("fr"):
        assert formatting.distance_text(Decimal("11.6")) == "12 km"
        assert formatting.distance_text(Decimal("4.24")) == "4,2 km"


def test_a_name_that_holds_its_commune_does_not_repeat_it():
    assert formatting.name_with_commune("Épicerie solidaire de Cluny", "Cluny") == "Épicerie solidaire de Cluny"
    assert formatting.name_with_commune("Ferme des Grands Prés", "Cluny") == "Ferme des Grands Prés (Cluny)"


def test_my_offers_read_the_french_way(client, farm, farmer):
    OfferFactory(
        organization=farm,
        quantity=Decimal("104"),
        unit="l",
        window_end=timezone.localdate().replace(day=1) + dt.timedelta(days=40),
    )
    client.force_login(farmer)
    body = client.get(reverse("offers:my_offers")).content.decode()
    assert "104 litres" in body and "104 litre " not in body and "Déc" not in body


# --- Error pages ---------------------------------------------------------------------------------


def test_an_unknown_page_is_a_french_dsfr_page_with_a_way_back(client):
    response = client.get("/cette-page-n-existe-pas/")
    body = response.content.decode()
    assert response.status_code == 404
    assert "Page introuvable" in body and 'href="/"' in body and "fr-header" in body


def test_an_unknown_api_path_keeps_the_api_error_shape(client):
    response = client.get("/api/v1/nulle-part/")
    assert response.status_code == 404
    assert set(response.json()) == {"code", "message", "fields"} and response.json()["code"] == "not_found"


def test_a_forbidden_page_is_ours_and_in_english_for_english_readers(client, farmer, territory):
    client.force_login(farmer)
    response = client.get(reverse("actors:invitations", args=[territory.slug]))
    assert response.status_code == 403 and "Accès refusé" in response.content.decode()
    type(farmer).objects.filter(pk=farmer.pk).update(language="en")  # a person's chosen language wins
    response = client.get(reverse("actors:invitations", args=[territory.slug]))
    body = response.content.decode()
    assert response.status_code == 403 and "Error 403" in body and "Erreur 403" not in body


def test_a_server_error_page_needs_no_database(rf):
    from miam.views import server_error

    with translation.override("fr"):
        response = server_error(rf.get("/carte/"))
    assert response.status_code == 500 and "Erreur inattendue" in response.content.decode()
    api = server_error(rf.get("/api/v1/offers/"))
    assert api.status_code == 500 and api["Content-Type"] == "application/json"


def test_a_price_with_more_decimals_than_cents_is_refused_not_rounded(client, farm, farmer):
    client.force_login(farmer)
    response = client.post(reverse("offers:offer_create"), offer_data(farm, pricing="market", price_per_unit="1,234"))
    assert response.status_code == 400 and not Offer.objects.exists()
    assert "Au plus 2 chiffres après la virgule" in response.content.decode()
