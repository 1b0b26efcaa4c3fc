"""A partner app acting from an API key alone, and the bad-input table of the API."""

from __future__ import annotations

import datetime as dt
import io
import time

import pytest
from django.utils import timezone
from PIL import Image
from rest_framework.test import APIClient

from actors import services as actor_services
from offers.models import Need, Offer
from tests.factories import FarmFactory, StructureFactory, TerritoryFactory, commune, make_member, make_officer

TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def _fresh_throttles():
    from django.core.cache import cache

    cache.clear()


def key_client(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    return client


@pytest.fixture
def clunisois(geo):
    return TerritoryFactory(name="PAT du Clunisois", slug="clunisois")


@pytest.fixture
def territory_key(clunisois):
    officer = make_officer(clunisois)
    _key, raw = actor_services.apikey_create(
        by=officer, name="Plateforme régionale", territory=clunisois, can_write=True
    )
    return raw


def offer_payload(farm, **overrides):
    payload = {
        "organization": farm.pk,
        "category": "potatoes",
        "product_name": "Pommes de terre Agria",
        "quantity": "300",
        "unit": "kg",
        "window_start": TODAY.isoformat(),
        "window_end": (TODAY + dt.timedelta(days=10)).isoformat(),
        "pricing": "solidarity",
        "price_per_unit": "0.50",
        "usual_price_per_unit": "1.10",
        "labels": ["AB"],
        "logistics": ["delivery", "pickup"],
    }
    payload.update(overrides)
    return payload


def need_payload(structure, **overrides):
    payload = {
        "organization": structure.pk,
        "categories": ["vegetables"],
        "title": "Légumes pour 120 familles",
        "quantity": "150",
        "unit": "kg",
        "window_start": TODAY.isoformat(),
        "window_end": (TODAY + dt.timedelta(days=14)).isoformat(),
    }
    payload.update(overrides)
    return payload


def test_a_partner_app_works_from_its_api_key_alone(clunisois, territory_key):
    farm = FarmFactory(name="Ferme du Mont", commune=commune("71137"))  # Cluny
    structure = StructureFactory(name="Épicerie de Salornay", commune=commune("71495"))  # Salornay-sur-Guye, 10 km
    far_farm = FarmFactory(name="Ferme du Haut-Doubs", commune=commune("25462"))  # Pontarlier, other territory
    api = key_client(territory_key)

    # Who am I? A territory key that may write.
    me = api.get("/api/v1/me/").json()
    assert me["type"] == "api_key" and me["api_key"]["territory"] == clunisois.pk and me["api_key"]["can_write"]

    # It posts a farm's offer and a structure's need.
    created = api.post("/api/v1/offers/", offer_payload(farm), format="json")
    assert created.status_code == 201, created.json()
    offer = created.json()
    assert offer["status"] == "published" and offer["discount_percent"] == 55
    need = api.post("/api/v1/needs/", need_payload(structure), format="json")
    assert need.status_code == 201, need.json()
    assert need.json()["has_fridge"] is True  # prefilled from the structure's profile

    # It finds the offer within 30 km of the structure (whose exact place it may see).
    place = api.get(f"/api/v1/organizations/{structure.pk}/").json()
    assert place["location_is_exact"] is True
    within = f"{place['latitude']},{place['longitude']},30"
    found = api.get("/api/v1/offers/", {"within": within, "category": "vegetables", "ordering": "distance_km"}).json()
    assert [o["id"] for o in found["results"]] == [offer["id"]]
    assert 5 < found["results"][0]["distance_km"] < 20
    assert api.get("/api/v1/offers/", {"within": f"{place['latitude']},{place['longitude']},3"}).json()["count"] == 0

    # It syncs: everything changed since a moment, with a stable cursor.
    since = timezone.now()
    time.sleep(0.01)
    assert api.get("/api/v1/offers/", {"updated_since": since.isoformat(), "sync": "1"}).json()["results"] == []
    patched = api.patch(f"/api/v1/offers/{offer['id']}/", {"quantity": "250"}, format="json")
    assert patched.status_code == 200, patched.json()
    synced = api.get("/api/v1/offers/", {"updated_since": since.isoformat(), "sync": "1"}).json()
    assert [o["id"] for o in synced["results"]] == [offer["id"]]
    assert synced["results"][0]["quantity"] == "250.000"
    assert "count" not in synced and synced["next"] is None

    # Outside its territory it is refused, and nothing is written.
    refused = api.post("/api/v1/offers/", offer_payload(far_farm), format="json")
    assert refused.status_code == 403
    assert refused.json()["code"] == "permission_denied"
    assert Offer.objects.filter(organization=far_farm).count() == 0


def test_a_read_only_key_reads_but_cannot_write(clunisois):
    farm = FarmFactory()
    member = make_member(farm)
    _key, raw = actor_services.apikey_create(by=member, name="Lecture", organization=farm, can_write=False)
    api = key_client(raw)
    assert api.get("/api/v1/offers/").status_code == 200
    response = api.post("/api/v1/offers/", offer_payload(farm), format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "read_only_key"
    assert not Offer.objects.exists()


def test_an_organization_key_writes_only_for_its_organization(geo):
    farm, other = FarmFactory(), FarmFactory()
    _key, raw = actor_services.apikey_create(by=make_member(farm), name="App", organization=farm, can_write=True)
    api = key_client(raw)
    assert api.post("/api/v1/offers/", offer_payload(farm), format="json").status_code == 201
    assert api.post("/api/v1/offers/", offer_payload(other), format="json").status_code == 403
    assert Offer.objects.filter(organization=other).count() == 0


def test_a_territory_key_moves_an_actor_within_its_territory_only(clunisois, territory_key):
    """A territory's key may not send one of its actors to another territory (a 400 on the
    commune, nothing changed); the organization's own key may."""
    farm = FarmFactory(name="Ferme du Bourg")  # Cluny
    api = key_client(territory_key)
    moved = api.patch(f"/api/v1/organizations/{farm.pk}/", {"commune": "25462", "name": "Autre"}, format="json")
    assert moved.status_code == 400 and moved.json()["code"] == "outside_territory"
    assert list(moved.json()["fields"]) == ["commune"]
    farm.refresh_from_db()
    assert (farm.commune.insee_code, farm.name) == ("71137", "Ferme du Bourg")
    _key, raw = actor_services.apikey_create(by=make_member(farm), name="App", organization=farm, can_write=True)
    own = key_client(raw).patch(f"/api/v1/organizations/{farm.pk}/", {"commune": "25462"}, format="json")
    assert own.status_code == 200, own.json()
    assert own.json()["commune"] == "25462"


def test_a_revoked_key_is_refused(geo):
    farm = FarmFactory()
    member = make_member(farm)
    key, raw = actor_services.apikey_create(by=member, name="App", organization=farm, can_write=True)
    actor_services.apikey_revoke(by=member, key=key)
    response = key_client(raw).get("/api/v1/offers/")
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


# --- The bad-input table ---------------------------------------------------------------------


def png(size=(8, 8)) -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", size, "red").save(buffer, format="PNG")
    buffer.seek(0)
    buffer.name = "photo.png"
    return buffer


def not_an_image() -> io.BytesIO:
    buffer = io.BytesIO(b"%PDF-1.7 this is a PDF, whatever its name says")
    buffer.name = "photo.jpg"
    return buffer


BAD_INPUT = [
    ("zero quantity", "offer", {"quantity": "0"}, "quantity"),
    ("negative quantity", "offer", {"quantity": "-12"}, "quantity"),
    (
        "window ending before it starts",
        "offer",
        {"window_end": (TODAY - dt.timedelta(days=1)).isoformat()},
        "window_end",
    ),
    ("unknown category", "offer", {"category": "dragon-fruit-of-mars"}, "category"),
    ("a price on a donation", "offer", {"pricing": "donation", "usual_price_per_unit": None}, "price_per_unit"),
    ("an offer posted by a food-aid structure", "offer-by-structure", {}, "organization"),
    ("a need posted by a farm", "need-by-farm", {}, "organization"),
    ("a need with zero quantity", "need", {"quantity": "0"}, "quantity"),
    ("a need with an unknown category", "need", {"categories": ["vegetables", "nope"]}, "categories"),
    ("a photo that is not an image", "offer-multipart", {"photo": not_an_image}, "photo"),
    ("a photo over the size limit", "offer-multipart", {"photo": lambda: png((300, 300))}, "photo"),
    ("a malformed within filter", "within", {"within": "46.4,abc"}, "within"),
    ("a within filter out of range", "within", {"within": "146.4,4.6,30"}, "within"),
]


@pytest.mark.parametrize(("case", "target", "overrides", "field"), BAD_INPUT, ids=[c[0] for c in BAD_INPUT])
def test_bad_input_is_a_400_with_field_errors_and_nothing_written(geo, settings, case, target, overrides, field):
    settings.UPLOAD_MAX_IMAGE_BYTES = 500
    farm, structure = FarmFactory(), StructureFactory()
    api = APIClient()
    api.force_login(make_member(farm))
    if target in {"offer", "offer-by-structure"}:
        organization = structure if target == "offer-by-structure" else farm
        if target == "offer-by-structure":
            api.force_login(make_member(structure))
        response = api.post("/api/v1/offers/", offer_payload(organization, **overrides), format="json")
    elif target in {"need", "need-by-farm"}:
        organization = farm if target == "need-by-farm" else structure
        if target == "need":
            api.force_login(make_member(structure))
        response = api.post("/api/v1/needs/", need_payload(organization, **overrides), format="json")
    elif target == "offer-multipart":
        payload = offer_payload(farm, pricing="donation", price_per_unit="", usual_price_per_unit="")
        payload = {k: v for k, v in payload.items() if v != ""}
        payload["photo"] = overrides["photo"]()
        response = api.post("/api/v1/offers/", payload, format="multipart")
    else:
        response = api.get("/api/v1/offers/", overrides)
    assert response.status_code == 400, response.content
    body = response.json()
    assert set(body) == {"code", "message", "fields"}
    assert body["fields"][field], body
    assert not Offer.objects.exists()
    assert not Need.objects.exists()


def test_a_valid_photo_can_be_uploaded_later(geo, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    farm = FarmFactory()
    api = APIClient()
    api.force_login(make_member(farm))
    offer = api.post("/api/v1/offers/", offer_payload(farm), format="json").json()
    response = api.post(f"/api/v1/offers/{offer['id']}/photo/", {"photo": png()}, format="multipart")
    assert response.status_code == 200, response.json()
    assert response.json()["photo"].endswith(".png")
    refused = api.post(f"/api/v1/offers/{offer['id']}/photo/", {"photo": not_an_image()}, format="multipart")
    assert refused.status_code == 400
    assert refused.json()["fields"]["photo"]


def test_errors_speak_english_when_asked(geo):
    farm = FarmFactory()
    api = APIClient()
    api.force_login(make_member(farm))
    payload = offer_payload(farm, quantity="0")
    french = api.post("/api/v1/offers/", payload, format="json").json()
    english = api.post("/api/v1/offers/", payload, format="json", HTTP_ACCEPT_LANGUAGE="en").json()
    assert french["message"] == "Certaines données sont invalides."
    assert english["message"] == "Some data is invalid."
    assert english["fields"]["quantity"] == ["The quantity must be greater than zero."]
    assert english["code"] == french["code"] == "quantity_not_positive"
