"""The territory map: public, its table lists what the map shows, its data hides addresses."""

from __future__ import annotations

import pytest
from django.urls import reverse

from offers.models import Status
from tests.factories import FarmFactory, NeedFactory, OfferFactory, TerritoryFactory, category, commune

pytestmark = pytest.mark.usefixtures("geo")


def test_a_visitor_sees_open_offers_of_the_territory_in_the_accessible_table(client, territory, farm):
    OfferFactory(organization=farm, product_name="Pommes de terre Charlotte")
    OfferFactory(organization=farm, product_name="Offre retirée", status=Status.WITHDRAWN)
    response = client.get(reverse("offers:map"), {"territory": territory.pk})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Pommes de terre Charlotte" in html
    assert "Offre retirée" not in html
    assert 'id="miam-map"' in html and "carte/donnees.json" in html


def test_the_table_lists_needs_farms_and_structures_on_demand(client, territory, farm, structure):
    NeedFactory(organization=structure, title="Légumes du jeudi")
    needs = client.get(reverse("offers:map"), {"territory": territory.pk, "liste": "needs"}).content.decode()
    assert "Légumes du jeudi" in needs
    farms = client.get(reverse("offers:map"), {"territory": territory.pk, "liste": "farms"}).content.decode()
    assert farm.name in farms and structure.name not in farms


def rows(data, layer) -> list[dict]:
    columns = data["layers"][layer]["columns"]
    return [dict(zip(columns, row, strict=True)) for row in data["layers"][layer]["rows"]]


def test_map_data_gives_every_layer_with_the_outline(client, territory, farm, structure):
    OfferFactory(organization=farm, quantity=100)
    NeedFactory(organization=structure)
    outline = {"type": "Polygon", "coordinates": [[[4.6, 46.4], [4.7, 46.4], [4.7, 46.5], [4.6, 46.4]]]}
    type(territory).objects.filter(pk=territory.pk).update(outline=outline)
    data = client.get(reverse("offers:map_data"), {"territory": territory.pk}).json()
    assert set(data["layers"]) == {"farms", "structures", "offers", "needs", "hubs", "vehicles", "initiatives"}
    assert data["outline"] == outline
    assert [len(data["layers"][k]["rows"]) for k in ("farms", "structures", "offers", "needs")] == [1, 1, 1, 1]
    offer = rows(data, "offers")[0]
    assert offer["commune"] == "Cluny" and offer["quantity"] == 100 and offer["unit"] == "kg"
    assert data["labels"]["pricing"]["donation"] == "don"
    assert "{id}" in data["urls"]["offers"]


def test_visitors_see_organizations_at_their_commune_never_at_their_address(client, territory, officer):
    cluny = commune("71137")
    farm = FarmFactory(latitude=cluny.latitude + 0.02, longitude=cluny.longitude + 0.02, location_precision="address")
    public = client.get(reverse("offers:map_data"), {"territory": territory.pk}).json()
    lat, lon = public["layers"]["farms"]["rows"][0][:2]
    assert (round(lat, 4), round(lon, 4)) == (round(cluny.latitude, 4), round(cluny.longitude, 4))
    client.force_login(officer)
    team = client.get(reverse("offers:map_data"), {"territory": territory.pk}).json()
    lat, lon = team["layers"]["farms"]["rows"][0][:2]
    assert round(lat, 4) == round(farm.latitude, 4)


def test_filters_by_category_include_sub_categories_and_by_pricing(client, territory, farm):
    OfferFactory(organization=farm, product_name="Patates")  # potatoes, a sub-category of vegetables
    OfferFactory(organization=farm, product_name="Pommes", category=category("apples-pears"), pricing="donation")
    vegetables = category("vegetables")
    data = client.get(reverse("offers:map_data"), {"territory": territory.pk, "category": vegetables.pk}).json()
    assert [o["name"] for o in rows(data, "offers")] == ["Patates"]
    data = client.get(reverse("offers:map_data"), {"territory": territory.pk, "pricing": "market"}).json()
    assert data["layers"]["offers"]["rows"] == []


def test_the_map_page_query_count_does_not_grow_with_the_listing(
    client, territory, farm, django_assert_max_num_queries
):
    for i in range(30):
        OfferFactory(organization=FarmFactory(), product_name=f"Produit {i}")
    with django_assert_max_num_queries(14):
        response = client.get(reverse("offers:map"), {"territory": territory.pk})
    assert response.status_code == 200
    with django_assert_max_num_queries(12):
        client.get(reverse("offers:map_data"), {"territory": territory.pk})


def test_the_territory_switcher_remembers_the_chosen_territory(client, territory):
    other = TerritoryFactory(name="PAT du Haut-Doubs", slug="haut-doubs")
    response = client.post(reverse("offers:territory_switch"), {"territory": other.pk, "next": "/carte/?territory=1"})
    assert response.status_code == 302 and response["Location"] == "/carte/"
    page = client.get(reverse("offers:map")).content.decode()
    assert "Carte — PAT du Haut-Doubs" in page
