"""Territories, communes, organizations, ``me`` and API keys through the API."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from actors.models import ApiKey, Organization
from tests.factories import (
    FarmFactory,
    StructureFactory,
    TerritoryFactory,
    UserFactory,
    commune,
    make_member,
    make_officer,
)


@pytest.fixture(autouse=True)
def _fresh_throttles():
    from django.core.cache import cache

    cache.clear()


def logged_in(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def test_territories_are_listed_with_their_perimeter_and_outline(geo):
    territory = TerritoryFactory(name="PAT du Clunisois")
    territory.outline = {"type": "Polygon", "coordinates": [[[4.6, 46.4], [4.7, 46.4], [4.7, 46.5], [4.6, 46.4]]]}
    territory.save()
    listed = APIClient().get("/api/v1/territories/").json()
    assert listed["results"][0]["communes_count"] == 41
    assert listed["results"][0]["epci_codes"] == ["200040293"]
    outline = APIClient().get(f"/api/v1/territories/{territory.pk}/outline/").json()
    assert outline["type"] == "Feature" and outline["geometry"]["type"] == "Polygon"
    assert outline["properties"]["name"] == "PAT du Clunisois"


@pytest.mark.parametrize(
    ("q", "expected"),
    [("cluny", "71137"), ("ST CLAUDE", "39478"), ("saint-claude", "39478"), ("25300", "25462"), ("Besancon", "25056")],
)
def test_communes_are_found_by_name_or_postal_code(geo, q, expected):
    found = APIClient().get("/api/v1/communes/", {"q": q}).json()["results"]
    assert found[0]["insee_code"] == expected


def test_a_commune_is_read_by_its_insee_code(geo):
    body = APIClient().get("/api/v1/communes/39013/").json()
    assert body["name"] == "Arbois" and body["departement"] == "39"


def test_the_communes_list_without_a_filter_pages_through_every_commune(geo, django_assert_max_num_queries):
    from actors.models import Commune

    total = Commune.objects.count()
    seen = []
    url = "/api/v1/communes/?page_size=500"
    with django_assert_max_num_queries(2):  # the page and its count
        first = APIClient().get(url).json()
    assert first["count"] == total > 500 and len(first["results"]) == 500
    assert first["previous"] is None and "page=2" in first["next"]
    while url:
        body = APIClient().get(url).json()
        seen += [(c["name"], c["insee_code"]) for c in body["results"]]
        url = body["next"]
    # Every commune once, by name then INSEE code (which breaks ties between namesakes).
    assert len(seen) == len(set(seen)) == total
    assert seen == list(Commune.objects.order_by("name", "insee_code").values_list("name", "insee_code"))
    # An empty « q » is no filter, as for every list.
    assert APIClient().get("/api/v1/communes/", {"q": ""}).json()["count"] == total


def test_the_communes_list_keeps_the_pagination_of_every_list(geo):
    default = APIClient().get("/api/v1/communes/").json()
    assert len(default["results"]) == 50  # PagePagination's page size
    too_big = APIClient().get("/api/v1/communes/?page_size=501")
    assert too_big.status_code == 400
    assert too_big.json()["fields"] == {"page_size": ["Taille de page invalide : un nombre entier de 1 à 500."]}
    unknown = APIClient().get("/api/v1/communes/?ordering=name")
    assert unknown.status_code == 400 and unknown.json()["code"] == "unknown_parameter"
    beyond = APIClient().get("/api/v1/communes/?page=100000")
    assert beyond.status_code == 404


def test_visitors_see_public_fields_only(geo):
    farm = FarmFactory(
        email="ferme@example.org", phone="0385000000", address="1 chemin des Prés", latitude=46.44, longitude=4.67
    )
    body = APIClient().get(f"/api/v1/organizations/{farm.pk}/").json()
    for private in ("email", "phone", "address", "location_precision"):
        assert private not in body
    cluny = commune("71137")
    assert (body["latitude"], body["longitude"], body["location_is_exact"]) == (
        cluny.latitude,
        cluny.longitude,
        False,
    )
    assert body["commune"] == "71137" and body["farm_profile"]["delivery_radius_km"] == "20.0"


def test_members_and_the_territorys_team_see_private_fields(geo):
    territory = TerritoryFactory()
    farm = FarmFactory(email="ferme@example.org", latitude=46.44, longitude=4.67)
    for user in (make_member(farm), make_officer(territory)):
        body = logged_in(user).get(f"/api/v1/organizations/{farm.pk}/").json()
        assert body["email"] == "ferme@example.org" and body["latitude"] == 46.44
    stranger = logged_in(UserFactory()).get(f"/api/v1/organizations/{farm.pk}/").json()
    assert "email" not in stranger


def test_a_structures_capacities_are_private(geo):
    structure = StructureFactory()
    public = APIClient().get(f"/api/v1/organizations/{structure.pk}/").json()["structure_profile"]
    assert public["structure_type"] == "epicerie" and "monthly_budget_eur" not in public
    private = logged_in(make_member(structure)).get(f"/api/v1/organizations/{structure.pk}/").json()
    assert private["structure_profile"]["monthly_budget_eur"] == "300.00"


def test_organizations_filter_by_kind_territory_and_departement(geo):
    TerritoryFactory(slug="clunisois")
    farm = FarmFactory(commune=commune("71137"))
    structure = StructureFactory(commune=commune("25462"))
    client = APIClient()

    def found(params):
        return [o["id"] for o in client.get("/api/v1/organizations/", params).json()["results"]]

    assert found({"kind": "farm"}) == [farm.pk]
    assert found({"territory": "clunisois"}) == [farm.pk]
    assert found({"departement": "25"}) == [structure.pk]
    assert found({"kind": "farm,food_aid", "ordering": "-name"}) == [structure.pk, farm.pk]
    assert client.get("/api/v1/organizations/", {"kind": "ovni"}).status_code == 400


def test_the_organizations_list_makes_a_fixed_number_of_queries(geo, django_assert_max_num_queries):
    for _ in range(10):
        FarmFactory()
        StructureFactory()
    with django_assert_max_num_queries(3):
        response = APIClient().get("/api/v1/organizations/")
    assert len(response.json()["results"]) == 20


def test_an_officer_registers_a_farm_with_its_profile(geo):
    officer = make_officer(TerritoryFactory())
    response = logged_in(officer).post(
        "/api/v1/organizations/",
        {
            "kind": "farm",
            "name": "GAEC des Trois Chênes",
            "commune": "71137",
            "email": "gaec@example.org",
            "farm_profile": {"labels": ["AB"], "delivery_radius_km": "25", "productions": ["potatoes", "eggs"]},
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["farm_profile"]["productions"] == ["potatoes", "eggs"]
    assert body["email"] == "gaec@example.org"  # the officer may see it
    farm = Organization.objects.get(pk=body["id"])
    patched = logged_in(officer).patch(f"/api/v1/organizations/{farm.pk}/", {"phone": "0385"}, format="json")
    assert patched.status_code == 200 and patched.json()["phone"] == "0385"


def test_a_bad_organization_is_a_400_with_field_errors(geo):
    client = logged_in(UserFactory())
    response = client.post("/api/v1/organizations/", {"kind": "farm", "name": "X", "commune": "00000"}, format="json")
    assert response.status_code == 400 and response.json()["fields"]["commune"]
    assert not Organization.objects.exists()


def test_me_describes_the_person_or_the_key(geo):
    farm = FarmFactory(name="Ferme du Bois")
    user = make_member(farm)
    body = logged_in(user).get("/api/v1/me/").json()
    assert body["type"] == "user" and body["user"]["email"] == user.email
    assert body["memberships"] == [
        {"organization": farm.pk, "organization_name": "Ferme du Bois", "kind": "farm", "role": "admin"}
    ]
    assert APIClient().get("/api/v1/me/").status_code in (401, 403)


def test_an_officer_creates_lists_and_revokes_api_keys(geo):
    territory = TerritoryFactory()
    officer = make_officer(territory)
    client = logged_in(officer)
    created = client.post(
        "/api/v1/api-keys/", {"name": "Plateforme régionale", "territory": territory.pk, "can_write": True}, "json"
    )
    assert created.status_code == 201, created.json()
    raw = created.json()["key"]
    assert raw.startswith("miam_")
    assert ApiKey.objects.get().key_hash == ApiKey.hash_key(raw)  # stored hashed only
    listed = client.get("/api/v1/api-keys/").json()["results"]
    assert [k["name"] for k in listed] == ["Plateforme régionale"] and "key" not in listed[0]
    keyed = APIClient()
    keyed.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    assert keyed.get("/api/v1/me/").json()["api_key"]["territory"] == territory.pk
    assert keyed.get("/api/v1/api-keys/").status_code == 403  # keys never manage keys
    revoked = client.post(f"/api/v1/api-keys/{listed[0]['id']}/revoke/")
    assert revoked.json()["is_active"] is False
    assert keyed.get("/api/v1/me/").status_code == 401


def test_nobody_creates_a_key_for_someone_elses_organization(geo):
    farm = FarmFactory()
    response = logged_in(UserFactory()).post(
        "/api/v1/api-keys/", {"name": "pirate", "organization": farm.pk, "can_write": True}, "json"
    )
    assert response.status_code == 403
    assert not ApiKey.objects.exists()
    assert logged_in(UserFactory()).get("/api/v1/api-keys/").json()["results"] == []
