"""« Je propose » and « J'ai besoin »: prefilled, validated by the services, nothing typed lost."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from actors.models import FarmProfile
from offers.models import Need, Offer
from tests.factories import NeedFactory, OfferFactory, UserFactory, category

pytestmark = pytest.mark.usefixtures("geo")


def offer_data(farm, **overrides):
    today = timezone.localdate()
    data = {
        "organization": farm.pk,
        "category": category("potatoes").pk,
        "product_name": "",
        "quantity": "120",
        "unit": "kg",
        "window_start": today.isoformat(),
        "window_end": (today + dt.timedelta(days=7)).isoformat(),
        "pricing": "donation",
        "logistics": ["pickup"],
        "recurrence": "once",
    }
    data.update(overrides)
    return data


def test_the_offer_form_is_prefilled_from_the_farm_profile(client, farm, farmer):
    FarmProfile.objects.filter(organization=farm).update(delivery_radius_km=25, labels=["AB"])
    client.force_login(farmer)
    form = client.get(reverse("offers:offer_create")).context["form"]
    assert form.initial["delivery_radius_km"] == 25
    assert form.initial["labels"] == ["AB"]
    assert "delivery" in form.initial["logistics"]
    assert form.initial["window_start"] == timezone.localdate()
    assert form["organization"].is_hidden  # one farm: nothing to choose


def test_a_farmer_posts_an_offer_named_after_its_category_when_left_blank(client, farm, farmer):
    client.force_login(farmer)
    response = client.post(reverse("offers:offer_create"), offer_data(farm))
    assert response.status_code == 302 and response["Location"] == reverse("offers:my_offers")
    offer = Offer.objects.get(organization=farm)
    assert offer.product_name == "Pommes de terre" and offer.status == "published"
    assert "Pommes de terre" in client.get(reverse("offers:my_offers")).content.decode()


def test_a_rejected_offer_shows_the_french_message_next_to_the_field_and_keeps_what_was_typed(client, farm, farmer):
    client.force_login(farmer)
    today = timezone.localdate()
    data = offer_data(
        farm,
        product_name="Charlotte",
        quantity="80",
        window_end=(today - dt.timedelta(days=3)).isoformat(),
        pricing="donation",
        price_per_unit="2.50",
    )
    response = client.post(reverse("offers:offer_create"), data)
    assert response.status_code == 400
    form = response.context["form"]
    assert form.errors  # next to the fields, in French
    assert set(form.errors) & {"window_end", "price_per_unit"}
    html = response.content.decode()
    assert 'value="Charlotte"' in html and 'value="80"' in html
    assert "fr-error-text" in html
    assert not Offer.objects.exists()


def test_someone_without_a_farm_is_told_how_to_join_one(client, geo):
    client.force_login(UserFactory())
    response = client.get(reverse("offers:offer_create"))
    assert response.context["no_organization"] is True
    assert "invitation" in response.content.decode()


def test_a_structure_posts_a_need_prefilled_with_its_fridge(client, structure, volunteer):
    client.force_login(volunteer)
    form = client.get(reverse("offers:need_create")).context["form"]
    assert form.initial["has_fridge"] is True  # from the structure's profile
    today = timezone.localdate()
    response = client.post(
        reverse("offers:need_create"),
        {
            "organization": structure.pk,
            "categories": [category("vegetables").pk],
            "quantity": "40",
            "unit": "kg",
            "window_start": today.isoformat(),
            "window_end": (today + dt.timedelta(days=10)).isoformat(),
            "frequency": "weekly",
            "accepted_pricing": "donation_only",
            "urgency": "3",
            "has_fridge": "on",
        },
    )
    assert response.status_code == 302
    need = Need.objects.get(organization=structure)
    assert need.title == "Légumes" and need.frequency == "weekly" and need.urgency == 3
    assert [c.code for c in need.categories.all()] == ["vegetables"]


def test_a_need_without_a_category_is_refused_next_to_the_field(client, structure, volunteer):
    client.force_login(volunteer)
    today = timezone.localdate()
    response = client.post(
        reverse("offers:need_create"),
        {"organization": structure.pk, "quantity": "40", "unit": "kg", "window_start": today, "window_end": today},
    )
    assert response.status_code == 400
    assert "categories" in response.context["form"].errors
    assert not Need.objects.exists()


def test_only_members_edit_an_offer_and_the_edit_goes_through_the_service(client, farm, farmer):
    offer = OfferFactory(organization=farm, quantity=100)
    client.force_login(UserFactory())
    assert client.get(reverse("offers:offer_edit", args=[offer.pk])).status_code == 403
    client.force_login(farmer)
    data = offer_data(farm, product_name="Pommes de terre nouvelles", quantity="90")
    response = client.post(reverse("offers:offer_edit", args=[offer.pk]), data)
    assert response.status_code == 302
    offer.refresh_from_db()
    assert offer.quantity == 90 and offer.product_name == "Pommes de terre nouvelles"


def test_withdrawing_an_offer_takes_it_off_the_map(client, farm, farmer, territory):
    offer = OfferFactory(organization=farm)
    client.force_login(farmer)
    client.post(reverse("offers:offer_withdraw", args=[offer.pk]))
    offer.refresh_from_db()
    assert offer.status == "withdrawn"
    data = client.get(reverse("offers:map_data"), {"territory": territory.pk}).json()
    assert data["layers"]["offers"]["rows"] == []


def test_a_withdrawn_offer_is_hidden_from_visitors_but_not_from_its_farm(client, farm, farmer):
    offer = OfferFactory(organization=farm, status="withdrawn")
    assert client.get(reverse("offers:offer_detail", args=[offer.pk])).status_code == 403
    client.force_login(farmer)
    assert client.get(reverse("offers:offer_detail", args=[offer.pk])).status_code == 200


def test_my_offers_and_my_needs_pin_their_query_counts(client, farm, farmer, structure, django_assert_max_num_queries):
    for _ in range(20):
        OfferFactory(organization=farm)
    client.force_login(farmer)
    with django_assert_max_num_queries(14):
        assert client.get(reverse("offers:my_offers")).status_code == 200
    for _ in range(20):
        NeedFactory(organization=structure)
    from tests.factories import make_member

    client.force_login(make_member(structure))
    with django_assert_max_num_queries(14):
        assert client.get(reverse("offers:my_needs")).status_code == 200
