"""Fair shares and the world as it is, tried as a partner app would: a territory API key posts
listings, runs matching and reads the proposals, their reasons and the fill rates."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from actors import services as actor_services
from actors.models import StructureProfile
from offers.models import Delivery, Match, Need, Offer
from tests.factories import FarmFactory, StructureFactory, TerritoryFactory, commune, make_member, make_officer

pytestmark = pytest.mark.usefixtures("geo")
TODAY = timezone.localdate()
MS = Match.MatchStatus
SALORNAY = "71495"


@pytest.fixture(autouse=True)
def _fresh_throttles():
    from django.core.cache import cache

    cache.clear()


@pytest.fixture
def territory(geo):
    return TerritoryFactory()


@pytest.fixture
def api(territory) -> APIClient:
    """A partner platform's territory key, allowed to write."""
    _key, raw = actor_services.apikey_create(
        by=make_officer(territory), name="Plateforme régionale", territory=territory, can_write=True
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {raw}")
    return client


def as_member(organization) -> APIClient:
    client = APIClient()
    client.force_authenticate(make_member(organization))
    return client


def post_offer(api, farm, **fields) -> dict:
    payload = {
        "organization": farm.pk,
        "category": "potatoes",
        "product_name": "Pommes de terre",
        "quantity": "90",
        "unit": "kg",
        "window_start": TODAY.isoformat(),
        "window_end": (TODAY + dt.timedelta(days=10)).isoformat(),
        "pricing": "donation",
        "logistics": ["delivery"],
        "delivery_radius_km": "30",
    } | fields
    response = api.post("/api/v1/offers/", payload, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def post_need(api, structure, **fields) -> dict:
    payload = {
        "organization": structure.pk,
        "categories": ["vegetables"],
        "title": "Légumes",
        "quantity": "100",
        "unit": "kg",
        "window_start": TODAY.isoformat(),
        "window_end": (TODAY + dt.timedelta(days=14)).isoformat(),
    } | fields
    response = api.post("/api/v1/needs/", payload, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def run(api, territory, django_capture_on_commit_callbacks) -> dict:
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/matching-runs/", {"territory": territory.pk}, format="json")
    assert response.status_code == 202, response.json()
    followed = api.get(f"/api/v1/matching-runs/{response.json()['id']}/").json()
    assert followed["status"] == "success", followed
    return followed


def proposals(api, **filters) -> list[dict]:
    rows = api.get("/api/v1/matches/", {"status": "proposed", **filters}).json()["results"]
    return sorted(rows, key=lambda m: m["need"]["id"])


def farther_than(origin, territory, road_km: float, *excluded: str) -> str:
    """A commune of the territory more than `road_km` by road from `origin`, and within 30 km."""
    from offers.matching.arrays import haversine_km

    for c in territory.communes.exclude(insee_code__in=excluded).order_by("insee_code"):
        road = 1.3 * float(haversine_km(origin.latitude, origin.longitude, c.latitude, c.longitude))
        if road_km < road < 30:
            return c.insee_code
    raise AssertionError("no such commune")


def deliver(structure, kg: int) -> None:
    """A past delivery of `kg` to `structure`, three days ago."""
    farm = FarmFactory()
    offer = Offer.objects.create(
        organization=farm,
        category_id=Offer._meta.get_field("category").related_model.objects.get(code="potatoes").pk,
        product_name="Déjà livré",
        quantity=kg,
        window_start=TODAY - dt.timedelta(days=5),
        window_end=TODAY - dt.timedelta(days=1),
        status="fully_matched",
    )
    need = Need.objects.create(
        organization=structure,
        title="Déjà reçu",
        quantity=kg,
        window_start=TODAY - dt.timedelta(days=5),
        window_end=TODAY - dt.timedelta(days=1),
        status="fully_matched",
    )
    match = Match.objects.create(offer=offer, need=need, quantity=kg, quantity_kg=kg, status=MS.CLOSED)
    Delivery.objects.create(
        match=match,
        delivered_on=TODAY - dt.timedelta(days=3),
        mode="delivery",
        quantity_received=kg,
        unit="kg",
        quantity_kg=kg,
    )


# --- The promise, through the API --------------------------------------------------------


def test_a_scarce_offer_goes_mostly_to_the_least_served_and_earlier_deliveries_move_it_further(
    api, territory, django_capture_on_commit_callbacks
):
    farm = FarmFactory(commune=commune("71137"))
    people = (180, 60, 60)  # same place, same need: only who they serve and what they got differ
    structures = [StructureFactory(commune=commune(SALORNAY), profile__people_served_per_week=p) for p in people]
    needs = [post_need(api, s) for s in structures]
    post_offer(api, farm)
    run(api, territory, django_capture_on_commit_callbacks)
    first = {m["need"]["id"]: Decimal(m["quantity"]) for m in proposals(api)}
    assert sum(first.values()) <= Decimal(90)
    biggest = first[needs[0]["id"]]
    assert biggest > first[needs[1]["id"]] + first[needs[2]["id"]]
    why = next(m for m in proposals(api) if m["need"]["id"] == needs[0]["id"])
    assert why["reasons"][0]["code"] == "fairness_priority" or why["reasons"][0]["code"] == "distance"
    assert why["explanation"].startswith(why["reasons"][0]["text"])

    # Deliveries recorded to the two others beforehand: the shares move further towards it.
    for structure in structures[1:]:
        deliver(structure, 20)
    run(api, territory, django_capture_on_commit_callbacks)
    second = {m["need"]["id"]: Decimal(m["quantity"]) for m in proposals(api)}
    assert sum(second.values()) <= Decimal(90)
    assert second[needs[0]["id"]] > biggest
    prioritised = next(m for m in proposals(api) if m["need"]["id"] == needs[0]["id"])
    assert prioritised["reasons"][0]["code"] == "fairness_priority"
    assert prioritised["reasons"][0]["params"] == {"received_kg": 0.0, "people": 180, "days": 30}
    assert prioritised["reasons"][0]["text"] == (
        "prioritaire : 0 kg reçus ces 30 derniers jours pour 180 personnes accueillies"
    )
    english = api.get(f"/api/v1/matches/{prioritised['id']}/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert english["reasons"][0]["text"] == "priority: 0 kg received over the last 30 days for 180 people served"
    assert english["explanation"].startswith("priority: 0 kg")

    # Officers read who is least served, with what was received and the fair share.
    rates = api.get("/api/v1/fill-rates/", {"territory": territory.pk}).json()
    order = [row["organization"] for row in rates["structures"]]
    assert order[0] == structures[0].pk  # nothing received yet: least served first
    fed = next(row for row in rates["structures"] if row["organization"] == structures[1].pk)
    assert (fed["received_kg"], fed["people_served_per_week"]) == ("20.000", 60)
    assert Decimal(fed["entitlement_kg"]) == Decimal("8.000")  # 60 of 300 people, of the 40 kg received
    assert fed["fill_rate"] == 2.5


def test_fill_rates_are_for_the_territorys_team_only(territory):
    outsider = as_member(StructureFactory())
    assert outsider.get("/api/v1/fill-rates/", {"territory": territory.pk}).status_code == 403
    officer = APIClient()
    officer.force_authenticate(make_officer(territory))
    response = officer.get("/api/v1/fill-rates/", {"territory": territory.pk, "date_from": "2026-13-01"})
    assert response.status_code == 400 and "date_from" in response.json()["fields"]


# --- Matching reads the world as it is, one item at a time --------------------------------


def test_a_need_follows_its_structures_profile_until_it_says_otherwise(
    api, territory, django_capture_on_commit_callbacks
):
    farm = FarmFactory(commune=commune("71137"))
    structure = StructureFactory(commune=commune(SALORNAY))  # 13 km by road; fridge, van, 30 km
    offer = post_offer(api, farm, category="leafy-vegetables", storage="chilled", logistics=["pickup"])
    need = post_need(api, structure)
    assert (need["has_fridge"], need["has_vehicle"], need["means_from_profile"][:2]) == (
        True,
        True,
        ["has_fridge", "chilled_capacity_kg"],
    )
    run(api, territory, django_capture_on_commit_callbacks)
    assert [m["offer"]["id"] for m in proposals(api)] == [offer["id"]]

    # The structure's fridge breaks down: its profile changes, the next run reads it.
    StructureProfile.objects.filter(organization=structure).update(has_fridge=False)
    assert api.get(f"/api/v1/needs/{need['id']}/").json()["has_fridge"] is False
    run(api, territory, django_capture_on_commit_callbacks)
    assert proposals(api) == []
    why = api.get(f"/api/v1/needs/{need['id']}/near-misses/").json()
    assert [r["params"]["constraint"] for r in why["reasons"]] == ["no_fridge"]
    assert why["reasons"][0]["text"].startswith("1 offre de légumes réfrigérée(s) à 13 km")

    # A need that says it has a fridge (borrowed) overrides the profile.
    api.patch(f"/api/v1/needs/{need['id']}/", {"has_fridge": True, "chilled_capacity_kg": 50}, format="json")
    run(api, territory, django_capture_on_commit_callbacks)
    assert [m["offer"]["id"] for m in proposals(api)] == [offer["id"]]


def test_a_territory_key_accepting_names_the_side_and_never_confirms_both_at_once(
    api, territory, django_capture_on_commit_callbacks
):
    post_offer(api, FarmFactory(commune=commune("71137")))
    post_need(api, StructureFactory(commune=commune(SALORNAY)))
    run(api, territory, django_capture_on_commit_callbacks)
    (match,) = proposals(api)
    refused = api.post(f"/api/v1/matches/{match['id']}/accept/", {}, format="json")
    assert refused.status_code == 400 and refused.json()["code"] == "side_required"
    assert api.post(f"/api/v1/matches/{match['id']}/accept/", {"side": "someone"}, format="json").status_code == 400
    farm_side = api.post(f"/api/v1/matches/{match['id']}/accept/", {"side": "farm"}, format="json").json()
    assert farm_side["status"] == MS.ACCEPTED_FARM and farm_side["structure_accepted_at"] is None
    again = api.post(f"/api/v1/matches/{match['id']}/accept/", {"side": "farm"}, format="json").json()
    assert again["status"] == MS.ACCEPTED_FARM
    both = api.post(f"/api/v1/matches/{match['id']}/accept/", {"side": "structure"}, format="json").json()
    assert both["status"] == MS.CONFIRMED


def test_a_match_that_can_no_longer_be_reserved_is_resized_then_withdrawn_never_left_accepted(api, territory):
    farm = FarmFactory(commune=commune("71137"))
    offer = post_offer(api, farm, quantity="100", min_quantity="20")
    structures = [StructureFactory(commune=commune(SALORNAY)) for _ in range(3)]
    needs = [post_need(api, s, quantity=q) for s, q in zip(structures, ("70", "50", "25"), strict=True)]
    asked = []
    for structure, need in zip(structures, needs, strict=True):
        response = as_member(structure).post(
            "/api/v1/matches/request/", {"offer": offer["id"], "need": need["id"], "quantity": need["quantity"]}
        )
        assert response.status_code == 201, response.json()
        asked.append(response.json())
    farmer = as_member(farm)
    assert farmer.post(f"/api/v1/matches/{asked[0]['id']}/accept/").json()["status"] == MS.CONFIRMED
    resized = api.get(f"/api/v1/matches/{asked[1]['id']}/").json()
    assert (resized["status"], resized["quantity"]) == (MS.ACCEPTED_STRUCTURE, "30.000")
    assert resized["reasons"][-1]["text"] == "quantité ramenée à ce qui reste de l'offre (30 kg)"
    assert farmer.post(f"/api/v1/matches/{asked[2]['id']}/accept/").json()["status"] == MS.CONFIRMED
    withdrawn = api.get(f"/api/v1/matches/{asked[1]['id']}/").json()
    assert withdrawn["status"] == MS.EXPIRED and "réservée pour une autre structure" in withdrawn["declined_reason"]


def test_eggs_by_the_dozen_meet_a_need_counted_in_eggs_and_count_in_the_kilograms_delivered(
    api, territory, django_capture_on_commit_callbacks
):
    farm = FarmFactory(commune=commune("71137"))
    structure = StructureFactory(commune=commune(SALORNAY))
    post_offer(api, farm, category="hen-eggs", unit="dozen", quantity="10", storage="ambient")
    need = post_need(api, structure, categories=["eggs"], unit="piece", quantity="30")
    run(api, territory, django_capture_on_commit_callbacks)
    (match,) = proposals(api)
    assert (match["quantity"], match["unit"], match["quantity_kg"]) == ("2.000", "dozen", "1.392")
    for side in ("farm", "structure"):
        api.post(f"/api/v1/matches/{match['id']}/accept/", {"side": side}, format="json")
    volunteer = as_member(structure)
    delivered = volunteer.post(f"/api/v1/matches/{match['id']}/confirm-delivery/", {"quantity_received": "2"})
    assert delivered.status_code == 200, delivered.json()
    assert Delivery.objects.get(match_id=match["id"]).quantity_kg == Decimal("1.392")
    assert api.get(f"/api/v1/needs/{need['id']}/").json()["quantity_covered"] == "24.000"  # eggs


def test_frozen_and_long_life_variants_meet_a_need_for_their_category_when_storage_allows(
    api, territory, django_capture_on_commit_callbacks
):
    farm = FarmFactory(commune=commune("71137"))
    uht = post_offer(api, farm, category="long-life-milk", unit="l", quantity="40", storage="ambient")
    beef = post_offer(api, farm, category="beef", storage="frozen", quantity="30")
    no_freezer = StructureFactory(commune=commune(SALORNAY))  # fridge, no freezer
    milk_need = post_need(api, no_freezer, categories=["milk"], unit="l", quantity="20")
    beef_need = post_need(api, no_freezer, categories=["beef"], quantity="20")
    run(api, territory, django_capture_on_commit_callbacks)
    assert {(m["offer"]["id"], m["need"]["id"]) for m in proposals(api)} == {(uht["id"], milk_need["id"])}
    why = api.get(f"/api/v1/needs/{beef_need['id']}/near-misses/").json()["reasons"]
    assert [r["params"]["constraint"] for r in why] == ["no_freezer"]
    api.patch(f"/api/v1/needs/{beef_need['id']}/", {"has_freezer": True, "frozen_capacity_kg": 100}, format="json")
    run(api, territory, django_capture_on_commit_callbacks)
    assert (beef["id"], beef_need["id"]) in {(m["offer"]["id"], m["need"]["id"]) for m in proposals(api)}


def test_quantities_proposed_are_multiples_of_the_offers_pack_size(api, territory, django_capture_on_commit_callbacks):
    farm = FarmFactory(commune=commune("71137"))
    structure = StructureFactory(commune=commune(SALORNAY))
    offer = post_offer(api, farm, category="honey-jars", quantity="20", pack_size="0.5")
    assert offer["pack_size"] == "0.500"
    need = post_need(api, structure, categories=["honey"], quantity="3.7")
    run(api, territory, django_capture_on_commit_callbacks)
    (match,) = proposals(api)
    assert match["quantity"] == "3.500"
    asked = as_member(structure).post(
        "/api/v1/matches/request/", {"offer": offer["id"], "need": need["id"], "quantity": "1.2"}
    )
    assert asked.status_code == 400 and "multiple du colis de 0.5" in asked.json()["message"]
    bad = api.post("/api/v1/offers/", {**offer, "organization": farm.pk, "pack_size": "0"}, format="json")
    assert bad.status_code == 400 and "pack_size" in bad.json()["fields"]


def test_a_purchase_beyond_the_months_budget_is_refused_and_never_proposed(
    api, territory, django_capture_on_commit_callbacks
):
    farm = FarmFactory(commune=commune("71137"))
    structure = StructureFactory(commune=commune(SALORNAY), profile__monthly_budget_eur=50)
    sale = {"pricing": "solidarity", "price_per_unit": "2.00", "usual_price_per_unit": "3.00", "quantity": "100"}
    post_offer(api, farm, **sale)
    post_need(api, structure, accepted_pricing="purchase", max_price_per_unit="3")
    run(api, territory, django_capture_on_commit_callbacks)
    (match,) = proposals(api)
    assert match["quantity"] == "25.000"  # what 50 € pay at 2 €/kg, not the 100 kg needed
    # Meanwhile the structure spent 20 € elsewhere this month: the confirmation is refused.
    other = Match.objects.create(
        offer=Offer.objects.create(
            organization=farm,
            category_id=Offer.objects.get(pk=match["offer"]["id"]).category_id,
            product_name="Autre achat",
            quantity=10,
            window_start=TODAY,
            window_end=TODAY,
            pricing="market",
            price_per_unit=2,
        ),
        need=Need.objects.get(pk=match["need"]["id"]),
        quantity=10,
        price_per_unit=2,
        status=MS.CONFIRMED,
        confirmed_at=timezone.now(),
    )
    api.post(f"/api/v1/matches/{match['id']}/accept/", {"side": "farm"}, format="json")
    refused = api.post(f"/api/v1/matches/{match['id']}/accept/", {"side": "structure"}, format="json")
    assert refused.status_code == 409, refused.json()
    assert refused.json()["code"] == "budget_exceeded"
    assert "il reste 30,00 € pour un achat de 50,00 €" in refused.json()["message"]
    assert Match.objects.get(pk=match["id"]).status == MS.ACCEPTED_FARM  # nothing written
    assert other.status == MS.CONFIRMED


def test_distribution_days_set_the_date_proposed_show_in_the_reasons_and_bound_the_schedule(
    api, territory, django_capture_on_commit_callbacks
):
    farm = FarmFactory(commune=commune("71137"))
    structure = StructureFactory(commune=commune(SALORNAY))
    StructureProfile.objects.filter(organization=structure).update(
        distribution_days=[3], distribution_hours="14 h – 17 h"
    )  # Thursdays
    post_offer(api, farm)
    post_need(api, structure)
    run(api, territory, django_capture_on_commit_callbacks)
    (match,) = proposals(api)
    thursday = dt.date.fromisoformat(match["proposed_for"])
    assert thursday.weekday() == 3 and TODAY <= thursday < TODAY + dt.timedelta(days=7)
    assert match["reasons"][-1]["code"] == "delivery_day"
    assert match["reasons"][-1]["text"].startswith("livraison proposée le jeudi")
    assert match["reasons"][-1]["text"].endswith("(distribution 14 h – 17 h)")
    for side in ("farm", "structure"):
        api.post(f"/api/v1/matches/{match['id']}/accept/", {"side": side}, format="json")
    other_day = thursday + dt.timedelta(days=1)
    refused = api.post(
        f"/api/v1/matches/{match['id']}/schedule/", {"date": other_day.isoformat(), "mode": "delivery"}, format="json"
    )
    assert refused.status_code == 400 and refused.json()["code"] == "not_a_distribution_day"
    assert "jeudi" in refused.json()["message"]
    ok = api.post(
        f"/api/v1/matches/{match['id']}/schedule/", {"date": thursday.isoformat(), "mode": "delivery"}, format="json"
    )
    assert ok.status_code == 200, ok.json()


def test_receiving_less_than_agreed_leaves_the_rest_of_the_need_open(
    api, territory, django_capture_on_commit_callbacks
):
    farm = FarmFactory(commune=commune("71137"))
    structure = StructureFactory(commune=commune(SALORNAY))
    post_offer(api, farm, quantity="25")
    need = post_need(api, structure, quantity="25")
    run(api, territory, django_capture_on_commit_callbacks)
    (match,) = proposals(api)
    for side in ("farm", "structure"):
        api.post(f"/api/v1/matches/{match['id']}/accept/", {"side": side}, format="json")
    assert api.get(f"/api/v1/needs/{need['id']}/").json()["status"] == "fully_matched"
    received = as_member(structure).post(
        f"/api/v1/matches/{match['id']}/confirm-delivery/", {"quantity_received": "22"}
    )
    assert received.status_code == 200, received.json()
    after = api.get(f"/api/v1/needs/{need['id']}/").json()
    assert (after["status"], after["quantity_covered"], after["quantity_open"]) == ("partly_matched", "22.000", "3.000")


def test_a_need_without_proposal_says_which_constraint_kept_the_nearest_offers_out(api, territory):
    cluny = commune("71137")
    structure = StructureFactory(commune=cluny)  # a van, but 10 km at most
    StructureProfile.objects.filter(organization=structure).update(pickup_radius_km=10)
    for code in (SALORNAY, farther_than(cluny, territory, 11, SALORNAY)):  # 13 km, and another
        post_offer(api, FarmFactory(commune=commune(code)), category="apples-pears", logistics=["pickup"])
    need = post_need(api, structure, categories=["fruits"])
    why = as_member(structure).get(f"/api/v1/needs/{need['id']}/near-misses/").json()
    assert why["proposals"] == 0
    (reach,) = why["reasons"]
    assert reach["code"] == "near_miss" and reach["params"]["constraint"] == "out_of_reach"
    assert reach["params"]["count"] == 2 and reach["params"]["radius_km"] == 10.0
    assert reach["text"].startswith("2 offres de fruits à 1")
    assert reach["text"].endswith("km, au-delà de votre rayon de 10 km")
    english = as_member(structure).get(f"/api/v1/needs/{need['id']}/near-misses/", HTTP_ACCEPT_LANGUAGE="en").json()
    assert english["reasons"][0]["text"].startswith("2 offers of fruits at 1")
    assert english["reasons"][0]["text"].endswith("km, beyond your 10 km radius")


def test_a_structure_asks_for_an_offer_it_saw_and_the_farm_answers_as_usual(api, territory):
    farm = FarmFactory(commune=commune("71137"))
    structure = StructureFactory(commune=commune(SALORNAY))
    offer = post_offer(api, farm)
    need = post_need(api, structure)
    volunteer = as_member(structure)
    too_much = volunteer.post("/api/v1/matches/request/", {"offer": offer["id"], "need": need["id"], "quantity": "500"})
    assert too_much.status_code == 400 and too_much.json()["code"] == "pair_not_feasible"
    outsider = as_member(StructureFactory())
    assert (
        outsider.post(
            "/api/v1/matches/request/", {"offer": offer["id"], "need": need["id"], "quantity": "5"}
        ).status_code
        == 403
    )
    asked = volunteer.post("/api/v1/matches/request/", {"offer": offer["id"], "need": need["id"], "quantity": "40"})
    assert asked.status_code == 201, asked.json()
    body = asked.json()
    assert (body["status"], body["origin"], body["quantity"]) == (MS.ACCEPTED_STRUCTURE, "request", "40.000")
    assert body["reasons"][0]["text"] == "demandée par la structure"
    assert as_member(farm).post(f"/api/v1/matches/{body['id']}/accept/").json()["status"] == MS.CONFIRMED
